"""Leaves-list document: round trip, fast path == canonical encoder, every decode decision (ADR 0003)."""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest

from anchor.errors import Label309Error
from anchor.label309 import cbor
from anchor.merkle import leaves as leaves_module
from anchor.merkle.leaves import (
    FORMAT_V1,
    LeavesList,
    LeavesListError,
    encode_leaves_list,
    looks_like_tlog_checkpoint,
    parse_leaves_list,
    parse_leaves_list_tree,
)
from anchor.merkle.tree import MerkleError, MerkleTree, root_of

MALFORMED = "SCHEMA_MERKLE_LEAVES_MALFORMED"
FORMAT_UNSUPPORTED = "SCHEMA_MERKLE_LEAVES_FORMAT_UNSUPPORTED"
COUNT_MISMATCH = "SCHEMA_MERKLE_LEAF_COUNT_MISMATCH"
ROOT_MISMATCH = "MERKLE_ROOT_MISMATCH"
UNSUPPORTED = "MERKLE_UNSUPPORTED"


def random_leaves(n: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed + n)
    return [rng.randbytes(32) for _ in range(n)]


def fields(leaves: list[bytes], **overrides: Any) -> dict[Any, Any]:
    doc: dict[Any, Any] = {
        "format": FORMAT_V1,
        "tree_alg": "rfc9162-sha256",
        "root": root_of(leaves),
        "leaves": leaves,
        "leaf_count": len(leaves),
    }
    for key, value in overrides.items():
        if value is ...:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


def code_of(data: bytes, **expected: Any) -> str:
    with pytest.raises(LeavesListError) as caught:
        parse_leaves_list(data, **expected)
    return caught.value.code


@pytest.mark.parametrize("n", [1, 2, 3, 100, 255, 256, 257, 1024, 1500])
@pytest.mark.parametrize("leaf_alg", [None, "sha2-256"])
def test_round_trip(n: int, leaf_alg: str | None) -> None:
    leaves = random_leaves(n)
    data = encode_leaves_list(leaves, leaf_alg=leaf_alg)
    parsed = parse_leaves_list(data)
    assert parsed == LeavesList(
        root=MerkleTree(leaves).root,
        leaves=tuple(leaves),
        leaf_count=n,
        tree_alg="rfc9162-sha256",
        leaf_alg=leaf_alg,
    )
    assert encode_leaves_list(parsed.leaves, root=parsed.root, leaf_alg=parsed.leaf_alg) == data


@pytest.mark.parametrize("n", [1, 2, 255, 256, 257, 1023, 1024, 1025, 3000, 70_000])
@pytest.mark.parametrize("leaf_alg", [None, "sha2-256", "x" * 300])
def test_fast_path_is_byte_identical_to_the_canonical_encoder(n: int, leaf_alg: str | None) -> None:
    leaves = random_leaves(n)
    doc = fields(leaves)
    if leaf_alg is not None:
        doc["leaf_alg"] = leaf_alg
    canonical = cbor.encode(doc)
    small = {k: v for k, v in doc.items() if k != "leaves"}
    assert leaves_module._encode_fast(small, leaves) == canonical
    assert encode_leaves_list(leaves, leaf_alg=leaf_alg) == canonical


def test_encode_key_order_is_canonical() -> None:
    data = encode_leaves_list(random_leaves(2))
    decoded = cbor.decode(data)
    assert list(decoded) == ["root", "format", "leaves", "leaf_alg", "tree_alg", "leaf_count"]


def test_encode_uses_the_given_root_and_computes_a_missing_one() -> None:
    leaves = random_leaves(5)
    assert encode_leaves_list(leaves) == encode_leaves_list(leaves, root=root_of(leaves))
    with pytest.raises(MerkleError, match="root must be 32 bytes, got 31"):
        encode_leaves_list(leaves, root=b"\x00" * 31)


