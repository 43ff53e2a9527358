"""Label 309 carriage: the chunk array, auxiliary-data envelopes, carriage errors.

Producer side: the canonical record body is split into byte strings of at most
64 bytes (the ledger's per-``bstr`` cap) and carried as a definite array of
definite byte strings under metadata label 309, even when the body is 64 bytes or
fewer. Chunk boundaries carry no meaning.

Verifier side: :func:`unwrap_aux_data` finds the raw label-309 value inside
fetched auxiliary data, dispatching only on the top-level type and tag (untagged
map; ``[metadata, scripts…]`` array; tag 259 ``{0: metadata}``), and
:func:`reassemble` concatenates the chunks. Both return slices of their input,
never re-encodings. Only the label-309 value has pinned strictness (definite
forms, byte-string elements, ≤ 64 bytes each); the rest of the auxiliary data is
read leniently. Non-minimal heads inside the chunk array are tolerated: the
taxonomy pins only the cases below, and the bytes are hash-bound anyway.

    not an array / indefinite array / non-bstr or indefinite-bstr element → MALFORMED_CBOR
    element longer than 64 bytes                                          → CHUNK_TOO_LARGE
    auxiliary data well-formed but without label 309                      → METADATA_NOT_FOUND

An empty concatenation is returned as ``b""``; the strict body decode then fails
with ``MALFORMED_CBOR`` (from the body, not from transport).
"""

from __future__ import annotations

from anchor.errors import Label309Error
from anchor.label309 import cbor
from anchor.label309.codes import CHUNK_TOO_LARGE, MALFORMED_CBOR, METADATA_NOT_FOUND
from anchor.label309.constants import MAX_CHUNK_BYTES, METADATA_LABEL

TAG_AUX_DATA_MAP = 259

_MAJOR_BSTR = 2
_MAJOR_ARRAY = 4
_MAJOR_MAP = 5
_MAJOR_TAG = 6
_AI_INDEFINITE = 31


class CarriageError(Label309Error):
    """The label-309 carriage is broken; ``code`` is CHUNK_TOO_LARGE, MALFORMED_CBOR or
    METADATA_NOT_FOUND."""


# --------------------------------------------------------------------------- producer


def chunk_body(body: bytes) -> list[bytes]:
    """Split ``body`` minimally: 64-byte chunks, the last one shorter; never an empty chunk."""
    data = bytes(body)
    return [data[i : i + MAX_CHUNK_BYTES] for i in range(0, len(data), MAX_CHUNK_BYTES)]


def label309_value(body: bytes) -> bytes:
    """The label-309 value: a definite array of definite byte strings (always an array)."""
    return cbor.encode(chunk_body(body))


def metadata_map_bytes(body: bytes) -> bytes:
    """The transaction metadata map ``{309: chunk array}`` (``a1 19 0135 …``)."""
    return cbor.encode({METADATA_LABEL: chunk_body(body)})


# --------------------------------------------------------------------------- verifier


def _whole_item(data: bytes, what: str) -> None:
    """Require ``data`` to be exactly one well-formed CBOR item (lenient rules)."""
    try:
        end = cbor.item_end(data, 0)
    except cbor.CborError as exc:
        raise CarriageError(MALFORMED_CBOR, f"{what} is not well-formed CBOR") from exc
    if end != len(data):
        raise CarriageError(MALFORMED_CBOR, f"{what} has trailing bytes after the CBOR item")


def reassemble(value: bytes) -> bytes:
    """Concatenate the chunks of a raw label-309 value, in order, byte for byte.

    Zero-length chunks are tolerated. Raises :class:`CarriageError`: MALFORMED_CBOR
    for a non-array, an indefinite array, a non-bstr or indefinite-bstr element, or
    bytes that are not one well-formed item; CHUNK_TOO_LARGE for an element over 64
    bytes (first offending element in order decides).
    """
    data = bytes(value)
    _whole_item(data, "label-309 value")
    initial = data[0]
    if initial >> 5 != _MAJOR_ARRAY:
        raise CarriageError(MALFORMED_CBOR, "label-309 value is not an array of byte strings")
    if initial & 0x1F == _AI_INDEFINITE:
        raise CarriageError(MALFORMED_CBOR, "label-309 value is an indefinite-length array")
    parts: list[bytes] = []
    for index, (start, end) in enumerate(cbor.array_spans(data, 0)):
        head = data[start]
        if head >> 5 != _MAJOR_BSTR:
            raise CarriageError(MALFORMED_CBOR, f"chunk {index} is not a byte string")
        if head & 0x1F == _AI_INDEFINITE:
            raise CarriageError(MALFORMED_CBOR, f"chunk {index} is an indefinite-length bstr")
        content = cbor.decode_lenient(data[start:end])
        if len(content) > MAX_CHUNK_BYTES:
            raise CarriageError(
                CHUNK_TOO_LARGE,
                f"chunk {index} is {len(content)} bytes; the limit is {MAX_CHUNK_BYTES}",
            )
        parts.append(content)
    return b"".join(parts)


