"""Transaction building: exact minimum fee, the record carried byte for byte, funds and size errors."""

from __future__ import annotations

import hashlib

import pytest

from anchor.chain.keys import PaymentKey
from anchor.chain.network import Network
from anchor.chain.providers import ProtocolParams, Utxo
from anchor.chain.txbuild import (
    NotEnoughFunds,
    RecordTooLarge,
    TransactionCheckFailed,
    build_transaction,
    check_transaction,
)
from anchor.errors import EXIT_ENVIRONMENT
from anchor.label309 import carriage, cbor, txbind
from anchor.label309.cbor import CborMap
from anchor.label309.record import Item, MerkleCommit, build_record_body

PARAMS = ProtocolParams(min_fee_a=44, min_fee_b=155381, max_tx_size=16384, coins_per_utxo_byte=4310)
KEY = PaymentKey.from_seed(bytes(range(32)))
ADDR = KEY.address(0)
NET = Network.devnet()


def h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def record(uris: int = 0) -> bytes:
    uri = "ar://" + "A" * 43
    return build_record_body(
        items=[
            Item(hashes=CborMap({"sha2-256": h("a"), "blake2b-256": h("b")}), uris=(uri,) * uris)
        ],
        merkle=[MerkleCommit(alg="rfc9162-sha256", root=h("root"), leaf_count=3)],
    )


def utxo(i: int, lovelace: int, **kw: object) -> Utxo:
    return Utxo(h(f"tx{i}").hex(), i % 3, ADDR, lovelace, **kw)  # type: ignore[arg-type]


