"""Streaming digests of many files, hashed in parallel, each file read exactly once.

:func:`hash_files` guarantees, for every job, the SHA-256 (and with ``dual`` the
BLAKE2b-256) of exactly the bytes read, the number of bytes read, and, when the job asks
for it, those same bytes (so classification never reads a file a second time). A file
whose size changes between ``open`` and end of file is an error, not a silently wrong
digest.

Why threads: ``hashlib`` releases the GIL while hashing buffers larger than 2047 bytes and
the OS releases it during reads, so one thread per core hashes at close to the hardware
rate. Large files go first (longest-processing-time order) so the cores finish together;
small files are read with a single ``read`` call to keep the per-file overhead low.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import stat
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from anchor.errors import InputError
from anchor.evidence.inputs import UnreadableInputError

BLOCK_SIZE = 1 << 20
"""Read size for streaming; 1 MiB stays in L2 cache, which hashes faster than larger blocks."""

_PROGRESS_BATCH = 4 << 20
_O_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)

ProgressCallback = Callable[[int], None]
"""Called with a number of bytes just hashed; may be called from worker threads."""


class _Hasher(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...


class _Cancelled(Exception):
    """Stops a worker in the middle of a large file once the run is being abandoned."""


class FileChangedError(InputError):
    """A file changed size while it was being read."""


@dataclass(frozen=True)
class HashJob:
    """One file to hash; ``keep`` asks for its bytes to be returned (for inspection)."""

    path: str
    name: str
    size_hint: int
    keep: bool = False


@dataclass(frozen=True)
class FileDigest:
    """Digests of the exact bytes read; ``content`` is set only for jobs with ``keep``."""

    size: int
    sha256: bytes
    blake2b_256: bytes | None
    content: bytes | None


def hash_files(
    jobs: Sequence[HashJob],
    *,
    dual: bool = False,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> list[FileDigest]:
    """Hash every job (in parallel) and return the digests in the order of ``jobs``."""
    count = len(jobs)
    results: list[FileDigest | None] = [None] * count
    order = sorted(range(count), key=lambda i: -jobs[i].size_hint)
    nworkers = max(1, min(workers or os.cpu_count() or 1, count))
    ticket = itertools.count()
    stop = threading.Event()
    failures: dict[int, BaseException] = {}

    def run() -> None:
        buf = bytearray(BLOCK_SIZE)
        pending = [0]

        def tick(n: int) -> None:
            if stop.is_set():
                raise _Cancelled  # another file failed or the caller was interrupted
            if progress is None:
                return
            pending[0] += n
            if pending[0] >= _PROGRESS_BATCH:
                progress(pending[0])
                pending[0] = 0

        try:
            while not stop.is_set():
                k = next(ticket)
                if k >= count:
                    break
                i = order[k]
                try:
                    results[i] = _hash_one(jobs[i], buf, dual, tick)
                except _Cancelled:
                    break
                except BaseException as exc:
                    failures[i] = exc
                    stop.set()
                    break
        finally:
            if progress is not None and pending[0]:
                progress(pending[0])

    if nworkers == 1:
        run()
    else:
        with ThreadPoolExecutor(max_workers=nworkers, thread_name_prefix="anchor-hash") as pool:
            futures = [pool.submit(run) for _ in range(nworkers)]
            try:
                for future in futures:
                    future.result()
            finally:
                stop.set()
    if failures:
        raise failures[min(failures)]  # of the failures seen, the first in manifest order
    return [r for r in results if r is not None]


def digest_bytes(data: bytes, *, dual: bool = False) -> FileDigest:
    """Digests of an in-memory byte string (same fields as for a file, no content kept)."""
    blake = hashlib.blake2b(data, digest_size=32).digest() if dual else None
    return FileDigest(len(data), hashlib.sha256(data).digest(), blake, None)


def _hash_one(job: HashJob, buf: bytearray, dual: bool, tick: Callable[[int], None]) -> FileDigest:
    try:
        fd = os.open(job.path, _O_FLAGS)
    except OSError as exc:
        raise UnreadableInputError(f"cannot read {job.name}: {_reason(exc)}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableInputError(f"{job.name} is not a regular file")
        size = st.st_size
        sha = hashlib.sha256()
        blake = hashlib.blake2b(digest_size=32) if dual else None
        content: bytes | None = None
        if job.keep or size < BLOCK_SIZE:
            data = _read_all(fd, size, job.name)
            sha.update(data)
            if blake is not None:
                blake.update(data)
            total = len(data)
            tick(total)
            if job.keep:
                content = data
        else:
            total = _stream(fd, buf, sha, blake, tick)
        if total != size:
            raise FileChangedError(f"{job.name} changed while it was being read")
    except OSError as exc:
        raise UnreadableInputError(f"cannot read {job.name}: {_reason(exc)}") from exc
    finally:
        os.close(fd)
    return FileDigest(total, sha.digest(), blake.digest() if blake is not None else None, content)


def _read_all(fd: int, size: int, name: str) -> bytes:
    # Asking for one byte more than the size both fetches the file and proves it did not grow.
    chunks: list[bytes] = []
    want = size + 1
    got = 0
    while got < want:
        piece = os.read(fd, want - got)
        if not piece:
            break
        chunks.append(piece)
        got += len(piece)
    if got > size:
        raise FileChangedError(f"{name} changed while it was being read")
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _stream(
    fd: int,
    buf: bytearray,
    sha: _Hasher,
    blake: _Hasher | None,
    tick: Callable[[int], None],
) -> int:
    view = memoryview(buf)
    total = 0
    with open(fd, "rb", buffering=0, closefd=False) as stream:
        while True:
            n = stream.readinto(view)
            if not n:
                break
            chunk = view[:n]
            sha.update(chunk)
            if blake is not None:
                blake.update(chunk)
            total += n
            tick(n)
    return total


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
