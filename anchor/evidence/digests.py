"""Streaming digests of many files, hashed in parallel, each file read exactly once.

:func:`start_hashing` guarantees, for every job, the SHA-256 (and with ``dual`` the
BLAKE2b-256) of exactly the bytes read, the number of bytes read, and, when the job asks
for it, those same bytes (so classification never reads a file a second time). A file
whose size changes between ``open`` and end of file is an error, not a silently wrong
digest, and so is a file rewritten in place while it is read (same size, new bytes):
the file's size, modification and change times (to the nanosecond) and inode are taken
when it is opened and again after its last byte is read, and any difference fails the
file (:class:`FileChangedError`, exit 4). An optional ``finish`` callback turns each digest into the caller's result on the
worker thread, right after the file is hashed, so per-item Python work (classification,
building the manifest item) overlaps the hashing of other files instead of running
serially afterwards; the results come back in job order whatever the thread timing.

Why threads: ``hashlib`` releases the GIL while hashing buffers larger than 2047 bytes and
the OS releases it during reads, so one thread per core hashes at close to the hardware
rate. Large files go first (longest-processing-time order) so the cores finish together.
Every read lands in one reusable buffer per thread (``os.readv``), so streaming allocates
nothing per block.

Small files are different: each costs a handful of system calls and some Python (its
manifest entry), and every system call releases and re-takes the GIL. Below
:data:`TINY_SIZE` (:data:`TINY_SIZE_DUAL` with ``dual``) that work, not the hashing, is
most of a file's cost, so two threads working through such files spend their time handing
the GIL back and forth and finish later than one thread alone (ADR 0009). Tiny files are
therefore hashed by one worker at a time while the others stream the larger files.
Without the native BLAKE2b, the last worker takes the small files (under one block) from
the other end of the queue, smallest first, and joins the others on the larger files when
they run out; the other workers go down from the largest file and stop where only tiny
files are left.

Dual hashing (SHA-256 and BLAKE2b-256) with the native BLAKE2b (:mod:`anchor.blake2`) runs
differently: BLAKE2b costs about twice SHA-256 per byte on one message, but the native
module compresses four independent messages in the time of about one, so up to four
files' blocks go through each ``update_many`` call. The work is cut into steps that any
worker takes (:class:`_Pipeline`): reading a 512 KiB block of a file and hashing it with
the file's SHA-256, one BLAKE2b call over the waiting blocks of four files, and a batch of
tiny files read and hashed whole (one such batch at a time). A worker never owns a file,
so a large file's two chains (SHA-256 and BLAKE2b, each block after block) advance on both
cores, and a file so large that its chain alone would outlast the rest of the run is
given the BLAKE2b steps to itself.

Hashing starts as soon as :func:`start_hashing` returns, on background threads, leaving the
calling thread free to prepare what comes after (imports, encoders) until
:meth:`HashRun.wait`.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, cast

from anchor import blake2
from anchor.errors import InputError
from anchor.evidence.inputs import UnreadableInputError

BLOCK_SIZE = 1 << 20
"""Read size for streaming; 1 MiB keeps the per-block Python overhead negligible while the
block stays in the core's L2 cache between the read and the hash."""

LANE_BLOCK_SIZE = 512 << 10
"""Read size of one step of the dual-hash pipeline: the four blocks of one BLAKE2b call fit
in L2 together, and a step's Python overhead stays small next to its hashing (ADR 0008)."""

TINY_SIZE = 64 << 10
"""SHA-256 only: files smaller than this are hashed by one worker at a time (see the module
docstring). Collecting files of one size on two cores, one worker took 0.55x the time of
two at 16 KiB, 0.71x at 32 KiB, 0.91x at 64 KiB and 1.13x at 128 KiB (ADR 0009)."""

TINY_SIZE_DUAL = 32 << 10
"""The same with ``--dual-hash``, where hashing is a larger part of each file's cost: one
worker took 0.65x the time of two at 16 KiB, 0.96x at 32 KiB and 1.3x at 64 KiB."""

_TINY_BATCH = 64
"""Tiny files per step of the dual-hash pipeline (fewer lock round trips per file)."""

_PROGRESS_BATCH = 4 << 20
_NO_VIEW = memoryview(b"")  # for jobs that keep their bytes: read whole, never streamed
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
    """A file changed (size, contents, times or inode) while it was being read."""


_Signature = tuple[int, int, int, int, int]
"""What must stay the same while a file is read: size, mtime_ns, ctime_ns, inode, device."""


