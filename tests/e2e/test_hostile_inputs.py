"""Issue 15, outside the verifier: each case as a user or a hostile tester would meet it.

Every test states the exact exit code and the exact line (or error code) and fails on
the code before the fix (see the closing note of issue 15 for the table).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult, one_error_line
from tests.unit.verify.kit import SAMPLE_FILES, publish_bundle, write_files

with warnings.catch_warnings():  # see tests/cli/test_keys_cli.py
    warnings.filterwarnings(
        "ignore", r"'click\.utils\.get_\w+_stream' is deprecated", DeprecationWarning
    )
    import anchor.cli.main  # noqa: F401

Run = Callable[..., CliResult]
PUBLISH_FILES = ["anchor.json", "chain-facts.json", "record.cbor", "tx.cbor"]


# -- 2. collect --force over a published bundle ----------------------------------------


def _published(tmp_path: Path) -> tuple[Path, Path]:
    pub = publish_bundle(tmp_path, SAMPLE_FILES)
    changed = tmp_path / "changed"
    write_files(changed, {**SAMPLE_FILES, "README.txt": b"other notes\n"})
    return pub.bundle, changed


def test_force_once_refuses_a_published_bundle(run_cli: Run, tmp_path: Path) -> None:
    bundle, changed = _published(tmp_path)
    before = sorted(p.name for p in bundle.iterdir())
    r = run_cli(["collect", changed, "--root", changed, "-o", bundle, "--force"])
    assert one_error_line(r) == (
        f"error: {bundle} holds a published bundle: replacing it would discard its anchor "
        "(anchor.json, chain-facts.json, record.cbor, tx.cbor) and the anchor in its proof "
        "files; give --force twice or --discard-anchor to replace it anyway"
    )
    assert sorted(p.name for p in bundle.iterdir()) == before


@pytest.mark.parametrize("flags", [["--force", "--force"], ["--discard-anchor"]])
def test_force_twice_replaces_and_says_what_is_discarded(
    run_cli: Run, tmp_path: Path, flags: list[str]
) -> None:
    bundle, changed = _published(tmp_path)
    r = run_cli(["collect", changed, "--root", changed, "-o", bundle, *flags, "--json"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["discarded"] == PUBLISH_FILES
    assert r.stderr.splitlines()[-1] == (
        "discarded the old bundle's anchor: anchor.json, chain-facts.json, record.cbor, tx.cbor"
    )
    assert not any((bundle / name).exists() for name in PUBLISH_FILES)


# -- 6. a same-size overwrite while collect hashes a file ------------------------------


@pytest.mark.parametrize("dual", [False, True], ids=["sha256", "dual-hash"])
def test_same_size_overwrite_during_hashing_fails_the_file(tmp_path: Path, dual: bool) -> None:
    from anchor.errors import EXIT_INPUT
    from anchor.evidence.digests import FileChangedError, HashJob, hash_files

    size = 16 << 20
    path = tmp_path / "big.img"
    path.write_bytes(bytes(size))
    # A file last written long ago (as a release artifact is): the writer below moves its
    # mtime to now, whatever the clock's granularity.
    os.utime(path, ns=(946_684_800 * 10**9, 946_684_800 * 10**9))
    written: list[int] = []

    def writer(_n: int) -> None:  # progress runs on the hashing thread, mid-file
        if not written:
            fd = os.open(path, os.O_WRONLY)
            try:  # dd conv=notrunc: one byte at offset 0 and one near the end
                written.append(os.pwrite(fd, b"\x01", 0) + os.pwrite(fd, b"\x01", size - 7))
            finally:
                os.close(fd)

    with pytest.raises(FileChangedError) as info:
        hash_files([HashJob(str(path), "big.img", size)], dual=dual, workers=1, progress=writer)
    assert written == [2]
    assert os.path.getsize(path) == size
    assert info.value.exit_code == EXIT_INPUT
    assert info.value.diagnostics() == "big.img changed while it was being read"


# -- 7. a path whose '..' follows a symlink --------------------------------------------


@pytest.fixture
def up_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """names/sub/up -> .. (so names/sub/up/.. is the folder above names), a decoy at
    names/sub/outside.txt (what the text names/sub/up/../outside.txt normalises to)."""
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path, {"outside.txt": b"the file the OS opens\n"})
    write_files(tmp_path / "names", {"sub/outside.txt": b"decoy\n", "real.txt": b"real\n"})
    os.symlink("..", tmp_path / "names" / "sub" / "up")
    return tmp_path


def test_dotdot_after_a_symlink_outside_the_root_is_refused(run_cli: Run, up_tree: Path) -> None:
    r = run_cli(["collect", "names/sub/up/../outside.txt", "--root", "names", "-o", "ev"])
    assert one_error_line(r) == (
        f"error: names/sub/up/../outside.txt is outside the root {up_tree / 'names'} "
        "(set --root to a common parent)"
    )
    assert not (up_tree / "ev").exists()


def test_dotdot_after_a_symlink_is_named_by_its_real_place(run_cli: Run, up_tree: Path) -> None:
    r = run_cli(["collect", "names/sub/up/../names/real.txt", "--root", "names", "-o", "ev"])
    assert r.exit_code == 0, r.stderr
    [item] = json.loads((up_tree / "ev" / "manifest.json").read_bytes())["items"]
    assert (item["name"], item["size"]) == ("real.txt", 5)
