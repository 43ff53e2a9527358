"""Hash vectors: SHA-256 and BLAKE2b-256 (32-byte parameter, not truncated BLAKE2b-512)."""

from __future__ import annotations

from typing import Any

import pytest

from anchor.label309.hashes import blake2b_256, sha256
from tests.conformance._primitive_vectors import hx, vector_params
from tests.unit.test_blake2_native import native_implementations

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


@pytest.mark.parametrize("vector", vector_params(BLAKE2B256_KAT))
def test_blake2b256_kat_with_the_file_hasher(vector: dict[str, Any]) -> None:
    """The hasher `anchor collect --dual-hash` uses (native where built), one update and
    byte by byte, on every compression this CPU has."""
    from anchor import blake2

    data = hx(vector["input_hex"])
    hasher = blake2.new()
    hasher.update(data)
    assert hasher.digest().hex() == vector["expected_hex"]
    implementations = native_implementations()
    if not implementations:
        return  # hashlib is the file hasher here, checked above and by test_blake2b256_kat
    from anchor import _blake2b

    try:
        for name in implementations:
            assert _blake2b.select(name) == name
            whole = _blake2b.blake2b_256(data)
            split = _blake2b.blake2b_256()
            for i in range(len(data)):
                split.update(data[i : i + 1])
            assert (whole.hexdigest(), split.digest().hex()) == (vector["expected_hex"],) * 2
    finally:
        _blake2b.select(None)
