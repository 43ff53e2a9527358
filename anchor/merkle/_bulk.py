"""Every inclusion proof of a stored tree, generated in bulk.

Asking ``proof(i)`` for each of n leaves costs n * log2(n) slices driven by Python code.
This module produces the same lists with most of the work done in C:

* Leaves are taken in aligned blocks of ``2**_BLOCK_BITS``. Every leaf of a full block
  shares the part of its proof above the block (``top``), computed once per block.
* For the levels inside a block, each level's nodes are cut out of the stored level with
  one precompiled ``struct`` unpack and swapped pairwise, giving the sibling of every node.
* The lowest ``_COLUMN_LEVELS`` levels become per-leaf *columns* (each sibling repeated
  over the leaves below it); the levels between those and the block top become shared
  *tails*, built top-down with ``tuple.__add__``. A leaf's proof is then
  ``list(zip(columns)[leaf]) += tail[leaf >> _COLUMN_LEVELS]``: one list per proof.

Inside a full block no node is ever promoted (a lone last node only occurs at the right
edge of the tree), so the pairwise swap is exact there. The leaves after the last full
block (fewer than one block) take the ordinary per-leaf path over the stored levels.

Memory stays bounded by one block whatever the tree size; nothing is recomputed by
hashing: all hashes come from the stored levels.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import TypeVar, cast

from anchor.merkle.tree import HASH_SIZE, _path_from

_BLOCK_BITS = 10
_COLUMN_LEVELS = 3
_T = TypeVar("_T")
_Path = tuple[bytes, ...]
# tuple.__add__ is overloaded for mypy; this is the only signature used here.
_concat = cast(Callable[[_Path, _Path], _Path], tuple.__add__)
_extend = cast(Callable[[list[bytes], _Path], list[bytes]], list.__iadd__)


@cache
def _unpacker(count: int) -> struct.Struct:
    return struct.Struct(f"{HASH_SIZE}s" * count)


def _siblings(level: bytes, first: int, count: int) -> list[bytes]:
    """Siblings of nodes ``first .. first+count-1`` of a level (count even, first even)."""
    nodes = _unpacker(count).unpack_from(level, first * HASH_SIZE)
    swapped = list(nodes)
    swapped[0::2] = nodes[1::2]
    swapped[1::2] = nodes[0::2]
    return swapped


def _spread(values: Sequence[_T], times: int, width: int) -> list[_T]:
    """``values`` with each entry repeated ``times`` times in a row (``width`` entries)."""
    out = cast(list[_T], [None] * width)
    for offset in range(times):
        out[offset::times] = values
    return out


def _block_proofs(levels: Sequence[bytes], start: int, bits: int) -> Iterator[list[bytes]]:
    """Proofs of the full block of ``2**bits`` leaves starting at leaf ``start``."""
    width = 1 << bits
    cols = min(_COLUMN_LEVELS, bits)
    top = tuple(_path_from(levels, bits, start >> bits))
    tails: list[_Path] = [top]
    for k in range(bits - 1, cols - 1, -1):
        sibs = _siblings(levels[k], start >> k, width >> k)
        tails = list(map(_concat, zip(sibs, strict=True), _spread(tails, 2, len(sibs))))
    columns = [
        _spread(_siblings(levels[k], start >> k, width >> k), 1 << k, width) for k in range(cols)
    ]
    per_leaf_tails = _spread(tails, 1 << cols, width)
    # A fresh list of the column entries, extended in place by the shared tail.
    return map(_extend, map(list, zip(*columns, strict=True)), per_leaf_tails)


def iter_all_proofs(levels: Sequence[bytes], size: int) -> Iterator[list[bytes]]:
    """Yield ``proof(i)`` for i = 0 .. size-1 from a tree's stored levels (leaf level first)."""
    bits = _BLOCK_BITS
    full = (size >> bits) << bits
    for start in range(0, full, 1 << bits):
        yield from _block_proofs(levels, start, bits)
    for index in range(full, size):
        yield _path_from(levels, 0, index)
