"""`anchor devnet --test-controls`: /control/rollback, /control/drop-next, /control/advance.

Over real HTTP on 127.0.0.1, with real signed transactions: what each control does to the
chain and the mempool, the exact 400/405 answers to bad requests, and the 404 (the same
body as any unknown path) when the devnet runs without test controls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from anchor.devnet import RunningDevnet, start_devnet
from tests.unit.devnet.conftest import FakeClock
from tests.unit.devnet.txkit import ADA, FEE, HttpResult, Wallet, get, http, pay, submit

NOT_FOUND = {
    "status_code": 404,
    "error": "Not Found",
    "message": "The requested component has not been found.",
}


@pytest.fixture
def ctl(alice: Wallet, bob: Wallet, clock: FakeClock) -> Iterator[RunningDevnet]:
    """A devnet with test controls, 1000 ADA each for alice and bob, blocks cut by the test."""
    funds = {alice.bech32: 1000 * ADA, bob.bech32: 1000 * ADA}
    with start_devnet(funds=funds, clock=clock, test_controls=True) as n:
        yield n


def control(net: RunningDevnet, name: str, body: object = None, *, raw: bytes | None = None,
            method: str = "POST") -> HttpResult:  # fmt: skip
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    base = f"http://127.0.0.1:{net.port}/control"
    return http(f"{base}/{name}", data=data, content_type="application/json", method=method)


def balance(net: RunningDevnet, w: Wallet) -> int:
    rows = get(net, f"/addresses/{w.bech32}/utxos").json()
    return sum(int(a["quantity"]) for r in rows for a in r["amount"] if a["unit"] == "lovelace")


def tip(net: RunningDevnet) -> dict[str, object]:
    doc: dict[str, object] = get(net, "/blocks/latest").json()
    return {k: doc[k] for k in ("height", "hash", "slot", "time")}


@pytest.mark.parametrize("name", ["rollback", "drop-next", "advance", "", "nope"])
def test_without_the_flag_every_control_is_the_unknown_path_404(
    net: RunningDevnet, name: str
) -> None:
    assert net.control_url is None
    unknown = http(f"http://127.0.0.1:{net.port}/no/such/path")
    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)
    r = control(net, name, {"blocks": 1})
    assert (r.status_code, r.text) == (404, unknown.text)
    assert net.tip.height == 0 and net.state.drop_next == 0


def test_unknown_control_is_404_and_get_is_405(ctl: RunningDevnet) -> None:
    assert ctl.control_url == f"http://127.0.0.1:{ctl.port}/control"
    r = control(ctl, "nope")
    assert (r.status_code, r.json()) == (404, NOT_FOUND)
    r = control(ctl, "advance", method="GET")
    assert (r.status_code, r.json()) == (405, {
        "status_code": 405, "error": "Method Not Allowed",
        "message": "GET is not allowed on /control/advance; use POST",
    })  # fmt: skip
    assert ctl.tip.height == 0


def test_rollback_drops_the_blocks_and_their_txs_stay_gone(
    ctl: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    first = submit(ctl, pay(ctl, alice, bob, 5 * ADA))
    assert first.status_code == 200, first.text
    ctl.cut_block()
    before = tip(ctl)  # height 1, holds the payment
    ctl.advance(2)
    waiting = submit(ctl, pay(ctl, bob, alice, 7 * ADA))  # from bob's genesis output
    assert waiting.status_code == 200, waiting.text
    r = control(ctl, "rollback", {"blocks": 3})  # back to the genesis block
    assert r.status_code == 200, r.text
    genesis = ctl.state.blocks[0]
    assert r.json() == {"rolled_back": 3, "tip": {
        "height": 0, "hash": genesis.hash.hex(), "slot": 0, "time": genesis.time}}  # fmt: skip
    assert before["height"] == 1 and tip(ctl)["height"] == 0
    tx_id = first.json()
    assert get(ctl, f"/txs/{tx_id}").status_code == 404
    assert get(ctl, f"/mempool/{tx_id}").status_code == 404  # not back in the mempool
    assert get(ctl, f"/mempool/{waiting.json()}").status_code == 200  # still waiting
    assert balance(ctl, alice) == 1000 * ADA  # the payment never happened
    ctl.cut_block()
    assert get(ctl, f"/txs/{tx_id}").status_code == 404
    assert get(ctl, f"/txs/{waiting.json()}").json()["block_height"] == 1
    assert balance(ctl, alice) == 1007 * ADA


def test_the_same_bytes_land_again_after_a_rollback(
    ctl: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    raw = pay(ctl, alice, bob, 5 * ADA)
    tx_id = submit(ctl, raw).json()
    ctl.cut_block()
    assert control(ctl, "rollback", {"blocks": 1}).status_code == 200
    again = submit(ctl, raw)
    assert (again.status_code, again.json()) == (200, tx_id)
    ctl.cut_block()
    assert get(ctl, f"/txs/{tx_id}").json()["block_height"] == 1


def test_drop_next_answers_as_accepted_and_the_tx_never_lands(
    ctl: RunningDevnet, alice: Wallet, bob: Wallet
) -> None:
    r = control(ctl, "drop-next")
    assert (r.status_code, r.json()) == (200, {"drop_next": 1})
    refused = submit(ctl, pay(ctl, alice, bob, 5 * ADA, fee=1))  # the ledger refuses it
    assert refused.status_code == 400 and "FeeTooSmallUTxO" in refused.text
    raw = pay(ctl, alice, bob, 5 * ADA)
    dropped = submit(ctl, raw)
    assert dropped.status_code == 200  # exactly what an accepted submission gets
    tx_id = dropped.json()
    assert len(tx_id) == 64 and ctl.state.swallowed == [bytes.fromhex(tx_id)]
    assert ctl.state.drop_next == 0
    assert get(ctl, f"/mempool/{tx_id}").status_code == 404
    ctl.advance(2)
    assert get(ctl, f"/txs/{tx_id}").status_code == 404
    assert balance(ctl, alice) == 1000 * ADA
    # sent again, it is accepted again and never lands, without using up another drop
    assert control(ctl, "drop-next").json() == {"drop_next": 1}
    again = submit(ctl, raw)
    assert (again.status_code, again.json()) == (200, tx_id)
    ctl.cut_block()
    assert get(ctl, f"/txs/{tx_id}").status_code == 404 and ctl.state.drop_next == 1
    assert get(ctl, f"/mempool/{tx_id}").status_code == 404
    other = submit(ctl, pay(ctl, bob, alice, 1 * ADA)).json()  # the next new tx: dropped
    assert ctl.state.drop_next == 0 and ctl.state.swallowed[-1] == bytes.fromhex(other)
    paid = submit(ctl, pay(ctl, bob, alice, 2 * ADA)).json()  # drops used up: it lands
    ctl.cut_block()
    assert get(ctl, f"/txs/{paid}").json()["fees"] == str(FEE)
    assert balance(ctl, alice) == 1002 * ADA


def test_drop_next_counts(ctl: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    assert control(ctl, "drop-next", {"txs": 2}).json() == {"drop_next": 2}
    assert control(ctl, "drop-next", {}).json() == {"drop_next": 3}
    a = submit(ctl, pay(ctl, alice, bob, 1 * ADA)).json()
    b = submit(ctl, pay(ctl, bob, alice, 1 * ADA)).json()
    assert ctl.state.drop_next == 1 and ctl.state.swallowed == [bytes.fromhex(a), bytes.fromhex(b)]
    assert control(ctl, "rollback", {"blocks": 1}).status_code == 400  # only genesis
    ctl.cut_block()
    control(ctl, "rollback", {"blocks": 1})
    assert ctl.state.drop_next == 1  # a rollback keeps the pending drop


def test_advance_moves_the_clock_past_a_ttl(
    ctl: RunningDevnet, alice: Wallet, bob: Wallet, clock: FakeClock
) -> None:
    start = tip(ctl)
    ttl = ctl.state.next_slot() + 30
    raw = pay(ctl, alice, bob, 5 * ADA, ttl=ttl)
    r = control(ctl, "advance", {"slots": 100})
    assert r.status_code == 200, r.text
    now = tip(ctl)
    assert r.json() == {"slots": 100, "blocks": 1, "tip": now}
    assert now["height"] == 1 and now["slot"] == 100
    assert now["time"] == int(str(start["time"])) + 100
    late = submit(ctl, raw)
    assert late.status_code == 400 and "OutsideValidityIntervalUTxO" in late.text
    # the clock stays ahead: a block cut now is in the next slot, not back at the wall clock
    ctl.cut_block()
    assert ctl.tip.slot == 101
    clock.now += 500  # the wall clock passes the shifted tip: slots follow it, still shifted
    ctl.cut_block()
    assert ctl.tip.slot == 600


def test_advance_blocks_and_slots_together(ctl: RunningDevnet, alice: Wallet, bob: Wallet) -> None:
    tx_id = submit(ctl, pay(ctl, alice, bob, 5 * ADA)).json()
    r = control(ctl, "advance", {"blocks": 5})
    assert r.json()["tip"]["height"] == 5 and r.json()["tip"]["slot"] == 5
    assert (
        get(ctl, f"/blocks/{get(ctl, f'/txs/{tx_id}').json()['block']}").json()["confirmations"]
        == 4
    )
    r = control(ctl, "advance", {"slots": 10, "blocks": 0})  # the clock only
    assert r.json()["tip"]["height"] == 5 and ctl.state.next_slot() == 15
    r = control(ctl, "advance", {"slots": 3, "blocks": 2})
    # S slots past the later of the tip (5) and the clock (15): blocks at 18 and 19
    assert (r.json()["tip"]["height"], r.json()["tip"]["slot"]) == (7, 19)
    assert control(ctl, "advance").json()["tip"]["height"] == 8  # empty body: one block


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("rollback", b"", "'blocks' is required: an integer 1..3"),
        ("rollback", b"{}", "'blocks' is required: an integer 1..3"),
        ("rollback", b'{"blocks": 4}', "'blocks' must be an integer 1..3, got 4"),
        ("rollback", b'{"blocks": 0}', "'blocks' must be an integer 1..3, got 0"),
        ("rollback", b'{"blocks": true}', "'blocks' must be an integer 1..3, got True"),
        ("rollback", b'{"blocks": "2"}', "'blocks' must be an integer 1..3, got '2'"),
        ("rollback", b'{"blocks": 1.0}', "'blocks' must be an integer 1..3, got 1.0"),
        ("rollback", b'{"block": 1}', "unknown field 'block'; this control takes blocks"),
        ("rollback", b"[1]", "the body must be a JSON object"),
        ("rollback", b"1", "the body must be a JSON object"),
        ("drop-next", b'{"txs": 0}', "'txs' must be an integer 1..10000, got 0"),
        ("drop-next", b'{"blocks": 1}', "unknown field 'blocks'; this control takes txs"),
        ("advance", b'{"slots": -1}', "'slots' must be an integer 0..100000000, got -1"),
        ("advance", b'{"blocks": 10001}', "'blocks' must be an integer 0..10000, got 10001"),
        (
            "advance",
            b'{"slots": 0, "blocks": 0}',
            "nothing to do: give 'slots' > 0 or 'blocks' > 0",
        ),
        ("advance", b'{"slot": 5}', "unknown field 'slot'; this control takes slots, blocks"),
    ],
)
def test_bad_bodies_are_400_and_change_nothing(
    ctl: RunningDevnet, name: str, body: bytes, message: str
) -> None:
    ctl.advance(3)
    before = tip(ctl)
    r = control(ctl, name, raw=body)
    assert (r.status_code, r.json()) == (
        400, {"status_code": 400, "error": "Bad Request", "message": message}
    )  # fmt: skip
    assert tip(ctl) == before and ctl.state.drop_next == 0 and ctl.state.next_slot() == 4


def test_not_json_is_400(ctl: RunningDevnet) -> None:
    r = control(ctl, "advance", raw=b"{slots: 1")
    assert r.status_code == 400
    assert r.json()["message"].startswith("the body is not JSON: ")
    r = control(ctl, "advance", raw=b"\xff\xfe")
    assert r.status_code == 400 and r.json()["message"].startswith("the body is not JSON: ")
    assert ctl.tip.height == 0
