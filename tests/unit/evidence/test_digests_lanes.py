"""Dual hashing with several files side by side (``digests._Pipeline``).

Every test runs twice: with the native four-message BLAKE2b where it was built, and with
the same lane logic over hashlib (``update_many`` as a loop), so the scheduling, error and
size checks are tested on every machine. Expected digests always come from hashlib.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from anchor import blake2
from anchor.evidence import digests
from anchor.evidence.digests import (
    BLOCK_SIZE,
    LANE_BLOCK_SIZE,
    HashJob,
    hash_files,
)
from anchor.evidence.inputs import UnreadableInputError
from tests.unit.evidence.test_digests import (
    check_cancel_stops_the_workers,
    check_finish_error_fails_the_run,
    check_progress_reports_every_byte,
    report_size_at_open,
)

SIZES = (
    0, 1, 127, 128, 129, 2047, 2048, LANE_BLOCK_SIZE - 1, LANE_BLOCK_SIZE, LANE_BLOCK_SIZE + 1,
    3 * LANE_BLOCK_SIZE + 17, BLOCK_SIZE + 5, 40_000, 7, 5 * LANE_BLOCK_SIZE,
)  # fmt: skip


@pytest.fixture(params=["native", "hashlib"])
def lanes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Force the pipeline (four lanes) with the native or the hashlib BLAKE2b; yields the
    number of lanes."""
    yield use_pipeline(monkeypatch, native=request.param == "native")


def use_pipeline(monkeypatch: pytest.MonkeyPatch, *, native: bool) -> int:
    """Make dual hashing take the pipeline (four lanes): over the native BLAKE2b (skipping
    where it was not built) or over hashlib. Returns the number of lanes."""
    if native:
        if blake2.IMPLEMENTATION == "hashlib":
            pytest.skip("anchor._blake2b is not built (or has no vector code) on this machine")
    else:
        monkeypatch.setattr(blake2, "new", blake2._hashlib_new)
        monkeypatch.setattr(blake2, "update_many", blake2._update_each)
    monkeypatch.setattr(blake2, "LANES", 4)
    return 4


def _write(tmp_path: Path, sizes: tuple[int, ...] = SIZES) -> list[tuple[Path, bytes]]:
    out = []
    for n, size in enumerate(sizes):
        data = hashlib.shake_256(f"lane-{n}".encode()).digest(size) if size else b""
        path = tmp_path / f"f{n:02d}.bin"
        path.write_bytes(data)
        out.append((path, data))
    return out


def _expected(data: bytes) -> tuple[bytes, bytes]:
    return hashlib.sha256(data).digest(), hashlib.blake2b(data, digest_size=32).digest()


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_lanes_match_hashlib_in_job_order(tmp_path: Path, lanes: int, workers: int) -> None:
    files = _write(tmp_path)
    jobs = [HashJob(str(p), p.name, len(d)) for p, d in files]
    got = hash_files(jobs, dual=True, workers=workers)
    assert len(got) == len(files)
    for (_, data), digest in zip(files, got, strict=True):
        assert digest.size == len(data)
        assert (digest.sha256, digest.blake2b_256) == _expected(data)
        assert digest.content is None


def _spy_blake_steps(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[int, int]]]:
    """Record every BLAKE2b step of the pipeline as [(job index, block length), ...]."""
    steps: list[list[tuple[int, int]]] = []
    real = digests._Pipeline._blake

    def spy(
        self: digests._Pipeline, batch: list[tuple[digests._Stream, memoryview, memoryview]]
    ) -> None:
        steps.append([(stream.index, len(block)) for stream, block, _ in batch])
        real(self, batch)

    monkeypatch.setattr(digests._Pipeline, "_blake", spy)
    return steps


