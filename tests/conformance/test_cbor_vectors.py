"""Canonical CBOR vectors: encode KATs, encode(decode(x)) == x, strict-decode negatives."""

from __future__ import annotations

import json
from typing import Any

import pytest

from anchor.label309 import cbor
from tests.conformance._primitive_vectors import hx, vector_params

ENCODE_KAT = "cbor/canonical-encode-rfc8949-kat.json"
ENCODE_ROUNDTRIP = "cbor/canonical-encode-roundtrip.json"
DECODE_NEGATIVE = "cbor/canonical-decode-negative.json"


def _input_value(vector: dict[str, Any]) -> Any:
    spec = vector.get("input_value_spec")
    if spec is None:
        return json.loads(vector["input_json"])
    if spec["type"] == "bytes":
        return hx(spec["hex"])
    if spec["type"] == "bigint":
        return int(spec["decimal"])
    raise AssertionError(f"unknown input_value_spec type {spec['type']!r}")


def _check_encode(vector: dict[str, Any]) -> None:
    value = _input_value(vector)
    expected = hx(vector["expected_cbor_hex"])
    assert cbor.encode(value).hex() == expected.hex()
    decoded = cbor.decode(expected)
    assert decoded == value
    assert type(decoded) is type(value) or isinstance(decoded, cbor.CborMap)
    assert cbor.encode(decoded) == expected


@pytest.mark.parametrize("vector", vector_params(ENCODE_KAT))
def test_canonical_encode_rfc8949_kat(vector: dict[str, Any]) -> None:
    _check_encode(vector)


@pytest.mark.parametrize("vector", vector_params(ENCODE_ROUNDTRIP))
def test_canonical_encode_roundtrip(vector: dict[str, Any]) -> None:
    _check_encode(vector)


@pytest.mark.parametrize("vector", vector_params(DECODE_NEGATIVE))
def test_canonical_decode_negative(vector: dict[str, Any]) -> None:
    assert vector["expected_error_code"] == "MALFORMED_CBOR"
    with pytest.raises(cbor.CborError) as info:
        cbor.decode(hx(vector["cbor_hex"]))
    assert info.value.code == vector["expected_error_code"]
