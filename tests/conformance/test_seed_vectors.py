"""Seed vectors: the l309-seed- string codec, seed-length rejection, seed → key derivation."""

from __future__ import annotations

from typing import Any

import pytest

from anchor.label309.keys import (
    KeyDerivationError,
    derive_identity,
    encode_seed_string,
    parse_seed_string,
)
from tests.conformance._primitive_vectors import hx, vector_params

SEED_ENCODING = "seed-derive/seed-encoding-kat.json"
SEED_NEGATIVE = "seed-derive/seed-derive-negative.json"
SEED_FROM = [
    "seed-derive/seed-from-zero.json",
    "seed-derive/seed-from-ff.json",
    "seed-derive/seed-from-deadbeef.json",
]


@pytest.mark.parametrize("vector", vector_params(SEED_ENCODING))
def test_seed_encoding(vector: dict[str, Any]) -> None:
    seed = hx(vector["seed_hex"])
    assert encode_seed_string(seed) == vector["encoded"]
    assert parse_seed_string(vector["encoded"]) == seed
    assert parse_seed_string(vector["encoded_lowercase"]) == seed


@pytest.mark.parametrize("vector", vector_params(SEED_ENCODING, "parse_vectors"))
def test_seed_encoding_parse(vector: dict[str, Any]) -> None:
    assert parse_seed_string(vector["input"]).hex() == vector["expected_seed_hex"]


@pytest.mark.parametrize("vector", vector_params(SEED_ENCODING, "negative_vectors"))
def test_seed_encoding_negative(vector: dict[str, Any]) -> None:
    with pytest.raises(KeyDerivationError) as info:
        parse_seed_string(vector["input"])
    assert info.value.code == vector["expected_error_code"]


@pytest.mark.parametrize("vector", vector_params(SEED_NEGATIVE))
def test_seed_derive_negative(vector: dict[str, Any]) -> None:
    with pytest.raises(KeyDerivationError) as info:
        derive_identity(hx(vector["seed_hex"]))
    assert info.value.code == vector["expected_error_code"]


@pytest.mark.parametrize("vector", [p for rel in SEED_FROM for p in vector_params(rel)])
def test_seed_derive(vector: dict[str, Any]) -> None:
    keys = derive_identity(hx(vector["seed_hex"]))
    assert keys.ed25519_secret.hex() == vector["expected_ed25519_secret_hex"]
    assert keys.ed25519_public.hex() == vector["expected_ed25519_public_hex"]
    assert keys.x25519_secret.hex() == vector["expected_x25519_secret_hex"]
    assert keys.x25519_public.hex() == vector["expected_x25519_public_hex"]
    assert keys.xwing_seed.hex() == vector["expected_mlkem768x25519_secret_seed_hex"]
    # Not checked: expected_mlkem768x25519_public_key_hex (the 1216-byte X-Wing public key
    # needs ML-KEM-768 keygen, which arrives with sealed PoE, BRIEF §9).
    assert len(vector["expected_mlkem768x25519_public_key_hex"]) == 2 * 1216
