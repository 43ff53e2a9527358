"""The Blockfrost endpoints of the devnet: content, paging, errors, block production."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from anchor.devnet import RunningDevnet
from anchor.devnet.txdecode import TxIn
from anchor.label309.cbor import encode
from tests.unit.devnet.txkit import (
    ADA,
    FEE,
    Wallet,
    get,
    http,
    pay,
    signed_tx,
    submit,
    utxo_of,
    wallet,
)


def _confirmed_payment(net: RunningDevnet, alice: Wallet, bob: Wallet) -> str:
    aux = encode({309: {"v": 1, "h": b"\xab" * 32}, 674: {"msg": ["hello"]}})
    response = submit(net, pay(net, alice, bob, 5 * ADA, aux=aux))
    assert response.status_code == 200, response.text
    net.cut_block()
    tx_hash: str = response.json()
    return tx_hash


def test_protocol_parameters_are_conway(net: RunningDevnet) -> None:
    params = get(net, "/epochs/latest/parameters").json()
    assert (params["min_fee_a"], params["min_fee_b"]) == (44, 155381)
    assert params["max_tx_size"] == 16384
    assert params["coins_per_utxo_size"] == "4310"


def test_genesis_and_epoch(net: RunningDevnet) -> None:
    genesis = get(net, "/genesis").json()
    assert genesis["network_magic"] == 42
    assert genesis["system_start"] == net.state.system_start == net.tip.time
    assert genesis["slot_length"] == 1
    epoch = get(net, "/epochs/latest").json()
    assert epoch["epoch"] == 0
    assert epoch["end_time"] - epoch["start_time"] == genesis["epoch_length"]


def test_confirmations_grow_as_blocks_are_cut(
    net: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    tx_hash = _confirmed_payment(net, alice, bob)
    tx = get(net, f"/txs/{tx_hash}").json()
    block = get(net, f"/blocks/{tx['block']}").json()
    assert block["confirmations"] == 0 and block["tx_count"] == 1
    net.advance(3)
    again = get(net, f"/blocks/{tx['block_height']}").json()
    assert again["confirmations"] == 3
    assert again["hash"] == tx["block"]
    latest = get(net, "/blocks/latest").json()
    assert latest["height"] == tx["block_height"] + 3
    assert latest["slot"] > tx["slot"] and latest["tx_count"] == 0
    assert get(net, f"/blocks/{latest['previous_block']}").json()["next_block"] == latest["hash"]
    assert get(net, f"/blocks/{tx['block']}/txs").json() == [tx_hash]


def test_transaction_views(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    tx_hash = _confirmed_payment(net, alice, bob)
    record = net.state.transaction(bytes.fromhex(tx_hash))
    assert record is not None
    tx = get(net, f"/txs/{tx_hash.upper()}").json()
    assert tx["hash"] == tx_hash
    assert tx["fees"] == str(FEE) and tx["size"] == record.tx.size
    assert get(net, f"/txs/{tx_hash}/cbor").json() == {"cbor": record.tx.raw.hex()}
    assert get(net, f"/txs/{tx_hash}/metadata").json() == [
        {"label": "309", "json_metadata": {"v": 1, "h": "0x" + "ab" * 32}},
        {"label": "674", "json_metadata": {"msg": ["hello"]}},
    ]
    cbor = get(net, f"/txs/{tx_hash}/metadata/cbor").json()
    assert [c["metadata"] for c in cbor] == [
        encode({"v": 1, "h": b"\xab" * 32}).hex(),
        encode({"msg": ["hello"]}).hex(),
    ]
    utxos = get(net, f"/txs/{tx_hash}/utxos").json()
    assert [i["address"] for i in utxos["inputs"]] == [alice.bech32]
    assert [o["address"] for o in utxos["outputs"]] == [bob.bech32, alice.bech32]
    assert utxos["outputs"][0]["amount"] == [{"unit": "lovelace", "quantity": str(5 * ADA)}]


def test_mempool_transactions_are_not_listed_until_in_a_block(
    net: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    tx_hash = submit(net, pay(net, alice, bob, 5 * ADA)).json()
    assert get(net, f"/txs/{tx_hash}").status_code == 404
    net.cut_block()
    assert get(net, f"/txs/{tx_hash}").status_code == 200


def test_chained_spend_inside_the_mempool(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    first = submit(net, pay(net, alice, bob, 5 * ADA)).json()
    change = TxIn(bytes.fromhex(first), 1)
    change_coin = 1000 * ADA - 5 * ADA - FEE
    second = signed_tx(
        [change], [(bob.address, 3 * ADA), (alice.address, change_coin - 3 * ADA - FEE)], [alice]
    )
    assert submit(net, second).status_code == 200
    block = net.cut_block()
    assert len(block.tx_ids) == 2 and block.tx_ids[0].hex() == first


def test_address_utxos_paging_and_order(net: RunningDevnet) -> None:
    carol = wallet(3)
    assert get(net, f"/addresses/{carol.bech32}/utxos").status_code == 404
    txins = [net.fund(carol.bech32, (i + 1) * ADA) for i in range(5)]
    page = get(net, f"/addresses/{carol.bech32}/utxos?count=2&page=2").json()
    assert [u["tx_hash"] for u in page] == [t.tx_hash.hex() for t in txins[2:4]]
    last = get(net, f"/addresses/{carol.bech32}/utxos?count=2&page=3").json()
    assert [u["amount"][0]["quantity"] for u in last] == [str(5 * ADA)]
    assert get(net, f"/addresses/{carol.bech32}/utxos?count=2&page=4").json() == []
    desc = get(net, f"/addresses/{carol.bech32}/utxos?order=desc").json()
    assert [u["tx_hash"] for u in desc] == [t.tx_hash.hex() for t in reversed(txins)]
    assert {u["block"] for u in desc} == {b.hash.hex() for b in net.state.blocks[1:6]}


def test_spent_address_lists_no_utxos_but_is_known(
    net: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    txin, coin = utxo_of(net, alice)
    assert submit(net, signed_tx([txin], [(bob.address, coin - FEE)], [alice])).status_code == 200
    net.cut_block()
    assert get(net, f"/addresses/{alice.bech32}/utxos").json() == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/txs/" + "00" * 32, 404),
        ("/txs/xyz", 400),
        ("/txs/" + "00" * 31, 400),
        ("/blocks/999", 404),
        ("/blocks/" + "00" * 32, 404),
        ("/blocks/latest-ish", 400),
        ("/blocks/" + "1" * 30, 400),
        ("/addresses/addr_test1qqqqqq/utxos", 400),
        ("/addresses/{alice}/utxos?count=0", 400),
        ("/addresses/{alice}/utxos?count=101", 400),
        ("/addresses/{alice}/utxos?page=x", 400),
        ("/addresses/{alice}/utxos?order=up", 400),
        ("/addresses/{mainnet}/utxos", 400),
        ("/no/such/endpoint", 404),
    ],
)
def test_error_responses(net: RunningDevnet, alice: Wallet, path: str, status: int) -> None:
    mainnet = str(alice.mainnet_address())
    response = get(net, path.format(alice=alice.bech32, mainnet=mainnet))
    assert response.status_code == status
    body = response.json()
    assert body["status_code"] == status
    assert body["error"] == {400: "Bad Request", 404: "Not Found"}[status]
    assert body["message"]


def test_outside_the_api_root_is_not_found(net: RunningDevnet) -> None:
    response = http(net.url.replace("/api/v0", "/api/v1") + "/blocks/latest")
    assert response.status_code == 404 and response.json()["error"] == "Not Found"


def test_submit_needs_post_and_cbor(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    raw = pay(net, alice, bob, 5 * ADA)
    assert get(net, "/tx/submit").status_code == 405
    wrong_type = http(f"{net.url}/tx/submit", data=raw, content_type="text/plain", method="POST")
    assert wrong_type.status_code == 400
    assert "application/cbor" in wrong_type.json()["message"]
    empty = http(f"{net.url}/tx/submit", data=b"", content_type="application/cbor", method="POST")
    assert empty.status_code == 400
    assert http(f"{net.url}/blocks/latest", data=b"", method="POST").status_code == 405
    assert net.state.mempool == []


def test_bound_to_loopback_only(net: RunningDevnet) -> None:
    assert net.url == f"http://127.0.0.1:{net.port}/api/v0"
    assert net.base_url == f"http://127.0.0.1:{net.port}/api"
    assert get(net, "/health").json() == {"is_healthy": True}
    assert get(net, "/").json()["version"]


def test_a_full_block_leaves_the_rest_in_the_mempool(net: RunningDevnet) -> None:
    carol = wallet(3)
    txins = [net.fund(carol.bech32, 10 * ADA) for _ in range(7)]
    aux = encode({309: ["x" * 64] * 240})  # ~16 KB transactions: five fit in 90112 bytes
    raws = [
        signed_tx([t], [(carol.address, 10 * ADA - 900_000)], [carol], fee=900_000, aux=aux)
        for t in txins
    ]
    assert all(15_000 < len(r) <= 16_384 for r in raws)
    ids = [submit(net, raw).json() for raw in raws]
    first = net.cut_block()
    assert [t.hex() for t in first.tx_ids] == ids[:5]
    assert [tx.tx_id.hex() for tx in net.state.mempool] == ids[5:]
    assert [t.hex() for t in net.cut_block().tx_ids] == ids[5:]
    assert get(net, f"/blocks/{first.height}").json()["size"] == sum(map(len, raws[:5]))


def test_chunked_upload_and_oversized_body(net: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    raw = pay(net, alice, bob, 5 * ADA)

    def pieces() -> Iterator[bytes]:
        yield raw[:100]
        yield raw[100:]

    with httpx.Client() as client:
        headers = {"Content-Type": "application/cbor"}
        chunked = client.post(f"{net.url}/tx/submit", content=pieces(), headers=headers)
        assert chunked.request.headers["Transfer-Encoding"] == "chunked"
        assert chunked.status_code == 200, chunked.text
        too_big = client.post(f"{net.url}/tx/submit", content=b"\x00" * (2 << 20), headers=headers)
    assert too_big.status_code == 400
    assert "0..1048576 bytes" in too_big.json()["message"]
