"""The release manifest: model, its one canonical byte form, and a checked reader.

:meth:`Manifest.to_bytes` is the single source of ``manifest.json`` bytes: RFC 8785
canonical JSON (keys sorted, no insignificant whitespace, UTF-8), so the same inputs give
the same bytes on every machine. Absent optional fields are omitted, never ``null``;
empty ``release``/``source``/``build`` objects are omitted too. Items are sorted by the
UTF-8 bytes of their name and item ``i`` has ``leaf_index`` ``i``. The schema is
``docs/manifest.schema.json``; the contract is ``docs/bundle.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from anchor.errors import InputError
from anchor.evidence.attestation import AttestationInfo
from anchor.evidence.metadata import Metadata
from anchor.evidence.sbom import SbomInfo
from anchor.merkle.jcs import JsonFormatError, canonical_json, loads_strict, quote
from anchor.merkle.tree import ALG as TREE_ALG

FORMAT = "evidence-anchor-manifest-v1"
SHA2_256 = "sha2-256"
BLAKE2B_256 = "blake2b-256"


_EMPTY_ITEMS = b'"items":[]'
_MAX_SAFE_INTEGER = 2**53 - 1  # I-JSON: larger integers take the generic encoder (and fail)


class ManifestError(InputError):
    """Bytes that are not a well-formed evidence-anchor manifest."""


@dataclass(frozen=True)
class Item:
    """One anchored file as recorded in the manifest."""

    name: str
    kind: str
    media_type: str
    size: int
    sha256: bytes
    leaf_index: int
    blake2b_256: bytes | None = None
    sbom: SbomInfo | None = None
    attestation: AttestationInfo | None = None
    warnings: tuple[str, ...] = ()
    attested_by: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """The manifest form of the item (optional fields omitted when absent).

        ``attestedBy`` names the attestation items of the bundle that claim this item's
        SHA-256 as a subject (claimed, not verified: ``anchor verify --trust-root`` checks).
        """
        digests = {SHA2_256: self.sha256.hex()}
        if self.blake2b_256 is not None:
            digests[BLAKE2B_256] = self.blake2b_256.hex()
        out: dict[str, object] = {
            "name": self.name,
            "kind": self.kind,
            "media_type": self.media_type,
            "size": self.size,
            "digests": digests,
            "leaf_index": self.leaf_index,
        }
        if self.sbom is not None:
            out["sbom"] = self.sbom.to_json()
        if self.attestation is not None:
            out["attestation"] = self.attestation.to_json()
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if self.attested_by:
            out["attestedBy"] = list(self.attested_by)
        return out

    @cached_property
    def json_bytes(self) -> bytes:
        """The canonical JSON of :meth:`to_json`, computed once (a hashing worker computes it
        as soon as the item exists, so the manifest is mostly encoded before hashing ends)."""
        if (
            self.sbom is None
            and self.attestation is None
            and not self.warnings
            and not self.attested_by
            and type(self.size) is int
            and type(self.leaf_index) is int
            and 0 <= self.size <= _MAX_SAFE_INTEGER
            and 0 <= self.leaf_index <= _MAX_SAFE_INTEGER
        ):
            return self._plain_json_bytes()
        return canonical_json(self.to_json())

    def _plain_json_bytes(self) -> bytes:
        """:meth:`to_json` of an item with nothing but names, sizes and digests, written out
        in RFC 8785 form directly: members in key order (``digests``, ``kind``,
        ``leaf_index``, ``media_type``, ``name``, ``size``; ``blake2b-256`` before
        ``sha2-256``), strings through the canonical quoting, integers as decimals. It is
        the form of most items of a large release, so it skips building the dict and the
        generic encoder's checks; a test holds it equal to the generic encoding."""
        blake = "" if self.blake2b_256 is None else f'"{BLAKE2B_256}":"{self.blake2b_256.hex()}",'
        return (
            f'{{"digests":{{{blake}"{SHA2_256}":"{self.sha256.hex()}"}},'
            f'"kind":{quote(self.kind)},"leaf_index":{self.leaf_index:d},'
            f'"media_type":{quote(self.media_type)},"name":{quote(self.name)},'
            f'"size":{self.size:d}}}'
        ).encode()


