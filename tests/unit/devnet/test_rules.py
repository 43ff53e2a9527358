"""Each devnet ledger rule is hit by a real, signed transaction that breaks exactly that rule.

Every test submits over HTTP and asserts the exact list of rule names in the 400
message, so a transaction that also broke another rule would fail the test.
"""

from __future__ import annotations

import pytest
from pycardano import (
    Asset,
    AssetName,
    MultiAsset,
    Network,
    ScriptHash,
    StakeCredential,
    StakeRegistration,
    Transaction,
    TransactionBody,
    TransactionInput,
    TransactionOutput,
    Value,
    VerificationKeyHash,
    Withdrawals,
)

from anchor.devnet import RunningDevnet
from anchor.devnet.txdecode import TxIn
from anchor.label309.cbor import encode
from tests.unit.devnet.conftest import FakeClock
from tests.unit.devnet.txkit import (
    ADA,
    FEE,
    Wallet,
    assemble,
    blake256,
    body_bytes,
    pay,
    rejection_tags,
    signed_tx,
    submit,
    utxo_of,
    witnesses,
)


def test_valid_payment_is_accepted_with_the_body_hash_as_id(
    net: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    raw = pay(net, alice, bob, 5 * ADA)
    response = submit(net, raw)
    assert response.status_code == 200, response.text
    tx_id = bytes.fromhex(response.json())
    assert tx_id == bytes(Transaction.from_cbor(raw).id)
    assert net.cut_block().tx_ids == (tx_id,)
    record = net.state.transaction(tx_id)
    assert record is not None and record.tx.raw == raw


def test_fee_too_small(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    raw = pay(net, alice, bob, 5 * ADA, fee=150_000)
    response = submit(net, raw)
    assert rejection_tags(response) == ["FeeTooSmallUTxO"]
    minimum = 44 * len(raw) + 155_381
    assert f"fee 150000 < minimum {minimum}" in response.json()["message"]


def test_unknown_input(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    ghost = TxIn(b"\x11" * 32, 0)
    raw = signed_tx([ghost], [(bob.address, 5 * ADA)], [alice])
    assert rejection_tags(submit(net, raw)) == ["BadInputsUTxO"]


def test_double_spend_in_the_same_block(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    first = pay(net, alice, bob, 5 * ADA)
    second = pay(net, alice, bob, 7 * ADA)  # same input, different transaction
    assert submit(net, first).status_code == 200
    assert rejection_tags(submit(net, second)) == ["BadInputsUTxO"]
    assert len(net.cut_block().tx_ids) == 1


def test_spending_an_input_already_in_a_block(
    net: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    raw = pay(net, alice, bob, 5 * ADA)
    assert submit(net, raw).status_code == 200
    net.cut_block()
    assert rejection_tags(submit(net, raw)) == ["BadInputsUTxO"]


def test_value_not_conserved(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    txin, coin = utxo_of(net, alice)
    outputs = [(bob.address, 5 * ADA), (alice.address, coin - 5 * ADA - FEE + 1)]
    response = submit(net, signed_tx([txin], outputs, [alice]))
    assert rejection_tags(response) == ["ValueNotConservedUTxO"]
    assert f"consumed {coin} lovelace != produced {coin + 1} lovelace" in response.text


def test_native_assets_must_balance_too(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    txin, coin = utxo_of(net, alice)
    token = MultiAsset({ScriptHash(b"\x07" * 28): Asset({AssetName(b"tok"): 5})})
    outputs = [
        TransactionOutput(bob.address, Value(2 * ADA, token)),
        TransactionOutput(alice.address, coin - 2 * ADA - FEE),
    ]
    body = bytes(
        TransactionBody(
            inputs=[TransactionInput.from_primitive([txin.tx_hash, txin.index])],
            outputs=outputs,
            fee=FEE,
        ).to_cbor()
    )
    response = submit(net, assemble(body, witnesses(body, [alice])))
    assert rejection_tags(response) == ["ValueNotConservedUTxO"]
    assert "5 " + (b"\x07" * 28 + b"tok").hex() in response.text


def _min_utxo(w: Wallet, coin: int) -> int:
    # The devnet charges the output's serialised size as submitted: (160 + size) * 4310.
    return (160 + len(bytes(TransactionOutput(w.address, coin).to_cbor()))) * 4310


def test_output_below_minimum_utxo(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    minimum = _min_utxo(bob, 800_000)
    assert minimum == (160 + 37) * 4310  # [addr 29 bytes, uint32]: 1 + 31 + 5 bytes
    response = submit(net, pay(net, alice, bob, 800_000))
    assert rejection_tags(response) == ["OutputTooSmallUTxO"]
    assert f"output 0: 800000 < {minimum}" in response.text


def test_output_exactly_at_minimum_is_accepted(
    net: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    minimum = _min_utxo(bob, 849_070)
    assert submit(net, pay(net, alice, bob, minimum)).status_code == 200
    response = submit(net, pay(net, bob, alice, minimum - 1))
    assert rejection_tags(response) == ["OutputTooSmallUTxO"]


def test_transaction_too_big(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    aux = encode({309: ["x" * 64] * 260})
    response = submit(net, pay(net, alice, bob, 5 * ADA, aux=aux, fee=1_500_000))
    assert rejection_tags(response) == ["MaxTxSizeUTxO"]


def test_ttl_in_the_past(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    ttl = net.state.next_slot()  # valid only while slot < ttl
    response = submit(net, pay(net, alice, bob, 5 * ADA, ttl=ttl))
    assert rejection_tags(response) == ["OutsideValidityIntervalUTxO"]
    assert f"slot {ttl} is outside [-inf, {ttl})" in response.text


def test_validity_start_in_the_future(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    start = net.state.next_slot() + 100
    response = submit(net, pay(net, alice, bob, 5 * ADA, validity_start=start))
    assert rejection_tags(response) == ["OutsideValidityIntervalUTxO"]


def test_validity_interval_bounds_are_inclusive_then_exclusive(
    net: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    slot = net.state.next_slot()
    raw = pay(net, alice, bob, 5 * ADA, validity_start=slot, ttl=slot + 1)
    assert submit(net, raw).status_code == 200


def test_expired_mempool_transaction_is_dropped_at_the_block(
    net: RunningDevnet, clock: FakeClock, alice: Wallet, bob: Wallet
) -> None:
    slot = net.state.next_slot()
    raw = pay(net, alice, bob, 5 * ADA, ttl=slot + 2)
    tx_id = bytes.fromhex(submit(net, raw).json())
    clock.now += 60  # the next block's slot is now past the ttl
    block = net.cut_block()
    assert block.tx_ids == ()
    dropped_id, failures = net.state.dropped[-1]
    assert dropped_id == tx_id
    assert [f.tag for f in failures] == ["OutsideValidityIntervalUTxO"]


def test_input_key_not_witnessed(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    txin, coin = utxo_of(net, alice)
    outputs = [(bob.address, 5 * ADA), (alice.address, coin - 5 * ADA - FEE)]
    response = submit(net, signed_tx([txin], outputs, [bob]))
    assert rejection_tags(response) == ["MissingVKeyWitnessesUTXOW"]
    assert alice.key_hash.hex() in response.text


def test_required_signer_not_witnessed(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    raw = pay(net, alice, bob, 5 * ADA, required_signers=[VerificationKeyHash(bob.key_hash)])
    response = submit(net, raw)
    assert rejection_tags(response) == ["MissingVKeyWitnessesUTXOW"]
    assert bob.key_hash.hex() in response.text


def test_signature_over_the_wrong_message(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    txin, coin = utxo_of(net, alice)
    body = body_bytes([txin], [(bob.address, 5 * ADA), (alice.address, coin - 5 * ADA - FEE)])
    wits = witnesses(body, [alice], message=blake256(body + b"x"))
    response = submit(net, assemble(body, wits))
    assert rejection_tags(response) == ["InvalidWitnessesUTXOW"]
    assert alice.vk.payload.hex() in response.text


def test_metadata_hash_differs_from_auxiliary_data(
    net: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    aux = encode({309: "anchored"})
    other = blake256(encode({309: "something else"}))
    response = submit(net, pay(net, alice, bob, 5 * ADA, aux=aux, aux_hash=other))
    assert rejection_tags(response) == ["ConflictingMetadataHash"]


def test_auxiliary_data_without_body_hash(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    aux = encode({309: "anchored"})
    response = submit(net, pay(net, alice, bob, 5 * ADA, aux=aux, aux_hash=None))
    assert rejection_tags(response) == ["MissingTxBodyMetadataHash"]


def test_body_hash_without_auxiliary_data(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    digest = blake256(encode({309: "anchored"}))
    response = submit(net, pay(net, alice, bob, 5 * ADA, aux=None, aux_hash=digest))
    assert rejection_tags(response) == ["MissingTxMetadata"]


@pytest.mark.parametrize(
    "metadata",
    [
        {309: "x" * 65},
        {309: b"\x00" * 65},
        {309: [{"k": ["y" * 65]}]},
        {309: {"é" * 33: 1}},  # a 66-byte text key
    ],
    ids=["text-65", "bytes-65", "nested-text-65", "map-key-66"],
)
def test_metadata_string_longer_than_64_bytes(
    net: RunningDevnet, alice: Wallet, bob: Wallet, metadata: dict[int, object]
) -> None:
    response = submit(net, pay(net, alice, bob, 5 * ADA, aux=encode(metadata)))
    assert rejection_tags(response) == ["InvalidMetadata"]


def test_metadata_strings_of_exactly_64_bytes_are_accepted(
    net: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    aux = encode({309: ["x" * 64, b"\x01" * 64]})
    assert submit(net, pay(net, alice, bob, 5 * ADA, aux=aux)).status_code == 200


def test_output_to_another_network(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    txin, coin = utxo_of(net, alice)
    outputs = [(bob.mainnet_address(), 5 * ADA), (alice.address, coin - 5 * ADA - FEE)]
    response = submit(net, signed_tx([txin], outputs, [alice]))
    assert rejection_tags(response) == ["WrongNetwork"]


def test_body_network_id_of_another_network(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    response = submit(net, pay(net, alice, bob, 5 * ADA, network_id=Network.MAINNET))
    assert rejection_tags(response) == ["WrongNetworkInTxBody"]


def test_no_inputs(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    response = submit(net, signed_tx([], [(bob.address, 5 * ADA)], [alice]))
    # Nothing consumed but outputs and a fee produced: the ledger reports both.
    assert rejection_tags(response) == ["InputSetEmptyUTxO", "ValueNotConservedUTxO"]


@pytest.mark.parametrize("feature", ["mint", "withdrawals", "certificates"])
def test_unimplemented_features_are_refused(
    net: RunningDevnet, alice: Wallet, bob: Wallet, feature: str
) -> None:
    stake = StakeCredential(VerificationKeyHash(alice.key_hash))
    fields: dict[str, object] = {
        "mint": {"mint": MultiAsset({ScriptHash(b"\x07" * 28): Asset({AssetName(b"t"): 1})})},
        "withdrawals": {"withdraws": Withdrawals({b"\xe0" + alice.key_hash: 0})},
        "certificates": {"certificates": [StakeRegistration(stake)]},
    }[feature]
    response = submit(net, pay(net, alice, bob, 5 * ADA, **fields))
    assert rejection_tags(response) == ["UnsupportedFeature"]
    assert feature.rstrip("s")[:4] in response.text


def test_phase_two_invalid_flag_is_refused(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    txin, coin = utxo_of(net, alice)
    body = body_bytes([txin], [(bob.address, 5 * ADA), (alice.address, coin - 5 * ADA - FEE)])
    response = submit(net, assemble(body, witnesses(body, [alice]), is_valid=False))
    assert rejection_tags(response) == ["UnsupportedFeature"]


def test_script_locked_input_is_refused(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    script_address = bytes([0x70]) + b"\x09" * 28  # enterprise, script payment part, testnet
    txin = net.state.fund(script_address, 10 * ADA)
    raw = signed_tx([txin], [(bob.address, 10 * ADA - FEE)], [alice])
    response = submit(net, raw)
    assert rejection_tags(response) == ["UnsupportedFeature"]
    assert "locked by a script" in response.text


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00", b"\x84\xa0", b"\x83\xa0\xa0\xf6\x00", b"\x82\xa0\xa0", b"\x84\x01\xa0\xf5\xf6"],
    ids=["empty", "integer", "truncated", "trailing-byte", "two-elements", "body-not-a-map"],
)
def test_malformed_bytes(net: RunningDevnet, raw: bytes) -> None:
    response = submit(net, raw)
    assert response.status_code == 400
    if raw:
        assert rejection_tags(response) == ["DeserialiseFailure"]


def test_duplicate_input_in_the_set(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    txin, coin = utxo_of(net, alice)
    outputs = [(bob.address, 5 * ADA), (alice.address, coin - 5 * ADA - FEE)]
    response = submit(net, signed_tx([txin, txin], outputs, [alice]))
    assert rejection_tags(response) == ["DeserialiseFailure"]
    assert "appears twice" in response.text


def test_several_broken_rules_are_all_reported(
    net: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    txin, coin = utxo_of(net, alice)
    outputs = [(bob.address, 100_000), (alice.address, coin - 100_000 - 1000)]
    response = submit(net, signed_tx([txin], outputs, [bob], fee=1000))
    assert rejection_tags(response) == [
        "MissingVKeyWitnessesUTXOW",
        "FeeTooSmallUTxO",
        "OutputTooSmallUTxO",
    ]
