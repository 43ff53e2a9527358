"""The ``rfc9162-sha256`` Merkle tree: root, inclusion proofs, verification.

RFC 9162 §2.1.1 defines the tree hash recursively (split at the largest power of two
strictly below ``n``). The same root comes out of a bottom-up build that pairs nodes
left to right and *promotes* a lone last node unchanged to the next level; this module
builds the tree that way, once, storing every level as one contiguous ``bytes`` object
of ``32 * width`` bytes (about ``2n`` hashes in total, ``64 n`` bytes of storage).

An inclusion proof is then read from the stored levels: at each level the sibling of
the node on the leaf's path, skipping levels where that node was promoted. Proofs are
leaf-level sibling first (RFC 9162 §2.1.3.1 order) and empty for a one-leaf tree.

Domain separation is mandatory: leaf hash = SHA-256(0x00 || d), interior node =
SHA-256(0x01 || left || right). Leaves ``d`` are exactly 32 bytes; an empty tree is
forbidden; at most 2^32 - 1 leaves (the standard's ``leaf_count`` range).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from hashlib import sha256

from anchor.errors import InputError

ALG = "rfc9162-sha256"
LEAF_SIZE = 32
HASH_SIZE = 32
MAX_LEAVES = 2**32 - 1
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
CHUNK_BITS = 10  # leaves are checked and hashed in cache-sized chunks of 2**CHUNK_BITS


class MerkleError(InputError):
    """Bad input to the Merkle layer: empty tree, wrong leaf size, bad index or proof shape."""


def leaf_hash(d: bytes) -> bytes:
    """Return SHA-256(0x00 || d) for a 32-byte leaf ``d`` (raises MerkleError otherwise)."""
    if len(d) != LEAF_SIZE:
        raise MerkleError(f"a leaf must be exactly {LEAF_SIZE} bytes, got {len(d)}")
    return sha256(_LEAF_PREFIX + d).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right), the interior-node hash."""
    return sha256(_NODE_PREFIX + left + right).digest()


def proof_length(index: int, tree_size: int) -> int:
    """Number of sibling hashes in the inclusion proof of leaf ``index`` in a tree of ``tree_size``.

    Between 0 (one-leaf tree) and ceil(log2(tree_size)); raises MerkleError when the index is
    outside ``0 <= index < tree_size`` or the size is outside ``1 .. 2^32-1``.
    """
    _check_position(index, tree_size)
    count = 0
    j, last = index, tree_size - 1
    while last:
        if j ^ 1 <= last:
            count += 1
        j >>= 1
        last >>= 1
    return count


def _check_position(index: int, tree_size: int) -> None:
    if not 1 <= tree_size <= MAX_LEAVES:
        raise MerkleError(f"tree size must be between 1 and {MAX_LEAVES}, got {tree_size}")
    if not 0 <= index < tree_size:
        raise MerkleError(f"leaf index {index} is outside a tree of {tree_size} leaves")


def _check_count(leaves: Sequence[bytes]) -> int:
    n = len(leaves)
    if n == 0:
        raise MerkleError("an empty Merkle tree is forbidden: at least one leaf is required")
    if n > MAX_LEAVES:
        raise MerkleError(f"too many leaves: {n} (at most {MAX_LEAVES})")
    return n


def _check_leaves(leaves: Sequence[bytes]) -> int:
    """Check the count and that every leaf is 32 bytes; return the count."""
    n = _check_count(leaves)
    for _ in checked_chunks(leaves):
        pass
    return n


def checked_chunks(leaves: Sequence[bytes], bits: int = CHUNK_BITS) -> Iterator[Sequence[bytes]]:
    """Consecutive slices of ``2**bits`` leaves, each checked to hold only 32-byte leaves.

    Working chunk by chunk keeps the leaves being checked, hashed or copied in the CPU
    cache; one pass over a million scattered objects is several times slower.
    """
    width = 1 << bits
    for start in range(0, len(leaves), width):
        chunk = leaves[start : start + width]
        try:
            lengths = set(map(len, chunk))
        except TypeError:
            lengths = set()
        if lengths != {LEAF_SIZE}:
            _raise_first_bad_leaf(chunk, start)
        yield chunk


def _raise_first_bad_leaf(leaves: Sequence[object], offset: int = 0) -> None:
    """Raise MerkleError naming the first leaf that is not a 32-byte byte string."""
    for i, d in enumerate(leaves, start=offset):
        if not isinstance(d, bytes | bytearray | memoryview):
            raise MerkleError(f"leaf {i} is not bytes but {type(d).__name__}")
        if len(d) != LEAF_SIZE:
            raise MerkleError(f"leaf {i} must be exactly {LEAF_SIZE} bytes, got {len(d)}")
    raise MerkleError("leaves must be 32-byte byte strings")  # pragma: no cover


