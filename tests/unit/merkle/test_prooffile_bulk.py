"""Bulk proof-file encoding: identical bytes to ProofFile, and a guard against format drift."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from anchor.merkle import prooffile
from anchor.merkle.prooffile import ProofFile, ProofFileError, encode_tree_proofs
from anchor.merkle.tree import MerkleTree

Entry = tuple[str, bytes]

NAMES = (
    "a.bin",
    'q"uote\\back\nslash',
    "del\x7f",
    "sep\u2028\u2029",
    "émoji\U0001f600",
    "ctl\x01\x1f",
)


def _items(count: int) -> list[Entry]:
    names = sorted(
        (NAMES[i] + f"-{i}" if i < len(NAMES) else f"d{i % 5}/f{i:05d}" for i in range(count)),
        key=lambda n: n.encode("utf-8"),
    )
    return [(name, hashlib.sha256(name.encode()).digest()) for name in names]


def reference_proof(item: Entry, tree: MerkleTree, path: Sequence[bytes], index: int) -> bytes:
    return ProofFile(item[0], item[1], index, tree.size, tuple(path), tree.root).to_json_bytes()


@pytest.mark.parametrize("count", [1, 2, 3, 7, 1025, 1300])
def test_bulk_bytes_equal_proof_file_bytes(count: int) -> None:
    items = _items(count)
    tree = MerkleTree([digest for _, digest in items])
    got = list(encode_tree_proofs(items, tree))
    assert len(got) == count
    for i, (item, data) in enumerate(zip(items, got, strict=True)):
        assert data == reference_proof(item, tree, tree.proof(i), i), item[0]
        parsed = ProofFile.from_json_bytes(data)
        assert (parsed.name, parsed.leaf_index, parsed.tree_size) == (item[0], i, count)
        assert parsed.verify(item[1], root=tree.root)


def test_a_format_change_is_detected_and_the_reference_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = _items(5)
    tree = MerkleTree([digest for _, digest in items])
    real = ProofFile.to_json_bytes

    def changed(self: ProofFile) -> bytes:  # e.g. a future version adds a key
        return real(self)[:-1] + b',"zz":1}'

    monkeypatch.setattr(ProofFile, "to_json_bytes", changed)
    got = list(encode_tree_proofs(items, tree))
    assert all(data.endswith(b',"zz":1}') for data in got)
    assert got == [reference_proof(item, tree, tree.proof(i), i) for i, item in enumerate(items)]


def test_bulk_path_is_taken_when_the_format_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    items = _items(40)
    tree = MerkleTree([digest for _, digest in items])
    calls: list[str] = []
    real = prooffile._reference_proof

    def counting(
        name: str, digest: bytes, index: int, tree: MerkleTree, path: Sequence[bytes]
    ) -> bytes:
        calls.append(name)
        return real(name, digest, index, tree, path)

    monkeypatch.setattr(prooffile, "_reference_proof", counting)
    list(encode_tree_proofs(items, tree))
    assert calls == [items[0][0], items[-1][0]]  # only the guard


def test_items_proof_file_refuses_raise_its_error() -> None:
    bad = ("bad\x00name", bytes(32))
    items = [_items(1)[0], bad]
    tree = MerkleTree([bytes(32), bytes(32)])
    with pytest.raises(ProofFileError, match="NUL"):
        list(encode_tree_proofs(items, tree))


def test_one_item_per_leaf_is_required() -> None:
    with pytest.raises(ValueError, match="one item per leaf"):
        encode_tree_proofs(_items(2), MerkleTree([bytes(32)]))
