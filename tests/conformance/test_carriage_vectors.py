"""Carriage vectors: auxiliary-data envelope forms, chunk-array reassembly and its errors."""

from __future__ import annotations

from typing import Any

import pytest

from anchor.errors import Label309Error
from anchor.label309 import cbor
from anchor.label309.carriage import CarriageError, reassemble, unwrap_aux_data
from tests.conformance._primitive_vectors import hx, vector_params

AUX_FORMS = "carriage/aux-data-envelope-forms.json"
CHUNK_POSITIVE = "carriage/chunk-array-positive.json"
CHUNK_NEGATIVE = "carriage/chunk-array-negative.json"


@pytest.mark.parametrize("vector", vector_params(AUX_FORMS))
def test_aux_data_envelope_forms(vector: dict[str, Any]) -> None:
    aux = hx(vector["auxiliary_data_cbor_hex"])
    expected = vector["expected"]
    if "error_code" in expected:
        with pytest.raises(CarriageError) as info:
            unwrap_aux_data(aux)
        assert info.value.code == expected["error_code"]
        return
    value = unwrap_aux_data(aux)
    assert value.hex() == expected["label_309_value_cbor_hex"]
    assert value in aux  # a slice of the fetched bytes, not a re-encoding
    assert reassemble(value).hex() == expected["record_body_hex"]


@pytest.mark.parametrize("vector", vector_params(CHUNK_POSITIVE))
def test_chunk_array_positive(vector: dict[str, Any]) -> None:
    body = reassemble(hx(vector["label_309_value_cbor_hex"]))
    assert body.hex() == vector["expected_record_body_hex"]
    cbor.decode(body)  # the reassembled body is a canonical record


@pytest.mark.parametrize("vector", vector_params(CHUNK_NEGATIVE))
def test_chunk_array_negative(vector: dict[str, Any]) -> None:
    """reassemble, then strict-decode the body: the first failure carries the pinned code."""
    with pytest.raises(Label309Error) as info:
        body = reassemble(hx(vector["label_309_value_cbor_hex"]))
        cbor.decode(body)
    assert info.value.code == vector["expected_error_code"]
