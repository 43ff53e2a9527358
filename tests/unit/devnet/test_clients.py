"""Unmodified pycardano and blockfrost-python work against the devnet."""

from __future__ import annotations

import httpx
import pytest
from blockfrost import ApiError, BlockFrostApi
from pycardano import (
    AlonzoMetadata,
    AuxiliaryData,
    BlockFrostChainContext,
    Metadata,
    TransactionBuilder,
    TransactionFailedException,
    TransactionOutput,
)

from anchor.devnet import RunningDevnet
from tests.unit.devnet.txkit import ADA, Wallet, wallet


def test_pycardano_builds_signs_and_submits_and_blockfrost_reads_back(
    net: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    context = BlockFrostChainContext("devnet", base_url=net.base_url)
    assert context.protocol_param.min_fee_coefficient == 44
    assert context.protocol_param.coins_per_utxo_byte == 4310
    assert context.genesis_param.network_magic == 42
    builder = TransactionBuilder(context)
    builder.add_input_address(alice.address)
    builder.add_output(TransactionOutput(bob.address, 7 * ADA))
    record = {309: {"v": 1, "root": bytes(range(32)), "note": ["evidence", "anchor"]}}
    builder.auxiliary_data = AuxiliaryData(AlonzoMetadata(metadata=Metadata(record)))
    tx = builder.build_and_sign([alice.sk], change_address=alice.address, auto_ttl_offset=600)
    tx_hash = context.submit_tx(tx)
    assert tx_hash == str(tx.id)
    net.advance(3)  # the first block holds the transaction, two more confirm it

    api = BlockFrostApi(project_id="devnet", base_url=net.base_url)
    # blockfrost-python >= 0.7 reads /txs/{hash}/cbor itself; at our lower bound (0.6) the
    # same endpoint is read directly.
    if hasattr(api, "transaction_cbor"):
        served = api.transaction_cbor(tx_hash).cbor
    else:
        url = f"{api.url}/txs/{tx_hash}/cbor"
        served = httpx.get(url, headers={"project_id": "devnet"}, timeout=10).json()["cbor"]
    assert served == tx.to_cbor_hex()
    assert api.transaction_metadata(tx_hash, return_type="json") == [
        {
            "label": "309",
            "json_metadata": {
                "v": 1,
                "root": "0x" + bytes(range(32)).hex(),
                "note": ["evidence", "anchor"],
            },
        }
    ]
    cbor = api.transaction_metadata_cbor(tx_hash)
    assert [c.label for c in cbor] == ["309"]
    info = api.transaction(tx_hash)
    assert info.block_height == net.tip.height - 2 == 1
    assert api.block(info.block).confirmations == 2
    assert int(info.invalid_hereafter) == tx.transaction_body.ttl
    assert [u.amount[0].quantity for u in api.address_utxos(bob.bech32)] == [
        str(1000 * ADA),
        str(7 * ADA),
    ]
    assert context.utxos(wallet(9).address) == []  # 404 for an unused address, as on Blockfrost


def test_pycardano_sees_the_ledger_reason_of_a_rejection(
    net: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    context = BlockFrostChainContext("devnet", base_url=net.base_url)
    builder = TransactionBuilder(context)
    builder.add_input_address(alice.address)
    builder.add_output(TransactionOutput(bob.address, 3 * ADA))
    tx = builder.build_and_sign([alice.sk], change_address=alice.address)
    context.submit_tx(tx)
    with pytest.raises(TransactionFailedException, match="BadInputsUTxO"):
        context.submit_tx(tx)


def test_blockfrost_python_raises_api_error_for_unknown_tx(net: RunningDevnet) -> None:
    api = BlockFrostApi(project_id="devnet", base_url=net.base_url)
    with pytest.raises(ApiError) as caught:
        api.transaction("ab" * 32)
    assert caught.value.status_code == 404
    assert api.block_latest().height == 0
    assert api.epoch_latest_parameters().max_tx_size == 16384
