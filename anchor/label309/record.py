"""The Label 309 record model and the producer-side builder.

The model is a set of frozen dataclasses (:class:`Record`, :class:`Item`,
:class:`MerkleCommit`, :class:`SigEntry`). Extension keys are kept verbatim in
``Record.extensions`` because they are part of the signed body. Maps whose content is
open (``hashes``, ``enc``, extension values) are :class:`~anchor.label309.cbor.CborMap`
so that every CBOR key kind survives a round trip.

Bytes come from one place: :func:`build_record_body` / :meth:`Record.encode` give the
canonical body, :func:`body_without_sigs` is the single source of the bytes a signature
covers, :func:`with_sigs` adds signature entries. The builder and :func:`with_sigs` run
the structural validator over their own output and refuse to return a record that the
standard rejects (in particular one that leaks a private key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from anchor.errors import Label309Error
from anchor.label309 import cbor
from anchor.label309.cbor import CborMap

RECORD_VERSION = 1
BASE_KEYS = frozenset({"v", "items", "merkle", "supersedes", "sigs", "crit"})


class RecordBuildError(Label309Error):
    """The builder was asked for a record the standard rejects (``code`` says which rule)."""


class RecordShapeError(Label309Error):
    """Decoded bytes do not have the shape of a record model (run the validator for detail)."""


def _as_cbormap(value: Mapping[Any, Any] | CborMap | None) -> CborMap:
    if value is None:
        return CborMap()
    return value if isinstance(value, CborMap) else CborMap(value)


@dataclass(frozen=True)
class Item:
    """One item: content hashes (alg id -> digest), optional URIs, optional sealed envelope."""

    hashes: CborMap
    uris: tuple[str, ...] = ()
    enc: CborMap | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "hashes", _as_cbormap(self.hashes))
        object.__setattr__(self, "uris", tuple(self.uris))
        if self.enc is not None:
            object.__setattr__(self, "enc", _as_cbormap(self.enc))

    def to_cbor_value(self) -> CborMap:
        """The item map exactly as it is encoded."""
        pairs: list[tuple[str, Any]] = [("hashes", self.hashes)]
        if self.uris:
            pairs.append(("uris", list(self.uris)))
        if self.enc is not None:
            pairs.append(("enc", self.enc))
        return CborMap(pairs)


@dataclass(frozen=True)
class MerkleCommit:
    """One list commitment: algorithm, 32-byte root, leaf count, optional leaves-list URIs."""

    alg: str
    root: bytes
    leaf_count: int
    uris: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "uris", tuple(self.uris))

    def to_cbor_value(self) -> CborMap:
        """The merkle entry map exactly as it is encoded."""
        pairs: list[tuple[str, Any]] = [
            ("alg", self.alg),
            ("root", bytes(self.root)),
            ("leaf_count", self.leaf_count),
        ]
        if self.uris:
            pairs.append(("uris", list(self.uris)))
        return CborMap(pairs)


@dataclass(frozen=True)
class SigEntry:
    """One ``sigs[i]`` entry: the COSE_Sign1 bytes and, on the wallet path, COSE_Key bytes."""

    cose_sign1: bytes
    cose_key: bytes | None = None

    def to_cbor_value(self) -> CborMap:
        """The sig-entry map exactly as it is encoded."""
        pairs: list[tuple[str, Any]] = [("cose_sign1", bytes(self.cose_sign1))]
        if self.cose_key is not None:
            pairs.append(("cose_key", bytes(self.cose_key)))
        return CborMap(pairs)

    def encode(self) -> bytes:
        """Canonical bytes of the sig-entry map."""
        return cbor.encode(self.to_cbor_value())


@dataclass(frozen=True)
class Record:
    """A whole record body. ``extensions`` holds every extension key with its value."""

    v: int = RECORD_VERSION
    items: tuple[Item, ...] = ()
    merkle: tuple[MerkleCommit, ...] = ()
    supersedes: bytes | None = None
    sigs: tuple[SigEntry, ...] = ()
    crit: tuple[str, ...] = ()
    extensions: CborMap = field(default_factory=CborMap)

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        object.__setattr__(self, "merkle", tuple(self.merkle))
        object.__setattr__(self, "sigs", tuple(self.sigs))
        object.__setattr__(self, "crit", tuple(self.crit))
        object.__setattr__(self, "extensions", _as_cbormap(self.extensions))

    def to_cbor_value(self) -> CborMap:
        """The record map; empty optional fields are omitted (the standard forbids them)."""
        pairs: list[tuple[Any, Any]] = [("v", self.v)]
        if self.items:
            pairs.append(("items", [item.to_cbor_value() for item in self.items]))
        if self.merkle:
            pairs.append(("merkle", [m.to_cbor_value() for m in self.merkle]))
        if self.supersedes is not None:
            pairs.append(("supersedes", bytes(self.supersedes)))
        if self.sigs:
            pairs.append(("sigs", [s.to_cbor_value() for s in self.sigs]))
        if self.crit:
            pairs.append(("crit", list(self.crit)))
        pairs.extend(self.extensions.items())
        return CborMap(pairs)

    def encode(self) -> bytes:
        """Canonical CBOR of the whole body (sigs included)."""
        return cbor.encode(self.to_cbor_value())

    def signed_bytes(self) -> bytes:
        """Canonical CBOR of the body without ``sigs``: what every signature covers."""
        return body_without_sigs(self.encode())

    @property
    def extension_keys(self) -> tuple[str, ...]:
        """The extension keys present, in canonical order."""
        return tuple(sorted((str(k) for k in self.extensions), key=cbor.encode))

    @classmethod
    def from_cbor(cls, body: bytes) -> Record:
        """Strictly decode ``body`` and map it onto the model.

        Raises ``CborError`` (MALFORMED_CBOR) for non-canonical bytes and
        :class:`RecordShapeError` when the shape does not fit the model; it does not apply
        the standard's domain rules (use ``validate_record`` for that).
        """
        return cls.from_value(cbor.decode(body))

    @classmethod
    def from_value(cls, value: Any) -> Record:
        """Map a strictly decoded record value onto the model (see :meth:`from_cbor`)."""
        try:
            return _record_from_value(value)
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise RecordShapeError(
                "SCHEMA_TYPE_MISMATCH", f"record does not fit the model: {exc}"
            ) from exc


def _require(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if isinstance(value, bool) and kind is int:
        raise TypeError(f"{what} must be an integer")
    if not isinstance(value, kind):
        raise TypeError(f"{what} has the wrong type")
    return value


def _uris(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(_require(u, str, what) for u in _require(value, list, what))


def _record_from_value(value: Any) -> Record:
    top = _require(value, CborMap, "record")
    items = []
    for entry in _require(top.get("items", []), list, "items"):
        entry = _require(entry, CborMap, "items[i]")
        enc = entry.get("enc")
        items.append(
            Item(
                hashes=_require(entry["hashes"], CborMap, "hashes"),
                uris=_uris(entry.get("uris"), "uris"),
                enc=None if enc is None else _require(enc, CborMap, "enc"),
            )
        )
    merkle = []
    for entry in _require(top.get("merkle", []), list, "merkle"):
        entry = _require(entry, CborMap, "merkle[i]")
        merkle.append(
            MerkleCommit(
                alg=_require(entry["alg"], str, "merkle alg"),
                root=_require(entry["root"], bytes, "merkle root"),
                leaf_count=_require(entry["leaf_count"], int, "leaf_count"),
                uris=_uris(entry.get("uris"), "merkle uris"),
            )
        )
    sigs = []
    for entry in _require(top.get("sigs", []), list, "sigs"):
        entry = _require(entry, CborMap, "sigs[i]")
        key = entry.get("cose_key")
        sigs.append(
            SigEntry(
                cose_sign1=_require(entry["cose_sign1"], bytes, "cose_sign1"),
                cose_key=None if key is None else _require(key, bytes, "cose_key"),
            )
        )
    supersedes = top.get("supersedes")
    return Record(
        v=_require(top["v"], int, "v"),
        items=tuple(items),
        merkle=tuple(merkle),
        supersedes=None if supersedes is None else _require(supersedes, bytes, "supersedes"),
        sigs=tuple(sigs),
        crit=tuple(
            _require(c, str, "crit[i]") for c in _require(top.get("crit", []), list, "crit")
        ),
        extensions=CborMap([(k, v) for k, v in top.items() if k not in BASE_KEYS]),
    )


def body_without_sigs(body: bytes) -> bytes:
    """Decode ``body`` strictly, drop ``sigs`` and re-encode canonically.

    This is the single source of the bytes a record signature covers (after the
    ``cardano-poe-record-sig-v1`` prefix). Raises ``CborError`` for non-canonical input.
    """
    value = cbor.decode(body)
    if not isinstance(value, CborMap):
        raise RecordShapeError("SCHEMA_TYPE_MISMATCH", "record body is not a map")
    return cbor.encode(CborMap([(k, v) for k, v in value.items() if k != "sigs"]))


def _preflight(body: bytes, *, crit: Iterable[str]) -> bytes:
    from anchor.label309.validate import validate_record  # validate imports this module

    result = validate_record(body, supported_critical_extensions=frozenset(crit))
    if not result.valid:
        errors = [i for i in result.issues if i.severity == "error"]
        first = errors[0]
        raise RecordBuildError(
            first.code,
            f"{first.dotted_path()}: {first.message}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
        )
    return body


def build_record_body(
    *,
    items: Iterable[Item] = (),
    merkle: Iterable[MerkleCommit] = (),
    supersedes: bytes | None = None,
    crit: Iterable[str] = (),
    extensions: Mapping[str, Any] | CborMap | None = None,
    sigs: Iterable[SigEntry] = (),
    check: bool = True,
) -> bytes:
    """Canonical bytes of a v1 record built from the given parts.

    With ``check`` (the default) the bytes are run through the structural validator
    (treating the record's own ``crit`` entries as supported) and any error raises
    :class:`RecordBuildError` with the registry code, so an invalid record never leaves
    the builder.
    """
    crit_t = tuple(crit)
    record = Record(
        items=tuple(items),
        merkle=tuple(merkle),
        supersedes=supersedes,
        sigs=tuple(sigs),
        crit=crit_t,
        extensions=_as_cbormap(extensions),
    )
    body = record.encode()
    return _preflight(body, crit=crit_t) if check else body


def with_sigs(body: bytes, sig_entries: Iterable[SigEntry | bytes], *, check: bool = True) -> bytes:
    """``body`` with its ``sigs`` replaced by ``sig_entries`` (models or sig-entry map bytes).

    The signed part of the body is untouched, so signatures over
    :func:`body_without_sigs` stay valid. With ``check`` the result is validated like
    :func:`build_record_body` (a leaked private key raises ``SIG_PRIVATE_KEY_LEAKED``).
    """
    value = cbor.decode(body)
    if not isinstance(value, CborMap):
        raise RecordShapeError("SCHEMA_TYPE_MISMATCH", "record body is not a map")
    entries = [
        cbor.decode(e) if isinstance(e, bytes | bytearray) else e.to_cbor_value()
        for e in sig_entries
    ]
    pairs = [(k, v) for k, v in value.items() if k != "sigs"]
    if entries:
        pairs.append(("sigs", entries))
    out = cbor.encode(CborMap(pairs))
    if not check:
        return out
    crit = value.get("crit", [])
    return _preflight(
        out, crit=[c for c in crit if isinstance(c, str)] if isinstance(crit, list) else []
    )