def _signature(st: os.stat_result) -> _Signature:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _changed(job: HashJob) -> FileChangedError:
    return FileChangedError(f"{job.name} changed while it was being read")


def _check_unchanged(fd: int, job: HashJob, before: _Signature, total: int) -> None:
    """Raise :class:`FileChangedError` unless ``total`` bytes were read and the file (by
    its descriptor, and by its path: not replaced meanwhile) still has the signature it
    had when it was opened. A writer that keeps the size moves the times on."""
    if total != before[0] or _signature(os.fstat(fd)) != before:
        raise _changed(job)
    try:
        now = _signature(os.stat(job.path))
    except OSError:
        raise _changed(job) from None
    if now != before:
        raise _changed(job)


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
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._failures: dict[int, BaseException] = {}
        nworkers = max(1, min(workers or os.cpu_count() or 1, count))
        self._pipeline = (
            _Pipeline(self, nworkers, blake2.LANES) if dual and blake2.LANES > 1 else None
        )
        # _order[_head:_tail] are the jobs not taken yet: large ones are taken at _head,
        # small ones (by the small-file worker or a tiny batch) at _tail - 1. The tiny jobs
        # are _order[_tiny_from:] and are never taken at _head: they go to one worker at a
        # time (the small-file worker, or one tiny batch of the pipeline at a time). A lone
        # worker outside the pipeline has no one to leave them to, so nothing is tiny.
        self._head = 0
        self._tail = count
        self._tiny_from = count
        if self._pipeline is not None or nworkers > 1:
            tiny = TINY_SIZE_DUAL if dual else TINY_SIZE
            self._tiny_from = sum(1 for job in jobs if job.size_hint >= tiny)
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
        if self._pipeline is not None:
            self._pipeline.wake()
        for thread in self._threads:
            thread.join()

    def _next(self, small_first: bool) -> int | None:
        """The next job index: the smallest left for the small-file worker while small
        jobs remain, else the largest left; None when every job is taken, and for the
        other workers when only tiny jobs are left (they are not theirs)."""
        with self._lock:
            if self._head >= self._tail:
                return None
            if small_first:
                last = self._order[self._tail - 1]
                if self._jobs[last].size_hint < BLOCK_SIZE:
                    self._tail -= 1
                    return last
            elif self._head >= self._tiny_from:
                return None
            self._head += 1
            return self._order[self._head - 1]

    def _next_tiny(self, limit: int) -> list[int]:
        """Up to ``limit`` tiny jobs, smallest first (for one tiny batch of the pipeline)."""
        with self._lock:
            low = max(self._head, self._tiny_from)
            count = min(limit, self._tail - low)
            if count <= 0:
                return []
            taken = self._order[self._tail - count : self._tail]
            self._tail -= count
            return taken[::-1]

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
            if self._pipeline is not None:
                self._pipeline.work(tick)
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

    def _fail(self, index: int, exc: BaseException) -> None:
        self._failures[index] = exc
        self._stop.set()


_AHEAD = 2
"""Blocks a stream may have read (and SHA-256'd) before its BLAKE2b catches up."""


@dataclass(slots=True, eq=False)
class _Stream:
    """One file being read by :class:`_Pipeline`."""

    index: int
    sha: hashlib._Hash
    blake: blake2.Hasher
    fd: int = -1
    size: int = 0
    signature: _Signature = (0, 0, 0, 0, 0)  # at open (see _check_unchanged)
    total: int = 0  # bytes read and given to the SHA-256
    blaked: int = 0  # bytes given to the BLAKE2b
    ready: deque[tuple[memoryview, memoryview]] = field(default_factory=deque)  # (block, buffer)
    reading: bool = False
    blaking: bool = False
    eof: bool = False


