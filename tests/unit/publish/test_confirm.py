"""Confirmation waiting with scripted readers: depth, timeout, provider hiccups, chain facts."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from anchor.chain.readers import BlockFacts, ReaderUnavailable
from anchor.errors import EXIT_ENVIRONMENT
from anchor.publish.confirm import ConfirmationTimeout, WaitProgress, wait_for_confirmations

TX = "ab" * 32
BLOCK = BlockFacts(height=10, hash="cd" * 32, slot=100, block_time=1_700_000_000)


@dataclass
class Script:
    """A reader answering from lists: each poll pops one (facts, tip) pair; the last repeats."""

    name: str
    steps: list[tuple[BlockFacts | Exception | None, int]]
    calls: int = 0
    log: list[str] = field(default_factory=list)

    def _step(self, at: int) -> tuple[BlockFacts | Exception | None, int]:
        return self.steps[min(at, len(self.steps) - 1)]

    def fetch_tx_cbor(self, tx_hash: str) -> bytes:
        raise NotImplementedError

    def tx_block_facts(self, tx_hash: str) -> BlockFacts | None:
        facts, _ = self._step(self.calls)
        self.calls += 1
        self.log.append("facts")
        if isinstance(facts, Exception):
            raise facts
        return facts

    def tip_height(self) -> int:
        _, tip = self._step(self.calls - 1)
        self.log.append("tip")
        return tip


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def wait(
    readers: list[Script],
    target: int,
    timeout: float = 100.0,
    events: list[WaitProgress] | None = None,
):  # type: ignore[no-untyped-def]
    clock = Clock()
    return wait_for_confirmations(
        readers,  # type: ignore[arg-type]
        TX,
        target=target,
        timeout=timeout,
        poll_interval=1.0,
        on_progress=None if events is None else events.append,
        clock=clock,
        sleep=clock.sleep,
        now=lambda: "2026-01-01T00:00:00Z",
    )


def test_waits_until_the_target_depth() -> None:
    reader = Script("bf", [(None, 9), (BLOCK, 10), (BLOCK, 11), (BLOCK, 12)])
    events: list[WaitProgress] = []
    result = wait([reader], target=3, events=events)
    assert result.depth == 3
    assert result.block == BLOCK
    assert result.tip_height == 12
    assert [e.depth for e in events] == [0, 1, 2, 3]
    assert result.providers[0].to_json() == {
        "provider": "bf",
        "fetched_at": "2026-01-01T00:00:00Z",
        "block_height": 10,
        "block_hash": "cd" * 32,
        "slot": 100,
        "block_time": 1_700_000_000,
        "tip_height": 12,
    }


def test_timeout_reports_what_was_seen() -> None:
    reader = Script("bf", [(BLOCK, 11)])
    with pytest.raises(ConfirmationTimeout) as info:
        wait([reader], target=15, timeout=5.0)
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert (info.value.depth, info.value.target) == (2, 15)
    assert "2 of 15 confirmations" in info.value.message
    never = Script("bf", [(None, 11)])
    with pytest.raises(ConfirmationTimeout, match="not yet in a block"):
        wait([never], target=1, timeout=3.0)


def test_provider_errors_are_tolerated_until_the_timeout() -> None:
    flaky = Script("bf", [(ReaderUnavailable("bf", "HTTP 502"), 0), (BLOCK, 10)])
    events: list[WaitProgress] = []
    assert wait([flaky], target=1, events=events).depth == 1
    assert events[0].note == "provider error, retrying: bf: HTTP 502"
    down = Script("bf", [(ReaderUnavailable("bf", "HTTP 502"), 0)])
    with pytest.raises(ConfirmationTimeout, match="last provider error: bf: HTTP 502"):
        wait([down], target=1, timeout=3.0)


def test_a_rollback_sets_the_depth_back() -> None:
    reader = Script("bf", [(BLOCK, 10), (None, 10), (BLOCK, 11)])
    events: list[WaitProgress] = []
    assert wait([reader], target=2, events=events).depth == 2
    assert [e.depth for e in events] == [1, 0, 2]


def test_every_reader_is_asked_once_at_the_end_and_failures_are_recorded() -> None:
    primary = Script("blockfrost", [(BLOCK, 10)])
    other = Script("koios", [(BlockFacts(height=10, hash="ee" * 32, slot=100, block_time=1), 10)])
    broken = Script("third", [(ReaderUnavailable("third", "down"), 0)])
    result = wait([primary, other, broken], target=1)
    assert [p.provider for p in result.providers] == ["blockfrost", "koios", "third"]
    assert result.providers[1].block_hash == "ee" * 32
    assert result.providers[2].error == "third: down"
    assert result.providers[2].to_json() == {
        "provider": "third",
        "fetched_at": "2026-01-01T00:00:00Z",
        "error": "third: down",
    }
