"""COSE vectors: Sig_structure, COSE_Sign1 construction (byte-exact for the Label 309
path-1 records), verification (generic and record-level), strict Ed25519, verbatim
protected bytes, and the CIP-30 attached -> detached transform."""

from __future__ import annotations

from typing import Any

import pytest

from anchor.label309 import cbor, codes, cose, cose_verify, ed25519
from anchor.label309.cbor import CborMap
from anchor.label309.record import body_without_sigs
from anchor.label309.validate import validate_record
from tests.conformance._primitive_vectors import hx, load_doc, vector_params
from tests.conformance._record_helpers import codes_by_severity

SIG_STRUCTURE = "cose/sig-structure.json"
SIGN1_BUILD = "cose/sign1-build.json"
SIGN1_VERIFY = "cose/sign1-verify.json"
STRICT = "cose/sign1-strict-ed25519.json"
VERBATIM = "cose/to-sign-verbatim.json"
TRANSFORM = "cose/attached-detached-transform.json"


def _pairs(*lists: list[list[Any]]) -> CborMap:
    return CborMap(
        [(k, bytes.fromhex(v) if isinstance(v, str) else v) for pairs in lists for k, v in pairs]
    )


@pytest.mark.parametrize("vector", vector_params(SIG_STRUCTURE))
def test_sig_structure(vector: dict[str, Any]) -> None:
    assert vector["context"] == cose.SIG_CONTEXT
    got = cose.sig_structure(
        hx(vector["body_protected_bytes_hex"]),
        hx(vector["payload_hex"]),
        hx(vector["external_aad_hex"]),
    )
    assert got.hex() == vector["expected_sig_structure_hex"]


@pytest.mark.parametrize("vector", vector_params(SIGN1_BUILD))
def test_sign1_build_generic(vector: dict[str, Any]) -> None:
    got = cose.sign1(
        hx(vector["signer_secret_key_hex"]),
        _pairs(vector["protected_header_int_pairs"]),
        hx(vector["payload_hex"]),
        unprotected=_pairs(vector["unprotected_header_int_bytes_pairs"]),
        external_aad=hx(vector["external_aad_hex"]),
        detached=vector["detached"],
    )
    assert got.hex() == vector["expected_cose_sign1_hex"]


@pytest.mark.parametrize("vector", vector_params(SIGN1_BUILD, key="cardano_poe_vectors"))
def test_sign1_build_cardano_poe(vector: dict[str, Any]) -> None:
    seed, body = hx(vector["signer_secret_key_hex"]), hx(vector["record_body_cbor_hex"])
    public_key = ed25519.public_key(seed)
    assert public_key.hex() == vector["signer_public_key_hex"]
    protected = cbor.encode(
        _pairs(vector["protected_header_int_int_pairs"], vector["protected_header_int_bytes_pairs"])
    )
    assert protected == cose.path1_protected(public_key)
    assert vector["unprotected_header_int_bytes_pairs"] == []
    structure = cose.sig_structure(protected, cose.to_sign(body_without_sigs(body)))
    assert structure.hex() == vector["expected_sig_structure_hex"]
    assert ed25519.sign(seed, structure).hex() == vector["expected_signature_hex"]
    assert cose.sign_record(body, seed).hex() == vector["expected_cose_sign1_hex"]
    entry = cose.sign_record_entry(body, seed)
    assert entry.hex() == vector["expected_sigs_entry_cbor_hex"]
    assert len(entry) == 123 and len(cose.sign_record(body, seed)) == 109


def _compare(
    result: cose_verify.CoseVerifyResult | cose_verify.SignatureResult, expected: dict[str, Any]
) -> None:
    if isinstance(result, cose_verify.SignatureResult):
        ok, code, key, alg = result.ok, result.code, result.signer_public_key, result.alg
    else:
        ok, code, key, alg = result.ok, result.code, result.signer_key, result.alg
    assert ok is expected["ok"]
    assert code == expected.get("error_code")
    if "signer_key_hex" in expected:
        assert key == expected["signer_key_hex"]
    if "alg" in expected:
        assert alg == expected["alg"]
    if "severity" in expected:
        assert codes.default_severity(str(code)) == expected["severity"]


