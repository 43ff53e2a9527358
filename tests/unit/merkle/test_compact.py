"""The memory-compact forms of a leaves-list: cbor.PackedDigests and MerkleTree(compact=True).

Both must be indistinguishable from the plain forms: the same leaves, lookups, root,
height, leaf hashes and every inclusion proof, across block edges (1024-leaf blocks).
"""

from __future__ import annotations

from hashlib import sha256

import pytest

from anchor.label309 import cbor
from anchor.merkle.leaves import encode_leaves_list, parse_leaves_list, parse_leaves_list_tree
from anchor.merkle.tree import MerkleTree


def _leaves(n: int) -> list[bytes]:
    return [sha256(i.to_bytes(4, "big")).digest() for i in range(n)]


@pytest.mark.parametrize("n", [1, 2, 3, 1024, 1025, 1537, 2048, 3073])
def test_compact_tree_equals_full_tree(n: int) -> None:
    leaves = _leaves(n)
    full, compact = MerkleTree(leaves), MerkleTree(leaves, compact=True)
    assert (compact.root, compact.size, compact.height) == (full.root, full.size, full.height)
    for i in range(n):
        assert compact.proof(i) == full.proof(i)
        assert compact.leaf_hash(i) == full.leaf_hash(i)
    assert list(compact.iter_proofs()) == list(full.iter_proofs())


def test_parsed_leaves_are_packed_and_equal() -> None:
    leaves = _leaves(1500)
    doc = encode_leaves_list(leaves)
    parsed, tree = parse_leaves_list_tree(doc)
    assert isinstance(parsed.leaves, cbor.PackedDigests)
    assert parsed.leaves == tuple(leaves) and tuple(leaves) == parsed.leaves
    assert list(parsed.leaves) == leaves and parsed.leaves[-1] == leaves[-1]
    assert parsed.leaves[1020:1030] == leaves[1020:1030]
    assert parsed.leaves.index(leaves[1234]) == 1234
    assert tree.proof(1234) == MerkleTree(leaves).proof(1234)
    assert encode_leaves_list(parsed.leaves, root=parsed.root) == doc


def test_packed_index_only_matches_whole_aligned_leaves() -> None:
    # a digest straddling two leaves is in the bytes but is not a leaf
    leaves = _leaves(300)
    packed = parse_leaves_list(encode_leaves_list(leaves)).leaves
    straddle = leaves[5][16:] + leaves[6][:16]
    with pytest.raises(ValueError):
        packed.index(straddle)
    assert straddle not in packed and leaves[299] in packed
    assert packed.index(leaves[7], 7) == 7
    with pytest.raises(ValueError):
        packed.index(leaves[7], 8)


def test_pack_digests_changes_nothing_but_the_type() -> None:
    digests = _leaves(40)
    doc = cbor.encode({"a": digests, "b": [digests[0], b"x"], "c": [[digests[0]]]})
    plain, packed = cbor.decode(doc), cbor.decode(doc, pack_digests=True)
    assert isinstance(packed["a"], cbor.PackedDigests) and packed["a"] == plain["a"]
    assert type(packed["b"]) is list and packed["b"] == plain["b"]
    assert type(packed["c"][0]) is list
    # the item budget is spent the same: one item short fails either way, at the same byte
    items = 1 + 3 + (1 + 40) + (1 + 2) + (1 + 1 + 1)  # map, keys, a, b, c
    for pack in (False, True):
        cbor.decode(doc, max_items=items, pack_digests=pack)
        with pytest.raises(cbor.CborError) as caught:
            cbor.decode(doc, max_items=items - 1, pack_digests=pack)
        assert caught.value.code == cbor.MALFORMED_CBOR
    # a leaf head that is not minimal stays an error, with the same message
    bad = doc.replace(b"\x58\x20" + digests[3], b"\x59\x00\x20" + digests[3])
    with pytest.raises(cbor.CborError) as one:
        cbor.decode(bad)
    with pytest.raises(cbor.CborError) as two:
        cbor.decode(bad, pack_digests=True)
    assert str(one.value) == str(two.value)
