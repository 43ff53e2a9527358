"""Merkle vectors (VECTORS.md rows 12-15): rfc9162-sha256 roots, inclusion proofs, leaves-list.

Params are built when the tests are collected (one test id per vector, id = the vector's
name) from the folder ``l309_data_dir()`` finds; each test then reads its vector through the
``l309_data`` fixture. Without the data folder every test here is one skipped param with the
reason, never a pass.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from anchor.merkle.leaves import (
    LeavesListError,
    encode_leaves_list,
    parse_leaves_list,
    parse_leaves_list_tree,
)
from anchor.merkle.tree import (
    MerkleTree,
    root_from_proof,
    root_of,
    verify_inclusion,
)
from tests.conftest import FETCH_HINT, l309_data_dir

ROOT_KAT = "merkle/rfc9162-sha256-root-kat.json"
INCLUSION_KAT = "merkle/rfc9162-sha256-inclusion-proof-kat.json"
LEAVES_KAT = "merkle/leaves-list-kat.json"
LEAVES_NEGATIVE = "merkle/leaves-list-negative.json"


@functools.cache
def _doc(root: Path, rel: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((root / "conformance" / rel).read_text(encoding="utf-8"))
    return doc


def _absent() -> list[Any]:
    reason = f"Label 309 vectors not found ({FETCH_HINT})"
    return [pytest.param(None, id="vectors-absent", marks=pytest.mark.skip(reason=reason))]


def _names(rel: str) -> list[Any]:
    """One param per vector of ``rel`` (its name), read at collection time."""
    root = l309_data_dir()
    if root is None:
        return _absent()
    return [pytest.param(v["name"], id=v["name"]) for v in _doc(root, rel)["vectors"]]


def _inclusion_cases() -> list[Any]:
    """One param per (tree, leaf index) of the inclusion-proof KAT."""
    root = l309_data_dir()
    if root is None:
        return _absent()
    return [
        pytest.param((tree["name"], case["index"]), id=f"{tree['name']}/index-{case['index']}")
        for tree in _doc(root, INCLUSION_KAT)["trees"]
        for case in tree["inclusions"]
    ]


def _vector(l309_data: Path, rel: str, name: str, key: str = "vectors") -> dict[str, Any]:
    matches = [v for v in _doc(l309_data, rel)[key] if v["name"] == name]
    assert len(matches) == 1, f"{rel}: {len(matches)} vectors named {name!r}"
    vector: dict[str, Any] = matches[0]
    return vector


def _hexes(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


@pytest.mark.parametrize("name", _names(ROOT_KAT))
def test_root_kat(l309_data: Path, name: str) -> None:
    vector = _vector(l309_data, ROOT_KAT, name)
    leaves = _hexes(vector["leaves"])
    assert len(leaves) == vector["leaf_count"]
    tree = MerkleTree(leaves)
    assert tree.size == vector["leaf_count"]
    assert tree.root.hex() == vector["root"]
    assert root_of(leaves).hex() == vector["root"]


@pytest.mark.parametrize("case", _inclusion_cases())
def test_inclusion_proof_kat(l309_data: Path, case: tuple[str, int]) -> None:
    tree_name, index = case
    doc_tree = _vector(l309_data, INCLUSION_KAT, tree_name, key="trees")
    (inclusion,) = [c for c in doc_tree["inclusions"] if c["index"] == index]
    leaves = _hexes(doc_tree["leaves"])
    size = doc_tree["tree_size"]
    root = bytes.fromhex(doc_tree["root"])
    leaf = bytes.fromhex(inclusion["leaf"])
    expected = _hexes(inclusion["proof"])
    assert leaves[index] == leaf
    assert len(leaves) == size

    tree = MerkleTree(leaves)
    assert tree.root == root
    # generation: single proof and the bulk generator agree with the pinned bytes
    assert tree.proof(index) == expected
    assert list(tree.iter_proofs())[index] == expected
    # verification
    assert root_from_proof(leaf, index, size, expected) == root
    assert verify_inclusion(leaf, index, size, expected, root) is True
    if expected:
        tampered = [expected[0][:-1] + bytes([expected[0][-1] ^ 1]), *expected[1:]]
        assert verify_inclusion(leaf, index, size, tampered, root) is False


@pytest.mark.parametrize("name", _names(LEAVES_KAT))
def test_leaves_list_encode_kat(l309_data: Path, name: str) -> None:
    vector = _vector(l309_data, LEAVES_KAT, name)
    leaves = _hexes(vector["leaves"])
    root = bytes.fromhex(vector["root"])
    assert encode_leaves_list(leaves, leaf_alg=None).hex() == vector["cbor_hex_no_leaf_alg"]
    assert (
        encode_leaves_list(leaves, root=root, leaf_alg=None).hex()
        == (vector["cbor_hex_no_leaf_alg"])
    )
    with_alg = encode_leaves_list(leaves, leaf_alg=vector["leaf_alg"])
    assert with_alg.hex() == vector["cbor_hex_with_leaf_alg"]
    assert encode_leaves_list(leaves).hex() == vector["cbor_hex_with_leaf_alg"]


@pytest.mark.parametrize("name", _names(LEAVES_KAT))
def test_leaves_list_parse_kat(l309_data: Path, name: str) -> None:
    vector = _vector(l309_data, LEAVES_KAT, name)
    leaves = tuple(_hexes(vector["leaves"]))
    for key, leaf_alg in (("cbor_hex_no_leaf_alg", None), ("cbor_hex_with_leaf_alg", "sha2-256")):
        data = bytes.fromhex(vector[key])
        parsed = parse_leaves_list(
            data,
            expected_alg="rfc9162-sha256",
            expected_root=bytes.fromhex(vector["root"]),
            expected_leaf_count=vector["leaf_count"],
        )
        assert parsed.root.hex() == vector["root"]
        assert parsed.leaves == leaves
        assert parsed.leaf_count == vector["leaf_count"]
        assert parsed.tree_alg == "rfc9162-sha256"
        assert parsed.leaf_alg == leaf_alg
        # encode(decode(cbor)) == cbor
        assert encode_leaves_list(parsed.leaves, leaf_alg=parsed.leaf_alg) == data


@pytest.mark.parametrize("name", _names(LEAVES_NEGATIVE))
def test_leaves_list_negative(l309_data: Path, name: str) -> None:
    vector = _vector(l309_data, LEAVES_NEGATIVE, name)
    data = bytes.fromhex(vector["cbor_hex"])
    with pytest.raises(LeavesListError) as caught:
        parse_leaves_list(data)
    assert caught.value.code == vector["expected_error_code"]
    with pytest.raises(LeavesListError) as caught_tree:
        parse_leaves_list_tree(data)
    assert caught_tree.value.code == vector["expected_error_code"]