def _hash_leaves(chunk: Sequence[bytes], offset: int) -> bytes:
    h = sha256
    try:
        return b"".join([h(_LEAF_PREFIX + d).digest() for d in chunk])
    except TypeError:
        _raise_first_bad_leaf(chunk, offset)
        raise


def _next_level(level: bytes) -> bytes:
    """Hash adjacent pairs of a level; a lone last node is promoted unchanged."""
    h = sha256
    paired = len(level) & ~63
    parents = [h(_NODE_PREFIX + level[i : i + 64]).digest() for i in range(0, paired, 64)]
    if paired != len(level):
        parents.append(level[paired:])
    return b"".join(parents)


_BUILD_BITS = CHUNK_BITS


def _build(leaves: Sequence[bytes], *, keep: bool, keep_from: int = 0) -> list[bytes]:
    """All levels, leaf level first (``keep``; only those from ``keep_from`` up), or ``[root]``.

    The leaves are processed in aligned blocks of ``2**_BUILD_BITS``: each block's subtree is
    hashed while it is in cache, its level pieces are collected, and each level is joined once.
    Inside a block the pairing is exactly the global one (block starts are even at every level
    below the block top), and only the last, partial block can hold a promoted node, which
    ``_next_level`` handles the same way locally as globally.
    """
    _check_count(leaves)
    bits = _BUILD_BITS if len(leaves) > 1 << _BUILD_BITS else 0
    pieces: list[list[bytes]] = [[] for _ in range(bits + 1)]
    for number, chunk in enumerate(checked_chunks(leaves, _BUILD_BITS)):
        level = _hash_leaves(chunk, number << _BUILD_BITS)
        if keep and keep_from == 0:
            pieces[0].append(level)
        for k in range(1, bits + 1):
            level = _next_level(level)
            if keep and k >= keep_from:
                pieces[k].append(level)
        if not keep:
            pieces[bits].append(level)
    levels: list[bytes] = []
    for k in range(min(keep_from, bits), bits + 1) if keep else (bits,):
        levels.append(b"".join(pieces[k]))
        pieces[k] = []  # each level's chunks go as it is joined: never both in memory
    level = levels[-1]
    while len(level) > HASH_SIZE:
        level = _next_level(level)
        if keep:
            levels.append(level)
        else:
            levels[0] = level
    return levels


class MerkleTree:
    """An ``rfc9162-sha256`` tree over an ordered, non-empty sequence of 32-byte leaves.

    Built once at construction (2n - 1 SHA-256 calls); ``root`` is O(1) and ``proof(i)``
    is O(log n) slices of the stored levels. Immutable after construction.

    ``compact=True`` (a tree of more than ``2**CHUNK_BITS`` leaves) stores only the levels
    from the tops of the aligned ``2**CHUNK_BITS``-leaf blocks up (``64 n / 1024`` bytes,
    not ``64 n``) and keeps a reference to ``leaves``; ``leaf_hash(i)`` and ``proof(i)``
    rehash the one block holding leaf ``i`` (2047 SHA-256 calls). Same results.
    """

    __slots__ = ("_base", "_leaves", "_levels", "_size")

    def __init__(self, leaves: Sequence[bytes], *, compact: bool = False) -> None:
        self._base = CHUNK_BITS if compact and len(leaves) > 1 << _BUILD_BITS else 0
        self._leaves = leaves if self._base else None
        self._levels: tuple[bytes, ...] = tuple(_build(leaves, keep=True, keep_from=self._base))
        self._size = len(leaves)

    def _block_levels(self, index: int) -> tuple[list[bytes], int]:
        """Levels 0 .. base of the block holding leaf ``index`` and the leaf's place in it."""
        assert self._leaves is not None
        start = index >> self._base << self._base
        level = _hash_leaves(self._leaves[start : start + (1 << self._base)], start)
        levels = [level]
        for _ in range(self._base):
            level = _next_level(level)
            levels.append(level)
        return levels, index - start

    @property
    def size(self) -> int:
        """Number of leaves (the standard's ``leaf_count``)."""
        return self._size

    @property
    def root(self) -> bytes:
        """The 32-byte tree head MTH(leaves)."""
        return self._levels[-1]

    @property
    def height(self) -> int:
        """Number of levels above the leaf level (0 for a one-leaf tree)."""
        return len(self._levels) - 1 + self._base

    def leaf_hash(self, index: int) -> bytes:
        """The stored leaf hash SHA-256(0x00 || leaves[index])."""
        _check_position(index, self._size)
        if self._base:
            levels, index = self._block_levels(index)
            return levels[0][index * HASH_SIZE : (index + 1) * HASH_SIZE]
        return self._levels[0][index * HASH_SIZE : (index + 1) * HASH_SIZE]

    def proof(self, index: int) -> list[bytes]:
        """Inclusion proof of leaf ``index``: sibling hashes, leaf-level sibling first."""
        _check_position(index, self._size)
        if self._base:
            block, inside = self._block_levels(index)
            return _path_from(block, 0, inside) + _path_from(self._levels, 0, index >> self._base)
        return _path_from(self._levels, 0, index)

    def iter_proofs(self) -> Iterator[list[bytes]]:
        """Every leaf's inclusion proof, in leaf order (equal to ``proof(i)`` for each i).

        Generated in bulk from the stored levels: upper path segments are shared between
        neighbouring leaves, so the cost is close to copying the proofs out.
        """
        from anchor.merkle._bulk import iter_all_proofs

        if self._leaves is not None:  # compact: all levels, for this once
            return MerkleTree(self._leaves).iter_proofs()
        return iter_all_proofs(self._levels, self._size)

    def __repr__(self) -> str:
        return f"MerkleTree(size={self._size}, root={self.root.hex()})"