def test_lane_path_is_the_one_taken(
    tmp_path: Path, lanes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BLAKE2b steps really carry four files at once (else the test above would pass on
    the single-file path), and every byte of every file goes through exactly one step."""
    steps = _spy_blake_steps(monkeypatch)
    files = _write(tmp_path, tuple(3 * LANE_BLOCK_SIZE + n for n in range(1, lanes + 3)))
    got = hash_files([HashJob(str(p), p.name, len(d)) for p, d in files], dual=True, workers=1)
    assert [(d.sha256, d.blake2b_256) for d in got] == [_expected(d) for _, d in files]
    per_file = [0] * len(files)
    for step in steps:
        for index, length in step:
            per_file[index] += length
    assert per_file == [len(d) for _, d in files]
    widths = [len({index for index, _ in step}) for step in steps]
    assert max(widths) == lanes
    # A lane per file open from the start: their four blocks each go all lanes at a time.
    assert widths[:4] == [lanes] * 4


def test_a_file_longer_than_a_worker_share_is_hashed_on_its_own(
    tmp_path: Path, lanes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With two workers, a file holding most of the bytes is the chain that decides the
    end of the run: its BLAKE2b blocks go one file at a time, never waiting for a group."""
    steps = _spy_blake_steps(monkeypatch)
    big = 24 * LANE_BLOCK_SIZE + 3
    files = _write(tmp_path, (big,) + (LANE_BLOCK_SIZE // 2,) * 8)
    got = hash_files([HashJob(str(p), p.name, len(d)) for p, d in files], dual=True, workers=2)
    assert [(d.sha256, d.blake2b_256) for d in got] == [_expected(d) for _, d in files]
    big_steps = [step for step in steps if any(index == 0 for index, _ in step)]
    assert all({index for index, _ in step} == {0} for step in big_steps)
    assert sum(length for step in big_steps for _, length in step) == big
    small_bytes = sum(length for step in steps for index, length in step if index != 0)
    assert small_bytes == 8 * (LANE_BLOCK_SIZE // 2)


def test_kept_content_and_streamed_files_mix(tmp_path: Path, lanes: int) -> None:
    files = _write(tmp_path)
    jobs = [HashJob(str(p), p.name, len(d), keep=(i % 3 == 0)) for i, (p, d) in enumerate(files)]
    got = hash_files(jobs, dual=True, workers=2)
    for i, ((_, data), digest) in enumerate(zip(files, got, strict=True)):
        assert digest.content == (data if i % 3 == 0 else None)
        assert (digest.sha256, digest.blake2b_256) == _expected(data)


def test_progress_reports_every_byte(tmp_path: Path, lanes: int) -> None:
    check_progress_reports_every_byte(_write(tmp_path), dual=True)


def test_first_unreadable_file_in_job_order_is_reported(tmp_path: Path, lanes: int) -> None:
    files = _write(tmp_path)
    jobs = [HashJob(str(p), p.name, len(d)) for p, d in files]
    jobs.insert(3, HashJob(str(tmp_path / "gone-a"), "gone-a", 10))
    jobs.append(HashJob(str(tmp_path / "gone-b"), "gone-b", 5 * BLOCK_SIZE))
    (tmp_path / "adir").mkdir()
    jobs.insert(9, HashJob(str(tmp_path / "adir"), "adir", 0))
    for _ in range(5):
        with pytest.raises(UnreadableInputError, match="cannot read gone-a:"):
            hash_files(jobs, dual=True, workers=2)


def test_open_descriptors_are_closed_after_a_failure(tmp_path: Path, lanes: int) -> None:
    files = _write(tmp_path)
    jobs = [HashJob(str(p), p.name, len(d)) for p, d in files]
    jobs.append(HashJob(str(tmp_path / "missing"), "missing", 1))
    before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    for _ in range(3):
        with pytest.raises(UnreadableInputError, match="missing"):
            hash_files(jobs, dual=True, workers=2)
    if before is not None:
        assert len(os.listdir("/proc/self/fd")) == before


@pytest.mark.parametrize(("size", "reported"), [(10, 9), (10, 11), (3 * LANE_BLOCK_SIZE, 5)])
def test_file_changing_size_while_read_is_refused(
    tmp_path: Path, lanes: int, monkeypatch: pytest.MonkeyPatch, size: int, reported: int
) -> None:
    files = _write(tmp_path, (LANE_BLOCK_SIZE * 2, 100, 1))
    path = tmp_path / "growing.log"
    path.write_bytes(b"x" * size)
    report_size_at_open(monkeypatch, path, reported)
    jobs = [HashJob(str(p), p.name, len(d)) for p, d in files]
    jobs.append(HashJob(str(path), "growing.log", size))
    with pytest.raises(
        digests.FileChangedError, match=r"growing\.log changed while it was being read"
    ):
        hash_files(jobs, dual=True, workers=1)


def test_an_exception_in_finish_fails_the_run(tmp_path: Path, lanes: int) -> None:
    files = _write(tmp_path)
    jobs = [HashJob(str(p), p.name, len(d)) for p, d in files]
    check_finish_error_fails_the_run(jobs, dual=True, bad=4)


def test_cancel_stops_lanes_and_wait_then_refuses(tmp_path: Path, lanes: int) -> None:
    check_cancel_stops_the_workers(tmp_path, dual=True)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("workers", [1, 2, 4])
def test_many_files_of_every_shape_never_stall(tmp_path: Path, lanes: int, workers: int) -> None:
    """Sizes around the block size, empty files, kept files and one large file, mixed:
    every step order the scheduler can take ends with every digest right (a stall would
    hit the timeout)."""
    rng = random.Random(f"shapes-{workers}")
    choices = (0, 1, 127, LANE_BLOCK_SIZE - 1, LANE_BLOCK_SIZE, LANE_BLOCK_SIZE + 1)
    sizes = tuple(rng.choice(choices) + rng.randrange(3) * LANE_BLOCK_SIZE for _ in range(40))
    files = _write(tmp_path, (9 * LANE_BLOCK_SIZE + 5, *sizes))
    jobs = [HashJob(str(p), p.name, len(d), keep=rng.random() < 0.2) for p, d in files]
    for _ in range(3):
        got = hash_files(jobs, dual=True, workers=workers)
        for (_, data), digest in zip(files, got, strict=True):
            assert (digest.size, digest.sha256, digest.blake2b_256) == (len(data), *_expected(data))
