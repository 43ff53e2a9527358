"""Tiny files are hashed by one worker at a time (``digests.TINY_SIZE``, ADR 0009).

Their cost is system calls and Python, which hold the GIL, so two threads on them are
slower than one. These tests watch ``finish`` (which runs on the worker that hashed the
file): for tiny files it never runs on two threads at once, while files at or above the
limit still run side by side. Expected digests always come from hashlib.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from anchor import blake2
from anchor.evidence import digests
from anchor.evidence.digests import (
    BLOCK_SIZE,
    TINY_SIZE,
    TINY_SIZE_DUAL,
    FileDigest,
    HashJob,
    start_hashing,
)
from anchor.evidence.inputs import UnreadableInputError
from tests.unit.evidence.test_digests_lanes import use_pipeline


@pytest.fixture(params=["sha256", "dual-hashlib", "pipeline-native", "pipeline-hashlib"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[bool]:
    """Every path a run can take; yields ``dual``. ``dual-hashlib`` is dual hashing without
    the native BLAKE2b (one file per worker, like SHA-256 only); the pipeline runs with the
    native four-message BLAKE2b where it was built and over hashlib everywhere."""
    if request.param == "sha256":
        yield False
        return
    if request.param == "dual-hashlib":
        monkeypatch.setattr(blake2, "LANES", 1)
        monkeypatch.setattr(blake2, "new", blake2._hashlib_new)
    else:
        use_pipeline(monkeypatch, native=request.param == "pipeline-native")
    yield True


def _limit(dual: bool) -> int:
    return TINY_SIZE_DUAL if dual else TINY_SIZE


def _jobs(tmp_path: Path, sizes: list[int]) -> tuple[list[HashJob], list[bytes]]:
    jobs, datas = [], []
    for n, size in enumerate(sizes):
        data = hashlib.shake_256(f"tiny-{n}".encode()).digest(size) if size else b""
        path = tmp_path / f"f{n:03d}.bin"
        path.write_bytes(data)
        jobs.append(HashJob(str(path), path.name, size))
        datas.append(data)
    return jobs, datas


class _Overlap:
    """A ``finish`` that records, per job, how many other finishes ran at the same time
    (each one lingers a little so that two threads at once would be seen)."""

    def __init__(self, watched: set[int], datas: list[bytes], dual: bool) -> None:
        self.watched = watched
        self.datas = datas
        self.dual = dual
        self.lock = threading.Lock()
        self.inside = 0
        self.most = 0
        self.threads: dict[int, str] = {}

    def __call__(self, index: int, digest: FileDigest) -> int:
        data = self.datas[index]
        assert digest.sha256 == hashlib.sha256(data).digest()
        if self.dual:
            assert digest.blake2b_256 == hashlib.blake2b(data, digest_size=32).digest()
        if index not in self.watched:
            return index
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.threads[index] = threading.current_thread().name
        threading.Event().wait(0.002)
        with self.lock:
            self.inside -= 1
        return index


@pytest.mark.parametrize("workers", [2, 3])
def test_tiny_files_are_never_hashed_on_two_threads_at_once(
    tmp_path: Path, mode: bool, workers: int
) -> None:
    sizes = [(n * 997) % _limit(mode) for n in range(60)]
    jobs, datas = _jobs(tmp_path, sizes)
    finish = _Overlap(set(range(len(jobs))), datas, mode)
    assert start_hashing(jobs, finish, dual=mode, workers=workers).wait() == list(range(60))
    assert finish.most == 1
    assert len(finish.threads) == 60


@pytest.mark.parametrize("workers", [2, 3])
def test_large_files_stream_beside_the_tiny_ones(tmp_path: Path, mode: bool, workers: int) -> None:
    """With large files in the set, tiny files still go one at a time, and every digest
    (large ones included) is right."""
    sizes = [3 * BLOCK_SIZE + 1, 5, _limit(mode) - 1, 2 * BLOCK_SIZE, 0, *range(100, 4100, 100)]
    jobs, datas = _jobs(tmp_path, sizes)
    tiny = {i for i, size in enumerate(sizes) if size < _limit(mode)}
    finish = _Overlap(tiny, datas, mode)
    got = start_hashing(jobs, finish, dual=mode, workers=workers).wait()
    assert got == list(range(len(sizes)))
    assert finish.most == 1
    assert set(finish.threads) == tiny


def test_files_at_the_limit_are_hashed_side_by_side(tmp_path: Path, mode: bool) -> None:
    """Two files of exactly the limit are not tiny: both workers take one, and each
    ``finish`` waits for the other (a run that hashed them one at a time would break the
    barrier)."""
    jobs, datas = _jobs(tmp_path, [_limit(mode), _limit(mode)])
    both = threading.Barrier(2, timeout=30)

    def finish(index: int, digest: FileDigest) -> int:
        assert digest.sha256 == hashlib.sha256(datas[index]).digest()
        both.wait()
        return index

    assert start_hashing(jobs, finish, dual=mode, workers=2).wait() == [0, 1]


def test_one_under_the_limit_is_tiny(tmp_path: Path, mode: bool) -> None:
    jobs, datas = _jobs(tmp_path, [_limit(mode) - 1] * 6)
    finish = _Overlap(set(range(6)), datas, mode)
    assert start_hashing(jobs, finish, dual=mode, workers=2).wait() == list(range(6))
    assert finish.most == 1


def test_sha256_tiny_files_go_to_the_small_file_worker(tmp_path: Path) -> None:
    """Without the pipeline the small-file worker (the last thread) hashes every tiny file;
    the other one stops when only tiny files are left, instead of taking them too."""
    sizes = [2 * BLOCK_SIZE, *range(1, 4000, 97)]
    jobs, datas = _jobs(tmp_path, sizes)
    tiny = set(range(1, len(sizes)))
    finish = _Overlap(tiny, datas, False)
    start_hashing(jobs, finish, workers=2).wait()
    assert set(finish.threads.values()) == {"anchor-hash-1"}


def test_pipeline_tiny_files_skip_the_blake2b_lanes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the pipeline, tiny files are read and hashed whole: no BLAKE2b lane step ever
    carries one, while the large files still go through the lanes."""
    use_pipeline(monkeypatch, native=False)
    seen: list[int] = []
    real = digests._Pipeline._blake

    def spy(
        self: digests._Pipeline, batch: list[tuple[digests._Stream, memoryview, memoryview]]
    ) -> None:
        seen.extend(stream.index for stream, _, _ in batch)
        real(self, batch)

    monkeypatch.setattr(digests._Pipeline, "_blake", spy)
    sizes = [BLOCK_SIZE + 3, 2 * BLOCK_SIZE, *range(0, TINY_SIZE_DUAL, 1500)]
    jobs, datas = _jobs(tmp_path, sizes)
    got = digests.hash_files(jobs, dual=True, workers=2)
    assert [(d.sha256, d.blake2b_256) for d in got] == [
        (hashlib.sha256(d).digest(), hashlib.blake2b(d, digest_size=32).digest()) for d in datas
    ]
    assert set(seen) == {0, 1}


def test_a_failure_among_tiny_files_is_the_first_in_job_order(tmp_path: Path, mode: bool) -> None:
    jobs, _ = _jobs(tmp_path, [3 * BLOCK_SIZE, *range(10, 3000, 10)])
    jobs.insert(40, HashJob(str(tmp_path / "gone-a"), "gone-a", 7))
    jobs.append(HashJob(str(tmp_path / "gone-b"), "gone-b", 9))
    for _ in range(3):
        with pytest.raises(UnreadableInputError, match="cannot read gone-a:"):
            digests.hash_files(jobs, dual=mode, workers=2)
