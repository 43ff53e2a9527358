"""Retry policy: backoff, bounds, and the final error naming the provider and last failure."""

from __future__ import annotations

import pytest

from anchor.chain.providers import (
    ProtocolParams,
    ProviderRejected,
    ProviderUnavailable,
    RetryPolicy,
    Transient,
    Utxo,
    with_retries,
)
from anchor.errors import EXIT_ENVIRONMENT


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def policy(clock: FakeClock, **kw: float) -> RetryPolicy:
    return RetryPolicy(sleep=clock.sleep, clock=clock.clock, **kw)  # type: ignore[arg-type]


def test_transient_failures_are_retried_with_exponential_backoff() -> None:
    clock = FakeClock()
    calls = iter([Transient("HTTP 429"), Transient("HTTP 503"), "ok"])

    def call() -> str:
        value = next(calls)
        if isinstance(value, Exception):
            raise value
        return value

    assert with_retries(call, provider="bf", what="tip", policy=policy(clock)) == "ok"
    assert clock.sleeps == [0.5, 1.0]


def test_gives_up_after_attempts_naming_provider_and_last_error() -> None:
    clock = FakeClock()
    count = 0

    def call() -> None:
        nonlocal count
        count += 1
        raise Transient(f"HTTP 502 number {count}")

    with pytest.raises(ProviderUnavailable) as info:
        with_retries(
            call, provider="blockfrost", what="chain tip", policy=policy(clock, attempts=4)
        )
    assert count == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert info.value.message == "blockfrost: chain tip failed after 4 attempts: HTTP 502 number 4"


def test_total_time_bound_stops_before_the_attempt_budget() -> None:
    clock = FakeClock()
    count = 0

    def call() -> None:
        nonlocal count
        count += 1
        raise Transient("timeout")

    with pytest.raises(ProviderUnavailable):
        with_retries(
            call, provider="p", what="x", policy=policy(clock, attempts=50, max_total=10.0)
        )
    assert sum(clock.sleeps) <= 10.0
    assert count == 5  # waits 0.5 + 1 + 2 + 4 = 7.5; the next 8 s wait would pass 10 s


def test_delays_are_capped() -> None:
    p = RetryPolicy(max_delay=3.0)
    assert [p.delay(i) for i in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_non_transient_errors_pass_through_at_once() -> None:
    clock = FakeClock()
    count = 0

    def call() -> None:
        nonlocal count
        count += 1
        raise ProviderRejected("bf", "BadInputsUTxO")

    with pytest.raises(ProviderRejected, match="BadInputsUTxO"):
        with_retries(call, provider="bf", what="submit", policy=policy(clock))
    assert count == 1
    assert clock.sleeps == []


def test_none_policy_makes_one_attempt() -> None:
    count = 0

    def call() -> None:
        nonlocal count
        count += 1
        raise Transient("refused")

    with pytest.raises(ProviderUnavailable, match="after 1 attempt: refused"):
        with_retries(call, provider="p", what="x", policy=RetryPolicy.none())
    assert count == 1


def test_value_types() -> None:
    params = ProtocolParams(
        min_fee_a=44, min_fee_b=155381, max_tx_size=16384, coins_per_utxo_byte=4310
    )
    assert params.min_fee(431) == 44 * 431 + 155381
    assert Utxo("ab" * 32, 1, "addr", 5).ref == "ab" * 32 + "#1"
    assert Utxo("ab" * 32, 1, "addr", 5).plain
    assert not Utxo("ab" * 32, 1, "addr", 5, assets=(("p", 1),)).plain
    assert not Utxo("ab" * 32, 1, "addr", 5, has_datum=True).plain
