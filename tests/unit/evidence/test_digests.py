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
    files = _files(tmp_path)
    seen: list[int] = []
    lock = threading.Lock()

    def progress(n: int) -> None:
        with lock:
            seen.append(n)

    hash_files([HashJob(str(p), p.name, len(d)) for p, d in files], workers=2, progress=progress)
    assert sum(seen) == sum(SIZES)


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
    real_fstat = os.fstat

    def fake_fstat(fd: int) -> os.stat_result:
        st = list(real_fstat(fd))
        st[6] = reported  # st_size as seen at open time
        return os.stat_result(st)

    monkeypatch.setattr(os, "fstat", fake_fstat)
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