def test_encode_rejects_bad_leaves() -> None:
    with pytest.raises(MerkleError, match="empty"):
        encode_leaves_list([])
    for n in (3, 600):
        leaves = random_leaves(n)
        leaves[-1] = leaves[-1][:31]
        with pytest.raises(MerkleError, match=f"leaf {n - 1} must be exactly 32 bytes"):
            encode_leaves_list(leaves, root=bytes(32))


@pytest.mark.parametrize("n", [3, 600])
def test_encode_rejects_text_leaves_with_a_given_root(n: int) -> None:
    leaves: list[Any] = random_leaves(n)
    leaves[n - 2] = "x" * 32
    with pytest.raises(MerkleError, match=f"leaf {n - 2} is not bytes but str"):
        encode_leaves_list(leaves, root=bytes(32))
    with pytest.raises(MerkleError, match=f"leaf {n - 2} is not bytes but str"):
        encode_leaves_list(leaves)


def test_parse_returns_the_tree_too() -> None:
    leaves = random_leaves(9)
    parsed, tree = parse_leaves_list_tree(encode_leaves_list(leaves))
    assert tree.root == parsed.root
    assert tree.proof(4) == MerkleTree(leaves).proof(4)


def test_expected_on_chain_values() -> None:
    leaves = random_leaves(4)
    data = encode_leaves_list(leaves)
    root = root_of(leaves)
    ok = parse_leaves_list(
        data, expected_alg="rfc9162-sha256", expected_root=root, expected_leaf_count=4
    )
    assert ok.root == root
    assert code_of(data, expected_alg="sha2-256") == MALFORMED
    assert code_of(data, expected_leaf_count=5) == COUNT_MISMATCH
    assert code_of(data, expected_root=bytes(32)) == ROOT_MISMATCH


def test_step_order_follows_the_standard() -> None:
    leaves = random_leaves(2)
    # format is checked before any other key: wrong format plus a missing key -> unsupported
    assert code_of(cbor.encode(fields(leaves, format="v2", root=...))) == FORMAT_UNSUPPORTED
    # malformed beats count mismatch; count mismatch beats root mismatch
    assert code_of(cbor.encode(fields(leaves, leaf_count=3, root=b"\x00" * 31))) == MALFORMED
    assert code_of(cbor.encode(fields(leaves, leaf_count=3, root=bytes(32)))) == COUNT_MISMATCH
    # a wrong tree_alg is malformed even with the right on-chain count
    assert (
        code_of(cbor.encode(fields(leaves, tree_alg="sha2-256")), expected_leaf_count=9)
        == MALFORMED
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"format": ...}, "missing key 'format'"),
        ({"format": 1}, "format is int, not text"),
        ({"tree_alg": ...}, "missing key 'tree_alg'"),
        ({"tree_alg": b"rfc9162-sha256"}, "tree_alg is bytes, not text"),
        ({"root": ...}, "missing key 'root'"),
        ({"root": "00" * 32}, "root must be a 32-byte byte string"),
        ({"root": b"\x00" * 33}, "root must be a 32-byte byte string"),
        ({"leaves": ...}, "missing key 'leaves'"),
        ({"leaves": b"\x00" * 32}, "leaves is bytes, not an array"),
        ({"leaves": [], "leaf_count": 0}, "leaves is empty"),
        ({"leaves": [b"\x00" * 32, "x"]}, "leaves[1] must be a 32-byte byte string"),
        ({"leaf_count": ...}, "missing key 'leaf_count'"),
        ({"leaf_count": True}, "leaf_count is bool, not an unsigned integer"),
        ({"leaf_count": -2}, "leaf_count -2 is outside 1..4294967295"),
        ({"leaf_count": 0}, "leaf_count 0 is outside 1..4294967295"),
        ({"leaf_count": 2**32}, "leaf_count 4294967296 is outside 1..4294967295"),
        ({"leaf_count": "2"}, "leaf_count is str, not an unsigned integer"),
        ({"leaf_alg": 256}, "leaf_alg is int, not text"),
        ({"leaf_alg": None}, "leaf_alg is null, not text"),
        ({"tree_alg": "rfc6962-sha256"}, "unregistered tree_alg 'rfc6962-sha256'"),
        ({"extra": 1}, "unknown key 'extra'"),
        ({1: "one"}, "unknown key 1"),
    ],
)
def test_malformed_container(overrides: dict[Any, Any], message: str) -> None:
    leaves = random_leaves(2)
    doc = fields(leaves)
    for key, value in overrides.items():
        if value is ...:
            del doc[key]
        else:
            doc[key] = value
    with pytest.raises(LeavesListError) as caught:
        parse_leaves_list(cbor.encode(doc))
    assert caught.value.code == MALFORMED
    assert caught.value.diagnostics() == f"{MALFORMED}: leaves-list: {message}"


