"""KDF vectors: HKDF-SHA-256 (RFC 5869 and the empty-salt case), Argon2id floor constants."""

from __future__ import annotations

from typing import Any

import pytest

from anchor.label309 import constants
from anchor.label309.keys import hkdf_sha256
from tests.conformance._primitive_vectors import hx, load_doc, vector_params

HKDF_KAT = "kdf/hkdf-sha256-kat.json"
HKDF_EMPTY_SALT = "kdf/hkdf-sha256-empty-salt-kat.json"
ARGON2_CONSTS = "kdf/argon2id-params-consts.json"


@pytest.mark.parametrize("vector", vector_params(HKDF_KAT))
def test_hkdf_sha256_kat(vector: dict[str, Any]) -> None:
    okm = hkdf_sha256(
        hx(vector["ikm_hex"]), hx(vector["salt_hex"]), hx(vector["info_hex"]), vector["length"]
    )
    assert okm.hex() == vector["expected_hex"]


@pytest.mark.parametrize("vector", vector_params(HKDF_EMPTY_SALT))
def test_hkdf_sha256_empty_salt_kat(vector: dict[str, Any]) -> None:
    assert vector["salt_hex"] == ""
    assert hx(vector["info_hex"]) == vector["info_ascii"].encode("ascii")
    okm = hkdf_sha256(hx(vector["ikm_hex"]), b"", hx(vector["info_hex"]), vector["length"])
    assert okm.hex() == vector["expected_hex"]
    # An empty salt is the same as HashLen zero bytes (RFC 5869 §2.2).
    assert hkdf_sha256(hx(vector["ikm_hex"]), bytes(32), hx(vector["info_hex"]), 32) == okm


def test_argon2id_params_consts(l309_data: Any) -> None:
    doc = load_doc(ARGON2_CONSTS)
    assert doc is not None
    floors = doc["discovery"]
    assert floors["mem_size_kb"] == constants.ARGON2ID_M_MIN_KIB
    assert floors["iterations"] == constants.ARGON2ID_T_MIN
    assert floors["parallelism"] == constants.ARGON2ID_P_MIN
    assert floors["out_bytes"] == constants.ARGON2ID_OUTPUT_BYTES
    # The structural validator enforces exactly these floors.
    from anchor.label309 import validate_enc

    assert {
        "m": floors["mem_size_kb"],
        "t": floors["iterations"],
        "p": floors["parallelism"],
    } == validate_enc.PARAM_FLOOR
