"""Pins every validator decision of docs/adr/0004-validator-ambiguities.md (BRIEF §10 items
4, 5, 6, 7, 11, 13, 15, 20) with exact codes and paths."""

from __future__ import annotations

from typing import Any

import pytest

from anchor.label309 import cbor
from anchor.label309.cbor import CborMap
from anchor.label309.validate import ValidateFail, ValidateOk, validate_record
from anchor.label309.validate_enc import is_unauthenticated_cipher
from tests.unit.label309._records import (
    D32,
    errors,
    issues,
    item,
    passphrase_enc,
    record,
    run,
    x25519_enc,
)

ROOT = b"\x77" * 32
MERKLE = {"alg": "rfc9162-sha256", "root": ROOT, "leaf_count": 3}
CIDV0 = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"


# --- §10.4 unauthenticated-cipher detection -------------------------------------------


@pytest.mark.parametrize(
    "aead",
    ["aes-256-cbc", "AES-128-CTR", "aes256cbc", "aes_256_ecb", "rc4", "3des-ede", "des-ede3-cbc",
     "tripledes", "aes-cfb8", "aes-ofb", "chacha20", "XChaCha20", "salsa20"],
)  # fmt: skip
def test_forbidden_cipher_families(aead: str) -> None:
    assert is_unauthenticated_cipher(aead)
    for role in ("public", "recipient_or_strict"):
        rec = record(items=[item(enc=x25519_enc(aead=aead))])
        assert issues(rec, role=role) == [
            (("items", 0, "enc", "aead"), "UNAUTHENTICATED_CIPHER_FORBIDDEN", "error")
        ]


@pytest.mark.parametrize(
    "aead",
    ["chacha20-poly1305-stream64k", "chacha20-poly1305", "xchacha20poly1305", "aes-256-gcm",
     "aes-256-gcm-siv", "aes-256-ocb", "deoxys-ii", "descent"],
)  # fmt: skip
def test_authenticated_or_unknown_ciphers_are_not_forbidden(aead: str) -> None:
    assert not is_unauthenticated_cipher(aead)


def test_forbidden_cipher_beats_unknown_scheme() -> None:
    rec = record(items=[item(enc={"scheme": 2, "aead": "aes-128-ctr"})])
    assert errors(rec) == ["UNAUTHENTICATED_CIPHER_FORBIDDEN"]


# --- §10.5 empty arrays ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (record(items=[item(uris=[])]), [(("items", 0, "uris"), "SCHEMA_TYPE_MISMATCH", "error")]),
        (record(sigs=[]), [(("sigs",), "SCHEMA_TYPE_MISMATCH", "error")]),
        (record(merkle=[]), [(("merkle",), "SCHEMA_TYPE_MISMATCH", "error")]),
        (record(items=[], merkle=[MERKLE]), [(("items",), "SCHEMA_TYPE_MISMATCH", "error")]),
        (record(items=[], merkle=[]), [((), "SCHEMA_EMPTY_RECORD", "error")]),
        (record(items=None, merkle=[{**MERKLE, "uris": []}]),
         [(("merkle", 0, "uris"), "SCHEMA_TYPE_MISMATCH", "error")]),
        (record(crit=[]), [(("crit",), "SCHEMA_TYPE_MISMATCH", "error")]),
    ],
    ids=["uris", "sigs", "merkle-beside-items", "items-beside-merkle", "both-empty",
         "merkle-uris", "crit"],
)  # fmt: skip
def test_empty_arrays(value: Any, expected: list[Any]) -> None:
    assert issues(value) == expected


def test_wrong_typed_claim_array_is_not_also_an_empty_record() -> None:
    assert issues(record(items=b"\x07")) == [(("items",), "SCHEMA_TYPE_MISMATCH", "error")]


# --- §10.6 missing required fields: MISSING_REQUIRED outside enc, TYPE_MISMATCH inside --


def test_missing_fields_outside_enc_are_missing_required() -> None:
    assert issues({"items": [item()]}) == [(("v",), "SCHEMA_MISSING_REQUIRED", "error")]
    assert issues(record(items=[{"uris": ["ar://" + "a" * 43]}])) == [
        (("items", 0, "hashes"), "SCHEMA_MISSING_REQUIRED", "error")
    ]
    assert issues(record(items=None, merkle=[{"alg": "rfc9162-sha256"}])) == [
        (("merkle", 0, "leaf_count"), "SCHEMA_MISSING_REQUIRED", "error"),
        (("merkle", 0, "root"), "SCHEMA_MISSING_REQUIRED", "error"),
    ]


@pytest.mark.parametrize(
    ("enc", "path"),
    [
        (x25519_enc(nonce=None), ("nonce",)),
        (x25519_enc(scheme=None), ("scheme",)),
        (x25519_enc(aead=None), ("aead",)),
        (passphrase_enc(alg=None), ("passphrase", "alg")),
        (passphrase_enc(salt=None), ("passphrase", "salt")),
        (passphrase_enc(params=None), ("passphrase", "params")),
        (passphrase_enc(params={"m": 65536, "t": 3}), ("passphrase", "params", "p")),
    ],
    ids=["nonce", "scheme", "aead", "alg", "salt", "params", "param-p"],
)
def test_missing_fields_inside_enc_are_type_mismatch(enc: Any, path: tuple[str, ...]) -> None:
    assert issues(record(items=[item(enc=enc)])) == [
        (("items", 0, "enc", *path), "SCHEMA_TYPE_MISMATCH", "error")
    ]


