"""The fast window writers give the reference bytes: manifest, leaves, proofs, receipts.

`spool seal`, `spool proof` and `spool export` build a window's files from columns of
stored values; ``export.window_bundle`` (one manifest item object per item, `anchor
collect`'s assembler) and the per-file proof completion of `anchor publish` are the
reference. Every test compares bytes, on windows of 1, 2, 3 and odd numbers of items.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from anchor.evidence.bundle import write_bundle
from anchor.evidence.classify import classify
from anchor.merkle.tree import MerkleTree
from anchor.publish.assemble import assemble_record, record_plan
from anchor.publish.spool import export
from anchor.publish.spool.store import Attempt, NewItem, Spool, Store, Window
from anchor.publish.spool.tree import BLOCK_BITS

NAMES = [
    "a.txt", "dist/app-1.0.tar.gz", "junit-report.xml", "report.xml", "x/test-foo.XML",
    "sbom.json", "bom.xml", "a.cdx.json", "att.intoto.jsonl", "a.sigstore.json",
    "x.sigstore.b.intoto", "SHA256SUMS", "x.SUMS", "x.sums", "checksums.txt",
    "a_checksums.txt", "b-checksums.txt", 'q"uote.bin', "ünï/cødé.bin", "İSTANBUL.TXT",
    "ΑΣ.ΣΑΣ.log", "app.log", "foo.sha256", ".hidden", ".a.b", "x.a.b", "noext",
    "a.b.c.d.zip", "UPPER.JSON", "p.spdx", "e.exe", "w.whl", "d.dsse.json",
    "deep/er/" + "long" * 70 + ".bin",
]  # fmt: skip
SOURCES = ["ci/run/1", "github.com/o/r/run/9", "src with space", "ü/ß"]
SIZES = [None, 0, 7, 2**40]
SEED = b"\x07" * 32


def _d(i: int) -> bytes:
    return hashlib.sha256(f"item {i}".encode()).digest()


def _items(n: int) -> list[NewItem]:
    return [
        NewItem(SOURCES[i % len(SOURCES)], f"{i}/{NAMES[i % len(NAMES)]}", _d(i), SIZES[i % 4])
        for i in range(n)
    ]


def _spool(store: Store) -> Spool:
    made, _ = store.create_spool(
        "default", network="devnet", confirmations=1, ttl_slots=1800, final_depth=10
    )
    return made


def _sealed(store: Store, items: list[NewItem]) -> tuple[Spool, Window]:
    sp = _spool(store)
    store.add(sp, items)
    epoch = store.acquire(sp, "me", seconds=60)
    window, leaves = store.seal_rows(sp, holder="me", epoch=epoch, label="v1", lease_seconds=60)
    assert window is not None and leaves is not None
    assert leaves.root.hex() == window.root == MerkleTree([i.digest for i in items]).root.hex()
    return sp, window


def _anchored(store: Store, items: list[NewItem]) -> tuple[Spool, Window, Attempt]:
    sp, window = _sealed(store, items)
    epoch = store.lease(sp)[1]
    attempt = Attempt(window.id, 1, "ab" * 32, b"\x84tx", b"\xa1record", 5000, ("cd" * 32 + "#0",),
                      171_000, "addr_test1vz")  # fmt: skip
    steps = [
        ("signed", {"tx_id": attempt.tx_id, "address": attempt.address}, attempt),
        ("submitted", {}, None),
        ("included", {"block_height": 42, "block_hash": "ef" * 32, "block_slot": 4200,
                      "block_time": 1767225600}, None),
        ("anchored", {"depth": 3, "anchored_at": "2026-01-01T00:00:10Z"}, None),
    ]  # fmt: skip
    for state, fields, att in steps:
        store.transition(window, state, holder="me", epoch=epoch, lease_seconds=60,
                         fields=fields, attempt=att)  # fmt: skip
        found = store.window(sp, window.seq)
        assert found is not None
        window = found
    return sp, window, attempt


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _reference_export(
    store: Store, sp: Spool, window: Window, attempt: Attempt | None, dest: Path
) -> None:
    """The bundle as before the fast writers: assembler bundle, then per-file completion."""
    write_bundle(export.window_bundle(sp, window, store.window_items(window.id)), str(dest))
    if attempt is not None:
        export.write_receipts(sp, window, attempt, dest)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 34, 67])
def test_manifest_and_leaves_are_the_reference_bytes(store: Store, n: int) -> None:
    sp, window = _sealed(store, _items(n))
    leaves = store.window_rows(window.id)
    bundle = export.window_bundle(sp, window, store.window_items(window.id))
    assert b"".join(export.manifest_parts(sp, window, leaves)) == bundle.manifest_bytes
    assert export.leaves_document(window, leaves) == bundle.leaves_bytes


@pytest.mark.parametrize("n", [1, 2, 3, 35])
def test_export_is_the_reference_bundle(store: Store, n: int, tmp_path: Path) -> None:
    sp, window = _sealed(store, _items(n))
    export.export_window(sp, window, store.window_rows(window.id), None, tmp_path / "new")
    _reference_export(store, sp, window, None, tmp_path / "old")
    assert _tree(tmp_path / "new") == _tree(tmp_path / "old")


@pytest.mark.parametrize("n", [1, 2, 3, 35])
def test_anchored_export_and_single_proofs_are_the_reference(
    store: Store, n: int, tmp_path: Path
) -> None:
    sp, window, attempt = _anchored(store, _items(n))
    leaves = store.window_rows(window.id)
    export.export_window(sp, window, leaves, attempt, tmp_path / "new")
    _reference_export(store, sp, window, attempt, tmp_path / "old")
    reference = _tree(tmp_path / "old")
    assert _tree(tmp_path / "new") == reference
    assert sum(k.startswith("proofs/") for k in reference) == n
    # an export into a folder holding the same bundle with pending proofs completes them
    again = tmp_path / "again"
    export.export_window(sp, window, leaves, None, again)
    export.export_window(sp, window, leaves, attempt, again)
    assert _tree(again) == reference
    # `spool proof`: one file per asked item, the export's bytes; the work folder holds the
    # core and the publish files, never the other proofs
    work = tmp_path / "work" / "window-000001"
    items = store.window_items(window.id)
    for leaf, item in enumerate(items):
        path = export.write_item_proof(store, sp, window, item, leaf, attempt, work)
        rel = path.relative_to(work).as_posix()
        assert path.read_bytes() == reference[rel]
    held = _tree(work)
    assert held == reference
    assert export.tops_path(work).is_file()


def test_single_proof_over_several_blocks_and_broken_caches(store: Store, tmp_path: Path) -> None:
    n = 2 * (1 << BLOCK_BITS) + 3
    items = [NewItem("s", f"f{i}.bin", _d(i)) for i in range(n)]
    sp, window, attempt = _anchored(store, items)
    tree = MerkleTree([i.digest for i in items])
    rows = store.window_items(window.id)
    work = tmp_path / "work" / "window-000001"
    picks = [0, 1, 1023, 1024, 1025, 2047, 2048, n - 2, n - 1]
    for leaf in picks:
        path = export.write_item_proof(store, sp, window, rows[leaf], leaf, attempt, work)
        from anchor.merkle.prooffile import ProofFile

        proof = ProofFile.from_json_bytes(path.read_bytes())
        assert list(proof.path) == tree.proof(leaf) and proof.anchor is not None
    # stale or foreign block tops are rebuilt from the rows
    tops = export.tops_path(work)
    tops.write_bytes(bytes(len(tops.read_bytes())))
    first = work / "proofs"
    before = _tree(first)
    for leaf in picks:
        export.write_item_proof(store, sp, window, rows[leaf], leaf, attempt, work)
    assert _tree(first) == before and tops.read_bytes() != bytes(len(tops.read_bytes()))
    # a missing work folder is written again
    import shutil

    shutil.rmtree(work)
    export.write_item_proof(store, sp, window, rows[5], 5, attempt, work)
    assert (work / "manifest.json").is_file() and (work / "anchor.json").is_file()


def test_record_from_the_core_is_the_bundle_record(store: Store, tmp_path: Path) -> None:
    sp, window = _sealed(store, _items(7))
    files = export.write_core(sp, window, store.window_rows(window.id), tmp_path / "w")
    export.export_window(sp, window, store.window_rows(window.id), None, tmp_path / "full")
    assert (
        files.manifest_sha256
        == hashlib.sha256((tmp_path / "full" / "manifest.json").read_bytes()).digest()
    )
    assert window.root is not None and window.leaf_count is not None
    for seed in (None, SEED):
        plan = record_plan(
            manifest_sha256=files.manifest_sha256,
            manifest_blake2b_256=files.manifest_blake2b_256,
            root=bytes.fromhex(window.root),
            leaf_count=window.leaf_count,
            identity_seed=seed,
        )
        assert plan.body == assemble_record(tmp_path / "full", identity_seed=seed).body
    # the core again: unchanged; a different manifest is refused
    again = export.write_core(sp, window, store.window_rows(window.id), tmp_path / "w")
    assert again == files
    (tmp_path / "w" / "manifest.json").write_bytes(b"{}")
    from anchor.evidence.bundle import OutputConflictError

    with pytest.raises(OutputConflictError):
        export.write_core(sp, window, store.window_rows(window.id), tmp_path / "w")


def test_kind_cache_is_classify() -> None:
    rng = random.Random(309)
    parts = ["a", "B", "junit", "test-", "bom", "sbom", "checksums", "SUMS", "sums", "sigstore",
             "intoto", "dsse", "cdx", "spdx", "tar", "gz", "json", "jsonl", "xml", "XML", "log",
             "txt", "sha256", "zip", "İ", "Σ", "ß", "_checksums", "-checksums", ""]  # fmt: skip
    cache = export._KindCache()
    from anchor.merkle.jcs import quote

    for _ in range(20_000):
        base = "".join(
            rng.choice(parts) + (rng.choice([".", "", "_", "-"])) for _ in range(rng.randint(1, 4))
        )
        name = rng.choice(["", "dir/", "0000000001/src/"]) + (base or "x")
        c = classify(name, None, size=0)
        assert cache(name) == (quote(c.kind), quote(c.media_type)), name
