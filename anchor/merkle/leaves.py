"""The Label 309 leaves-list document (``cardano-poe-merkle-leaves-v1``): encode and strict parse.

The leaves-list is the only normative off-chain form of a ``merkle[i]`` commitment: a
canonical-CBOR map ``{root, format, leaves, leaf_alg?, tree_alg, leaf_count}`` (that is the
canonical key order). Encoding goes through :func:`anchor.label309.cbor.encode`; for large
lists a fast path builds the same bytes by joining the leaves under heads that are themselves
produced by the canonical encoder (tests pin it byte-identical).

Parsing follows the standard's decode order and codes (BRIEF §3.3; ADR 0003):

1. not canonical CBOR -> ``SCHEMA_MERKLE_LEAVES_MALFORMED``, except text that looks like a
   C2SP tlog checkpoint -> ``MERKLE_UNSUPPORTED`` (no tlog-tiles support);
2. not a map -> ``..._MALFORMED``;
3. ``format`` a text string but not registered -> ``SCHEMA_MERKLE_LEAVES_FORMAT_UNSUPPORTED``
   (``format`` missing or not text -> ``..._MALFORMED``);
4. unknown, missing or mistyped keys, bad lengths, empty ``leaves``, ``leaf_count`` outside
   1 .. 2^32-1, unregistered ``tree_alg`` or one different from the on-chain alg ->
   ``..._MALFORMED``;
5. ``leaf_count`` different from ``len(leaves)`` or the on-chain count ->
   ``SCHEMA_MERKLE_LEAF_COUNT_MISMATCH``;
6. recomputed root different from the document's or the on-chain root -> ``MERKLE_ROOT_MISMATCH``.

``leaf_alg`` is informative: any text value is accepted.
"""

from __future__ import annotations

import base64
import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass

from anchor.errors import Label309Error
from anchor.label309 import cbor
from anchor.label309.codes import (
    MERKLE_ROOT_MISMATCH,
    MERKLE_UNSUPPORTED,
    SCHEMA_MERKLE_LEAF_COUNT_MISMATCH,
    SCHEMA_MERKLE_LEAVES_FORMAT_UNSUPPORTED,
    SCHEMA_MERKLE_LEAVES_MALFORMED,
)
from anchor.merkle.tree import (
    ALG,
    CHUNK_BITS,
    HASH_SIZE,
    MAX_LEAVES,
    MerkleError,
    MerkleTree,
    _check_count,
    _check_leaves,
    _raise_first_bad_leaf,
    checked_chunks,
    root_of,
)

FORMAT_V1 = "cardano-poe-merkle-leaves-v1"
TREE_ALGS = frozenset({ALG})
DEFAULT_LEAF_ALG = "sha2-256"

__all__ = [
    "DEFAULT_LEAF_ALG",
    "FORMAT_V1",
    "MERKLE_ROOT_MISMATCH",
    "MERKLE_UNSUPPORTED",
    "SCHEMA_MERKLE_LEAF_COUNT_MISMATCH",
    "SCHEMA_MERKLE_LEAVES_FORMAT_UNSUPPORTED",
    "SCHEMA_MERKLE_LEAVES_MALFORMED",
    "LeavesList",
    "LeavesListError",
    "encode_leaves_list",
    "looks_like_tlog_checkpoint",
    "parse_leaves_list",
    "parse_leaves_list_tree",
]

_REQUIRED_KEYS = ("format", "tree_alg", "root", "leaves", "leaf_count")
_KNOWN_KEYS = frozenset((*_REQUIRED_KEYS, "leaf_alg"))
# Below this many leaves the generic canonical encoder is used as is.
_FAST_PATH_MIN_LEAVES = 256


class LeavesListError(Label309Error):
    """A leaves-list document broke a rule of the standard; ``code`` names the rule."""


@dataclass(frozen=True)
class LeavesList:
    """A parsed, fully checked leaves-list: ``root`` is the recomputed and matching tree head."""

    root: bytes
    leaves: Sequence[bytes]
    """The leaves in tree order: a :class:`~anchor.label309.cbor.PackedDigests` over the
    document's bytes (no object per leaf), equal to the tuple of the leaves."""
    leaf_count: int
    tree_alg: str
    leaf_alg: str | None


def encode_leaves_list(
    leaves: Sequence[bytes], *, root: bytes | None = None, leaf_alg: str | None = DEFAULT_LEAF_ALG
) -> bytes:
    """Canonical-CBOR leaves-list document for ``leaves`` (tree order).

    ``root`` may be passed when the caller already holds the tree (it must be that tree's
    root; it is not recomputed); ``None`` computes it. ``leaf_alg=None`` omits the key.
    Raises MerkleError for an empty list, a leaf that is not 32 bytes or a bad ``root``.
    """
    count = _check_count(leaves)
    if root is None:
        root = root_of(leaves)
    elif len(root) != HASH_SIZE:
        raise MerkleError(f"root must be {HASH_SIZE} bytes, got {len(root)}")
    fields: dict[str, object] = {"format": FORMAT_V1, "tree_alg": ALG, "root": bytes(root)}
    if leaf_alg is not None:
        fields["leaf_alg"] = leaf_alg
    fields["leaf_count"] = count
    if count < _FAST_PATH_MIN_LEAVES:
        _check_leaves(leaves)
        try:
            fields["leaves"] = [bytes(d) for d in leaves]
        except TypeError:
            _raise_first_bad_leaf(leaves)
            raise
        return cbor.encode(fields)
    return _encode_fast(fields, leaves)