@pytest.mark.parametrize("value", ["sha2-256", "blake2b-256", "", "anything at all ✓"])
def test_any_text_leaf_alg_is_accepted(value: str) -> None:
    leaves = random_leaves(3)
    parsed = parse_leaves_list(cbor.encode(fields(leaves, leaf_alg=value)))
    assert parsed.leaf_alg == value


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xa5",  # truncated map
        bytes.fromhex("a1616101") + b"\x00",  # trailing byte
        bytes.fromhex("bf616101ff"),  # indefinite map
        bytes.fromhex("a2616201616102"),  # unsorted keys
        b"not cbor at all, and not a checkpoint\n",
    ],
)
def test_not_canonical_cbor_is_malformed(data: bytes) -> None:
    assert code_of(data) == MALFORMED


def test_non_shortest_leaf_count_is_malformed() -> None:
    data = encode_leaves_list(random_leaves(2))
    assert data.endswith(b"\x02")
    assert code_of(data[:-1] + b"\x18\x02") == MALFORMED


def test_non_map_top_levels() -> None:
    for value in ([1, 2], "text", 5, None, b"\x00" * 32):
        assert code_of(cbor.encode(value)) == MALFORMED


def checkpoint(size: str = "4") -> bytes:
    root_b64 = base64.b64encode(bytes(range(32))).decode()
    body = f"example.com/log\n{size}\n{root_b64}\n\n— example.com/log Az3grlgAAAAB\n"
    return body.encode()


def test_tlog_checkpoint_is_merkle_unsupported() -> None:
    assert looks_like_tlog_checkpoint(checkpoint())
    assert code_of(checkpoint()) == UNSUPPORTED
    with pytest.raises(LeavesListError) as caught:
        parse_leaves_list(checkpoint())
    assert caught.value.diagnostics() == (
        f"{UNSUPPORTED}: leaves-list: a C2SP tlog checkpoint; tlog-tiles are not supported"
    )


@pytest.mark.parametrize(
    "data",
    [
        checkpoint(size="04"),  # leading zero
        checkpoint(size="x"),
        checkpoint().replace(b"AAECAwQF", b"!!ECAwQF"),  # not base64
        b"example.com/log\n4\n" + base64.b64encode(bytes(31)) + b"\n",  # 31-byte hash
        b"example.com/log\n4\n" + base64.b64encode(bytes(32)),  # no newline after the hash
        b" example.com/log\n4\n" + base64.b64encode(bytes(32)) + b"\n",
        b"\xff\xfe" + checkpoint(),  # not UTF-8
    ],
)
def test_not_quite_a_checkpoint_is_malformed(data: bytes) -> None:
    assert looks_like_tlog_checkpoint(data) is False
    assert code_of(data) == MALFORMED


def test_errors_are_label309_errors() -> None:
    with pytest.raises(LeavesListError) as caught:
        parse_leaves_list(b"\x80")
    assert isinstance(caught.value, Label309Error)
    assert caught.value.exit_code == 4
    assert caught.value.diagnostics().startswith(f"{MALFORMED}: leaves-list: ")
