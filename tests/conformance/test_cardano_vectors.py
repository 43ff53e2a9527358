"""Cardano vectors: transaction-id and auxiliary-data binding, confirmation depth."""

from __future__ import annotations

from typing import Any

import pytest

from anchor.label309.txbind import (
    BindFailed,
    BindOk,
    Confirmed,
    Pending,
    bind,
    confirmation_depth,
    confirmation_status,
)
from tests.conformance._primitive_vectors import hx, vector_params

TX_BINDING = "cardano/tx-binding.json"
CONFIRMATION_DEPTH = "cardano/confirmation-depth.json"


@pytest.mark.parametrize("vector", vector_params(TX_BINDING))
def test_tx_binding(vector: dict[str, Any]) -> None:
    result = bind(
        hx(vector["requested_tx_hash_hex"]),
        hx(vector["transaction_body_cbor_hex"]),
        hx(vector["auxiliary_data_cbor_hex"]),
    )
    expected = vector["expected"]
    assert result.ok is expected["ok"]
    if expected["ok"]:
        assert isinstance(result, BindOk)
        assert result.tx_hash.hex() == expected["computed_tx_hash_hex"]
        assert result.aux_hash.hex() == expected["computed_auxiliary_data_hash_hex"]
        assert result.record_body.hex() == expected["record_body_hex"]
    else:
        assert isinstance(result, BindFailed)
        assert result.code == expected["error_code"]


@pytest.mark.parametrize("vector", vector_params(CONFIRMATION_DEPTH))
def test_confirmation_depth(vector: dict[str, Any]) -> None:
    depth = confirmation_depth(int(vector["tip_height"]), int(vector["block_height"]))
    assert depth == int(vector["expected_depth"])
    status = confirmation_status(depth, int(vector["threshold"]))
    expected = vector["expected"]
    assert status.status == expected["status"]
    if expected["status"] == "pending":
        assert isinstance(status, Pending)
        assert status.code == expected["code"]
    else:
        assert isinstance(status, Confirmed)
        assert "code" not in expected
