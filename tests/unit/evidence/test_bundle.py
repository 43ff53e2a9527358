"""Bundle writing: complete files, atomic placement, idempotence, refusal and --force."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from anchor.evidence import bundle as bundle_mod
from anchor.evidence.bundle import (
    CREATED,
    REPLACED,
    UNCHANGED,
    OutputConflictError,
    OutputWriteError,
    write_bundle,
)
from anchor.evidence.collect import Bundle, assemble
from anchor.evidence.manifest import Item
from anchor.evidence.metadata import Metadata
from anchor.merkle.leaves import parse_leaves_list
from anchor.merkle.prooffile import ProofFile


def _bundle(*contents: bytes, names: tuple[str, ...] | None = None) -> Bundle:
    names = names or tuple(f"dir{i % 2}/f{i}.bin" for i in range(len(contents)))
    pairs = sorted(zip(names, contents, strict=True), key=lambda p: p[0].encode())
    items = [
        Item(n, "artifact", "application/octet-stream", len(d), hashlib.sha256(d).digest(), i)
        for i, (n, d) in enumerate(pairs)
    ]
    return assemble(Metadata(name="t"), items)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def test_created_bundle_has_exactly_the_contract_files(tmp_path: Path) -> None:
    b = _bundle(b"one", b"two", b"three")
    out = tmp_path / "evidence"
    result = write_bundle(b, str(out))
    assert (result.path, result.status) == (str(out), CREATED)
    files = _snapshot(out)
    assert sorted(files) == [
        "leaves.cbor",
        "manifest.json",
        "proofs/dir0/f0.bin.proof.json",
        "proofs/dir0/f2.bin.proof.json",
        "proofs/dir1/f1.bin.proof.json",
    ]
    assert files == dict(b.files())
    parsed = parse_leaves_list(files["leaves.cbor"])
    assert parsed.leaves == tuple(i.sha256 for i in b.manifest.items)
    assert parsed.root == b.root and parsed.leaf_alg == "sha2-256"
    for item in b.manifest.items:
        proof = ProofFile.from_json_bytes(files[f"proofs/{item.name}.proof.json"])
        assert (proof.name, proof.leaf_index, proof.tree_size) == (item.name, item.leaf_index, 3)
        assert proof.verify(item.sha256, root=b.root)
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~_umask())
    assert _siblings(out) == []


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def test_same_bundle_again_is_unchanged_and_keeps_publish_files(tmp_path: Path) -> None:
    out = tmp_path / "ev"
    write_bundle(_bundle(b"a", b"b"), str(out))
    (out / "record.cbor").write_bytes(b"\xa0")
    before = _snapshot(out)
    result = write_bundle(_bundle(b"a", b"b"), str(out))
    assert result.status == UNCHANGED
    assert _snapshot(out) == before
    assert _siblings(out) == []


def test_missing_proof_file_makes_it_a_different_bundle(tmp_path: Path) -> None:
    out = tmp_path / "ev"
    write_bundle(_bundle(b"a", b"b"), str(out))
    (out / "proofs" / "dir0" / "f0.bin.proof.json").unlink()
    with pytest.raises(OutputConflictError, match="already holds a different evidence bundle"):
        write_bundle(_bundle(b"a", b"b"), str(out))


def test_different_bundle_is_refused_and_left_untouched(tmp_path: Path) -> None:
    out = tmp_path / "ev"
    write_bundle(_bundle(b"a", b"b"), str(out))
    before = _snapshot(out)
    with pytest.raises(OutputConflictError, match="use --force"):
        write_bundle(_bundle(b"a", b"c"), str(out))
    assert _snapshot(out) == before
    assert _siblings(out) == []


def test_force_replaces_a_different_bundle(tmp_path: Path) -> None:
    out = tmp_path / "ev"
    write_bundle(_bundle(b"a", b"b", b"c"), str(out))
    new = _bundle(b"x")
    result = write_bundle(new, str(out), force=True)
    assert (result.status, result.discarded) == (REPLACED, ())
    assert _snapshot(out) == dict(new.files())
    assert _siblings(out) == []


def test_a_published_bundle_is_replaced_only_when_its_anchor_may_be_discarded(
    tmp_path: Path,
) -> None:
    from anchor.evidence.bundle import AnchoredBundleError

    out = tmp_path / "ev"
    write_bundle(_bundle(b"a", b"b", b"c"), str(out))
    (out / "anchor.json").write_bytes(b"{}")
    (out / "tx.cbor").write_bytes(b"\x80")
    before = _snapshot(out)
    new = _bundle(b"x")
    with pytest.raises(AnchoredBundleError, match=r"discard its anchor \(anchor.json, tx.cbor\)"):
        write_bundle(new, str(out), force=True)
    assert _snapshot(out) == before
    result = write_bundle(new, str(out), force=True, discard_anchor=True)
    assert (result.status, result.discarded) == (REPLACED, ("anchor.json", "tx.cbor"))
    assert _snapshot(out) == dict(new.files())


def test_non_bundle_directory_is_refused_even_with_force(tmp_path: Path) -> None:
    out = tmp_path / "work"
    out.mkdir()
    (out / "precious.txt").write_bytes(b"keep me")
    for force in (False, True):
        with pytest.raises(OutputConflictError, match="not an evidence bundle"):
            write_bundle(_bundle(b"a"), str(out), force=force)
    assert _snapshot(out) == {"precious.txt": b"keep me"}
    (out / "manifest.json").write_bytes(b'{"format": "something-else"}')
    with pytest.raises(OutputConflictError, match="not an evidence bundle"):
        write_bundle(_bundle(b"a"), str(out), force=True)


def test_empty_directory_is_filled(tmp_path: Path) -> None:
    out = tmp_path / "ev"
    out.mkdir()
    assert write_bundle(_bundle(b"a"), str(out)).status == CREATED
    assert (out / "manifest.json").is_file()


def test_output_that_is_a_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "ev"
    out.write_bytes(b"")
    with pytest.raises(OutputConflictError, match="exists and is not a directory"):
        write_bundle(_bundle(b"a"), str(out))


def test_missing_parents_are_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "ev"
    assert write_bundle(_bundle(b"a"), str(out)).status == CREATED


def test_failure_while_writing_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real = bundle_mod._write_files

    def failing(batch: list[tuple[str, bytes]]) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real(batch)

    monkeypatch.setattr(bundle_mod, "_WRITE_BATCH", 2)
    monkeypatch.setattr(bundle_mod, "_write_files", failing)
    fresh = tmp_path / "fresh"
    with pytest.raises(OutputWriteError, match="No space left on device"):
        write_bundle(_bundle(b"a", b"b", b"c", b"d"), str(fresh))
    assert not fresh.exists()
    assert list(tmp_path.iterdir()) == []

    old = tmp_path / "old"
    monkeypatch.setattr(bundle_mod, "_write_files", real)
    write_bundle(_bundle(b"a"), str(old))
    before = _snapshot(old)
    calls["n"] = 0
    monkeypatch.setattr(bundle_mod, "_write_files", failing)
    with pytest.raises(OutputWriteError):
        write_bundle(_bundle(b"a", b"b", b"c", b"d"), str(old), force=True)
    assert _snapshot(old) == before
    assert _siblings(old) == []


def test_failed_swap_restores_the_old_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "ev"
    write_bundle(_bundle(b"a"), str(out))
    before = _snapshot(out)
    real_rename = os.rename
    calls = {"n": 0}

    def rename(src: str, dst: str) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # old aside worked; moving the new one in fails
            raise OSError(5, "Input/output error")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OutputWriteError, match="Input/output error"):
        write_bundle(_bundle(b"b"), str(out), force=True)
    monkeypatch.undo()
    assert _snapshot(out) == before
    assert _siblings(out) == []


def test_force_never_replaces_a_bundle_being_published(tmp_path: Path) -> None:
    import fcntl

    out = tmp_path / "ev"
    write_bundle(_bundle(b"a"), str(out))
    before = _snapshot(out)
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what `anchor publish` holds
        with pytest.raises(OutputConflictError, match="locked by a running 'anchor publish'"):
            write_bundle(_bundle(b"b"), str(out), force=True)
    finally:
        os.close(fd)
    assert _snapshot(out) == before
    assert _siblings(out) == []
    assert write_bundle(_bundle(b"b"), str(out), force=True).status == REPLACED
