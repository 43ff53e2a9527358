"""Fixtures for devnet tests: two funded wallets and a devnet with manual block cutting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from anchor.devnet import RunningDevnet, start_devnet
from tests.unit.devnet.txkit import ADA, Wallet, wallet


class FakeClock:
    """A settable clock for deterministic slots."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def alice() -> Wallet:
    return wallet(1)


@pytest.fixture
def bob() -> Wallet:
    return wallet(2)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def net(alice: Wallet, bob: Wallet, clock: FakeClock) -> Iterator[RunningDevnet]:
    """A devnet on a free port, 1000 ADA each for alice and bob, blocks cut by the test."""
    with start_devnet(funds={alice.bech32: 1000 * ADA, bob.bech32: 1000 * ADA}, clock=clock) as n:
        yield n
