"""Structural-validator vectors: the negative and positive corpora, the resource bounds and
the two-role unknown-envelope readings.

The harness compares the sorted set of distinct error-severity codes with
``expected_error_codes`` (empty means the record must validate) and, where given, the
sorted info codes with ``expected_info_codes``.
"""

from __future__ import annotations

from typing import Any

import pytest

from anchor.label309.validate import ValidateFail, ValidateOk, validate_record
from tests.conformance._primitive_vectors import hx, vector_params
from tests.conformance._record_helpers import codes_by_severity, validator_kwargs

NEGATIVE = "validator/validator-negative.json"
POSITIVE = "validator/validator-positive.json"
BOUNDS = "validator/validator-bounds-negative.json"
ROLES = "validator/enc-unsupported-roles.json"


def _check(vector: dict[str, Any]) -> None:
    result = validate_record(hx(vector["cbor_hex"]), **validator_kwargs(vector))
    errors = codes_by_severity(result, "error")
    assert errors == vector["expected_error_codes"]
    assert result.valid is (not errors)
    assert isinstance(result, ValidateOk if not errors else ValidateFail)
    if "expected_info_codes" in vector:
        assert codes_by_severity(result, "info") == vector["expected_info_codes"]


@pytest.mark.parametrize("vector", vector_params(NEGATIVE))
def test_validator_negative(vector: dict[str, Any]) -> None:
    _check(vector)


@pytest.mark.parametrize("vector", vector_params(POSITIVE))
def test_validator_positive(vector: dict[str, Any]) -> None:
    assert vector["expected_error_codes"] == []
    _check(vector)


@pytest.mark.parametrize("vector", vector_params(BOUNDS))
def test_validator_bounds_negative(vector: dict[str, Any]) -> None:
    _check(vector)


@pytest.mark.parametrize("vector", vector_params(ROLES))
def test_enc_unsupported_roles(vector: dict[str, Any]) -> None:
    body = hx(vector["cbor_hex"])
    for role in ("public", "recipient_or_strict"):
        expected = vector["expected_by_role"][role]
        result = validate_record(body, role=role)
        got = (result.valid, codes_by_severity(result, "error"), codes_by_severity(result, "info"))
        assert got == (expected["valid"], expected["error_codes"], expected["info_codes"]), role