class _Pipeline:
    """Dual hashing with the native BLAKE2b: every worker serves every open file.

    SHA-256 and BLAKE2b of one file are each a chain (block after block), and with few
    large files those chains, not the cores, set the wall time when one thread owns a file
    from start to end. So the work is split in steps any worker may take, under one lock:

    * **read**: the next block of a file into a free buffer, then its SHA-256; a file is
      read by one worker at a time and at most ``_AHEAD`` blocks ahead of its BLAKE2b;
    * **blake**: the next waiting block of up to four files in one
      :func:`blake2.update_many` call, which compresses four messages at once; a file is
      in one such call at a time, and a call waits until it can carry four files (or
      every file that is not already in a call);
    * **tiny**: up to ``_TINY_BATCH`` files under :data:`TINY_SIZE_DUAL`, each read whole and
      hashed with both digests; one such batch at a time, so their GIL-bound work runs
      on one core while the other streams the larger files.

    Steps that shorten the longest chain go first: a full BLAKE2b call before a read, a
    tiny batch or a new file into a free lane before a read, and among reads and lanes
    the files with the most bytes left. A file whose BLAKE2b bytes left are a worker's
    share of all bytes left decides the end of the run: its blocks go through BLAKE2b on
    their own, without waiting for a full call (:meth:`_critical`). A call that cannot
    fill up soon (no buffer free, no read under way) runs with the blocks it has, so the
    run never waits on itself. A file is finished (closed, size checked, ``finish``
    called) by the worker whose step leaves it read to the end with nothing waiting.
    """

    def __init__(self, run: HashRun[Any], workers: int, lanes: int) -> None:
        self._run = run
        self._cond = threading.Condition(threading.Lock())
        self._streams: list[_Stream] = []
        self._lanes = lanes
        self._workers = workers
        self._max_open = workers * lanes
        self._queued = sum(job.size_hint for job in run._jobs)  # bytes of jobs not opened
        self._buffers: list[memoryview] = []
        self._buffer_cap = workers * lanes * _AHEAD
        self._made = 0
        self._busy = 0  # steps under way
        self._live = workers
        self._tiny_busy = False  # a tiny batch is under way (at most one at a time)

    # -- the worker loop ---------------------------------------------------------------

    def work(self, tick: Callable[[int], None]) -> None:
        run = self._run
        try:
            while True:
                with self._cond:
                    step = self._take()
                    while step is None and not run._stop.is_set() and not self._done():
                        self._cond.wait()
                        step = self._take()
                    if step is None:
                        return
                    self._busy += 1
                kind, arg = step
                try:
                    if kind == "read":
                        stream, buffer = cast(tuple[_Stream, memoryview], arg)
                        self._read(stream, buffer, tick)
                    elif kind == "blake":
                        self._blake(cast(list[tuple[_Stream, memoryview, memoryview]], arg))
                    elif kind == "tiny":
                        self._tiny(cast(list[int], arg), tick)
                    else:
                        self._whole(cast(int, arg), tick)
                finally:
                    with self._cond:
                        self._busy -= 1
                        if kind == "tiny":
                            self._tiny_busy = False
                        self._cond.notify_all()
        except _Cancelled:
            return
        finally:
            with self._cond:
                self._live -= 1
                if self._live == 0:  # nobody else touches the streams now
                    for stream in self._streams:
                        if stream.fd >= 0:
                            os.close(stream.fd)
                            stream.fd = -1
                self._cond.notify_all()

    def wake(self) -> None:
        """Wake waiting workers (after a failure or a cancel set the stop flag)."""
        with self._cond:
            self._cond.notify_all()

    # -- choosing a step (lock held) -------------------------------------------------------

    def _done(self) -> bool:
        run = self._run
        return not self._streams and self._busy == 0 and run._head >= run._tail

    def _have_buffer(self) -> bool:
        return bool(self._buffers) or self._made < self._buffer_cap

    def _critical(self) -> _Stream | None:
        """The open file with the most BLAKE2b bytes left, when that alone is at least one
        worker's share of everything left: its chain sets the end of the run, so it is
        hashed on its own (one message at a time is faster per message than four)."""
        left = self._queued
        best: _Stream | None = None
        best_left = 0
        for stream in self._streams:
            rest = stream.size - stream.blaked
            left += rest
            if rest > best_left:
                best, best_left = stream, rest
        return best if best_left * self._workers >= left else None

    def _take(self) -> tuple[str, object] | None:
        if self._run._stop.is_set():
            return None
        critical = self._critical()
        if critical is not None and critical.ready and not critical.blaking:
            batch = []
            critical.blaking = True
            while critical.ready:
                block, buffer = critical.ready.popleft()
                batch.append((critical, block, buffer))
            return ("blake", batch)
        full = self._blake_step(partial=False, critical=critical)
        if full is not None:
            return full
        if not self._tiny_busy:
            tiny = self._run._next_tiny(_TINY_BATCH)
            if tiny:
                self._tiny_busy = True
                self._queued -= sum(self._run._jobs[i].size_hint for i in tiny)
                return ("tiny", tiny)
        opened = self._open_step()
        if opened is not None:
            return opened
        best: _Stream | None = None
        if self._have_buffer():
            for stream in self._streams:
                if stream.reading or stream.eof or len(stream.ready) >= _AHEAD:
                    continue
                if best is None or stream.size - stream.total > best.size - best.total:
                    best = stream
        if best is not None:
            best.reading = True
            return ("read", (best, self._buffer()))
        return self._blake_step(partial=True, critical=critical)

    def _blake_step(self, *, partial: bool, critical: _Stream | None) -> tuple[str, object] | None:
        ready = [s for s in self._streams if s.ready and not s.blaking]
        if not ready:
            return None
        if len(ready) < self._lanes:
            free = sum(1 for s in self._streams if not s.blaking and s is not critical)
            run = self._run
            if run._head < run._tail:  # files still to open can take the free lanes
                free += self._max_open - len(self._streams)
            # A lane could still fill: wait for it, unless nothing under way can fill it.
            stuck = partial and not any(s.reading for s in self._streams)
            if len(ready) < free and not stuck:
                return None
        if len(ready) > self._lanes:
            ready.sort(key=lambda s: s.blaked - s.size)  # most bytes left first
            del ready[self._lanes :]
        batch = []
        for stream in ready:
            block, buffer = stream.ready.popleft()
            stream.blaking = True
            batch.append((stream, block, buffer))
        return ("blake", batch)

    def _open_step(self) -> tuple[str, object] | None:
        run = self._run
        if len(self._streams) >= self._max_open or not self._have_buffer():
            return None
        index = run._next(False)
        if index is None:
            return None
        self._queued -= run._jobs[index].size_hint
        if run._jobs[index].keep:
            return ("whole", index)
        stream = _Stream(
            index, hashlib.sha256(), blake2.new(), size=run._jobs[index].size_hint, reading=True
        )
        self._streams.append(stream)
        return ("read", (stream, self._buffer()))

    def _buffer(self) -> memoryview:
        if self._buffers:
            return self._buffers.pop()
        self._made += 1
        return memoryview(bytearray(LANE_BLOCK_SIZE))

    # -- the steps (lock not held, except where taken) ------------------------------------

    def _read(self, stream: _Stream, buffer: memoryview, tick: Callable[[int], None]) -> None:
        run = self._run
        job = run._jobs[stream.index]
        try:
            if stream.fd < 0:
                stream.fd = _open(job)
                stream.signature = _regular_signature(stream.fd, job)
                stream.size = stream.signature[0]
            n = _read_into(stream.fd, buffer)
            if 0 < n < len(buffer):  # most likely the end: make sure in this step
                more = _read_into(stream.fd, buffer[n:])
                n += more
                end = more == 0
            else:
                end = n == 0
            block = buffer[:n] if n < len(buffer) else buffer
            if n:
                stream.sha.update(block)
                tick(n)
        except BaseException as exc:
            with self._cond:
                stream.reading = False
                self._buffers.append(buffer)
            if isinstance(exc, _Cancelled):
                raise
            run._fail(stream.index, _read_error(job, exc) if isinstance(exc, OSError) else exc)
            return
        with self._cond:
            stream.reading = False
            stream.total += n
            if n:
                stream.ready.append((block, buffer))
            else:
                self._buffers.append(buffer)
            stream.eof = end
            finished = self._take_finished(stream)
        if finished:
            self._finish(stream)

    def _blake(self, batch: list[tuple[_Stream, memoryview, memoryview]]) -> None:
        try:
            if batch[0][0] is batch[-1][0]:  # one file's waiting blocks, in order
                for stream, block, _ in batch:
                    stream.blake.update(block)
            else:
                hashers = [stream.blake for stream, _, _ in batch]
                blake2.update_many(hashers, [block for _, block, _ in batch])
        except BaseException as exc:  # pragma: no cover - update_many checks only types
            with self._cond:
                for stream, _, buffer in batch:
                    stream.blaking = False
                    self._buffers.append(buffer)
            self._run._fail(batch[0][0].index, exc)
            return
        finished = []
        with self._cond:
            for stream, block, buffer in batch:
                stream.blaking = False
                stream.blaked += len(block)
                self._buffers.append(buffer)
            for stream in {id(stream): stream for stream, _, _ in batch}.values():
                if self._take_finished(stream):
                    finished.append(stream)
        for stream in finished:
            self._finish(stream)

    def _take_finished(self, stream: _Stream) -> bool:
        """Lock held: if ``stream`` is read to the end and fully hashed, take it out of the
        open files (its lane is free again) and return True; the caller then finishes it."""
        if not stream.eof or stream.ready or stream.reading or stream.blaking:
            return False
        self._streams.remove(stream)
        return True

    def _finish(self, stream: _Stream) -> None:
        run = self._run
        job = run._jobs[stream.index]
        try:
            _check_unchanged(stream.fd, job, stream.signature, stream.total)
        except (InputError, OSError) as exc:
            run._fail(stream.index, _read_error(job, exc) if isinstance(exc, OSError) else exc)
            return
        finally:
            os.close(stream.fd)
            stream.fd = -1
        digest = FileDigest(stream.total, stream.sha.digest(), stream.blake.digest(), None)
        try:
            run._results[stream.index] = run._finish(stream.index, digest)
        except BaseException as exc:
            run._fail(stream.index, exc)

    def _tiny(self, batch: list[int], tick: Callable[[int], None]) -> None:
        """A batch of tiny jobs (only one batch runs at a time): each file read whole and
        SHA-256'd, then the BLAKE2b of every ``lanes`` of them in one ``update_many``."""
        run = self._run
        lanes = self._lanes
        for start in range(0, len(batch), lanes):
            group = batch[start : start + lanes]
            contents: list[bytes] = []
            shas: list[bytes] = []
            for index in group:
                try:
                    content = _read_whole(run._jobs[index])
                    tick(len(content))
                except _Cancelled:
                    raise
                except BaseException as exc:
                    run._fail(index, exc)
                    return
                contents.append(content)
                shas.append(hashlib.sha256(content).digest())
            hashers = [blake2.new() for _ in group]
            blake2.update_many(hashers, contents)
            for index, content, sha, blake in zip(group, contents, shas, hashers, strict=True):
                kept = content if run._jobs[index].keep else None
                digest = FileDigest(len(content), sha, blake.digest(), kept)
                try:
                    run._results[index] = run._finish(index, digest)
                except BaseException as exc:
                    run._fail(index, exc)
                    return

    def _whole(self, index: int, tick: Callable[[int], None]) -> None:
        """A job that keeps its bytes: read whole (no streaming buffer), both digests."""
        run = self._run
        job = run._jobs[index]
        try:
            run._results[index] = run._finish(index, _hash_one(job, _NO_VIEW, True, tick))
        except _Cancelled:
            raise
        except BaseException as exc:
            run._fail(index, exc)


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
        raise _read_error(job, exc) from exc