def _is_uint(raw: bytes, expected: int) -> bool:
    """True when the raw CBOR item is the unsigned integer ``expected`` (never a bool)."""
    if raw[0] >> 5 != 0:
        return False
    value = cbor.decode_lenient(raw)
    return type(value) is int and value == expected


def _find_value(data: bytes, map_offset: int, key: int) -> tuple[int, int] | None:
    """Span of the value under integer ``key`` in the map at ``map_offset``; None if absent."""
    found: list[tuple[int, int]] = []
    for (ks, ke), value_span in cbor.map_spans(data, map_offset):
        if _is_uint(data[ks:ke], key):
            found.append(value_span)
    if len(found) > 1:
        raise CarriageError(MALFORMED_CBOR, f"map carries integer key {key} more than once")
    return found[0] if found else None


def _metadata_offset(data: bytes) -> int | None:
    """Offset of the metadata map by top-level type/tag alone; None when tag 259 lacks key 0."""
    initial = data[0]
    major = initial >> 5
    if major == _MAJOR_MAP:
        return 0
    if major == _MAJOR_ARRAY:
        spans = cbor.array_spans(data, 0)
        if not spans:
            raise CarriageError(MALFORMED_CBOR, "auxiliary-data array is empty")
        offset = spans[0][0]
    elif major == _MAJOR_TAG:
        tag, inner = cbor.skip_tag(data, 0)
        if tag != TAG_AUX_DATA_MAP:
            raise CarriageError(MALFORMED_CBOR, f"auxiliary data carries tag {tag}, not 259")
        if data[inner] >> 5 != _MAJOR_MAP:
            raise CarriageError(MALFORMED_CBOR, "tag 259 auxiliary data does not wrap a map")
        span = _find_value(data, inner, 0)
        if span is None:
            return None
        offset = span[0]
    else:
        raise CarriageError(MALFORMED_CBOR, "auxiliary data is not a map, array or tag 259")
    if data[offset] >> 5 != _MAJOR_MAP:
        raise CarriageError(MALFORMED_CBOR, "auxiliary-data metadata is not a map")
    return offset


def unwrap_aux_data(aux: bytes) -> bytes:
    """The raw bytes of the label-309 value inside auxiliary data, exactly as given.

    Dispatch is on the top-level type and tag only: an untagged map *is* the
    metadata (even with an integer key 0), an array carries it as element 0, tag
    259 under integer key 0. Raises :class:`CarriageError`: MALFORMED_CBOR for any
    other top-level shape or tag, non-map metadata, a duplicated label, or bytes
    that are not one well-formed item; METADATA_NOT_FOUND when there is no label 309.
    """
    data = bytes(aux)
    _whole_item(data, "auxiliary data")
    offset = _metadata_offset(data)
    span = None if offset is None else _find_value(data, offset, METADATA_LABEL)
    if span is None:
        raise CarriageError(METADATA_NOT_FOUND, "auxiliary data carries no label 309 metadata")
    return data[span[0] : span[1]]


def record_body_from_aux(aux: bytes) -> bytes:
    """Unwrap and reassemble: the raw record body carried by auxiliary data."""
    return reassemble(unwrap_aux_data(aux))


def check_carries(aux: bytes, body: bytes) -> None:
    """Producer guard: raise unless ``aux`` carries exactly ``body`` in a conformant chunk array.

    Call it on the *final* serialised auxiliary data, after any transaction builder
    touched it, before signing and submitting.
    """
    carried = record_body_from_aux(aux)
    if carried != bytes(body):
        raise CarriageError(
            MALFORMED_CBOR, "auxiliary data does not carry the expected record body byte for byte"
        )
