"""Validator behaviour beyond the vectors: decode failures, issue order, purity, results."""

from __future__ import annotations

from anchor.label309 import cbor
from anchor.label309.cbor import CborMap
from anchor.label309.codes import Issue, issue_sort_key, sort_issues
from anchor.label309.validate import ValidateFail, ValidateOk, is_extension_key, validate_record
from tests.unit.label309._records import issues, item, record, run, x25519_enc


def test_malformed_cbor_is_one_issue_at_the_root() -> None:
    for body in (b"", b"\xa1", b"\xa2\x61b\x01\x61a\x02", cbor.encode(record()) + b"\x00"):
        result = validate_record(body)
        assert isinstance(result, ValidateFail)
        assert [(i.path, i.code, i.severity) for i in result.issues] == [
            ((), "MALFORMED_CBOR", "error")
        ]


def test_accepts_bytearray_and_memoryview() -> None:
    body = cbor.encode(record())
    assert validate_record(bytearray(body)).valid
    assert validate_record(memoryview(body)).valid


def test_ok_result_carries_the_model() -> None:
    result = run(record(supersedes=b"\x42" * 32))
    assert isinstance(result, ValidateOk)
    assert result.record.supersedes == b"\x42" * 32
    assert result.record.items[0].hashes["sha2-256"] == b"\x11" * 32
    assert result.warnings == () and result.info == ()


def test_issue_order_path_then_registry_position() -> None:
    value = CborMap(
        [
            ("v", 2),
            ("Zed", 1),
            ("items", [CborMap([("hashes", b"\x01"), (3, 1)]), b"\x07"]),
            ("supersedes", b"\x01"),
        ]
    )
    assert issues(value) == [
        (("Zed",), "SCHEMA_UNKNOWN_FIELD", "error"),
        (("items", 0, 3), "SCHEMA_UNKNOWN_FIELD", "error"),
        (("items", 0, "hashes"), "SCHEMA_TYPE_MISMATCH", "error"),
        (("items", 1), "SCHEMA_TYPE_MISMATCH", "error"),
        (("supersedes",), "SUPERSEDES_TX_INVALID_LENGTH", "error"),
        (("v",), "SCHEMA_INVALID_LITERAL", "error"),
    ]
    enc = x25519_enc(slots=None, kem=None)
    assert issues(record(items=[item(enc=enc)])) == [
        (("items", 0, "enc"), "ENC_SLOTS_REQUIRED", "error"),
        (("items", 0, "enc"), "ENC_NO_KEY_PATH", "error"),
    ]


def test_sort_key_rules() -> None:
    a = Issue(("items", 2), "INVALID_URI", "error", "")
    b = Issue(("items", 10), "MALFORMED_CBOR", "error", "")
    c = Issue(("items",), "INVALID_URI", "error", "")
    d = Issue(("items", "x"), "MALFORMED_CBOR", "error", "")
    e = Issue(("\u00e9",), "MALFORMED_CBOR", "error", "")
    f = Issue(("z",), "MALFORMED_CBOR", "error", "")
    assert sort_issues([e, f, d, b, a, c]) == (c, a, b, d, f, e)
    assert issue_sort_key(a) > issue_sort_key(
        Issue(("items", 2), "UNSUPPORTED_HASH_ALG", "error", "")
    )


def test_deterministic_and_pure() -> None:
    body = cbor.encode(record(v=3, items=[item(enc=x25519_enc(nonce=b"1")), b"x"]))
    first = validate_record(body)
    assert all(validate_record(body) == first for _ in range(3))


def test_extension_key_shape() -> None:
    for key in ("x-a", "x--", "acme-build", "a-\u00e9", "x-a.b"):
        assert is_extension_key(key), key
    for key in ("x-", "x", "-x", "Acme-x", "1a-x", "x-\n", "x-a\u0085", "x-\u007f", "sigs", ""):
        assert not is_extension_key(key), key


def test_warnings_and_info_do_not_fail_the_record() -> None:
    sign1 = cbor.encode([cbor.encode({1: -7}), {}, None, b"\x00" * 64])
    result = run(record(sigs=[{"cose_sign1": sign1}]))
    assert isinstance(result, ValidateOk)
    assert [(i.path, i.code, i.severity) for i in result.info] == [
        (("sigs", 0), "SIGNATURE_UNSUPPORTED", "info")
    ]