def _regular_signature(fd: int, job: HashJob) -> _Signature:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise UnreadableInputError(f"{job.name} is not a regular file")
    return _signature(st)


def _probe(job: HashJob) -> None:
    """Raise what hashing ``job`` would raise on opening it (nothing is read)."""
    fd = _open(job)
    try:
        _regular_signature(fd, job)
    except OSError as exc:
        raise _read_error(job, exc) from exc
    finally:
        os.close(fd)


def _hash_one(
    job: HashJob, view: memoryview, dual: bool, tick: Callable[[int], None]
) -> FileDigest:
    if job.keep:
        content = _read_whole(job)
        tick(len(content))
        blake = blake2.new() if dual else None
        if blake is not None:
            blake.update(content)
        digest = blake.digest() if blake is not None else None
        return FileDigest(len(content), hashlib.sha256(content).digest(), digest, content)
    fd = _open(job)
    try:
        before = _regular_signature(fd, job)
        sha = hashlib.sha256()
        blake = blake2.new() if dual else None
        total = _stream(fd, view, sha, blake, tick)
        _check_unchanged(fd, job, before, total)
    except OSError as exc:
        raise _read_error(job, exc) from exc
    finally:
        os.close(fd)
    return FileDigest(total, sha.digest(), blake.digest() if blake is not None else None, None)


def _read_whole(job: HashJob) -> bytes:
    """Every byte of a file, read in one go; a file that grew or shrank since it was
    opened is refused."""
    fd = _open(job)
    try:
        before = _regular_signature(fd, job)
        size = before[0]
        # Asking for one byte more than the size both fetches the file and proves it did
        # not grow.
        chunks: list[bytes] = []
        want = size + 1
        got = 0
        while got < want:
            piece = os.read(fd, want - got)
            if not piece:
                break
            chunks.append(piece)
            got += len(piece)
        _check_unchanged(fd, job, before, got)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    except OSError as exc:
        raise _read_error(job, exc) from exc
    finally:
        os.close(fd)


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
