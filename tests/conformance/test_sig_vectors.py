"""Ed25519 vectors: RFC 8032 KATs, round trips, C2SP CCTV torsion cases, the ZIP-215 fixture.

Verification is strict (RFC 8032 §5.1.7, non-cofactored) through libsodium.
"""

from __future__ import annotations

from typing import Any

import pytest

from anchor.label309.ed25519 import public_key, sign, strict_verify
from tests.conformance._primitive_vectors import hx, vector_params

ED25519_KAT = "sig/ed25519-kat.json"
ED25519_ROUNDTRIP = "sig/ed25519-roundtrip.json"
ED25519_CCTV = "sig/ed25519-torsion-cctv.json"
ED25519_ZIP215 = "sig/ed25519-zip215.json"


def _check_sign(vector: dict[str, Any]) -> None:
    seed, message = hx(vector["seed_hex"]), hx(vector["message_hex"])
    pk = public_key(seed)
    assert pk.hex() == vector["expected_public_key_hex"]
    signature = sign(seed, message)
    assert signature.hex() == vector["expected_signature_hex"]
    assert strict_verify(pk, message, signature)
    tampered = bytes([signature[0] ^ 1]) + signature[1:]
    assert not strict_verify(pk, message, tampered)


@pytest.mark.parametrize("vector", vector_params(ED25519_KAT))
def test_ed25519_kat(vector: dict[str, Any]) -> None:
    _check_sign(vector)


@pytest.mark.parametrize("vector", vector_params(ED25519_ROUNDTRIP))
def test_ed25519_roundtrip(vector: dict[str, Any]) -> None:
    _check_sign(vector)


@pytest.mark.parametrize("vector", vector_params(ED25519_CCTV))
def test_ed25519_torsion_cctv(vector: dict[str, Any]) -> None:
    ok = strict_verify(
        hx(vector["public_key_hex"]), hx(vector["message_hex"]), hx(vector["signature_hex"])
    )
    assert ok is vector["expected_valid"]


@pytest.mark.parametrize("vector", vector_params(ED25519_ZIP215))
def test_ed25519_zip215(vector: dict[str, Any]) -> None:
    assert vector["expected_valid"] is False
    ok = strict_verify(
        hx(vector["public_key_hex"]), hx(vector["message_hex"]), hx(vector["signature_hex"])
    )
    assert ok is False