# --- §10.7 other unpinned codes ---------------------------------------------------------


@pytest.mark.parametrize("v", ["1", True, -1, 0, 2**64 - 1, b"\x01", None, [1]])
def test_any_v_other_than_integer_one_is_invalid_literal(v: Any) -> None:
    assert issues(record(v=v) if v is not None else {**record(), "v": None}) == [
        (("v",), "SCHEMA_INVALID_LITERAL", "error")
    ]


@pytest.mark.parametrize("count", [-1, -(2**64), 0, 2**32])
def test_leaf_count_out_of_range_including_negative(count: int) -> None:
    rec = record(items=None, merkle=[{**MERKLE, "leaf_count": count}])
    assert issues(rec) == [
        (("merkle", 0, "leaf_count"), "SCHEMA_MERKLE_LEAF_COUNT_INVALID", "error")
    ]


@pytest.mark.parametrize("count", ["3", True, b"\x03"])
def test_leaf_count_of_the_wrong_type(count: Any) -> None:
    rec = record(items=None, merkle=[{**MERKLE, "leaf_count": count}])
    assert issues(rec) == [(("merkle", 0, "leaf_count"), "SCHEMA_TYPE_MISMATCH", "error")]


def test_non_text_top_level_keys_are_unknown_fields() -> None:
    value = CborMap([("v", 1), ("items", [item()]), (7, 1), (b"\x01", 2), (True, 3)])
    assert issues(value) == [
        ((), "SCHEMA_UNKNOWN_FIELD", "error"),
        ((), "SCHEMA_UNKNOWN_FIELD", "error"),
        ((7,), "SCHEMA_UNKNOWN_FIELD", "error"),
    ]


def test_non_text_keys_in_hashes_and_closed_maps() -> None:
    rec = record(items=[CborMap([("hashes", CborMap([("sha2-256", D32), (1, D32)])), (5, 0)])])
    assert issues(rec) == [
        (("items", 0, 5), "SCHEMA_UNKNOWN_FIELD", "error"),
        (("items", 0, "hashes"), "SCHEMA_TYPE_MISMATCH", "error"),
    ]


@pytest.mark.parametrize("entry", [7, b"x-note", ["x-note"], None])
def test_non_text_crit_entries_are_crit_shape_invalid(entry: Any) -> None:
    rec = {**record(crit=[entry]), "x-note": "n"}
    assert issues(rec, supported_critical_extensions=frozenset({"x-note"})) == [
        (("crit", 0), "CRIT_SHAPE_INVALID", "error")
    ]


@pytest.mark.parametrize("scheme", ["1", -1, True, b"\x01", None])
def test_missing_or_non_uint_scheme_is_type_mismatch(scheme: Any) -> None:
    enc = x25519_enc(scheme=scheme)  # None removes the key
    for role in ("public", "recipient_or_strict"):
        assert issues(record(items=[item(enc=enc)]), role=role) == [
            (("items", 0, "enc", "scheme"), "SCHEMA_TYPE_MISMATCH", "error")
        ]


def test_non_text_identifiers_under_scheme_1_are_type_mismatch() -> None:
    rec = record(items=[item(enc=x25519_enc(kem=7, aead=b"x"))])
    assert issues(rec) == [
        (("items", 0, "enc", "aead"), "SCHEMA_TYPE_MISMATCH", "error"),
        (("items", 0, "enc", "kem"), "SCHEMA_TYPE_MISMATCH", "error"),
    ]


def test_unsupported_scheme_judges_only_the_scheme() -> None:
    rec = record(items=[item(enc={"scheme": 3, "kem": "p256", "aead": "aes-256-gcm"})])
    assert issues(rec, role="recipient_or_strict") == [
        (("items", 0, "enc"), "ENC_UNSUPPORTED", "error"),
        (("items", 0, "enc", "scheme"), "UNSUPPORTED_ENVELOPE_SCHEME", "error"),
    ]


def test_scheme_1_with_unknown_kem_and_aead_names_both() -> None:
    rec = record(items=[item(enc=x25519_enc(kem="p256", aead="aes-256-gcm"))])
    assert issues(rec, role="recipient_or_strict") == [
        (("items", 0, "enc"), "ENC_UNSUPPORTED", "error"),
        (("items", 0, "enc", "aead"), "UNSUPPORTED_AEAD_ALG", "error"),
        (("items", 0, "enc", "kem"), "UNSUPPORTED_KEM_ALG", "error"),
    ]
    (only,) = run(rec).issues
    assert (only.code, only.severity) == ("ENC_UNSUPPORTED", "info")
    assert "kem='p256'" in only.message and "aead='aes-256-gcm'" in only.message


# --- §10.11 CIDv0 followed by a path ----------------------------------------------------


