"""Transaction metadata on the devnet: extraction from auxiliary data, the ledger's
well-formedness rule, and Blockfrost's JSON projection.

Auxiliary data comes in three forms (Shelley map, Allegra ``[metadata, scripts]``,
Alonzo-and-later tag 259 map); :func:`extract_metadata` reads any of them from the
raw transaction bytes and keeps, for each label, the exact bytes of its value as
submitted (Blockfrost's ``/txs/{hash}/metadata/cbor`` serves those, never a
re-encoding). :func:`metadata_violations` is the ledger rule: every metadatum is an
integer, a byte or text string of at most 64 bytes, a list or a map of metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anchor.label309.cbor import CborMap, array_spans, decode_lenient, map_spans, skip_tag

MAX_METADATA_STRING = 64
_AUX_TAG = 259


@dataclass(frozen=True)
class MetadataEntry:
    """One metadata label of a transaction: its value (leniently decoded) and raw bytes."""

    label: int
    value: Any
    raw: bytes


def _metadata_map_offset(data: bytes, offset: int) -> int | None:
    """Offset of the metadata map inside the auxiliary data at ``offset`` (None: no metadata)."""
    tag, inner = skip_tag(data, offset)
    if tag is not None:
        if tag != _AUX_TAG:
            raise ValueError(f"auxiliary data has unexpected tag {tag}")
        for (ks, ke), (vs, _ve) in map_spans(data, inner):
            key = decode_lenient(data[ks:ke])
            if isinstance(key, int) and not isinstance(key, bool) and key == 0:
                return vs
        return None
    major = data[offset] >> 5
    if major == 5:
        return offset
    if major == 4:
        spans = array_spans(data, offset)
        if len(spans) != 2:
            raise ValueError("auxiliary data array must be [metadata, scripts]")
        return spans[0][0]
    raise ValueError("auxiliary data is neither a map, an array nor tag 259")


def extract_metadata(data: bytes, offset: int) -> tuple[MetadataEntry, ...]:
    """The metadata entries of the auxiliary data starting at ``data[offset]``.

    Raises ValueError (or the CBOR layer's CborError) when the auxiliary data is not
    one of the three ledger forms or a label is not an unsigned integer.
    """
    map_offset = _metadata_map_offset(data, offset)
    if map_offset is None:
        return ()
    if data[map_offset] >> 5 != 5:
        raise ValueError("transaction metadata must be a map")
    entries: list[MetadataEntry] = []
    seen: set[int] = set()
    for (ks, ke), (vs, ve) in map_spans(data, map_offset):
        label = decode_lenient(data[ks:ke])
        if not isinstance(label, int) or isinstance(label, bool) or label < 0:
            raise ValueError(f"metadata label {label!r} is not an unsigned integer")
        if label in seen:
            raise ValueError(f"metadata label {label} appears twice")
        seen.add(label)
        raw = data[vs:ve]
        entries.append(MetadataEntry(label=label, value=decode_lenient(raw), raw=raw))
    return tuple(entries)


def _violations(value: Any, path: str, out: list[str]) -> None:
    if isinstance(value, bool) or value is None:
        out.append(f"{path}: {value!r} is not a metadatum")
    elif isinstance(value, int):
        return
    elif isinstance(value, bytes):
        if len(value) > MAX_METADATA_STRING:
            out.append(f"{path}: byte string of {len(value)} bytes exceeds {MAX_METADATA_STRING}")
    elif isinstance(value, str):
        size = len(value.encode("utf-8"))
        if size > MAX_METADATA_STRING:
            out.append(f"{path}: text string of {size} bytes exceeds {MAX_METADATA_STRING}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _violations(item, f"{path}[{index}]", out)
    elif isinstance(value, CborMap):
        for index, (key, item) in enumerate(value.items()):
            _violations(key, f"{path}{{key {index}}}", out)
            _violations(item, f"{path}{{{index}}}", out)
    else:
        out.append(f"{path}: {type(value).__name__} is not a metadatum")


def metadata_violations(entries: tuple[MetadataEntry, ...]) -> list[str]:
    """Every place where the metadata breaks the ledger's metadatum rule (empty: valid)."""
    out: list[str] = []
    for entry in entries:
        _violations(entry.value, f"label {entry.label}", out)
    return out


def _json_key(key: Any) -> str:
    if isinstance(key, bool):
        raise ValueError("boolean key")
    if isinstance(key, int):
        return str(key)
    if isinstance(key, str):
        return key
    if isinstance(key, bytes):
        return "0x" + key.hex()
    raise ValueError("map key has no JSON form")


def _to_json(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        raise ValueError("not a metadatum")
    if isinstance(value, int | str):
        return value
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    if isinstance(value, CborMap):
        return {_json_key(k): _to_json(v) for k, v in value.items()}
    raise ValueError("not a metadatum")


def metadata_json(value: Any) -> Any:
    """Blockfrost's JSON view of a metadatum (bytes as ``0x`` hex); None if it has none."""
    try:
        return _to_json(value)
    except ValueError:
        return None
