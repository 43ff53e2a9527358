"""Hash vectors: SHA-256 and BLAKE2b-256 (32-byte parameter, not truncated BLAKE2b-512)."""

from __future__ import annotations

from typing import Any

import pytest

from anchor.label309.hashes import blake2b_256, sha256
from tests.conformance._primitive_vectors import hx, vector_params

SHA256_KAT = "hash/sha256-kat.json"
BLAKE2B256_KAT = "hash/blake2b256-kat.json"
DUAL_HASH = "hash/dual-hash-equivalence.json"


@pytest.mark.parametrize("vector", vector_params(SHA256_KAT))
def test_sha256_kat(vector: dict[str, Any]) -> None:
    assert sha256(hx(vector["input_hex"])).hex() == vector["expected_hex"]


@pytest.mark.parametrize("vector", vector_params(BLAKE2B256_KAT))
def test_blake2b256_kat(vector: dict[str, Any]) -> None:
    assert blake2b_256(hx(vector["input_hex"])).hex() == vector["expected_hex"]


@pytest.mark.parametrize("vector", vector_params(DUAL_HASH))
def test_dual_hash_equivalence(vector: dict[str, Any]) -> None:
    data = hx(vector["input_hex"])
    assert sha256(data).hex() == vector["expected_sha256_hex"]
    assert blake2b_256(data).hex() == vector["expected_blake2b256_hex"]
