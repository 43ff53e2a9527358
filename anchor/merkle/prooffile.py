"""Per-item proof files of the evidence bundle (``proofs/<name>.proof.json``).

A proof file lets anyone check one file against the anchored tree without the other
items: the item's name and SHA-256 digest (its leaf), its leaf index, the tree size and
algorithm, the sibling path (leaf level first) and the root. After publishing, an
``anchor`` object records where the root was anchored (network, transaction, block).
The format is documented in ``docs/proof-file.md``.

Files are written as RFC 8785 canonical JSON (:mod:`anchor.merkle.jcs`), so the same proof
always gives the same bytes. Reading is strict about shape and types (unknown keys,
wrong types, bad hex, duplicate names -> :class:`ProofFileError`, exit 4); whether the
proof actually holds is a separate question answered by :meth:`ProofFile.verify`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from anchor.errors import InputError
from anchor.merkle.jcs import JsonFormatError, canonical_json, loads_strict, quote
from anchor.merkle.tree import ALG, HASH_SIZE, MAX_LEAVES, MerkleError, MerkleTree, leaf_hash
from anchor.merkle.tree import verify_inclusion as _verify_inclusion

PROOF_FORMAT = "evidence-anchor-proof-v1"
NETWORKS = frozenset({"mainnet", "preprod", "preview", "devnet"})
MAX_PATH = 32  # ceil(log2(2^32 - 1))
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_TOP_KEYS = frozenset(
    {"format", "item", "leaf_index", "tree_size", "tree_alg", "path", "root", "anchor"}
)
_ITEM_KEYS = frozenset({"name", "sha2-256"})
_ANCHOR_REQUIRED = ("network", "tx_hash")
_ANCHOR_KEYS = frozenset({*_ANCHOR_REQUIRED, "block_height", "block_time", "block_hash", "slot"})


class ProofFileError(InputError):
    """A proof file (or the values for one) is malformed; the message says which field."""


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ProofFileError(f"proof file: {message}")


def _is_uint(value: object, upper: int = 2**63 - 1) -> bool:
    return type(value) is int and 0 <= value <= upper


@dataclass(frozen=True)
class AnchorInfo:
    """Where the tree's root was anchored; block facts are absent until known."""

    network: str
    tx_hash: bytes
    block_height: int | None = None
    block_time: int | None = None  # POSIX seconds, UTC
    block_hash: bytes | None = None
    slot: int | None = None

    def __post_init__(self) -> None:
        _require(self.network in NETWORKS, f"anchor.network must be one of {sorted(NETWORKS)}")
        _require(_is_bytes32(self.tx_hash), "anchor.tx_hash must be 32 bytes")
        _require(
            self.block_hash is None or _is_bytes32(self.block_hash),
            "anchor.block_hash must be 32 bytes",
        )
        for field in ("block_height", "block_time", "slot"):
            value = getattr(self, field)
            _require(value is None or _is_uint(value), f"anchor.{field} must be an integer >= 0")

    def to_json(self) -> dict[str, Any]:
        """The JSON object (absent facts are omitted, never null)."""
        out: dict[str, Any] = {"network": self.network, "tx_hash": self.tx_hash.hex()}
        for field in ("block_height", "block_time", "slot"):
            if getattr(self, field) is not None:
                out[field] = getattr(self, field)
        if self.block_hash is not None:
            out["block_hash"] = self.block_hash.hex()
        return out


