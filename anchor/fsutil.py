"""File-system primitives every writing layer shares: atomic replace and a folder lock.

These raise plain ``OSError`` (``BlockingIOError`` for a held lock); each caller wraps
it into its own :class:`~anchor.errors.AnchorError` with its own message and exit code.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def current_umask() -> int:
    """The process umask (read without changing it for longer than one call)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def fsync_dir(folder: str | Path) -> None:
    """Make a rename in ``folder`` durable; silently skipped where directories can't be synced."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the rename is still atomic
    finally:
        os.close(fd)


def replace_atomically(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a temporary file beside it, fsync, rename, fsync the folder.

    A reader sees the old file or the complete new one, never a partial write. The new
    file gets the mode ``open()`` would give it. On error the temporary file is removed,
    ``path`` is untouched, and the ``OSError`` propagates.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~current_umask())  # not mkstemp's 0600
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


@contextlib.contextmanager
def exclusive_folder_lock(folder: str | Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking ``flock`` on ``folder`` for the ``with`` block.

    Raises ``BlockingIOError`` when another process holds it. `anchor collect` (replacing
    a bundle) and `anchor publish` (anchoring it) take the same lock. On a system without
    ``fcntl`` it locks nothing.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
