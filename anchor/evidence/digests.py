"""Streaming digests of many files, hashed in parallel, each file read exactly once.

:func:`start_hashing` guarantees, for every job, the SHA-256 (and with ``dual`` the
BLAKE2b-256) of exactly the bytes read, the number of bytes read, and, when the job asks
for it, those same bytes (so classification never reads a file a second time). A file
whose size changes between ``open`` and end of file is an error, not a silently wrong
digest. An optional ``finish`` callback turns each digest into the caller's result on the
worker thread, right after the file is hashed, so per-item Python work (classification,
building the manifest item) overlaps the hashing of other files instead of running
serially afterwards; the results come back in job order whatever the thread timing.

Why threads: ``hashlib`` releases the GIL while hashing buffers larger than 2047 bytes and
the OS releases it during reads, so one thread per core hashes at close to the hardware
rate. Large files go first (longest-processing-time order) so the cores finish together.
Small files (under one block) are different: each costs a handful of system calls, and
every one of them releases and re-takes the GIL, so two threads both working through
small files spend much of their time handing the GIL back and forth. One worker therefore
takes the small files from the other end of the queue while the others stream the large
files (which need the GIL only between 1 MiB blocks); when the small files run out it
joins the others, so the run still ends on the smallest large files. Every read lands in
one reusable buffer per thread (``os.readv``), so streaming allocates nothing per block.

Dual hashing (SHA-256 and BLAKE2b-256) with the native BLAKE2b (:mod:`anchor.blake2`) runs
differently: BLAKE2b costs about twice SHA-256 per byte on one message, but the native
module compresses four independent messages in the time of about one, so each thread
streams up to four files side by side ("lanes"): every round reads one 256 KiB block of
each, hashes each block with its file's SHA-256, then all blocks with one
``update_many`` call. Every worker takes the largest job left (small files fill lanes
too, so none is set aside for them), and a round opens at most one large file, so the
largest files spread over the workers instead of filling the first one's lanes.

Hashing starts as soon as :func:`start_hashing` returns, on background threads, leaving the
calling thread free to prepare what comes after (imports, encoders) until
:meth:`HashRun.wait`.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, cast

from anchor import blake2
from anchor.errors import InputError
from anchor.evidence.inputs import UnreadableInputError

BLOCK_SIZE = 1 << 20
"""Read size for streaming; 1 MiB keeps the per-block Python overhead negligible while the
block stays in the core's L2 cache between the read and the hash."""

LANE_BLOCK_SIZE = 256 << 10
"""Read size per file when several files are streamed side by side (four lanes of 256 KiB
stay in L2 together between the read and the two hashes)."""

_PROGRESS_BATCH = 4 << 20
_O_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)

ProgressCallback = Callable[[int], None]
"""Called with a number of bytes just hashed; may be called from worker threads."""

R = TypeVar("R")
_MISSING = object()  # a job not (yet) done


