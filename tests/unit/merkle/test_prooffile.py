"""Per-item proof files: round trip, deterministic bytes, strict parsing, verification."""

from __future__ import annotations

import dataclasses
import json
from hashlib import sha256
from typing import Any

import pytest

from anchor.errors import InputError
from anchor.merkle.prooffile import AnchorInfo, ProofFile, ProofFileError
from anchor.merkle.tree import MerkleError, MerkleTree

CONTENTS = [b"app-1.0.tgz contents", b"sbom", b"log"]
DIGESTS = [sha256(c).digest() for c in CONTENTS]
TREE = MerkleTree(DIGESTS)
TX = bytes.fromhex("ab" * 32)
BLOCK = bytes.fromhex("cd" * 32)

# docs/proof-file.md shows these exact bytes.
PINNED = (
    b'{"format":"evidence-anchor-proof-v1","item":{"name":"dist/app-1.0.tgz","sha2-256":'
    b'"836ff184e7b41b1e13cb5fd89fa1de98dbbab99e9d2918913ff43b86a5c7c213"},"leaf_index":2,'
    b'"path":["0f9cf807e32571ce5d85eeabdf51ec26c067a2cefd32d128039f5112f583ce7f"],'
    b'"root":"cd6e0c37d05d97ba27ae2c0941f2f4f75d8b760748cc31e06434025c45bf5c35",'
    b'"tree_alg":"rfc9162-sha256","tree_size":3}'
)
PINNED_ANCHOR = (
    b'{"anchor":{"block_hash":"' + b"cd" * 32 + b'","block_height":3141592,'
    b'"block_time":1767225600,"network":"preprod","slot":112233445,"tx_hash":"'
    + b"ab" * 32
    + b'"},'
    + PINNED[1:]
)


def proof(index: int = 2, name: str = "dist/app-1.0.tgz") -> ProofFile:
    return ProofFile.from_tree(TREE, index, name=name, digest=DIGESTS[index])


def anchored() -> ProofFile:
    return proof().with_anchor(
        network="preprod",
        tx_hash=TX,
        block_height=3141592,
        block_time=1767225600,
        block_hash=BLOCK,
        slot=112233445,
    )


def test_pinned_bytes() -> None:
    assert proof().to_json_bytes() == PINNED
    assert anchored().to_json_bytes() == PINNED_ANCHOR


def test_determinism_same_input_same_bytes() -> None:
    first = proof().to_json_bytes()
    built = ProofFile(
        name="dist/app-1.0.tgz",
        digest=DIGESTS[2],
        leaf_index=2,
        tree_size=3,
        path=list(TREE.proof(2)),  # type: ignore[arg-type]
        root=TREE.root,
    )
    assert built == proof()
    assert built.to_json_bytes() == first
    assert ProofFile.from_json_bytes(first).to_json_bytes() == first
    pretty = json.dumps(json.loads(first), indent=2).encode()
    assert ProofFile.from_json_bytes(pretty).to_json_bytes() == first


@pytest.mark.parametrize("n", range(1, 10))
def test_round_trip_and_verify_every_leaf(n: int) -> None:
    digests = [sha256(bytes([i])).digest() for i in range(n)]
    tree = MerkleTree(digests)
    for i, digest in enumerate(digests):
        original = ProofFile.from_tree(tree, i, name=f"item-{i}", digest=digest)
        for item in (original, original.with_anchor(network="devnet", tx_hash=TX)):
            parsed = ProofFile.from_json_bytes(item.to_json_bytes())
            assert parsed == item
            assert parsed.verify(digest) is True
            assert parsed.verify(digest, root=tree.root) is True
            assert parsed.verify(sha256(b"other").digest()) is False
            assert parsed.verify(digest, root=bytes(32)) is False


def test_single_leaf_proof_with_empty_path_is_valid() -> None:
    tree = MerkleTree([DIGESTS[0]])
    single = ProofFile.from_tree(tree, 0, name="app.tgz", digest=DIGESTS[0])
    assert single.path == ()
    data = single.to_json_bytes()
    assert b'"path":[]' in data
    assert ProofFile.from_json_bytes(data).verify(DIGESTS[0]) is True


def test_with_anchor_optional_facts_are_omitted() -> None:
    minimal = proof().with_anchor(network="mainnet", tx_hash=TX)
    assert minimal.anchor == AnchorInfo("mainnet", TX)
    doc = json.loads(minimal.to_json_bytes())
    assert doc["anchor"] == {"network": "mainnet", "tx_hash": TX.hex()}
    assert proof().anchor is None
    assert "anchor" not in json.loads(proof().to_json_bytes())
    replaced = anchored().with_anchor(network="preview", tx_hash=BLOCK)
    assert replaced.anchor == AnchorInfo("preview", BLOCK)


def test_tampered_claims_fail_verification_not_parsing() -> None:
    good = proof()
    for changed in (
        dataclasses.replace(good, leaf_index=1),
        dataclasses.replace(good, leaf_index=3),
        dataclasses.replace(good, tree_size=2),
        dataclasses.replace(good, tree_size=4),
        dataclasses.replace(good, path=()),
        dataclasses.replace(good, path=(*good.path, good.path[0])),
        dataclasses.replace(good, path=(bytes(32),)),
        dataclasses.replace(good, root=bytes(32)),
    ):
        reparsed = ProofFile.from_json_bytes(changed.to_json_bytes())
        assert reparsed.verify(DIGESTS[2]) is False


