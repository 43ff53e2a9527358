"""Bulk proof-file encoding: identical bytes to ProofFile, and a guard against format drift."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from anchor.evidence import proofs
from anchor.evidence.manifest import Item
from anchor.evidence.proofs import encode_proof_files, reference_proof
from anchor.merkle.prooffile import ProofFile, ProofFileError
from anchor.merkle.tree import MerkleTree

NAMES = (
    "a.bin",
    'q"uote\\back\nslash',
    "del\x7f",
    "sep\u2028\u2029",
    "émoji\U0001f600",
    "ctl\x01\x1f",
)


def _items(count: int) -> list[Item]:
    names = sorted(
        (NAMES[i] + f"-{i}" if i < len(NAMES) else f"d{i % 5}/f{i:05d}" for i in range(count)),
        key=lambda n: n.encode("utf-8"),
    )
    return [
        Item(
            name,
            "artifact",
            "application/octet-stream",
            i,
            hashlib.sha256(name.encode()).digest(),
            i,
        )
        for i, name in enumerate(names)
    ]


@pytest.mark.parametrize("count", [1, 2, 3, 7, 1025, 1300])
def test_bulk_bytes_equal_proof_file_bytes(count: int) -> None:
    items = _items(count)
    tree = MerkleTree([item.sha256 for item in items])
    got = list(encode_proof_files(items, tree))
    assert len(got) == count
    for i, (item, data) in enumerate(zip(items, got, strict=True)):
        assert data == reference_proof(item, tree, tree.proof(i)), item.name
        parsed = ProofFile.from_json_bytes(data)
        assert (parsed.name, parsed.leaf_index, parsed.tree_size) == (item.name, i, count)
        assert parsed.verify(item.sha256, root=tree.root)


def test_a_format_change_is_detected_and_the_reference_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = _items(5)
    tree = MerkleTree([item.sha256 for item in items])
    real = ProofFile.to_json_bytes

    def changed(self: ProofFile) -> bytes:  # e.g. a future version adds a key
        return real(self)[:-1] + b',"zz":1}'

    monkeypatch.setattr(ProofFile, "to_json_bytes", changed)
    got = list(encode_proof_files(items, tree))
    assert all(data.endswith(b',"zz":1}') for data in got)
    assert got == [reference_proof(item, tree, tree.proof(i)) for i, item in enumerate(items)]


def test_bulk_path_is_taken_when_the_format_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    items = _items(40)
    tree = MerkleTree([item.sha256 for item in items])
    calls: list[str] = []
    real = proofs.reference_proof

    def counting(item: Item, tree: MerkleTree, path: Sequence[bytes]) -> bytes:
        calls.append(item.name)
        return real(item, tree, path)

    monkeypatch.setattr(proofs, "reference_proof", counting)
    list(encode_proof_files(items, tree))
    assert calls == [items[0].name, items[-1].name]  # only the guard


def test_items_proof_file_refuses_raise_its_error() -> None:
    bad = Item("bad\x00name", "artifact", "application/octet-stream", 0, bytes(32), 1)
    items = [_items(1)[0], bad]
    tree = MerkleTree([bytes(32), bytes(32)])
    with pytest.raises(ProofFileError, match="NUL"):
        list(encode_proof_files(items, tree))


def test_one_item_per_leaf_is_required() -> None:
    with pytest.raises(ValueError, match="one item per leaf"):
        encode_proof_files(_items(2), MerkleTree([bytes(32)]))
