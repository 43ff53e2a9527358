"""Bounded, regular-file-only reading of untrusted inputs, and one strict bounded JSON loader.

Every file the verifier (and publish's preflight) reads from a bundle or a command-line
argument comes through here, so that no input can hang the process or exhaust memory:

* :func:`read_regular` opens with ``O_NONBLOCK`` (a FIFO never blocks the open) and,
  unless told to follow, ``O_NOFOLLOW`` (a symlink at the final component is refused),
  then ``fstat``s the descriptor: anything but a regular file is refused with
  "not a regular file" (:class:`NotRegularFile`). It reads at most ``cap + 1`` bytes,
  so a file larger than its cap is refused (:class:`TooLarge`) after reading no more
  than the cap, whatever it claims or however it grows.
* :func:`inside` says whether a path's real location lies under a folder's real
  location (bundle confinement: symlinked members and symlinked ``proofs/`` included).
* :func:`load_json` parses JSON strictly (UTF-8, duplicate member names refused) and
  bounds its nesting: the C parser stops at the interpreter's recursion limit (200,000
  nested brackets fail after about a thousand, in microseconds), the result is then
  walked iteratively against :data:`JSON_MAX_DEPTH`; ``RecursionError``/``MemoryError``
  become the same one-line :class:`~anchor.errors.InputError` (exit 4).

The caps are documented in docs/verify.md ("Input limits"); callers pass them.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from anchor.errors import InputError

KIB = 1024
MIB = 1024 * KIB

JSON_MAX_DEPTH = 64
"""Deepest JSON nesting any bundle document may have (ours are at most 6 levels deep)."""

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CHUNK = 1 * MIB


class NotRegularFile(InputError):
    """The path names a FIFO, device, socket, directory or (not followed) symlink (exit 4)."""


class TooLarge(InputError):
    """The file is larger than the cap its kind allows (exit 4)."""

    def __init__(self, message: str, *, cap: int) -> None:
        super().__init__(message)
        self.cap = cap


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symlink"
    return "a special file"


def open_regular(path: str | Path, *, follow: bool = False) -> int:
    """A read-only descriptor on ``path``, which must be a regular file.

    ``follow=False`` refuses a symlink at the final component (``O_NOFOLLOW``).
    FileNotFoundError passes through (callers decide whether absence is an error);
    every other failure is an :class:`InputError`.
    """
    flags = _OPEN_FLAGS | (0 if follow else _NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if not follow and os.path.islink(path):
            raise NotRegularFile(f"{path}: not a regular file (a symlink)") from exc
        if os.path.isdir(path):
            raise NotRegularFile(f"{path}: not a regular file (a directory)") from exc
        raise InputError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from exc
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:
        os.close(fd)
        raise InputError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from exc
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegularFile(f"{path}: not a regular file ({_kind(mode)})")
    return fd


def read_fd_capped(fd: int, cap: int, *, name: str | Path) -> bytes:
    """Read at most ``cap`` bytes from ``fd``; :class:`TooLarge` if there is more.

    The first read asks for the size ``fstat`` reports (plus one byte, to see the end),
    so a regular file is read into one buffer: peak memory is the file's size, not twice
    it (no join of chunks). A file that grows meanwhile is read on in chunks, up to the cap.
    """
    try:
        size = os.fstat(fd).st_size
    except OSError:
        size = 0
    parts: list[bytes] = []
    total = 0
    want = min(cap + 1, max(size, 0) + 1)
    try:
        while total <= cap:
            chunk = os.read(fd, want)
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
            want = min(_CHUNK, cap + 1 - total)
    except BlockingIOError as exc:  # pragma: no cover - regular files never block
        raise InputError(f"cannot read {name}: it would block") from exc
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror or type(exc).__name__}") from exc
    if total > cap:
        raise TooLarge(f"{name}: larger than the {cap}-byte limit for this file", cap=cap)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_regular(path: str | Path, *, cap: int, follow: bool = False) -> bytes:
    """The bytes of regular file ``path`` (at most ``cap``), read safely (module docstring)."""
    fd = open_regular(path, follow=follow)
    try:
        return read_fd_capped(fd, cap, name=path)
    finally:
        os.close(fd)


def read_regular_optional(path: str | Path, *, cap: int, follow: bool = False) -> bytes | None:
    """:func:`read_regular`, or None when nothing exists at ``path``."""
    try:
        return read_regular(path, cap=cap, follow=follow)
    except FileNotFoundError:
        return None


def real(path: str | Path) -> Path:
    """The real location of ``path`` (symlinks resolved; need not exist)."""
    return Path(os.path.realpath(path))


def inside(path: str | Path, folder_real: Path) -> bool:
    """True when the real location of ``path`` is ``folder_real`` or lies under it."""
    try:
        return real(path).is_relative_to(folder_real)
    except (OSError, ValueError):
        return False


# --------------------------------------------------------------------------- strict JSON


def _too_deep(value: Any, limit: int) -> bool:
    """True when the parsed ``value`` nests containers deeper than ``limit`` (iterative walk)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


class JsonTooDeep(InputError):
    """A JSON document nests deeper than its limit, or too deep or large for Python (exit 4)."""


class _Duplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def load_json(data: bytes, *, what: str, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """Parse one JSON document strictly: UTF-8, unique member names, at most ``max_depth`` deep.

    Every failure is one :class:`InputError` line naming ``what`` (exit 4); a document
    too deep or too large to parse is the subclass :class:`JsonTooDeep`.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what}: not UTF-8 JSON (byte {exc.start})") from exc
    if text.startswith("\ufeff"):
        raise InputError(f"{what}: JSON must not start with a byte-order mark")
    try:
        value = json.loads(text, object_pairs_hook=_unique)
    except _Duplicate as exc:
        raise InputError(f"{what}: duplicate JSON member name {exc.key!r}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{what}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    except RecursionError as exc:
        raise JsonTooDeep(f"{what}: JSON nested too deeply") from exc
    except MemoryError as exc:
        raise JsonTooDeep(f"{what}: JSON too large to parse in memory") from exc
    if _too_deep(value, max_depth):
        raise JsonTooDeep(f"{what}: JSON nested deeper than {max_depth} levels")
    return value
