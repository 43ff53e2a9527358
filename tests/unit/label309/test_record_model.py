"""The record model and builder: canonical bytes, the signed-bytes source, preflight."""

from __future__ import annotations

import pytest

from anchor.label309 import cbor, cose
from anchor.label309.cbor import CborError, CborMap
from anchor.label309.record import (
    Item,
    MerkleCommit,
    Record,
    RecordBuildError,
    RecordShapeError,
    SigEntry,
    body_without_sigs,
    build_record_body,
    with_sigs,
)
from anchor.label309.uri import cidv1_raw_sha256
from anchor.label309.validate import validate_record

SEED = b"\x11" * 32
D1, D2 = b"\x11" * 32, b"\x22" * 32


def _item() -> Item:
    hashes = CborMap({"sha2-256": D1, "blake2b-256": D2})
    return Item(hashes, uris=(f"ipfs://{cidv1_raw_sha256(D1)}",))


def test_builder_emits_canonical_bytes_in_the_standard_key_order() -> None:
    body = build_record_body(
        items=[_item()],
        merkle=[MerkleCommit("rfc9162-sha256", b"\x77" * 32, 8)],
        supersedes=b"\x42" * 32,
    )
    assert cbor.encode(cbor.decode(body)) == body
    keys = list(cbor.decode(body).keys())
    assert keys == ["v", "items", "merkle", "supersedes"]
    assert list(cbor.decode(body)["items"][0].keys()) == ["uris", "hashes"]
    assert list(cbor.decode(body)["items"][0]["hashes"].keys()) == ["sha2-256", "blake2b-256"]
    assert Record.from_cbor(body).items[0] == _item()


def test_builder_refuses_invalid_records() -> None:
    with pytest.raises(RecordBuildError) as empty:
        build_record_body()
    assert empty.value.code == "SCHEMA_EMPTY_RECORD"
    with pytest.raises(RecordBuildError) as bad_uri:
        build_record_body(items=[Item(CborMap({"sha2-256": D1}), uris=("https://x",))])
    assert bad_uri.value.code == "INVALID_URI"
    with pytest.raises(RecordBuildError) as bad_ext:
        build_record_body(items=[_item()], extensions={"note": 1})
    assert bad_ext.value.code == "SCHEMA_UNKNOWN_FIELD"
    assert build_record_body(items=[Item(CborMap({"md5": b"1"}))], check=False)


def test_builder_treats_its_own_crit_as_supported() -> None:
    body = build_record_body(items=[_item()], crit=["x-note"], extensions={"x-note": "hi"})
    assert validate_record(body, supported_critical_extensions=frozenset({"x-note"})).valid
    assert not validate_record(body).valid


def test_signed_bytes_are_the_body_without_sigs() -> None:
    body = build_record_body(items=[_item()], extensions={"x-meta": {"a": 1}})
    signed = with_sigs(body, [cose.sign_record_entry(body, SEED)])
    assert body_without_sigs(signed) == body
    assert Record.from_cbor(signed).signed_bytes() == body
    twice = with_sigs(signed, [SigEntry(cose.sign_record(signed, SEED))] * 2)
    assert len(Record.from_cbor(twice).sigs) == 2
    assert body_without_sigs(twice) == body
    assert with_sigs(twice, []) == body


def test_with_sigs_refuses_a_leaked_private_key() -> None:
    body = build_record_body(items=[_item()])
    leaky_key = cbor.encode({1: 1, -1: 6, -2: b"\x01" * 32, -4: b"\x02" * 32})
    sign1 = cbor.encode([cbor.encode({1: -8}), {}, None, b"\x00" * 64])
    with pytest.raises(RecordBuildError) as exc:
        with_sigs(body, [SigEntry(sign1, leaky_key)])
    assert exc.value.code == "SIG_PRIVATE_KEY_LEAKED"
    assert "\x02" * 4 not in str(exc.value)


def test_from_cbor_errors() -> None:
    with pytest.raises(CborError):
        Record.from_cbor(b"\xa1")
    with pytest.raises(RecordShapeError):
        Record.from_cbor(cbor.encode([1]))
    with pytest.raises(RecordShapeError):
        Record.from_cbor(cbor.encode({"v": 1, "items": [{"hashes": b"x"}]}))
    with pytest.raises(RecordShapeError):
        body_without_sigs(cbor.encode(b"\x07"))


def test_model_coerces_and_keeps_extension_values() -> None:
    # Plain dicts and lists are accepted at run time and coerced (typed callers pass CborMap).
    record = Record(
        items=[Item({"sha2-256": D1})],  # type: ignore[arg-type]
        extensions={"x-m": CborMap([(1, True)])},  # type: ignore[arg-type]
    )
    assert isinstance(record.items, tuple)
    assert isinstance(record.items[0].hashes, CborMap)
    again = Record.from_cbor(record.encode())
    assert again == record
    assert again.extensions["x-m"][1] is True
