"""File-system primitives every writing layer shares: atomic replace, a folder lock, and
the check that an output path may be written at all (:func:`output_refusal`).

These raise plain ``OSError`` (:class:`FolderLocked` for a held lock); each caller wraps
it into its own :class:`~anchor.errors.AnchorError` with its own message and exit code.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

_CREATE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_TEMP_ATTEMPTS = 100


class FolderLocked(BlockingIOError):
    """:func:`exclusive_folder_lock` found the folder locked by another process."""


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


def _create_temp_beside(target: Path) -> tuple[int, Path]:
    """Create ``.<name>.<pid>.<random>.tmp`` beside ``target`` for writing: ``(fd, path)``.

    ``O_EXCL`` never opens an existing file; the kernel applies the umask to 0666, as for
    ``open()``, so the process-wide umask is never changed (other threads may be creating
    files meanwhile).
    """
    for _ in range(_TEMP_ATTEMPTS):
        tmp = target.parent / f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            return os.open(tmp, _CREATE_FLAGS, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary file name beside {target}")


def create_folder_beside(parent: str | Path, prefix: str) -> str:
    """Create a new folder ``<prefix><random>`` in ``parent``; returns its path.

    Made with mode 0o777, which the kernel narrows by the umask as for ``mkdir``, so it
    already has the mode a plain new folder would get (the process-wide umask is never
    read by changing it).
    """
    for _ in range(_TEMP_ATTEMPTS):
        folder = os.path.join(parent, f"{prefix}{os.urandom(4).hex()}")
        try:
            os.mkdir(folder, 0o777)
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(f"no unused folder name {prefix}* in {parent}")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def output_refusal(
    path: str | Path,
    *,
    inputs: Iterable[str | Path] = (),
    folders: Iterable[str | Path] = (),
) -> str | None:
    """Why ``path`` must not be written as an output file, or None when it may be.

    Only a regular file (or nothing) may be replaced: a device, FIFO, socket or directory
    is refused, and so is a symlink at the final component (it is never followed, nor
    replaced). ``path`` must not be one of ``inputs`` (same device and inode, so a hard
    link or another spelling counts) and must not lie inside any of ``folders`` (by real
    location, so a symlinked parent counts). The reason is a short phrase for the
    caller's one-line error.
    """
    target = Path(path)
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        return f"cannot inspect it: {exc.strerror or type(exc).__name__}"
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            return "it is a symlink (never followed)"
        if not stat.S_ISREG(st.st_mode):
            return f"it is {_kind(st.st_mode)}, not a regular file"
        for given in inputs:
            try:
                other = os.stat(given)
            except OSError:
                continue
            if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
                return f"it is one of the inputs ({given})"
    where = Path(os.path.realpath(target.parent)) / target.name
    for folder in folders:
        if where.is_relative_to(os.path.realpath(folder)):
            return f"it lies inside the bundle {folder}"
    return None


def replace_atomically(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a temporary file beside it, fsync, rename, fsync the folder.

    A reader sees the old file or the complete new one, never a partial write. The new
    file gets the mode ``open()`` would give it. On error the temporary file is removed,
    ``path`` is untouched, and the ``OSError`` propagates.
    """
    target = Path(path)
    fd, tmp = _create_temp_beside(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


@contextlib.contextmanager
def exclusive_folder_lock(folder: str | Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking ``flock`` on ``folder`` for the ``with`` block.

    Raises :class:`FolderLocked` (a ``BlockingIOError``) when another process holds it;
    anything the ``with`` block raises passes through unchanged. `anchor collect`
    (replacing a bundle) and `anchor publish` (anchoring it) take the same lock. On a
    system without ``fcntl`` it locks nothing.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - non-POSIX
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise FolderLocked(exc.errno, exc.strerror, str(folder)) from exc
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
