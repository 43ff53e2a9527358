"""The rfc9162-sha256 tree against an independent recursive reference, proofs, verification."""

from __future__ import annotations

import random
from hashlib import sha256

import pytest

from anchor.errors import EXIT_INPUT, AnchorError, InputError
from anchor.merkle.tree import (
    InclusionCheck,
    MerkleError,
    MerkleTree,
    check_inclusion,
    leaf_hash,
    node_hash,
    proof_length,
    root_from_proof,
    root_of,
    verify_inclusion,
)


# --- reference: RFC 9162 §2.1.1 written directly from the definition (recursive split) ---
def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return sha256(b"\x00" + leaves[0]).digest()
    k = _k(len(leaves))
    return sha256(b"\x01" + ref_mth(leaves[:k]) + ref_mth(leaves[k:])).digest()


def ref_path(i: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _k(len(leaves))
    if i < k:
        return [*ref_path(i, leaves[:k]), ref_mth(leaves[k:])]
    return [*ref_path(i - k, leaves[k:]), ref_mth(leaves[:k])]


def random_leaves(n: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed * 100_003 + n)
    return [rng.randbytes(32) for _ in range(n)]


def flip(value: bytes, at: int = 0) -> bytes:
    return value[:at] + bytes([value[at] ^ 0x80]) + value[at + 1 :]


@pytest.mark.parametrize("n", range(1, 71))
def test_root_and_every_proof_match_the_reference(n: int) -> None:
    leaves = random_leaves(n)
    tree = MerkleTree(leaves)
    expected_root = ref_mth(leaves)
    assert tree.size == n
    assert tree.root == expected_root
    assert root_of(leaves) == expected_root
    bulk = list(tree.iter_proofs())
    assert len(bulk) == n
    for i in range(n):
        expected = ref_path(i, leaves)
        assert tree.proof(i) == expected
        assert bulk[i] == expected
        assert proof_length(i, n) == len(expected)
        assert verify_inclusion(leaves[i], i, n, expected, expected_root) is True
        assert root_from_proof(leaves[i], i, n, expected) == expected_root


@pytest.mark.parametrize("n", [1023, 1024, 1025, 2048 + 3, 3 * 1024, 5000])
def test_bulk_proofs_across_block_boundaries(n: int) -> None:
    leaves = random_leaves(n, seed=1)
    tree = MerkleTree(leaves)
    assert tree.root == ref_mth(leaves)
    bulk = list(tree.iter_proofs())
    assert bulk == [tree.proof(i) for i in range(n)]
    for i in sorted({0, 1, 511, 1022, 1023, n // 2, n - 2, n - 1} & set(range(n))):
        assert bulk[i] == ref_path(i, leaves)


def test_bulk_proofs_are_fresh_lists() -> None:
    tree = MerkleTree(random_leaves(2048, seed=2))
    proofs = list(tree.iter_proofs())
    proofs[0].append(b"x" * 32)
    proofs[1].clear()
    assert list(tree.iter_proofs())[:2] == [tree.proof(0), tree.proof(1)]
    assert all(type(p) is list for p in proofs)


def test_single_leaf_tree() -> None:
    d = bytes(range(32))
    tree = MerkleTree([d])
    assert tree.root == sha256(b"\x00" + d).digest() == leaf_hash(d)
    assert tree.root != d
    assert tree.height == 0
    assert tree.proof(0) == []
    assert list(tree.iter_proofs()) == [[]]
    assert verify_inclusion(d, 0, 1, [], tree.root) is True
    assert verify_inclusion(d, 0, 1, [], d) is False
    assert verify_inclusion(d, 0, 1, [tree.root], tree.root) is False


def test_domain_separated_hashes() -> None:
    left, right = b"\x11" * 32, b"\x22" * 32
    assert leaf_hash(left) == sha256(b"\x00" + left).digest()
    assert node_hash(left, right) == sha256(b"\x01" + left + right).digest()
    assert MerkleTree([left, right]).root == node_hash(leaf_hash(left), leaf_hash(right))


def test_leaf_hash_and_accessors() -> None:
    leaves = random_leaves(5)
    tree = MerkleTree(leaves)
    assert [tree.leaf_hash(i) for i in range(5)] == [leaf_hash(d) for d in leaves]
    assert tree.height == 3
    assert repr(tree) == f"MerkleTree(size=5, root={tree.root.hex()})"


def test_bytes_like_leaves_are_accepted() -> None:
    leaves = random_leaves(6)
    mixed: list[bytes] = [leaves[0], bytearray(leaves[1]), memoryview(leaves[2]), *leaves[3:]]  # type: ignore[list-item]
    assert MerkleTree(mixed).root == MerkleTree(leaves).root
    assert root_of(tuple(leaves)) == MerkleTree(leaves).root


@pytest.mark.parametrize("n", [7, 9, 70])
def test_tampered_proof_hash_fails(n: int) -> None:
    leaves = random_leaves(n)
    tree = MerkleTree(leaves)
    for i in range(n):
        proof = tree.proof(i)
        for k in range(len(proof)):
            bad = [*proof[:k], flip(proof[k], k), *proof[k + 1 :]]
            assert verify_inclusion(leaves[i], i, n, bad, tree.root) is False
        assert verify_inclusion(flip(leaves[i]), i, n, proof, tree.root) is False
        assert verify_inclusion(leaves[i], i, n, proof, flip(tree.root, 31)) is False
        assert verify_inclusion(leaves[i], i, n, proof[:-1], tree.root) is False
        assert verify_inclusion(leaves[i], i, n, [*proof, proof[-1]], tree.root) is False


@pytest.mark.parametrize("n", [2, 7, 16, 33])
def test_wrong_index_fails(n: int) -> None:
    leaves = random_leaves(n)
    tree = MerkleTree(leaves)
    for i in range(n):
        proof = tree.proof(i)
        for j in range(-1, n + 2):
            if j != i:
                assert verify_inclusion(leaves[i], j, n, proof, tree.root) is False


def test_wrong_tree_size_fails_when_the_shape_differs() -> None:
    # RFC 9162 proofs bind the size through the proof shape: a size giving a different
    # proof length or fold fails (the verifier also checks tree_size == on-chain leaf_count).
    leaves = random_leaves(7)
    tree = MerkleTree(leaves)
    proof = tree.proof(6)
    for size in (0, 1, 6, 8, 9, 16, 2**32):
        assert verify_inclusion(leaves[6], 6, size, proof, tree.root) is False
    proof4 = tree.proof(4)
    assert verify_inclusion(leaves[4], 4, 6, proof4, tree.root) is False
    assert verify_inclusion(leaves[4], 4, 5, proof4, tree.root) is False
    # Same shape, same fold: leaf 4 has the same path in trees of 7 and 8 leaves (RFC 9162
    # property), which is why callers must compare tree_size with the committed leaf_count.
    assert verify_inclusion(leaves[4], 4, 8, proof4, tree.root) is True


def test_proof_length_values() -> None:
    assert proof_length(0, 1) == 0
    assert [proof_length(i, 7) for i in range(7)] == [3, 3, 3, 3, 3, 3, 2]
    assert [proof_length(i, 5) for i in range(5)] == [3, 3, 3, 3, 1]
    assert proof_length(2**32 - 2, 2**32 - 1) == 31
    assert proof_length(0, 2**32 - 1) == 32
    with pytest.raises(MerkleError):
        proof_length(5, 5)
    with pytest.raises(MerkleError):
        proof_length(0, 0)


def test_empty_tree_is_forbidden() -> None:
    with pytest.raises(MerkleError, match="empty Merkle tree"):
        MerkleTree([])
    with pytest.raises(MerkleError, match="empty Merkle tree"):
        root_of([])


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_wrong_leaf_length_names_the_leaf(length: int) -> None:
    leaves = random_leaves(1500)
    leaves[1234] = b"\x01" * length
    with pytest.raises(MerkleError, match=f"leaf 1234 must be exactly 32 bytes, got {length}"):
        MerkleTree(leaves)
    with pytest.raises(MerkleError, match="leaf 1234"):
        root_of(leaves)
    with pytest.raises(MerkleError, match="got 31"):
        leaf_hash(b"\x00" * 31)


def test_non_bytes_leaf_is_rejected() -> None:
    for bad in ("a" * 32, 7, None):
        with pytest.raises(MerkleError, match="leaf 2 is not bytes"):
            MerkleTree([b"\x00" * 32, b"\x01" * 32, bad])  # type: ignore[list-item]


def test_merkle_error_is_an_input_error() -> None:
    with pytest.raises(MerkleError) as caught:
        MerkleTree([])
    assert isinstance(caught.value, InputError)
    assert isinstance(caught.value, AnchorError)
    assert caught.value.exit_code == EXIT_INPUT


def test_proof_index_out_of_range() -> None:
    tree = MerkleTree(random_leaves(3))
    for index in (-1, 3, 100):
        with pytest.raises(MerkleError, match="outside a tree of 3"):
            tree.proof(index)
        with pytest.raises(MerkleError):
            tree.leaf_hash(index)


def test_root_from_proof_raises_on_bad_shape() -> None:
    leaves = random_leaves(7)
    tree = MerkleTree(leaves)
    proof = tree.proof(2)
    with pytest.raises(MerkleError, match="has 3 hashes, got 2"):
        root_from_proof(leaves[2], 2, 7, proof[:2])
    with pytest.raises(MerkleError, match="outside a tree of 7"):
        root_from_proof(leaves[2], 7, 7, proof)
    with pytest.raises(MerkleError, match="tree size"):
        root_from_proof(leaves[2], 0, 0, [])
    with pytest.raises(MerkleError, match="proof hash 1 must be 32 bytes"):
        root_from_proof(leaves[2], 2, 7, [proof[0], proof[1][:31], proof[2]])
    with pytest.raises(MerkleError, match="exactly 32 bytes"):
        root_from_proof(leaves[2][:16], 2, 7, proof)


def test_verify_inclusion_never_raises_on_bad_proof_data() -> None:
    leaves = random_leaves(4)
    tree = MerkleTree(leaves)
    proof = tree.proof(1)
    assert verify_inclusion(leaves[1][:31], 1, 4, proof, tree.root) is False
    assert verify_inclusion(leaves[1], 1, 4, [proof[0][:31], proof[1]], tree.root) is False
    assert verify_inclusion(leaves[1], 1, 4, proof, tree.root[:31]) is False
    assert verify_inclusion(leaves[1], 1, 2**32, proof, tree.root) is False


def test_check_inclusion_reasons() -> None:
    leaves = random_leaves(7)
    tree = MerkleTree(leaves)
    proof = tree.proof(3)
    assert check_inclusion(leaves[3], 3, 7, proof, tree.root) == InclusionCheck(True, "", tree.root)
    assert check_inclusion(leaves[3], 9, 7, proof, tree.root) == InclusionCheck(
        False, "leaf index 9 is outside a tree of 7", None
    )
    short = check_inclusion(leaves[3], 3, 7, proof[:2], tree.root)
    assert short.reason == "the proof has 2 hashes; leaf 3 of a 7-leaf tree needs 3"
    wrong = check_inclusion(leaves[4], 3, 7, proof, tree.root)
    assert wrong.ok is False
    assert wrong.computed_root is not None
    assert wrong.reason == (
        f"the proof leads to root {wrong.computed_root.hex()}, not {tree.root.hex()}"
    )
    with pytest.raises(MerkleError, match="tree size"):
        check_inclusion(leaves[3], 0, 0, [], tree.root)
    with pytest.raises(MerkleError, match="negative"):
        check_inclusion(leaves[3], -1, 7, proof, tree.root)
    with pytest.raises(MerkleError, match="root must be 32 bytes"):
        check_inclusion(leaves[3], 3, 7, proof, tree.root[:5])


def test_build_hashes_each_node_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import anchor.merkle.tree as tree_module

    calls = 0
    real = sha256

    def counting(data: bytes = b"") -> object:
        nonlocal calls
        calls += 1
        return real(data)

    monkeypatch.setattr(tree_module, "sha256", counting)
    n = 3000
    tree = MerkleTree(random_leaves(n, seed=3))
    assert calls == 2 * n - 1
    calls = 0
    proofs = list(tree.iter_proofs())
    tree.proof(n - 1)
    assert calls == 0
    assert len(proofs) == n