def _is_bytes32(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


@dataclass(frozen=True)
class ProofFile:
    """One item's inclusion proof; immutable, validated field by field on construction.

    ``digest`` is the item's SHA-256, which is also its leaf. ``path`` is leaf-level sibling
    first and empty for a one-leaf tree. Field checks do not cross fields: an index outside
    the tree or a path of the wrong length makes :meth:`verify` return False.
    """

    name: str
    digest: bytes
    leaf_index: int
    tree_size: int
    path: tuple[bytes, ...]
    root: bytes
    tree_alg: str = ALG
    anchor: AnchorInfo | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.path, tuple):
            object.__setattr__(self, "path", tuple(self.path))
        _require(
            isinstance(self.name, str) and self.name != "", "item.name must be a non-empty string"
        )
        _require("\x00" not in self.name, "item.name must not contain NUL")
        _require(_is_bytes32(self.digest), "item.sha2-256 must be 32 bytes")
        _require(
            _is_uint(self.leaf_index, MAX_LEAVES - 1),
            f"leaf_index must be an integer in 0..{MAX_LEAVES - 1}",
        )
        _require(
            _is_uint(self.tree_size, MAX_LEAVES) and self.tree_size >= 1,
            f"tree_size must be an integer in 1..{MAX_LEAVES}",
        )
        _require(self.tree_alg == ALG, f"tree_alg must be {ALG!r}")
        _require(len(self.path) <= MAX_PATH, f"path has more than {MAX_PATH} hashes")
        for i, node in enumerate(self.path):
            _require(_is_bytes32(node), f"path[{i}] must be 32 bytes")
        _require(_is_bytes32(self.root), "root must be 32 bytes")
        _require(
            self.anchor is None or isinstance(self.anchor, AnchorInfo), "anchor must be AnchorInfo"
        )

    @classmethod
    def from_tree(cls, tree: MerkleTree, index: int, *, name: str, digest: bytes) -> ProofFile:
        """The proof file of leaf ``index``; raises MerkleError if ``digest`` is not that leaf."""
        if len(digest) != HASH_SIZE or tree.leaf_hash(index) != leaf_hash(digest):
            raise MerkleError(f"digest of {name!r} is not leaf {index} of the tree")
        return cls(name, bytes(digest), index, tree.size, tuple(tree.proof(index)), tree.root)

    def with_anchor(
        self,
        *,
        network: str,
        tx_hash: bytes,
        block_height: int | None = None,
        block_time: int | None = None,
        block_hash: bytes | None = None,
        slot: int | None = None,
    ) -> ProofFile:
        """A copy with the ``anchor`` object set (replacing any earlier one)."""
        info = AnchorInfo(network, bytes(tx_hash), block_height, block_time, block_hash, slot)
        return dataclasses.replace(self, anchor=info)

    def verify(self, file_digest: bytes, *, root: bytes | None = None) -> bool:
        """True when ``file_digest`` is this item's digest and the path leads to ``self.root``.

        With ``root`` (e.g. the on-chain ``merkle[i].root``) the proof's root must also equal it.
        """
        if bytes(file_digest) != self.digest:
            return False
        if root is not None and bytes(root) != self.root:
            return False
        return _verify_inclusion(self.digest, self.leaf_index, self.tree_size, self.path, self.root)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of the file (hex lower case, ``anchor`` only when set)."""
        out: dict[str, Any] = {
            "format": PROOF_FORMAT,
            "item": {"name": self.name, "sha2-256": self.digest.hex()},
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "tree_alg": self.tree_alg,
            "path": [node.hex() for node in self.path],
            "root": self.root.hex(),
        }
        if self.anchor is not None:
            out["anchor"] = self.anchor.to_json()
        return out

    def to_json_bytes(self) -> bytes:
        """RFC 8785 canonical JSON bytes: the same proof always gives the same bytes."""
        return canonical_json(self.to_json())

    @classmethod
    def from_json_bytes(cls, data: bytes) -> ProofFile:
        """Strictly parse a proof file; raises ProofFileError naming the offending field."""
        try:
            doc = loads_strict(data)
        except JsonFormatError as exc:
            raise ProofFileError(f"proof file: {exc.message}") from exc
        return cls.from_json(doc)

    @classmethod
    def from_json(cls, doc: object) -> ProofFile:
        """Build from an already parsed JSON value (same strict checks)."""
        top = _object(
            doc,
            "the top level",
            _TOP_KEYS,
            ("format", "item", "leaf_index", "tree_size", "tree_alg", "path", "root"),
        )
        _require(
            top["format"] == PROOF_FORMAT, f"format must be {PROOF_FORMAT!r}, got {top['format']!r}"
        )
        item = _object(top["item"], "item", _ITEM_KEYS, tuple(_ITEM_KEYS))
        _require(isinstance(item["name"], str), "item.name must be a string")
        path = top["path"]
        _require(isinstance(path, list), "path must be an array of hex strings")
        anchor = None
        if "anchor" in top:
            anchor = _anchor_from_json(top["anchor"])
        _require(type(top["leaf_index"]) is int, "leaf_index must be an integer")
        _require(type(top["tree_size"]) is int, "tree_size must be an integer")
        _require(isinstance(top["tree_alg"], str), "tree_alg must be a string")
        return cls(
            name=item["name"],
            digest=_hex32(item["sha2-256"], "item.sha2-256"),
            leaf_index=top["leaf_index"],
            tree_size=top["tree_size"],
            path=tuple(_hex32(node, f"path[{i}]") for i, node in enumerate(path)),
            root=_hex32(top["root"], "root"),
            tree_alg=top["tree_alg"],
            anchor=anchor,
        )


def _object(
    value: object, where: str, known: frozenset[str], required: Sequence[str]
) -> Mapping[str, Any]:
    _require(isinstance(value, dict), f"{where} must be a JSON object")
    assert isinstance(value, dict)
    for key in value:
        _require(key in known, f"unknown key {key!r} in {where}")
    for key in required:
        _require(key in value, f"missing key {key!r} in {where}")
    return value


def _hex32(value: object, where: str) -> bytes:
    _require(
        isinstance(value, str) and _HEX64.fullmatch(value) is not None,
        f"{where} must be 64 hex digits",
    )
    assert isinstance(value, str)
    return bytes.fromhex(value)


def _anchor_from_json(value: object) -> AnchorInfo:
    obj = _object(value, "anchor", _ANCHOR_KEYS, _ANCHOR_REQUIRED)
    _require(isinstance(obj["network"], str), "anchor.network must be a string")
    for field in ("block_height", "block_time", "slot"):
        if field in obj:
            _require(_is_uint(obj[field]), f"anchor.{field} must be an integer >= 0")
    block_hash = obj.get("block_hash")
    return AnchorInfo(
        network=obj["network"],
        tx_hash=_hex32(obj["tx_hash"], "anchor.tx_hash"),
        block_height=obj.get("block_height"),
        block_time=obj.get("block_time"),
        block_hash=None
        if block_hash is None and "block_hash" not in obj
        else _hex32(block_hash, "anchor.block_hash"),
        slot=obj.get("slot"),
    )


# --------------------------------------------------------------------------- bulk encoding


def encode_tree_proofs(entries: Sequence[tuple[str, bytes]], tree: MerkleTree) -> Iterator[bytes]:
    """The proof file of every leaf: entry ``i`` = (name, sha2-256 digest) of leaf ``i``.

    Byte-identical to ``ProofFile(...).to_json_bytes()`` for each entry, but built from
    one string format per proof (about three times faster for thousands of items): all
    files of a tree share format, algorithm, size and root. As a guard against the two
    encodings drifting apart, the first and last entries are encoded both ways first; on
    any difference every entry takes the reference encoder. An entry :class:`ProofFile`
    would refuse (empty name, NUL, digest not 32 bytes) goes to it, to raise its error.
    """
    if len(entries) != tree.size:
        raise ValueError("one item per leaf of the tree is required")
    if not entries:
        return iter(())
    bulk = _BulkProofEncoder(tree)
    for i in {0, len(entries) - 1}:
        name, digest = entries[i]
        path = tree.proof(i)
        if bulk.encode(name, digest, i, path) != _reference_proof(name, digest, i, tree, path):
            return _reference_all(entries, tree)  # the format changed: never guess
    return bulk.encode_all(entries)


def _reference_proof(
    name: str, digest: bytes, index: int, tree: MerkleTree, path: Sequence[bytes]
) -> bytes:
    """One proof file through :class:`ProofFile` (the definition of the bytes)."""
    return ProofFile(name, digest, index, tree.size, tuple(path), tree.root).to_json_bytes()


def _reference_all(entries: Sequence[tuple[str, bytes]], tree: MerkleTree) -> Iterator[bytes]:
    for i, ((name, digest), path) in enumerate(zip(entries, tree.iter_proofs(), strict=True)):
        yield _reference_proof(name, digest, i, tree, path)


class _BulkProofEncoder:
    """The canonical JSON of a proof file without ``anchor``, from its pieces.

    Keys in RFC 8785 order: format, item {name, sha2-256}, leaf_index, path, root,
    tree_alg, tree_size.
    """

    def __init__(self, tree: MerkleTree) -> None:
        self.tree = tree
        self.head = '{"format":' + quote(PROOF_FORMAT) + ',"item":{"name":'
        self.tail = f'"root":"{tree.root.hex()}","tree_alg":{quote(ALG)},"tree_size":{tree.size}}}'

    def encode(self, name: str, digest: bytes, index: int, path: Sequence[bytes]) -> bytes:
        if not name or "\x00" in name or len(digest) != HASH_SIZE:
            return _reference_proof(name, digest, index, self.tree, path)
        nodes = '","'.join([node.hex() for node in path])
        hashes = f'"{nodes}"' if path else ""
        return (
            f'{self.head}{quote(name)},"sha2-256":"{digest.hex()}"}},'
            f'"leaf_index":{index},"path":[{hashes}],{self.tail}'
        ).encode()

    def encode_all(self, entries: Sequence[tuple[str, bytes]]) -> Iterator[bytes]:
        encode = self.encode
        for i, ((name, digest), path) in enumerate(
            zip(entries, self.tree.iter_proofs(), strict=True)
        ):
            yield encode(name, digest, i, path)