def build(body: bytes, utxos: list[Utxo], **kw: object) -> object:
    return build_transaction(
        body,
        payment_key=KEY,
        params=PARAMS,
        utxos=utxos,
        network=NET,
        ttl=5000,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("uris", [0, 1, 20, 150])
def test_fee_is_exactly_the_minimum_for_the_final_size(uris: int) -> None:
    body = record(uris)
    tx = build_transaction(
        body, payment_key=KEY, params=PARAMS, utxos=[utxo(1, 50_000_000)], network=NET, ttl=5000
    )
    assert tx.fee == PARAMS.min_fee_a * len(tx.tx_bytes) + PARAMS.min_fee_b
    assert tx.fee - tx.min_fee == 0
    assert tx.size == len(tx.tx_bytes)
    decoded = cbor.decode_lenient(txbind.split_tx(tx.tx_bytes).body)
    assert decoded.get(2) == tx.fee
    assert decoded.get(3) == 5000
    # value is conserved: input = change + fee
    assert tx.change + tx.fee == 50_000_000


def test_final_bytes_carry_the_record_exactly() -> None:
    body = record(2)
    tx = build_transaction(
        body, payment_key=KEY, params=PARAMS, utxos=[utxo(1, 9_000_000)], network=NET, ttl=77
    )
    parts = txbind.split_tx(tx.tx_bytes)
    assert parts.aux == carriage.metadata_map_bytes(body)  # the plain map {309: chunks}
    assert carriage.reassemble(carriage.unwrap_aux_data(parts.aux)) == body
    assert tx.tx_id == hashlib.blake2b(parts.body, digest_size=32).hexdigest()
    assert tx.aux_hash == hashlib.blake2b(parts.aux, digest_size=32).digest()
    assert cbor.decode_lenient(parts.body).get(7) == tx.aux_hash
    assert tx.address == ADDR
    assert tx.inputs == (f"{h('tx1').hex()}#1",)


def test_the_payment_key_signs_the_body() -> None:
    from nacl.signing import VerifyKey

    tx = build(record(), [utxo(1, 9_000_000)])
    parts = txbind.split_tx(tx.tx_bytes)  # type: ignore[attr-defined]
    whole = cbor.decode_lenient(tx.tx_bytes)  # type: ignore[attr-defined]
    witnesses = whole[1].get(0)
    vkeys = witnesses.value if hasattr(witnesses, "value") else witnesses
    assert len(vkeys) == 1
    vkey, signature = vkeys[0]
    assert vkey == KEY.verification_key
    VerifyKey(vkey).verify(hashlib.blake2b(parts.body, digest_size=32).digest(), signature)


def test_same_inputs_give_the_same_bytes() -> None:
    utxos = [utxo(1, 3_000_000), utxo(2, 8_000_000), utxo(3, 4_000_000)]
    first = build(record(), utxos)
    assert build(record(), list(reversed(utxos))).tx_bytes == first.tx_bytes  # type: ignore[attr-defined]
    assert first.inputs == (f"{h('tx2').hex()}#2",)  # type: ignore[attr-defined]  # largest first


def test_tokens_datums_and_script_refs_are_never_spent() -> None:
    utxos = [
        utxo(1, 90_000_000, assets=(("aa" * 28, 5),)),
        utxo(2, 90_000_000, has_datum=True),
        utxo(4, 90_000_000, has_script_ref=True),
        utxo(5, 2_000_000),
    ]
    tx = build(record(), utxos)
    assert tx.inputs == (f"{h('tx5').hex()}#2",)  # type: ignore[attr-defined]


def test_several_small_utxos_are_combined() -> None:
    tx = build(record(), [utxo(i, 700_000) for i in range(1, 5)])
    assert len(tx.inputs) >= 2  # type: ignore[attr-defined]
    assert tx.fee == PARAMS.min_fee(tx.size)  # type: ignore[attr-defined]


def test_no_utxo_names_address_and_amount() -> None:
    with pytest.raises(NotEnoughFunds) as info:
        build(record(), [])
    err = info.value
    assert err.exit_code == EXIT_ENVIRONMENT
    assert ADDR in err.message
    assert err.need > 0
    assert f"send at least {err.need} lovelace" in err.message
    assert err.message.startswith(f"no spendable UTxO at the payment address {ADDR}")


def test_too_little_says_how_much_more() -> None:
    with pytest.raises(NotEnoughFunds) as info:
        build(record(), [utxo(1, 900_000)])
    err = info.value
    assert err.have == 900_000
    assert "1 spendable UTxO(s) hold 900000 lovelace" in err.message
    assert f"send at least {err.need - 900_000} lovelace" in err.message


def test_other_addresses_utxos_do_not_count() -> None:
    other = Utxo(h("x").hex(), 0, PaymentKey.from_seed(bytes(32)).address(0), 50_000_000)
    with pytest.raises(NotEnoughFunds):
        build(record(), [other])


def test_record_larger_than_a_transaction_is_refused() -> None:
    body = record(340)  # 340 URIs of 49 bytes: 16.7 KB of record
    with pytest.raises(RecordTooLarge) as info:
        build(body, [utxo(1, 90_000_000)])
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert "max_tx_size is 16384" in info.value.message


def long_uri_record(path_len: int) -> bytes:
    import base64

    cid = "b" + base64.b32encode(bytes([1, 0x55, 0x12, 0x20]) + h("c")).decode().lower().rstrip("=")
    uri = f"ipfs://{cid}/" + "p" * path_len
    return build_record_body(items=[Item(hashes=CborMap({"sha2-256": h("c")}), uris=(uri,))])


def test_sizes_near_the_limit_either_fit_or_are_refused() -> None:
    outcomes = set()
    for path_len in range(15_400, 16_200, 37):
        try:
            tx = build(long_uri_record(path_len), [utxo(1, 90_000_000)])
        except RecordTooLarge:
            outcomes.add("refused")
            continue
        outcomes.add("built")
        assert tx.size <= PARAMS.max_tx_size  # type: ignore[attr-defined]
        assert tx.fee == PARAMS.min_fee(tx.size)  # type: ignore[attr-defined]
    assert outcomes == {"built", "refused"}


def test_check_transaction_catches_a_different_record_and_a_tampered_aux() -> None:
    body = record()
    tx = build(body, [utxo(1, 9_000_000)])
    raw = tx.tx_bytes  # type: ignore[attr-defined]
    assert check_transaction(raw, body).tx_id == tx.tx_id  # type: ignore[attr-defined]
    with pytest.raises(TransactionCheckFailed, match="not the record body"):
        check_transaction(raw, record(1))
    parts = txbind.split_tx(raw)
    i = raw.rindex(parts.aux)
    tampered_aux = parts.aux[:-1] + bytes([parts.aux[-1] ^ 1])
    with pytest.raises(TransactionCheckFailed):
        check_transaction(raw[:i] + tampered_aux, body)
