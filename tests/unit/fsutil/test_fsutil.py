"""The shared atomic-replace and folder-lock primitives."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from anchor.fsutil import (
    FolderLocked,
    create_folder_beside,
    exclusive_folder_lock,
    replace_atomically,
)


def test_replace_writes_new_bytes_with_open_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    old = os.umask(0o027)
    try:
        replace_atomically(target, b"new")
    finally:
        os.umask(old)
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_replace_never_changes_the_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Other threads create files meanwhile (the devnet saves from its clock thread)."""
    calls: list[int] = []
    real = os.umask

    def spy(mask: int) -> int:
        calls.append(mask)
        return real(mask)

    monkeypatch.setattr(os, "umask", spy)
    replace_atomically(tmp_path / "out.bin", b"new")
    assert calls == []


def test_concurrent_replaces_of_one_file_never_share_a_temp(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(25):
                replace_atomically(target, f"{n}:{i}".encode())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert target.read_bytes().endswith(b":24")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_failed_replace_keeps_the_old_file_and_removes_the_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.mkdir()  # os.replace of a file onto a directory fails
    with pytest.raises(OSError):
        replace_atomically(target, b"new")
    assert target.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_folder_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    # a second open file description on the same folder cannot take the lock
    with (
        exclusive_folder_lock(tmp_path),
        pytest.raises(BlockingIOError) as held,
        exclusive_folder_lock(tmp_path),
    ):
        pass
    assert isinstance(held.value, FolderLocked)
    with exclusive_folder_lock(tmp_path):
        assert os.path.isdir(tmp_path)


def test_blocking_io_error_from_the_body_is_not_folder_locked(tmp_path: Path) -> None:
    with pytest.raises(BlockingIOError) as raised, exclusive_folder_lock(tmp_path):
        raise BlockingIOError("the body's own")
    assert not isinstance(raised.value, FolderLocked)
    with exclusive_folder_lock(tmp_path):  # released despite the error
        pass


def test_folder_beside_is_new_each_time_with_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        made = {create_folder_beside(tmp_path, ".out.tmp-") for _ in range(20)}
    finally:
        os.umask(old)
    assert len(made) == 20
    for folder in made:
        path = Path(folder)
        assert path.parent == tmp_path and path.name.startswith(".out.tmp-")
        assert oct(path.stat().st_mode & 0o777) == oct(0o750)
