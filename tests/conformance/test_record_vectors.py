"""Whole-record vectors: the maximal record (model, bytes, validation, signature), the
mixed path-1/path-2 signature record, and the structural half of the cross-service
sealed records (their public-verify and decrypt halves belong to later layers)."""

from __future__ import annotations

from typing import Any

import pytest

from anchor.label309 import cose_verify
from anchor.label309.record import Record, body_without_sigs, with_sigs
from anchor.label309.validate import ValidateOk, validate_record
from tests.conformance._primitive_vectors import hx, load_doc, vector_params
from tests.conformance._record_helpers import codes_by_severity, model_from_json, validator_kwargs

MAXIMAL = "poe-record/maximal-record-with-extension-keys.json"
MIXED = "poe-record/mixed-signature-record.json"
CROSS = (
    "cross-service/external-sealed-record.json",
    "cross-service/external-sealed-record-hybrid.json",
)


def _single(rel: str) -> list[Any]:
    doc = load_doc(rel)
    if doc is None:
        return vector_params(rel)
    return [
        pytest.param(doc, id=str(doc.get("name", rel.rsplit("/", 1)[-1].removesuffix(".json"))))
    ]


@pytest.mark.parametrize("doc", _single(MAXIMAL))
def test_maximal_record_model_encodes_to_cbor_hex(doc: dict[str, Any]) -> None:
    record = model_from_json(doc["record"])
    assert record.encode().hex() == doc["cbor_hex"]
    assert Record.from_cbor(hx(doc["cbor_hex"])) == record
    assert record.extension_keys == ("x-meta", "x-note")


@pytest.mark.parametrize("doc", _single(MAXIMAL))
def test_maximal_record_body_without_sigs(doc: dict[str, Any]) -> None:
    assert body_without_sigs(hx(doc["cbor_hex"])).hex() == doc["body_cbor_hex"]
    record = model_from_json(doc["record"])
    assert record.signed_bytes().hex() == doc["body_cbor_hex"]
    rebuilt = with_sigs(hx(doc["body_cbor_hex"]), record.sigs, check=False)
    assert rebuilt.hex() == doc["cbor_hex"]


@pytest.mark.parametrize("doc", _single(MAXIMAL))
def test_maximal_record_valid_with_options(doc: dict[str, Any]) -> None:
    result = validate_record(hx(doc["cbor_hex"]), **validator_kwargs(doc))
    assert isinstance(result, ValidateOk), result.issues
    assert result.extension_keys == ("x-meta", "x-note")
    assert result.issues == ()


@pytest.mark.parametrize("doc", _single(MAXIMAL))
def test_maximal_record_invalid_without_x_note_supported(doc: dict[str, Any]) -> None:
    result = validate_record(hx(doc["cbor_hex"]))
    assert codes_by_severity(result, "error") == ["EXTENSION_UNSUPPORTED_CRITICAL"]
    assert [i.path for i in result.issues] == [("crit", 0)]


@pytest.mark.parametrize("doc", _single(MAXIMAL))
def test_maximal_record_signature_verifies(doc: dict[str, Any]) -> None:
    results = cose_verify.verify_signatures(hx(doc["cbor_hex"]), network="mainnet")
    assert [r.normalized() for r in results] == [
        {
            "index": 0,
            "signer_pub_hex": doc["signer_public_key_hex"],
            "signer_type": "in-signature-kid",
            "ok": True,
            "reason": None,
        }
    ]


@pytest.mark.parametrize("vector", vector_params(MIXED))
def test_mixed_signature_record(vector: dict[str, Any]) -> None:
    doc = load_doc(MIXED)
    assert doc is not None
    network = doc["cardano_network"]
    body = hx(vector["cbor_hex"])
    result = validate_record(body)
    assert codes_by_severity(result, "error") == vector["expected_error_codes"] == []
    assert body_without_sigs(body).hex() == doc["record_body_cbor_hex"]
    got = [
        {k: v for k, v in r.normalized().items() if k != "reason"}
        for r in cose_verify.verify_signatures(body, network=network)
    ]
    assert got == vector["expected_signer_verdicts"]
    # The same bytes on the other network: the wallet entry's address no longer binds.
    other = {r.index: r.code for r in cose_verify.verify_signatures(body, network="testnet")}
    wallet_index = next(
        v["index"]
        for v in vector["expected_signer_verdicts"]
        if v["signer_type"] == "wallet-inline-key"
    )
    assert other[wallet_index] == "WALLET_ADDRESS_MISMATCH"


@pytest.mark.parametrize(
    "rel", [pytest.param(r, id=r.rsplit("/", 1)[-1].removesuffix(".json")) for r in CROSS]
)
def test_cross_service_record_is_structurally_valid(rel: str) -> None:
    doc = load_doc(rel)
    if doc is None:
        pytest.skip("Label 309 vectors not found (run 'make vectors')")
    result = validate_record(hx(doc["record"]["metadata_cbor_hex"]))
    assert isinstance(result, ValidateOk), result.issues
    assert result.issues == ()
    assert result.record.items[0].enc is not None


# The public-verify half of the cross-service vectors lives in test_cross_service.py.
