"""Shared helpers for command modules: reading inputs, writing results.

Results go to stdout (``emit_json`` for ``--json``), diagnostics and progress to
stderr (``note``). Nothing outside ``anchor.cli`` prints.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from anchor.errors import InputError
from anchor.fsutil import replace_atomically
from anchor.text import printable


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


def write_file_atomic(name: str, data: bytes, *, flag: str) -> None:
    """Write ``data`` to ``name`` all at once (see :func:`anchor.fsutil.replace_atomically`).

    On any error ``name`` is untouched and the error is one line (exit 4).
    """
    path = check_output_path(name, flag=flag)
    try:
        replace_atomically(path, data)
    except OSError as exc:
        raise InputError(f"cannot write {name}: {exc.strerror or type(exc).__name__}") from exc


def emit_json(obj: Any, *, pretty: bool = False) -> None:
    """Write one JSON document to stdout (compact, one line, unless ``pretty``)."""
    if pretty:
        text = json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False)
    else:
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    if not text.isascii():  # a name that is not UTF-8 (a lone surrogate) stays a JSON escape
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    click.echo(text)


def _safe(text: str) -> str:
    """``text`` with control characters escaped on each of its lines (the line breaks
    kept: callers that print several lines at once pass them joined by ``\n``). Names
    that may hold a newline are escaped where they are put into a line."""
    if text.isprintable():
        return text
    return "\n".join(printable(part) for part in text.split("\n"))


def out(line: str = "") -> None:
    """Write a result line to stdout (control characters escaped, see :func:`_safe`)."""
    click.echo(_safe(line))


def note(line: str) -> None:
    """Write a diagnostic line to stderr (control characters escaped, see :func:`_safe`)."""
    click.echo(_safe(line), err=True)


def stderr_is_tty() -> bool:
    """True when stderr is an interactive terminal (progress bars are shown only then, or when asked)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False