class _Hasher(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...


class _Cancelled(Exception):
    """Stops a worker in the middle of a large file once the run is being abandoned."""


class FileChangedError(InputError):
    """A file changed size while it was being read."""


class HashingCancelledError(RuntimeError):
    """:meth:`HashRun.wait` after :meth:`HashRun.cancel` stopped the run part-way."""


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


class HashRun(Generic[R]):
    """Hashing in progress on background threads; :meth:`wait` returns the results.

    Results are in job order. The first failure in job order (of those seen) is raised by
    :meth:`wait`; after a failure the other workers stop at their next block.
    """

    def __init__(
        self,
        jobs: Sequence[HashJob],
        finish: Callable[[int, FileDigest], R],
        *,
        dual: bool,
        workers: int | None,
        progress: ProgressCallback | None,
    ) -> None:
        count = len(jobs)
        self._jobs = jobs
        self._finish = finish
        self._dual = dual
        self._progress = progress
        self._results: list[R | object] = [_MISSING] * count
        self._order = sorted(range(count), key=lambda i: -jobs[i].size_hint)
        # _order[_head:_tail] are the jobs not taken yet: large ones are taken at _head,
        # small ones (by the small-file worker) at _tail - 1.
        self._head = 0
        self._tail = count
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._failures: dict[int, BaseException] = {}
        nworkers = max(1, min(workers or os.cpu_count() or 1, count))
        # With two or more workers, the last one takes small files from the tail.
        self._threads = [
            threading.Thread(
                target=self._run,
                args=(nworkers > 1 and n == nworkers - 1,),
                name=f"anchor-hash-{n}",
                daemon=True,
            )
            for n in range(nworkers)
        ]
        for thread in self._threads:
            thread.start()

    def wait(self) -> list[R]:
        """Block until every job is done; the results in job order, or the first failure."""
        try:
            for thread in self._threads:
                thread.join()
        finally:
            self.cancel()  # a no-op when done; on Ctrl-C the workers stop at the next block
        if self._failures:
            first = min(self._failures)
            # Files before the first failure that were never read may be unreadable too;
            # opening them (no reading) makes the reported error the first unreadable file
            # in job order whatever the thread timing.
            for i in range(first):
                if self._results[i] is _MISSING:
                    _probe(self._jobs[i])
            raise self._failures[first]
        if any(r is _MISSING for r in self._results):
            raise HashingCancelledError("hashing was cancelled before every file was read")
        return cast(list[R], self._results)

    def cancel(self) -> None:
        """Abandon the run: workers stop at their next block; returns once they have."""
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _next(self, small_first: bool) -> int | None:
        """The next job index: the smallest left for the small-file worker while small
        jobs remain, else the largest left; None when every job is taken."""
        with self._lock:
            if self._head >= self._tail:
                return None
            if small_first:
                last = self._order[self._tail - 1]
                if self._jobs[last].size_hint < BLOCK_SIZE:
                    self._tail -= 1
                    return last
            self._head += 1
            return self._order[self._head - 1]

    def _run(self, small_first: bool) -> None:
        stop = self._stop
        progress = self._progress
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
            if self._dual and blake2.LANES > 1:
                # Lanes hash small files four at a time, so no worker is set aside for
                # them: every worker takes the largest job left (measured faster).
                self._run_lanes(blake2.LANES, tick)
            else:
                self._run_single(small_first, tick)
        finally:
            if progress is not None and pending[0]:
                progress(pending[0])

    def _run_single(self, small_first: bool, tick: Callable[[int], None]) -> None:
        """One file at a time: read a block, hash it, until every job is taken."""
        jobs, stop = self._jobs, self._stop
        view = memoryview(bytearray(BLOCK_SIZE))
        while not stop.is_set():
            i = self._next(small_first)
            if i is None:
                break
            try:
                self._results[i] = self._finish(i, _hash_one(jobs[i], view, self._dual, tick))
            except _Cancelled:
                break
            except BaseException as exc:
                self._fail(i, exc)
                break

    def _run_lanes(self, lanes: int, tick: Callable[[int], None]) -> None:
        """Up to ``lanes`` files side by side (dual hashing with the native BLAKE2b).

        Each round reads the next block of every open file, feeds each block to its file's
        SHA-256, then all blocks to their BLAKE2b hashers in one :func:`blake2.update_many`
        call, which compresses four messages per instruction. A file that reaches its end
        is finished and its lane takes the next job. Jobs that keep their bytes are hashed
        whole, on their own, as :func:`_hash_one` does.
        """
        stop = self._stop
        views = [memoryview(bytearray(LANE_BLOCK_SIZE)) for _ in range(lanes)]
        whole = memoryview(bytearray(BLOCK_SIZE))
        open_lanes: list[_Lane | None] = [None] * lanes
        try:
            while True:
                hashers: list[blake2.Hasher] = []
                blocks: list[memoryview] = []
                opened_large = False  # one large file opened per round spreads them over workers
                for slot in range(lanes):
                    view = views[slot]
                    while True:
                        lane = open_lanes[slot]
                        if lane is None:
                            if opened_large or stop.is_set():
                                break
                            lane = open_lanes[slot] = self._open_lane(whole, tick)
                            if lane is None:
                                break
                            opened_large = lane.size > LANE_BLOCK_SIZE
                        block = self._read_block(lane, view)
                        if block is None:  # finished: the lane takes the next job this round
                            open_lanes[slot] = None
                            continue
                        lane.sha.update(block)
                        hashers.append(lane.blake)
                        blocks.append(block)
                        tick(len(block))
                        break
                if not hashers:  # an open lane always gives a block: every lane is done
                    return
                blake2.update_many(hashers, blocks)
        except _Cancelled:
            return
        except _LaneFailed as failed:
            self._fail(failed.index, failed.error)
        finally:
            for lane in open_lanes:
                if lane is not None and lane.fd >= 0:
                    os.close(lane.fd)

    def _open_lane(self, whole: memoryview, tick: Callable[[int], None]) -> _Lane | None:
        """The next streaming job, opened; jobs that keep their bytes are done on the way.

        None when no job is left, or when a job failed (recorded; the run is stopping).
        """
        jobs = self._jobs
        while not self._stop.is_set():
            i = self._next(False)
            if i is None:
                return None
            job = jobs[i]
            try:
                if job.keep:
                    self._results[i] = self._finish(i, _hash_one(job, whole, True, tick))
                    continue
                fd = _open(job)
                try:
                    size = _regular_size(fd, job)
                except BaseException:
                    os.close(fd)
                    raise
            except _Cancelled:
                return None
            except OSError as exc:
                self._fail(i, _read_error(job, exc))
                return None
            except BaseException as exc:
                self._fail(i, exc)
                return None
            return _Lane(i, fd, size, hashlib.sha256(), blake2.new())
        return None

    def _read_block(self, lane: _Lane, view: memoryview) -> memoryview | None:
        """The next block of ``lane``'s file in ``view``; at the end of the file None, once
        the file is closed, its size checked and the caller's ``finish`` has run."""
        job = self._jobs[lane.index]
        try:
            n = _read_into(lane.fd, view)
        except OSError as exc:
            raise _LaneFailed(lane.index, _read_error(job, exc)) from exc
        if n:
            lane.total += n
            return view[:n] if n < len(view) else view
        os.close(lane.fd)
        lane.fd = -1
        if lane.total != lane.size:
            raise _LaneFailed(
                lane.index, FileChangedError(f"{job.name} changed while it was being read")
            )
        digest = FileDigest(lane.total, lane.sha.digest(), lane.blake.digest(), None)
        try:
            self._results[lane.index] = self._finish(lane.index, digest)
        except BaseException as exc:
            raise _LaneFailed(lane.index, exc) from exc
        return None

    def _fail(self, index: int, exc: BaseException) -> None:
        self._failures[index] = exc
        self._stop.set()


@dataclass(slots=True)
class _Lane:
    """One file being streamed by :meth:`HashRun._run_lanes`."""

    index: int
    fd: int
    size: int
    sha: hashlib._Hash
    blake: blake2.Hasher
    total: int = 0


class _LaneFailed(Exception):
    """Carries the failure of one lane's job out of the lane loop."""

    def __init__(self, index: int, error: BaseException) -> None:
        super().__init__(index)
        self.index = index
        self.error = error


def _read_error(job: HashJob, exc: OSError) -> UnreadableInputError:
    return UnreadableInputError(f"cannot read {job.name}: {_reason(exc)}")


def start_hashing(
    jobs: Sequence[HashJob],
    finish: Callable[[int, FileDigest], R],
    *,
    dual: bool = False,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> HashRun[R]:
    """Start hashing ``jobs`` on background threads (one per core unless ``workers``).

    ``finish(index, digest)`` runs on the worker right after job ``index`` is hashed; its
    result is what :meth:`HashRun.wait` returns for that job. An exception it raises fails
    the run like a read error.
    """
    return HashRun(jobs, finish, dual=dual, workers=workers, progress=progress)


def _digest_only(index: int, digest: FileDigest) -> FileDigest:
    return digest


def hash_files(
    jobs: Sequence[HashJob],
    *,
    dual: bool = False,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> list[FileDigest]:
    """Hash every job (in parallel) and return the digests in the order of ``jobs``."""
    if not jobs:
        return []
    run = start_hashing(jobs, _digest_only, dual=dual, workers=workers, progress=progress)
    return run.wait()


def digest_bytes(data: bytes, *, dual: bool = False) -> FileDigest:
    """Digests of an in-memory byte string (same fields as for a file, no content kept)."""
    blake = hashlib.blake2b(data, digest_size=32).digest() if dual else None
    return FileDigest(len(data), hashlib.sha256(data).digest(), blake, None)


def _open(job: HashJob) -> int:
    try:
        return os.open(job.path, _O_FLAGS)
    except OSError as exc:
        raise UnreadableInputError(f"cannot read {job.name}: {_reason(exc)}") from exc


def _regular_size(fd: int, job: HashJob) -> int:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise UnreadableInputError(f"{job.name} is not a regular file")
    return st.st_size


def _probe(job: HashJob) -> None:
    """Raise what hashing ``job`` would raise on opening it (nothing is read)."""
    fd = _open(job)
    try:
        _regular_size(fd, job)
    except OSError as exc:
        raise UnreadableInputError(f"cannot read {job.name}: {_reason(exc)}") from exc
    finally:
        os.close(fd)


def _hash_one(
    job: HashJob, view: memoryview, dual: bool, tick: Callable[[int], None]
) -> FileDigest:
    fd = _open(job)
    try:
        size = _regular_size(fd, job)
        sha = hashlib.sha256()
        blake = blake2.new() if dual else None
        content: bytes | None = None
        if job.keep:
            content = _read_all(fd, size, job.name)
            sha.update(content)
            if blake is not None:
                blake.update(content)
            total = len(content)
            tick(total)
        else:
            total = _stream(fd, view, sha, blake, tick)
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


def _readv_into(fd: int, view: memoryview) -> int:
    return os.readv(fd, (view,))


def _readinto_fallback(fd: int, view: memoryview) -> int:  # pragma: no cover - no readv
    with open(fd, "rb", buffering=0, closefd=False) as stream:
        return stream.readinto(view) or 0


_read_into: Callable[[int, memoryview], int] = (
    _readv_into if hasattr(os, "readv") else _readinto_fallback
)


def _stream(
    fd: int,
    view: memoryview,
    sha: _Hasher,
    blake: _Hasher | None,
    tick: Callable[[int], None],
) -> int:
    total = 0
    read_into = _read_into
    while True:
        n = read_into(fd, view)
        if not n:
            break
        chunk = view[:n] if n < len(view) else view
        sha.update(chunk)
        if blake is not None:
            blake.update(chunk)
        total += n
        tick(n)
    return total


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