@pytest.mark.parametrize("vector", vector_params(SIGN1_VERIFY))
def test_sign1_verify_generic(vector: dict[str, Any]) -> None:
    key = vector.get("expected_signer_key_hex")
    result = cose_verify.verify_cose_sign1(
        hx(vector["message_hex"]),
        external_aad=hx(vector["external_aad_hex"]),
        public_key=None if key is None else hx(key),
    )
    _compare(result, vector["expected_result"])


@pytest.mark.parametrize("vector", vector_params(SIGN1_VERIFY, key="cardano_poe_vectors"))
def test_sign1_verify_cardano_poe(vector: dict[str, Any]) -> None:
    signed = body_without_sigs(hx(vector["detached_record_body_cbor_hex"]))
    entry = CborMap({"cose_sign1": hx(vector["message_hex"])})
    result = cose_verify.verify_sig_entry(entry, signed, network="mainnet")
    _compare(result, vector["expected_result"])


@pytest.mark.parametrize("vector", vector_params(STRICT))
def test_sign1_strict_ed25519(vector: dict[str, Any]) -> None:
    result = cose_verify.verify_cose_sign1(
        hx(vector["message_hex"]), external_aad=hx(vector["external_aad_hex"])
    )
    _compare(result, vector["expected_result"])


@pytest.mark.parametrize("vector", vector_params(VERBATIM))
def test_to_sign_verbatim(vector: dict[str, Any]) -> None:
    message = hx(vector["cose_sign1_hex"])
    sign1 = cose.parse_sign1(message)
    assert sign1.protected_raw.hex() == vector["published_protected_bytes_hex"]
    assert cbor.encode(sign1.protected).hex() == vector["canonical_protected_bytes_hex"]
    signed = body_without_sigs(hx(vector["record_body_cbor_hex"]))
    structure = cose.sig_structure(sign1.protected_raw, cose.to_sign(signed))
    assert structure.hex() == vector["expected_sig_structure_hex"]
    result = cose_verify.verify_sig_entry(
        CborMap({"cose_sign1": message}), signed, network="mainnet"
    )
    _compare(result, vector["expected_result"])
    public_key = hx(vector["signer_public_key_hex"])
    rejected = hx(vector["rejected_sig_structure_if_reencoded_hex"])
    assert not ed25519.strict_verify(public_key, rejected, sign1.signature)


@pytest.mark.parametrize(
    "doc", [pytest.param(load_doc(TRANSFORM), id="attached-detached-transform")]
)
def test_attached_detached_transform(doc: dict[str, Any] | None) -> None:
    if doc is None:
        pytest.skip("Label 309 vectors not found (run 'make vectors')")
    seed, body = hx(doc["signer_secret_key_hex"]), hx(doc["record_body_cbor_hex"])
    assert ed25519.public_key(seed).hex() == doc["signer_public_key_hex"]
    payload = cose.to_sign(body_without_sigs(body))
    assert payload.hex() == doc["to_sign_payload_hex"]
    attached, detached = hx(doc["attached_cose_sign1_hex"]), hx(doc["detached_cose_sign1_hex"])
    protected = cose.parse_sign1(attached).protected_raw
    structure = cose.sig_structure(protected, payload)
    assert structure.hex() == doc["sig_structure_hex"]
    assert ed25519.sign(seed, structure).hex() == doc["signature_hex"]
    assert cose.detach_payload(attached) == detached
    assert cose.detach_payload(detached) == detached
    expected = doc["expected"]
    assert (
        cose_verify.verify_cose_sign1(attached).ok is expected["signature_verifies_attached_form"]
    )
    entry = CborMap({"cose_sign1": detached})
    verdict = cose_verify.verify_sig_entry(entry, body_without_sigs(body), network="mainnet")
    assert verdict.ok is expected["signature_verifies_detached_form"]
    for form in ("detached", "attached"):
        record = hx(expected[f"record_embedding_{form}_form_cbor_hex"])
        errors = codes_by_severity(validate_record(record), "error")
        assert errors == expected[f"record_embedding_{form}_form_error_codes"], form
