"""Carriage: the producer's chunk array, and the verifier's unwrap/reassemble edge cases."""

from __future__ import annotations

import pytest

from anchor.label309 import cbor
from anchor.label309.carriage import (
    CarriageError,
    check_carries,
    chunk_body,
    label309_value,
    metadata_map_bytes,
    reassemble,
    record_body_from_aux,
    unwrap_aux_data,
)

BODY_63 = bytes.fromhex(
    "a2617601656974656d7381a166686173686573a168736861322d3235365820" + "11" * 32
)


def _body(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


@pytest.mark.parametrize(
    ("size", "sizes"),
    [
        (0, []),
        (1, [1]),
        (63, [63]),
        (64, [64]),
        (65, [64, 1]),
        (128, [64, 64]),
        (200, [64] * 3 + [8]),
    ],
)
def test_minimal_split(size: int, sizes: list[int]) -> None:
    chunks = chunk_body(_body(size))
    assert [len(c) for c in chunks] == sizes
    assert b"".join(chunks) == _body(size)


def test_small_body_is_still_an_array() -> None:
    assert label309_value(BODY_63) == bytes.fromhex("81583f") + BODY_63


def test_value_and_metadata_bytes() -> None:
    body = _body(130)
    value = label309_value(body)
    assert value[:1] == b"\x83"
    assert value[1:3] == b"\x58\x40"
    assert metadata_map_bytes(body) == bytes.fromhex("a1190135") + value
    assert reassemble(value) == body
    assert record_body_from_aux(metadata_map_bytes(body)) == body


def test_reassemble_returns_raw_concatenation_with_non_minimal_heads() -> None:
    # A non-minimal chunk head (59 0003) is tolerated: only the listed taxonomy is pinned.
    value = bytes.fromhex("82590003aabbcc41dd")
    assert reassemble(value) == bytes.fromhex("aabbccdd")


@pytest.mark.parametrize(
    ("hex_value", "code"),
    [
        ("", "MALFORMED_CBOR"),  # empty input
        ("8241aa", "MALFORMED_CBOR"),  # truncated
        ("8141aa00", "MALFORMED_CBOR"),  # trailing bytes
        ("81f6", "MALFORMED_CBOR"),  # null element
        ("81d84141aa", "MALFORMED_CBOR"),  # tagged bstr element
        ("9fff", "MALFORMED_CBOR"),  # empty indefinite array
        ("825840" + "00" * 64 + "5841" + "00" * 65, "CHUNK_TOO_LARGE"),
        ("826161" + "5841" + "00" * 65, "MALFORMED_CBOR"),  # first failure wins
    ],
)
def test_reassemble_errors(hex_value: str, code: str) -> None:
    with pytest.raises(CarriageError) as info:
        reassemble(bytes.fromhex(hex_value))
    assert info.value.code == code


def test_unwrap_forms_return_exact_input_slice() -> None:
    value = label309_value(BODY_63)
    metadata = bytes.fromhex("a1190135") + value
    scripts = bytes.fromhex("80")
    forms = [
        metadata,
        b"\x82" + metadata + scripts,
        b"\x83" + metadata + scripts + scripts,  # extra elements do not matter
        bytes.fromhex("d90103a100") + metadata,
        bytes.fromhex("d90103a200") + metadata + bytes.fromhex("0180"),
    ]
    for aux in forms:
        assert unwrap_aux_data(aux) == value


def test_unwrap_keeps_non_canonical_label_bytes() -> None:
    # An indefinite metadata map and a non-minimal 309 key are read leniently.
    value = bytes.fromhex("824101590001aa")
    aux = bytes.fromhex("bf1a00000135") + value + b"\xff"
    assert unwrap_aux_data(aux) == value
    assert reassemble(unwrap_aux_data(aux)) == bytes.fromhex("01aa")


@pytest.mark.parametrize(
    ("hex_aux", "code"),
    [
        ("80", "MALFORMED_CBOR"),  # empty array
        ("8101", "MALFORMED_CBOR"),  # metadata is not a map
        ("d90103a10001", "MALFORMED_CBOR"),  # tag-259 metadata is not a map
        ("d9010380", "MALFORMED_CBOR"),  # tag 259 around an array
        ("d818a0", "MALFORMED_CBOR"),  # tag 24
        ("a2190135801901358140", "MALFORMED_CBOR"),  # label 309 twice
        ("a0a0", "MALFORMED_CBOR"),  # trailing bytes
        ("f6", "MALFORMED_CBOR"),  # null
        ("a0", "METADATA_NOT_FOUND"),
        ("a1f58140", "METADATA_NOT_FOUND"),  # key true is not 309
        ("a1390134" + "8140", "METADATA_NOT_FOUND"),  # -309 is not 309
        ("a16333303981" + "40", "METADATA_NOT_FOUND"),  # text "309" is not 309
        ("d90103a0", "METADATA_NOT_FOUND"),
    ],
)
def test_unwrap_errors(hex_aux: str, code: str) -> None:
    with pytest.raises(CarriageError) as info:
        unwrap_aux_data(bytes.fromhex(hex_aux))
    assert info.value.code == code


def test_check_carries() -> None:
    aux = metadata_map_bytes(BODY_63)
    check_carries(aux, BODY_63)
    with pytest.raises(CarriageError):
        check_carries(aux, BODY_63[:-1] + b"\x12")
    # A builder that re-encoded the body bytes as one long bstr breaks the carriage.
    bad = cbor.encode({309: [BODY_63 + BODY_63]})
    with pytest.raises(CarriageError) as info:
        check_carries(bad, BODY_63 + BODY_63)
    assert info.value.code == "CHUNK_TOO_LARGE"
