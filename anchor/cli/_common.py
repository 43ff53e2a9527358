"""Shared helpers for command modules: reading inputs, writing results.

Results go to stdout (``emit_json`` for ``--json``), diagnostics and progress to
stderr (``note``). Nothing outside ``anchor.cli`` prints.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from anchor.errors import InputError


def read_input_bytes(name: str, *, hex_text: bool = False) -> bytes:
    """Read a file argument (``-`` is stdin); with ``hex_text`` decode hex (any case, whitespace ignored)."""
    try:
        if name == "-":
            raw = sys.stdin.buffer.read()
        else:
            raw = Path(name).read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(f"cannot read {name}: {reason}") from exc
    if not hex_text:
        return raw
    text = "".join(raw.decode("ascii", errors="replace").split())
    if text.startswith(("0x", "0X")):
        text = text[2:]
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise InputError(f"{name}: not hex text") from exc


def parse_hex_arg(value: str, *, what: str, length: int | None = None) -> bytes:
    """Decode a hex command-line argument (either case), optionally of an exact byte length."""
    text = value.strip()
    if text.startswith(("0x", "0X")):
        text = text[2:]
    try:
        data = bytes.fromhex(text)
    except ValueError as exc:
        raise InputError(f"{what}: not hex: {value!r}") from exc
    if length is not None and len(data) != length:
        raise InputError(f"{what}: expected {length} bytes, got {len(data)}")
    return data


def check_output_path(name: str, *, flag: str) -> Path:
    """Fail early (exit 4) when ``name`` can never be written: a directory, or no parent folder.

    Called before any work is done, so a typo in an output flag never costs a long run.
    """
    path = Path(name)
    if path.is_dir():
        raise InputError(f"cannot write {name} ({flag}): it is a directory")
    parent = path.parent
    if not parent.is_dir():
        raise InputError(f"cannot write {name} ({flag}): folder {parent} does not exist")
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_file_atomic(name: str, data: bytes, *, flag: str) -> None:
    """Write ``data`` to ``name`` all at once: a temporary file beside it, fsync, then rename.

    A reader sees either the old file or the complete new one, never a partial write; on
    any error the temporary file is removed and ``name`` is untouched (exit 4).
    """
    path = check_output_path(name, flag=flag)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())  # as open() would, not mkstemp's 0600
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise InputError(f"cannot write {name}: {exc.strerror or type(exc).__name__}") from exc
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def emit_json(obj: Any, *, pretty: bool = False) -> None:
    """Write one JSON document to stdout (compact, one line, unless ``pretty``)."""
    if pretty:
        text = json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False)
    else:
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    click.echo(text)


def out(line: str = "") -> None:
    """Write a result line to stdout."""
    click.echo(line)


def note(line: str) -> None:
    """Write a diagnostic line to stderr."""
    click.echo(line, err=True)


def stderr_is_tty() -> bool:
    """True when stderr is an interactive terminal (progress bars are shown only then, or when asked)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
