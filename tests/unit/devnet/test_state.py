"""Chain state: the state file round trip, refusal of damaged files, and the block clock."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from anchor.devnet import start_devnet
from anchor.devnet.persist import DevnetStateError, load_state
from anchor.devnet.state import ChainState
from anchor.errors import EnvironmentFailure, InputError
from tests.unit.devnet.conftest import FakeClock
from tests.unit.devnet.txkit import ADA, Wallet, get, pay, submit, wallet


def _busy_chain(path: Path, clock: FakeClock, alice: Wallet, bob: Wallet) -> tuple[str, str]:
    """A saved chain with a confirmed tx, a faucet credit, empty blocks and a mempool tx."""
    with start_devnet(funds={alice.bech32: 100 * ADA}, state_path=path, clock=clock) as net:
        confirmed = submit(net, pay(net, alice, bob, 5 * ADA)).json()
        net.advance(3)
        net.fund(bob.bech32, 20 * ADA)
        pending = submit(net, pay(net, bob, alice, 2 * ADA)).json()
        assert len(net.state.mempool) == 1
    return confirmed, pending


def test_state_round_trip(tmp_path: Path, clock: FakeClock, alice: Wallet, bob: Wallet) -> None:
    path = tmp_path / "chain.json"
    confirmed, pending = _busy_chain(path, clock, alice, bob)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chain.json"]  # no temp file left
    doc = json.loads(path.read_text())
    assert doc["blocks"][2:4] == [2, 3]  # empty blocks are stored as their slot
    clock.now += 30
    with start_devnet(state_path=path, clock=clock) as net:
        assert net.restored
        assert net.tip.hash.hex() == doc["tip"] and net.tip.height == 4
        assert get(net, f"/txs/{confirmed}").json()["block_height"] == 1
        assert [tx.tx_id.hex() for tx in net.state.mempool] == [pending]
        block = net.cut_block()
        assert block.slot == 30 and [t.hex() for t in block.tx_ids] == [pending]
        utxos = get(net, f"/addresses/{bob.bech32}/utxos").json()
        # bob paid 2 ADA out of his 5 ADA output; the faucet's 20 ADA is untouched
        assert sorted(int(u["amount"][0]["quantity"]) for u in utxos) == [
            5 * ADA - 2 * ADA - 200_000,
            20 * ADA,
        ]
    assert load_state(path, clock=clock).tip.height == 5  # saved again on the way out


def test_funds_are_ignored_when_restoring(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "chain.json"
    carol = wallet(3)
    with start_devnet(funds={carol.bech32: 10 * ADA}, state_path=path, clock=clock):
        pass
    with start_devnet(funds={carol.bech32: 99 * ADA}, state_path=path, clock=clock) as net:
        assert [u.out.coin for u in net.state.utxos_at(carol.address.to_primitive()) or []] == [
            10 * ADA
        ]


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda d: d["blocks"][1]["txs"].__setitem__(0, d["blocks"][1]["txs"][0][:-2] + "00"), ""),
        (lambda d: d.__setitem__("tip", "00" * 32), "saved tip hash"),
        (lambda d: d["blocks"].__setitem__(2, 1), "does not follow"),
        (lambda d: d.__setitem__("network_magic", 1), "network magic"),
        (lambda d: d.pop("blocks"), "malformed devnet state"),
    ],
    ids=["tx-byte", "tip", "slot-order", "magic", "missing-key"],
)
def test_damaged_state_is_refused(
    tmp_path: Path, clock: FakeClock, alice: Wallet, bob: Wallet, damage: object, reason: str
) -> None:
    path = tmp_path / "chain.json"
    _busy_chain(path, clock, alice, bob)
    doc = json.loads(path.read_text())
    damage(doc)  # type: ignore[operator]
    path.write_text(json.dumps(doc))
    with pytest.raises(DevnetStateError) as caught:
        start_devnet(state_path=path, clock=clock)
    assert isinstance(caught.value, InputError) and str(path) in caught.value.message
    assert reason in caught.value.message


def test_not_json_state_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "chain.json"
    path.write_text("{not json")
    with pytest.raises(DevnetStateError, match="not JSON"):
        start_devnet(state_path=path)


def test_unwritable_state_path_is_an_environment_failure(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentFailure, match="cannot write devnet state"):
        start_devnet(state_path=tmp_path / "missing-dir" / "chain.json")


def test_port_in_use_is_an_environment_failure() -> None:
    with start_devnet() as first, pytest.raises(EnvironmentFailure, match="cannot listen"):
        start_devnet(port=first.port)


def test_bad_funds_are_input_errors() -> None:
    with pytest.raises(InputError, match="testnet"):
        start_devnet(funds={str(wallet(1).mainnet_address()): ADA})
    with pytest.raises(InputError, match="positive"):
        start_devnet(funds={wallet(1).bech32: 0})


def test_the_block_clock_cuts_blocks_empty_or_not(alice: Wallet, bob: Wallet) -> None:
    with start_devnet(funds={alice.bech32: 100 * ADA}, block_time=0.05) as net:
        tx_hash = submit(net, pay(net, alice, bob, 5 * ADA)).json()
        deadline = time.monotonic() + 5
        while net.tip.height < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        heights = [b.height for b in net.state.blocks]
        tx = get(net, f"/txs/{tx_hash}").json()
    assert heights[-1] >= 4 and heights == list(range(len(heights)))
    slots = [b.slot for b in net.state.blocks]
    assert slots == sorted(set(slots))
    # the transaction went into a clock-cut block, then gained confirmations
    assert tx["block_height"] >= 1 and heights[-1] > tx["block_height"]


def test_block_clock_never_cuts_ahead_of_the_wall_clock() -> None:
    """slot_due is False until the wall clock leaves the tip's slot; cut_block alone still
    runs ahead (tests), but the block clock only cuts when a slot is due."""
    now = [1_000_000.0]
    state = ChainState.create([], clock=lambda: now[0])
    assert state.wall_slot() == 0
    assert state.slot_due() is False
    now[0] += 0.9
    assert state.slot_due() is False
    now[0] += 0.2
    assert state.wall_slot() == 1
    assert state.slot_due() is True
    block = state.cut_block()
    assert block.slot == 1
    assert state.slot_due() is False