def test_cidv0_with_a_path_is_accepted() -> None:
    for uri in (f"ipfs://{CIDV0}/release/app.tgz", f"ipfs://{CIDV0}/", f"ipfs://{CIDV0}"):
        assert errors(record(items=[item(uris=[uri])])) == []
    assert errors(record(items=[item(uris=[f"ipfs://{CIDV0}x/file"])])) == ["INVALID_URI"]


# --- §10.13 U+FEFF in text strings ------------------------------------------------------


def test_bom_is_well_formed_utf8_and_judged_by_the_field_rules() -> None:
    assert isinstance(run({**record(), "x-note": "\ufeffhello"}), ValidateOk)
    assert cbor.decode(cbor.encode("\ufeffx")) == "\ufeffx"
    assert issues(record(items=[item(uris=["\ufeffar://" + "a" * 43])])) == [
        (("items", 0, "uris", 0), "INVALID_URI", "error")
    ]
    assert issues({**record(), "\ufeffx-note": 1}) == [
        (("\ufeffx-note",), "SCHEMA_UNKNOWN_FIELD", "error")
    ]


# --- §10.15 extension keys are surfaced on the result, not as issues --------------------


def test_extension_keys_surface_on_both_result_kinds() -> None:
    ok = run({**record(), "x-note": "n", "acme-build": {"id": 1}})
    assert isinstance(ok, ValidateOk)
    assert ok.extension_keys == ("x-note", "acme-build")
    assert ok.issues == ()
    assert dict(ok.record.extensions.items()) == {"x-note": "n", "acme-build": CborMap({"id": 1})}
    fail = run({**record(v=2), "x-note": "n"})
    assert isinstance(fail, ValidateFail)
    assert fail.extension_keys == ("x-note",)


# --- §10.20 foreclosure is per subtree --------------------------------------------------


def test_item_rule_fires_beside_a_failed_hashes_map() -> None:
    rec = record(items=[{"hashes": b"\x07", "enc": x25519_enc()}])
    assert issues(rec) == [
        (("items", 0), "ENC_REQUIRES_CONTENT_HASH", "error"),
        (("items", 0, "hashes"), "SCHEMA_TYPE_MISMATCH", "error"),
    ]
    assert errors(record(items=[{"enc": x25519_enc()}])) == [
        "ENC_REQUIRES_CONTENT_HASH",
        "SCHEMA_MISSING_REQUIRED",
    ]


def test_a_failed_envelope_does_not_foreclose_siblings() -> None:
    bad_enc = x25519_enc(slots=[b"\x07"], nonce=b"\x44" * 12)
    rec = record(
        items=[item(enc=bad_enc, uris=["https://x"]), b"\x07", item(enc=x25519_enc(nonce=b"1"))]
    )
    assert issues(rec) == [
        (("items", 0, "enc", "slots", 0), "ENC_SLOT_INVALID_SHAPE", "error"),
        (("items", 0, "uris", 0), "INVALID_URI", "error"),
        (("items", 1), "SCHEMA_TYPE_MISMATCH", "error"),
        (("items", 2, "enc", "nonce"), "NONCE_LENGTH_MISMATCH", "error"),
    ]


def test_a_tripped_bound_skips_per_slot_work_but_not_other_rules() -> None:
    enc = x25519_enc(slots=[b"\x07", {"epk": b"\x05" * 31, "wrap": b"\x06" * 48}])
    rec = record(items=[item(enc=enc)])
    assert issues(rec, max_slots=1) == [
        (("items", 0, "enc", "slots"), "ENC_SLOTS_TOO_MANY", "error")
    ]
    assert errors(rec) == ["ENC_SLOT_INVALID_SHAPE"]
    small = record(items=[item(enc=x25519_enc(nonce=b"\x44" * 23))])
    assert errors(small, max_enc_envelope_bytes=10) == [
        "ENC_ENVELOPE_TOO_LARGE",
        "NONCE_LENGTH_MISMATCH",
    ]


def test_kem_missing_skips_slot_shapes() -> None:
    enc = x25519_enc(kem=None, slots=[b"\x07"])
    assert errors(record(items=[item(enc=enc)])) == ["ENC_KEM_REQUIRED"]


def test_passphrase_params_not_judged_under_an_unknown_alg() -> None:
    enc = passphrase_enc(alg="scrypt", params={"m": 1, "t": 1, "p": 0})
    assert errors(record(items=[item(enc=enc)])) == ["ENC_PASSPHRASE_ALG_UNSUPPORTED"]


def test_ceiling_none_disables_the_policy_and_floor_is_distinct() -> None:
    enc = passphrase_enc(params={"m": 2**23, "t": 3, "p": 1})
    rec = record(items=[item(enc=enc)])
    assert errors(rec) == ["ENC_PASSPHRASE_PARAMS_EXCEED_POLICY"]
    assert errors(rec, passphrase_params_ceiling=None) == []
    assert errors(rec, passphrase_params_ceiling={"m": 2**24, "t": 16, "p": 8}) == []


def test_invalid_role_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="role"):
        validate_record(cbor.encode(record()), role="strict")  # type: ignore[arg-type]