def _path_from(levels: Sequence[bytes], level: int, node: int) -> list[bytes]:
    """Sibling hashes on the path of ``node`` at ``level`` up to the root, lowest first."""
    path = []
    for layer in levels[level:-1]:
        sibling = node ^ 1
        if sibling * HASH_SIZE < len(layer):
            path.append(layer[sibling * HASH_SIZE : (sibling + 1) * HASH_SIZE])
        node >>= 1
    return path


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH(leaves) without keeping the levels (same checks and result as ``MerkleTree``)."""
    return _build(leaves, keep=False)[0]


def root_from_proof(leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes]) -> bytes:
    """Fold an inclusion proof (leaf-level sibling first) into the root it implies.

    ``leaf`` is the 32-byte leaf digest ``d`` (not its leaf hash). Raises MerkleError when the
    index or size is out of range, a hash is not 32 bytes, or the proof has the wrong number
    of hashes for this position (the length is fixed by ``index`` and ``tree_size``).
    """
    expected = proof_length(index, tree_size)
    if len(proof) != expected:
        raise MerkleError(
            f"an inclusion proof for leaf {index} of {tree_size} has {expected} hashes, "
            f"got {len(proof)}"
        )
    for k, sibling in enumerate(proof):
        if len(sibling) != HASH_SIZE:
            raise MerkleError(f"proof hash {k} must be {HASH_SIZE} bytes, got {len(sibling)}")
    node = leaf_hash(leaf)
    j, last = index, tree_size - 1
    siblings = iter(proof)
    while last:
        if j & 1:
            node = sha256(_NODE_PREFIX + next(siblings) + node).digest()
        elif j < last:
            node = sha256(_NODE_PREFIX + node + next(siblings)).digest()
        j >>= 1
        last >>= 1
    return node


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True exactly when ``proof`` proves leaf digest ``leaf`` at ``index`` under ``root``.

    Never raises for bad proof data: a wrong index, size, proof length or hash length is
    simply a proof that does not hold.
    """
    try:
        computed = root_from_proof(leaf, index, tree_size, proof)
    except MerkleError:
        return False
    return len(root) == HASH_SIZE and computed == bytes(root)


@dataclass(frozen=True)
class InclusionCheck:
    """Outcome of :func:`check_inclusion`: ``ok``, else a one-line ``reason``."""

    ok: bool
    reason: str
    computed_root: bytes | None


def check_inclusion(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> InclusionCheck:
    """Like :func:`verify_inclusion`, saying why a proof does not hold.

    Raises MerkleError only for input that cannot describe any tree: a size outside
    1 .. 2^32-1, a negative index, or a leaf, root or proof hash that is not 32 bytes.
    An index past the tree, a proof of the wrong length or a different root is a proof
    that does not hold (``ok`` False).
    """
    if not 1 <= tree_size <= MAX_LEAVES:
        raise MerkleError(f"tree size must be between 1 and {MAX_LEAVES}, got {tree_size}")
    if index < 0:
        raise MerkleError(f"leaf index must not be negative, got {index}")
    for what, value in (("leaf", leaf), ("root", root), *(("proof hash", p) for p in proof)):
        if len(value) != HASH_SIZE:
            raise MerkleError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")
    if index >= tree_size:
        return InclusionCheck(False, f"leaf index {index} is outside a tree of {tree_size}", None)
    needed = proof_length(index, tree_size)
    if len(proof) != needed:
        return InclusionCheck(
            False,
            f"the proof has {len(proof)} hashes; leaf {index} of a {tree_size}-leaf tree "
            f"needs {needed}",
            None,
        )
    computed = root_from_proof(leaf, index, tree_size, proof)
    if computed != bytes(root):
        return InclusionCheck(
            False, f"the proof leads to root {computed.hex()}, not {bytes(root).hex()}", computed
        )
    return InclusionCheck(True, "", computed)