def test_from_tree_checks_the_digest() -> None:
    with pytest.raises(MerkleError, match="is not leaf 1"):
        ProofFile.from_tree(TREE, 1, name="x", digest=DIGESTS[2])
    with pytest.raises(MerkleError, match="outside"):
        ProofFile.from_tree(TREE, 3, name="x", digest=DIGESTS[2])


def test_upper_case_hex_is_read_and_written_lower_case() -> None:
    shouted = PINNED.decode().replace(DIGESTS[2].hex(), DIGESTS[2].hex().upper()).encode()
    assert shouted != PINNED
    assert ProofFile.from_json_bytes(shouted).to_json_bytes() == PINNED


def mutate(change: Any) -> bytes:
    doc = json.loads(PINNED_ANCHOR)
    change(doc)
    return json.dumps(doc).encode()


def _set(path: tuple[str, ...], value: Any) -> Any:
    def change(doc: Any) -> None:
        for key in path[:-1]:
            doc = doc[key]
        doc[path[-1]] = value

    return change


def _drop(path: tuple[str, ...]) -> Any:
    def change(doc: Any) -> None:
        for key in path[:-1]:
            doc = doc[key]
        del doc[path[-1]]

    return change


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (mutate(_set(("extra",), 1)), "unknown key 'extra' in the top level"),
        (mutate(_drop(("root",))), "missing key 'root' in the top level"),
        (mutate(_set(("format",), "evidence-anchor-proof-v2")), "format must be"),
        (mutate(_set(("tree_alg",), "sha2-256")), "tree_alg must be 'rfc9162-sha256'"),
        (mutate(_set(("item", "name"), "")), "item.name must be a non-empty string"),
        (mutate(_set(("item", "name"), 5)), "item.name must be a string"),
        (mutate(_set(("item", "size"), 5)), "unknown key 'size' in item"),
        (mutate(_set(("item", "sha2-256"), "ab" * 31)), "item.sha2-256 must be 64 hex digits"),
        (mutate(_set(("item", "sha2-256"), "zz" * 32)), "item.sha2-256 must be 64 hex digits"),
        (mutate(_set(("item",), [])), "item must be a JSON object"),
        (mutate(_set(("leaf_index",), -1)), "leaf_index must be an integer in 0.."),
        (mutate(_set(("leaf_index",), True)), "leaf_index must be an integer"),
        (mutate(_set(("leaf_index",), "2")), "leaf_index must be an integer"),
        (mutate(_set(("tree_size",), 0)), "tree_size must be an integer in 1.."),
        (mutate(_set(("tree_size",), 2**32)), "tree_size must be an integer in 1.."),
        (mutate(_set(("path",), "00" * 32)), "path must be an array"),
        (mutate(_set(("path",), ["00" * 31])), r"path\[0\] must be 64 hex digits"),
        (mutate(_set(("path",), ["00" * 32] * 33)), "path has more than 32 hashes"),
        (mutate(_set(("root",), None)), "root must be 64 hex digits"),
        (mutate(_set(("anchor",), None)), "anchor must be a JSON object"),
        (mutate(_drop(("anchor", "tx_hash"))), "missing key 'tx_hash' in anchor"),
        (mutate(_set(("anchor", "network"), "testnet")), "anchor.network must be one of"),
        (mutate(_set(("anchor", "block_height"), None)), "anchor.block_height must be an integer"),
        (mutate(_set(("anchor", "slot"), -5)), "anchor.slot must be an integer"),
        (mutate(_set(("anchor", "block_hash"), None)), "anchor.block_hash must be 64 hex digits"),
        (mutate(_set(("anchor", "fee"), 1)), "unknown key 'fee' in anchor"),
        (b'{"format":1,"format":2}', "duplicate member name 'format'"),
        (b"[1.5]", "non-integer number"),
        (b"\xef\xbb\xbf{}", "byte-order mark"),
        (b"not json", "not JSON"),
        (b"[]", "the top level must be a JSON object"),
    ],
)
def test_strict_parse_names_the_field(data: bytes, message: str) -> None:
    with pytest.raises(ProofFileError, match=message) as caught:
        ProofFile.from_json_bytes(data)
    assert isinstance(caught.value, InputError)
    assert caught.value.message.startswith("proof file: ")


def test_constructor_validates_fields() -> None:
    with pytest.raises(ProofFileError, match=r"item\.sha2-256 must be 32 bytes"):
        ProofFile("x", b"\x00" * 31, 0, 1, (), bytes(32))
    with pytest.raises(ProofFileError, match="NUL"):
        ProofFile("a\x00b", bytes(32), 0, 1, (), bytes(32))
    with pytest.raises(ProofFileError, match=r"anchor\.tx_hash must be 32 bytes"):
        proof().with_anchor(network="mainnet", tx_hash=b"\x01")
    with pytest.raises(ProofFileError, match=r"anchor\.block_time must be an integer"):
        proof().with_anchor(network="mainnet", tx_hash=TX, block_time=-1)