@dataclass(frozen=True)
class Manifest:
    """A complete manifest: metadata, items in leaf order, and the tree head over them."""

    metadata: Metadata
    items: tuple[Item, ...]
    root: bytes

    def __post_init__(self) -> None:
        names = [item.name.encode("utf-8") for item in self.items]
        if names != sorted(names) or len(set(names)) != len(names):
            raise ValueError("manifest items must be sorted by UTF-8 name and unique")
        if any(item.leaf_index != i for i, item in enumerate(self.items)):
            raise ValueError("manifest item i must have leaf_index i")

    @property
    def leaves(self) -> list[bytes]:
        """Leaf i = SHA-256 of item i's bytes."""
        return [item.sha256 for item in self.items]

    def to_json(self) -> dict[str, object]:
        """The JSON object (before canonical encoding)."""
        return self._json([item.to_json() for item in self.items])

    def _json(self, items: list[object]) -> dict[str, object]:
        out: dict[str, object] = {"format": FORMAT}
        for key, obj in (
            ("release", self.metadata.release_json()),
            ("source", self.metadata.source_json()),
            ("build", self.metadata.build_json()),
        ):
            if obj:
                out[key] = obj
        out["items"] = items
        out["tree"] = {"alg": TREE_ALG, "leaf_count": len(self.items), "root": self.root.hex()}
        return out

    def to_bytes(self) -> bytes:
        """The exact ``manifest.json`` bytes (RFC 8785 canonical JSON, no trailing newline).

        Canonical JSON is compositional: the ``items`` array is its elements' canonical
        forms joined by commas. So the document is :func:`manifest_frame` with the items'
        cached :attr:`Item.json_bytes` spliced in.
        """
        head, tail = manifest_frame(self.metadata, self.root, len(self.items))
        items = b",".join([item.json_bytes for item in self.items])
        return b"".join((head, items, tail))


def manifest_frame(metadata: Metadata, root: bytes, leaf_count: int) -> tuple[bytes, bytes]:
    """The ``manifest.json`` bytes before and after the items' comma-joined
    :attr:`Item.json_bytes`, for a manifest of ``leaf_count`` items under ``root``.

    The document is encoded with an empty ``items`` array and cut inside it:
    ``"items":[]`` occurs once in that encoding, as every other key is fixed and a
    quote inside a string value is always escaped. A writer can then stream the items
    between the two parts (:meth:`Manifest.to_bytes` joins them).
    """
    doc = Manifest(metadata, (), root)._json([])
    doc["tree"] = {"alg": TREE_ALG, "leaf_count": leaf_count, "root": root.hex()}
    empty = canonical_json(doc)
    cut = empty.index(_EMPTY_ITEMS) + len(_EMPTY_ITEMS) - 1
    return empty[:cut], empty[cut:]


def sorted_by_name(names: Sequence[str]) -> list[str]:
    """``names`` in manifest order: bytewise by UTF-8."""
    return sorted(names, key=lambda n: n.encode("utf-8"))


def load_manifest(data: bytes) -> dict[str, Any]:
    """Parse ``manifest.json`` bytes; checks JSON, the format tag and the tree/items shape.

    Raises :class:`ManifestError` with one line describing the first problem.
    """
    try:
        doc = loads_strict(data)
    except JsonFormatError as exc:
        raise ManifestError(f"manifest.json: {exc.message}") from exc
    if not isinstance(doc, dict):
        raise ManifestError("manifest.json is not a JSON object")
    if doc.get("format") != FORMAT:
        raise ManifestError(f"manifest.json format is not {FORMAT}")
    items = doc.get("items")
    tree = doc.get("tree")
    if not isinstance(items, list) or not isinstance(tree, dict):
        raise ManifestError("manifest.json lacks items[] or tree")
    if tree.get("leaf_count") != len(items):
        raise ManifestError("manifest.json tree.leaf_count differs from the number of items")
    return doc