def _retype_head(encoded_uint: bytes, major: int) -> bytes:
    """Turn the canonical head of an unsigned integer into a head of another major type."""
    return bytes([(major << 5) | (encoded_uint[0] & 0x1F)]) + encoded_uint[1:]


def _encode_fast(fields: dict[str, object], leaves: Sequence[bytes]) -> bytes:
    """Same bytes as ``cbor.encode`` on the full map, without a per-leaf encoder call.

    Every head comes from the canonical encoder itself; the leaves are joined chunk by
    chunk (each chunk checked for 32-byte leaves) and the whole document is one final join.
    """
    bstr_head = cbor.encode(bytes(HASH_SIZE))[:-HASH_SIZE]
    leaves_parts = [_retype_head(cbor.encode(len(leaves)), 4)]
    for number, chunk in enumerate(checked_chunks(leaves)):
        leaves_parts.append(bstr_head)
        try:
            leaves_parts.append(bstr_head.join(chunk))
        except TypeError:
            _raise_first_bad_leaf(chunk, number << CHUNK_BITS)
            raise
    entries = [(cbor.encode(key), [cbor.encode(value)]) for key, value in fields.items()]
    entries.append((cbor.encode("leaves"), leaves_parts))
    entries.sort(key=lambda entry: entry[0])
    parts = [_retype_head(cbor.encode(len(entries)), 5)]
    for key_bytes, value_parts in entries:
        parts.append(key_bytes)
        parts.extend(value_parts)
    return b"".join(parts)


def parse_leaves_list(
    data: bytes,
    *,
    expected_alg: str | None = None,
    expected_root: bytes | None = None,
    expected_leaf_count: int | None = None,
) -> LeavesList:
    """Strictly parse and check a leaves-list document; raises LeavesListError with ``.code``.

    The ``expected_*`` arguments are the on-chain ``merkle[i]`` values when known; without
    them the document is checked standalone (it is self-checking through its own root).
    """
    return _parse(data, expected_alg, expected_root, expected_leaf_count, keep_tree=False)[0]


def parse_leaves_list_tree(
    data: bytes,
    *,
    expected_alg: str | None = None,
    expected_root: bytes | None = None,
    expected_leaf_count: int | None = None,
) -> tuple[LeavesList, MerkleTree]:
    """Like :func:`parse_leaves_list`, also returning the built tree (for proofs)."""
    parsed, tree = _parse(data, expected_alg, expected_root, expected_leaf_count, keep_tree=True)
    assert tree is not None
    return parsed, tree


def _fail(code: str, message: str) -> LeavesListError:
    return LeavesListError(code, f"leaves-list: {message}")


