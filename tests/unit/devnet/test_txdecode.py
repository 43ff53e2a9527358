"""Transaction decoding: ids and auxiliary-data hashes over the raw bytes as submitted."""

from __future__ import annotations

import pytest

from anchor.devnet import RunningDevnet
from anchor.devnet.address import AddressError, describe, parse_bech32, to_bech32
from anchor.devnet.metadata import extract_metadata, metadata_json
from anchor.devnet.txdecode import TxDecodeError, TxIn, decode_tx
from anchor.label309.bech32 import encode as bech32_encode
from anchor.label309.cbor import decode_lenient, encode
from tests.unit.devnet.txkit import (
    ADA,
    FEE,
    Wallet,
    assemble,
    blake256,
    body_bytes,
    get,
    rejection_tags,
    submit,
    utxo_of,
    witnesses,
)


def _indefinite_map(canonical: bytes) -> bytes:
    """Re-frame a small definite map (0xa0..0xb7 head) as an indefinite-length map."""
    assert 0xA0 <= canonical[0] <= 0xB7
    return b"\xbf" + canonical[1:] + b"\xff"


def test_tx_id_is_the_hash_of_the_body_bytes_as_submitted(
    net: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    txin, coin = utxo_of(net, alice)
    canonical = body_bytes([txin], [(bob.address, 5 * ADA), (alice.address, coin - 5 * ADA - FEE)])
    body = _indefinite_map(canonical)
    raw = assemble(body, witnesses(body, [alice]))
    response = submit(net, raw)
    assert response.status_code == 200, response.text
    assert response.json() == blake256(body).hex() != blake256(canonical).hex()
    net.cut_block()
    assert get(net, f"/txs/{response.json()}/cbor").json() == {"cbor": raw.hex()}


def test_aux_hash_is_over_the_auxiliary_bytes_as_submitted(
    net: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    txin, coin = utxo_of(net, alice)
    aux = _indefinite_map(encode({309: "anchored"}))
    outputs = [(bob.address, 5 * ADA), (alice.address, coin - 5 * ADA - FEE)]

    def tx(aux_hash: bytes) -> bytes:
        body = body_bytes([txin], outputs, auxiliary_data_hash=aux_hash)
        return assemble(body, witnesses(body, [alice]), aux)

    re_encoded = blake256(encode({309: "anchored"}))
    assert rejection_tags(submit(net, tx(re_encoded))) == ["ConflictingMetadataHash"]
    response = submit(net, tx(blake256(aux)))
    assert response.status_code == 200, response.text
    net.cut_block()
    value_hex = encode("anchored").hex()
    cbor = get(net, f"/txs/{response.json()}/metadata/cbor").json()
    assert cbor == [{"label": "309", "cbor_metadata": "\\x" + value_hex, "metadata": value_hex}]


def test_shelley_three_element_form(alice: Wallet, bob: Wallet) -> None:
    body = body_bytes([TxIn(b"\x01" * 32, 3)], [(bob.address, 5 * ADA)], ttl=99)
    aux = encode({1: 2})
    raw = b"\x83" + body + witnesses(body, [alice]) + aux
    tx = decode_tx(raw)
    assert tx.tx_id == blake256(body)
    assert tx.inputs == (TxIn(b"\x01" * 32, 3),)
    assert tx.ttl == 99 and tx.validity_start is None
    assert tx.aux_raw == aux and tx.is_valid
    assert [(e.label, e.value) for e in tx.metadata] == [(1, 2)]
    assert tx.witnesses[0].vkey == alice.vk.payload


@pytest.mark.parametrize(
    "aux",
    [
        encode({309: "x"}),
        encode([{309: "x"}, []]),
        b"\xd9\x01\x03" + encode({0: {309: "x"}}),
    ],
    ids=["shelley-map", "allegra-array", "alonzo-tag-259"],
)
def test_every_auxiliary_data_form_yields_the_metadata(aux: bytes) -> None:
    entries = extract_metadata(aux, 0)
    assert [(e.label, e.value, e.raw) for e in entries] == [(309, "x", encode("x"))]


def test_tag_259_without_metadata_has_none() -> None:
    assert extract_metadata(b"\xd9\x01\x03" + encode({1: []}), 0) == ()


@pytest.mark.parametrize(
    ("aux", "reason"),
    [
        (encode({-1: 1}), "not an unsigned integer"),
        (b"\xd8\x18" + encode({}), "unexpected tag 24"),
        (encode("text"), "neither a map"),
        (encode([{}, [], []]), "[metadata, scripts]"),
    ],
)
def test_malformed_auxiliary_data(alice: Wallet, aux: bytes, reason: str) -> None:
    body = body_bytes([TxIn(b"\x01" * 32, 0)], [], auxiliary_data_hash=blake256(aux))
    with pytest.raises(TxDecodeError) as caught:
        decode_tx(assemble(body, witnesses(body, [alice]), aux))
    assert reason in caught.value.message
    assert caught.value.message.startswith("DeserialiseFailure: ")


def test_metadata_json_projection() -> None:
    value = encode({"a": [1, -2, b"\x00\xff"], 7: "t", b"\x01": {}})
    assert metadata_json(decode_lenient(value)) == {
        "a": [1, -2, "0x00ff"],
        "7": "t",
        "0x01": {},
    }
    # a map keyed by an array has no JSON form: Blockfrost serves null
    assert metadata_json(decode_lenient(b"\xa1\x81\x01\x02")) is None


def test_address_round_trip_and_classification(alice: Wallet) -> None:
    info = parse_bech32(alice.bech32)
    assert info.raw == alice.address.to_primitive()
    assert (info.network_id, info.kind, info.payment_key_hash) == (0, "enterprise", alice.key_hash)
    assert to_bech32(info.raw) == alice.bech32
    base = bytes([0x00]) + alice.key_hash + b"\x02" * 28
    assert describe(base).kind == "base"
    assert describe(bytes([0x10]) + b"\x03" * 56).payment_is_script


@pytest.mark.parametrize(
    "raw",
    [b"", bytes([0x60]) + b"\x00" * 27, bytes([0x82]) + b"\x00" * 40, bytes([0xE0]) + b"\x00" * 28],
    ids=["empty", "short-enterprise", "byron", "reward"],
)
def test_non_payment_addresses_are_refused(raw: bytes) -> None:
    with pytest.raises(AddressError):
        describe(raw)


def test_bech32_prefix_must_match_the_network(alice: Wallet) -> None:
    mainnet_raw = bytes([0x61]) + alice.key_hash
    with pytest.raises(AddressError, match="does not match network"):
        parse_bech32(bech32_encode("addr_test", mainnet_raw))
    with pytest.raises(AddressError, match="not a bech32 address"):
        parse_bech32(alice.bech32[:-1] + ("q" if alice.bech32[-1] != "q" else "p"))
