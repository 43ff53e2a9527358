"""The shared atomic-replace and folder-lock primitives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from anchor.fsutil import current_umask, exclusive_folder_lock, replace_atomically


def test_replace_writes_new_bytes_with_open_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    replace_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o666 & ~current_umask()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


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
        pytest.raises(BlockingIOError),
        exclusive_folder_lock(tmp_path),
    ):
        pass
    with exclusive_folder_lock(tmp_path):
        assert os.path.isdir(tmp_path)