def _parse(
    data: bytes,
    expected_alg: str | None,
    expected_root: bytes | None,
    expected_leaf_count: int | None,
    *,
    keep_tree: bool,
) -> tuple[LeavesList, MerkleTree | None]:
    malformed = SCHEMA_MERKLE_LEAVES_MALFORMED
    raw = bytes(data)
    try:
        # A leaves-list is mostly 34-byte leaves: more items than that is not one.
        doc = cbor.decode(raw, max_items=len(raw) // (HASH_SIZE + 2) + 64, pack_digests=True)
    except cbor.CborError as exc:
        if looks_like_tlog_checkpoint(raw):
            raise _fail(
                MERKLE_UNSUPPORTED, "a C2SP tlog checkpoint; tlog-tiles are not supported"
            ) from exc
        raise _fail(malformed, f"not canonical CBOR ({exc.detail})") from exc
    if not isinstance(doc, cbor.CborMap):
        raise _fail(malformed, f"top level is {_kind(doc)}, not a map")

    fmt = doc.get("format")
    if isinstance(fmt, str) and fmt != FORMAT_V1:
        raise _fail(SCHEMA_MERKLE_LEAVES_FORMAT_UNSUPPORTED, f"unsupported format {fmt!r}")
    for key in doc:
        if not isinstance(key, str) or key not in _KNOWN_KEYS:
            raise _fail(malformed, f"unknown key {key!r}")
    for key in _REQUIRED_KEYS:
        if key not in doc:
            raise _fail(malformed, f"missing key {key!r}")
    if not isinstance(fmt, str):
        raise _fail(malformed, f"format is {_kind(fmt)}, not text")

    tree_alg = doc["tree_alg"]
    root = doc["root"]
    leaves = doc["leaves"]
    leaf_count = doc["leaf_count"]
    leaf_alg = doc.get("leaf_alg")
    if not isinstance(tree_alg, str):
        raise _fail(malformed, f"tree_alg is {_kind(tree_alg)}, not text")
    if not isinstance(root, bytes) or len(root) != HASH_SIZE:
        raise _fail(malformed, f"root must be a {HASH_SIZE}-byte byte string")
    if not isinstance(leaves, list | cbor.PackedDigests):
        raise _fail(malformed, f"leaves is {_kind(leaves)}, not an array")
    if not leaves:
        raise _fail(malformed, "leaves is empty")
    if isinstance(leaves, list) and (
        set(map(type, leaves)) != {bytes} or set(map(len, leaves)) != {HASH_SIZE}
    ):
        for i, leaf in enumerate(leaves):
            if not isinstance(leaf, bytes) or len(leaf) != HASH_SIZE:
                raise _fail(malformed, f"leaves[{i}] must be a {HASH_SIZE}-byte byte string")
    if type(leaf_count) is not int:
        raise _fail(malformed, f"leaf_count is {_kind(leaf_count)}, not an unsigned integer")
    if not 1 <= leaf_count <= MAX_LEAVES:
        raise _fail(malformed, f"leaf_count {leaf_count} is outside 1..{MAX_LEAVES}")
    if "leaf_alg" in doc and not isinstance(leaf_alg, str):
        raise _fail(malformed, f"leaf_alg is {_kind(leaf_alg)}, not text")
    if tree_alg not in TREE_ALGS:
        raise _fail(malformed, f"unregistered tree_alg {tree_alg!r}")
    if expected_alg is not None and tree_alg != expected_alg:
        raise _fail(malformed, f"tree_alg {tree_alg!r} differs from the on-chain {expected_alg!r}")

    if leaf_count != len(leaves):
        raise _fail(
            SCHEMA_MERKLE_LEAF_COUNT_MISMATCH,
            f"leaf_count {leaf_count} but {len(leaves)} leaves",
        )
    if expected_leaf_count is not None and leaf_count != expected_leaf_count:
        raise _fail(
            SCHEMA_MERKLE_LEAF_COUNT_MISMATCH,
            f"leaf_count {leaf_count} differs from the on-chain {expected_leaf_count}",
        )

    tree = MerkleTree(leaves, compact=True) if keep_tree else None
    computed = tree.root if tree is not None else root_of(leaves)
    if computed != root:
        raise _fail(
            MERKLE_ROOT_MISMATCH,
            f"recomputed root {computed.hex()} differs from the stated root {root.hex()}",
        )
    if expected_root is not None and computed != bytes(expected_root):
        raise _fail(
            MERKLE_ROOT_MISMATCH,
            f"root {computed.hex()} differs from the on-chain root {bytes(expected_root).hex()}",
        )
    parsed = LeavesList(
        root=computed,
        leaves=leaves if isinstance(leaves, cbor.PackedDigests) else tuple(leaves),
        leaf_count=leaf_count,
        tree_alg=tree_alg,
        leaf_alg=leaf_alg if isinstance(leaf_alg, str) else None,
    )
    return parsed, tree


def _kind(value: object) -> str:
    if isinstance(value, cbor.PackedDigests):
        return "list"
    return "null" if value is None else type(value).__name__


_CHECKPOINT_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")
_UTF8_STEP = 1 << 20


def _is_utf8(data: bytes) -> bool:
    """True when ``data`` is UTF-8 throughout, checked in 1 MiB steps (no whole-text copy)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(view), _UTF8_STEP):
            decoder.decode(view[start : start + _UTF8_STEP])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def looks_like_tlog_checkpoint(data: bytes) -> bool:
    """Heuristic of ADR 0003: UTF-8 text whose first lines are origin, decimal size, base64 hash.

    A C2SP tlog checkpoint (signed note body) starts ``<origin>\\n<size>\\n<base64 root>\\n``.
    Only consulted after canonical-CBOR decoding has failed. Only the first three lines are
    decoded, so a huge document costs no copy of its text (a 200 MB file of zeros included).
    """
    ends: list[int] = []
    for _ in range(3):
        ends.append(data.find(b"\n", ends[-1] + 1 if ends else 0))
        if ends[-1] < 0:
            return False
    if not _is_utf8(data):
        return False
    starts = [0, ends[0] + 1, ends[1] + 1]
    lines = [bytes(data[a:b]).decode("utf-8") for a, b in zip(starts, ends, strict=True)]
    if not lines[0].strip() or lines[0] != lines[0].strip():
        return False
    if not _CHECKPOINT_SIZE.fullmatch(lines[1]):
        return False
    try:
        root_hash = base64.b64decode(lines[2], validate=True)
    except ValueError:
        return False
    return len(root_hash) == HASH_SIZE
