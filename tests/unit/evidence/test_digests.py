"""Streaming, parallel digests: exact SHA-256/BLAKE2b-256, content kept on request, errors."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from anchor.evidence.digests import BLOCK_SIZE, HashJob, digest_bytes, hash_files
from anchor.evidence.inputs import UnreadableInputError

SIZES = (0, 1, 2047, 2048, BLOCK_SIZE - 1, BLOCK_SIZE, BLOCK_SIZE + 1, 3 * BLOCK_SIZE + 17)


def _files(tmp_path: Path) -> list[tuple[Path, bytes]]:
    out = []
    for n, size in enumerate(SIZES):
        data = hashlib.shake_256(str(n).encode()).digest(size) if size else b""
        path = tmp_path / f"f{n}.bin"
        path.write_bytes(data)
        out.append((path, data))
    return out


@pytest.mark.parametrize("workers", [1, 2, 4])
@pytest.mark.parametrize("dual", [False, True])
def test_digests_match_hashlib_in_input_order(tmp_path: Path, workers: int, dual: bool) -> None:
    files = _files(tmp_path)
    jobs = [HashJob(str(p), p.name, len(d)) for p, d in files]
    got = hash_files(jobs, dual=dual, workers=workers)
    for (_, data), digest in zip(files, got, strict=True):
        assert digest.size == len(data)
        assert digest.sha256 == hashlib.sha256(data).digest()
        expected_b2 = hashlib.blake2b(data, digest_size=32).digest() if dual else None
        assert digest.blake2b_256 == expected_b2
        assert digest.content is None


def test_known_answer(tmp_path: Path) -> None:
    (tmp_path / "abc").write_bytes(b"abc")
    (d,) = hash_files([HashJob(str(tmp_path / "abc"), "abc", 3)], dual=True)
    assert d.sha256.hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert d.blake2b_256 is not None
    assert d.blake2b_256.hex() == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
    assert digest_bytes(b"abc", dual=True) == d


def test_content_is_kept_only_when_asked(tmp_path: Path) -> None:
    files = _files(tmp_path)
    jobs = [HashJob(str(p), p.name, len(d), keep=(i % 2 == 0)) for i, (p, d) in enumerate(files)]
    got = hash_files(jobs, workers=2)
    for i, ((_, data), digest) in enumerate(zip(files, got, strict=True)):
        assert digest.content == (data if i % 2 == 0 else None)


def test_progress_reports_every_byte(tmp_path: Path) -> None:
    check_progress_reports_every_byte(_files(tmp_path), dual=False)


def check_progress_reports_every_byte(files: list[tuple[Path, bytes]], *, dual: bool) -> None:
    """Two workers over ``files``: the progress callback adds up to every byte of them."""
    seen: list[int] = []
    lock = threading.Lock()

    def progress(n: int) -> None:
        with lock:
            seen.append(n)

    jobs = [HashJob(str(p), p.name, len(d)) for p, d in files]
    hash_files(jobs, dual=dual, workers=2, progress=progress)
    assert sum(seen) == sum(len(d) for _, d in files)


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "ok").write_bytes(b"x")
    (tmp_path / "dir").mkdir()
    jobs = [HashJob(str(tmp_path / "ok"), "ok", 1), HashJob(str(tmp_path / "dir"), "dir", 0)]
    with pytest.raises(UnreadableInputError, match="dir"):
        hash_files(jobs, workers=2)
    with pytest.raises(UnreadableInputError, match="cannot read gone"):
        hash_files([HashJob(str(tmp_path / "gone"), "gone", 0)])


def test_first_failure_by_input_order_is_reported(tmp_path: Path) -> None:
    jobs = [HashJob(str(tmp_path / f"missing-{i}"), f"missing-{i}", 0) for i in range(8)]
    for _ in range(5):
        with pytest.raises(UnreadableInputError, match="missing-0:"):
            hash_files(jobs, workers=4)
    # Mixed sizes: the small-file worker starts at the other end of the queue, yet the
    # first unreadable file in job order is the one reported.
    (tmp_path / "ok.bin").write_bytes(bytes(3 * BLOCK_SIZE))
    mixed = [HashJob(str(tmp_path / "ok.bin"), "ok.bin", 3 * BLOCK_SIZE)]
    mixed += [HashJob(str(tmp_path / f"gone-{i}"), f"gone-{i}", 10 + i) for i in range(6)]
    for _ in range(10):
        with pytest.raises(UnreadableInputError, match="gone-0:"):
            hash_files(mixed, workers=2)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_bytes(b"x")
    path.chmod(0)
    with pytest.raises(UnreadableInputError, match="Permission denied"):
        hash_files([HashJob(str(path), "secret", 1)])


@pytest.mark.parametrize(
    ("size", "reported"), [(10, 9), (10, 11), (BLOCK_SIZE + 5, BLOCK_SIZE + 4)]
)
def test_file_changing_size_while_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int, reported: int
) -> None:
    from anchor.evidence import digests

    path = tmp_path / "growing.log"
    path.write_bytes(b"x" * size)
    report_size_at_open(monkeypatch, path, reported)
    with pytest.raises(
        digests.FileChangedError, match=r"growing\.log changed while it was being read"
    ):
        hash_files([HashJob(str(path), "growing.log", size)])


def test_failure_abandons_other_work_and_reports_the_real_error(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(8 * BLOCK_SIZE))
    jobs = [
        HashJob(str(tmp_path / "a-missing"), "a-missing", 0),
        HashJob(str(big), "big.bin", 8 * BLOCK_SIZE),
    ]
    for _ in range(3):
        with pytest.raises(UnreadableInputError, match="cannot read a-missing"):
            hash_files(jobs, workers=2)


def test_finish_runs_per_job_and_results_come_back_in_job_order(tmp_path: Path) -> None:
    from anchor.evidence.digests import FileDigest, start_hashing

    files = _files(tmp_path)
    jobs = [HashJob(str(p), p.name, len(d), keep=(i == 3)) for i, (p, d) in enumerate(files)]
    seen: list[int] = []
    lock = threading.Lock()

    def finish(index: int, digest: FileDigest) -> tuple[int, str, bytes | None]:
        with lock:
            seen.append(index)
        return index, digest.sha256.hex(), digest.content

    got = start_hashing(jobs, finish, workers=2).wait()
    assert sorted(seen) == list(range(len(files)))
    assert got == [
        (i, hashlib.sha256(d).hexdigest(), d if i == 3 else None) for i, (_, d) in enumerate(files)
    ]


def test_an_exception_in_finish_fails_the_run(tmp_path: Path) -> None:
    files = _files(tmp_path)
    check_finish_error_fails_the_run(
        [HashJob(str(p), p.name, len(d)) for p, d in files], dual=False, bad=2
    )


def check_finish_error_fails_the_run(jobs: list[HashJob], *, dual: bool, bad: int) -> None:
    """An exception raised by ``finish`` for job ``bad`` is what ``wait`` raises, every time."""
    from anchor.evidence.digests import FileDigest, start_hashing

    def finish(index: int, digest: FileDigest) -> int:
        if index == bad:
            raise ValueError(f"bad item {index}")
        return index

    for _ in range(3):
        with pytest.raises(ValueError, match=f"bad item {bad}"):
            start_hashing(jobs, finish, dual=dual, workers=2).wait()


def test_small_files_go_to_one_worker_smallest_first_large_files_largest_first(
    tmp_path: Path,
) -> None:
    from anchor.evidence.digests import FileDigest, start_hashing

    sizes = [3 * BLOCK_SIZE, 2 * BLOCK_SIZE + 1, BLOCK_SIZE, 10, 2000, 300, 40_000, 5, 777]
    jobs = []
    for n, size in enumerate(sizes):
        path = tmp_path / f"f{n}"
        path.write_bytes(bytes(size))
        jobs.append(HashJob(str(path), path.name, size))
    taken: dict[str, list[int]] = {}
    lock = threading.Lock()
    small_started = threading.Event()

    def finish(index: int, digest: FileDigest) -> int:
        name = threading.current_thread().name
        with lock:
            taken.setdefault(name, []).append(digest.size)
        if name == "anchor-hash-1":
            small_started.set()
        else:  # hold the large-file worker until the other one has started, however late
            small_started.wait(timeout=60)
        return digest.size

    assert start_hashing(jobs, finish, workers=2).wait() == sizes
    small_worker = taken["anchor-hash-1"]
    large_worker = taken["anchor-hash-0"]
    assert sorted(small_worker + large_worker) == sorted(sizes)
    # The small-file worker starts at the smallest file and goes up while small ones last;
    # the other one goes down from the largest.
    assert small_worker[0] == 5
    small_part = [s for s in small_worker if s < BLOCK_SIZE]
    assert small_part == sorted(small_part)
    assert large_worker == sorted(large_worker, reverse=True)
    assert large_worker[0] == 3 * BLOCK_SIZE


def test_one_worker_takes_everything_largest_first(tmp_path: Path) -> None:
    from anchor.evidence.digests import FileDigest, start_hashing

    sizes = [10, BLOCK_SIZE + 3, 5, 2 * BLOCK_SIZE]
    jobs = []
    for n, size in enumerate(sizes):
        path = tmp_path / f"f{n}"
        path.write_bytes(bytes(size))
        jobs.append(HashJob(str(path), path.name, size))
    order: list[int] = []

    def finish(index: int, digest: FileDigest) -> int:
        order.append(digest.size)
        return index

    assert start_hashing(jobs, finish, workers=1).wait() == [0, 1, 2, 3]
    assert order == sorted(sizes, reverse=True)


def test_cancel_stops_the_workers_and_wait_then_refuses(tmp_path: Path) -> None:
    check_cancel_stops_the_workers(tmp_path, dual=False)


def report_size_at_open(monkeypatch: pytest.MonkeyPatch, path: Path, reported: int) -> None:
    """Make ``os.fstat`` report ``reported`` as the size of ``path`` (of no other file), as
    if the file changed size between opening it and reading it to its end."""
    real_fstat = os.fstat
    target = os.stat(path).st_ino

    def fake_fstat(fd: int) -> os.stat_result:
        st = real_fstat(fd)
        if st.st_ino != target:
            return st
        fields = list(st)
        fields[6] = reported  # st_size as seen at open time
        return os.stat_result(fields)

    monkeypatch.setattr(os, "fstat", fake_fstat)


def check_cancel_stops_the_workers(tmp_path: Path, *, dual: bool) -> None:
    """Cancel a run while its workers are held mid-file: every worker thread ends, and
    ``wait`` then refuses with HashingCancelledError."""
    from anchor.evidence.digests import FileDigest, HashingCancelledError, start_hashing

    big = tmp_path / "big.bin"
    big.write_bytes(bytes(8 * BLOCK_SIZE))
    jobs = [HashJob(str(big), f"big{i}", 8 * BLOCK_SIZE) for i in range(64)]
    reached = threading.Event()
    release = threading.Event()

    def progress(n: int) -> None:
        reached.set()
        release.wait()  # hold the workers until the run is cancelled

    def finish(index: int, digest: FileDigest) -> int:
        return index

    run = start_hashing(jobs, finish, dual=dual, workers=2, progress=progress)
    assert reached.wait(timeout=60)
    canceller = threading.Thread(target=run.cancel)
    canceller.start()
    while not run._stop.is_set():  # cancel() sets the flag before joining the workers
        threading.Event().wait(0.001)
    release.set()
    canceller.join()
    assert not any(t.name.startswith("anchor-hash") for t in threading.enumerate())
    with pytest.raises(HashingCancelledError):
        run.wait()
