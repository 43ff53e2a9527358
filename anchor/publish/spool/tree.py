"""A window's tree kept as its block tops, so one proof needs one block, not the window.

The leaves are cut into aligned blocks of ``2**BLOCK_BITS``. A block's *top* is the
RFC 9162 tree head of its leaves (:func:`anchor.merkle.tree.root_of`); the last block
may be partial. Bottom-up with a lone last node promoted, which is how RFC 9162's tree
is built, the level ``BLOCK_BITS`` of the window's tree *is* the list of block tops
(inside a block every node pairs with one of the same block; only the right edge of
the tree promotes, and that edge is the last block's). So:

* the window's root is the tree over the tops, with interior-node hashing only
  (:func:`root_from_tops`): the same bytes as ``MerkleTree(digests).root``;
* leaf ``i``'s inclusion proof is the proof of ``i mod 2**BLOCK_BITS`` inside its block,
  followed by the path of block ``i >> BLOCK_BITS`` among the tops (:func:`leaf_proof`):
  the same list as ``MerkleTree(digests).proof(i)``.

The tops of a million leaves are 977 hashes (31 KiB). `spool seal` stores them beside
the window's bundle, and `spool proof` then hashes 1,024 leaves and a few hundred nodes
instead of the whole window. Pure: bytes in, bytes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

from anchor.merkle.tree import HASH_SIZE, MerkleError, MerkleTree, root_of, verify_inclusion

BLOCK_BITS = 10
_NODE = b"\x01"


def block_tops(digests: Sequence[bytes], bits: int = BLOCK_BITS) -> bytes:
    """The concatenated tree heads of the aligned ``2**bits``-leaf blocks of ``digests``."""
    width = 1 << bits
    return b"".join([root_of(digests[at : at + width]) for at in range(0, len(digests), width)])


def _levels(tops: bytes) -> list[bytes]:
    """The levels of the tree over ``tops`` (interior hashing, lone last node promoted)."""
    if not tops or len(tops) % HASH_SIZE:
        raise MerkleError(f"block tops must be a non-empty multiple of {HASH_SIZE} bytes")
    levels = [tops]
    level = tops
    while len(level) > HASH_SIZE:
        paired = len(level) & ~(2 * HASH_SIZE - 1)
        parents = [
            sha256(_NODE + level[at : at + 2 * HASH_SIZE]).digest()
            for at in range(0, paired, 2 * HASH_SIZE)
        ]
        if paired != len(level):
            parents.append(level[paired:])
        level = b"".join(parents)
        levels.append(level)
    return levels


def root_from_tops(tops: bytes) -> bytes:
    """The window's root from its block tops (equal to ``MerkleTree(digests).root``)."""
    return _levels(tops)[-1]


def _top_path(levels: Sequence[bytes], node: int) -> list[bytes]:
    path = []
    for level in levels[:-1]:
        sibling = node ^ 1
        if sibling * HASH_SIZE < len(level):
            path.append(level[sibling * HASH_SIZE : (sibling + 1) * HASH_SIZE])
        node >>= 1
    return path


def block_span(leaf: int, size: int, bits: int = BLOCK_BITS) -> tuple[int, int]:
    """``(first leaf, leaf count)`` of the block holding ``leaf`` in a tree of ``size``."""
    first = leaf >> bits << bits
    return first, min(1 << bits, size - first)


def leaf_proof(
    block: Sequence[bytes], leaf: int, size: int, tops: bytes, bits: int = BLOCK_BITS
) -> list[bytes]:
    """Inclusion proof of ``leaf`` (leaf-level sibling first) from its block's digests.

    ``block`` holds the digests of :func:`block_span` of ``leaf``. Raises
    :class:`MerkleError` when the block does not hash to its stored top, or the tops do
    not fit ``size``; the caller then rebuilds the tops from every digest.
    """
    first, count = block_span(leaf, size, bits)
    if len(block) != count or len(tops) != HASH_SIZE * (((size - 1) >> bits) + 1):
        raise MerkleError("the block or the block tops do not fit the window's size")
    index = leaf >> bits
    inner = MerkleTree(block)
    if inner.root != tops[index * HASH_SIZE : (index + 1) * HASH_SIZE]:
        raise MerkleError(f"block {index} does not hash to its stored top")
    return inner.proof(leaf - first) + _top_path(_levels(tops), index)


def checked_proof(
    block: Sequence[bytes], digest: bytes, leaf: int, size: int, tops: bytes, root: bytes
) -> list[bytes]:
    """:func:`leaf_proof`, held to ``root`` with ``digest`` at ``leaf`` (MerkleError if not)."""
    path = leaf_proof(block, leaf, size, tops)
    if not verify_inclusion(digest, leaf, size, path, root):
        raise MerkleError(f"leaf {leaf} does not prove inclusion under the window's root")
    return path
