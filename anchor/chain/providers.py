"""What publishing needs from a chain provider, behind one small interface.

:class:`ChainProvider` is the seam between `anchor publish` and the outside world:
protocol parameters, the UTxOs of an address, submitting raw transaction bytes
and the chain tip (its slot sets the TTL). Where a transaction is on chain is
asked through :mod:`anchor.chain.readers` (shared with the verifier), not here. Implementations convert provider
responses into the frozen dataclasses below at the boundary, so nothing above this
module sees a provider's JSON. Tests pass a fake; the Blockfrost implementation
lives in :mod:`anchor.chain.blockfrost`.

Errors (all exit 5, :class:`~anchor.errors.EnvironmentFailure`)::

    ProviderError
    ├── ProviderUnavailable   unreachable, timed out, 429/5xx after retries, bad answer
    ├── ProviderRefused       the provider refused us (403 bad project id, 402 quota, 418 ban)
    └── ProviderRejected      the ledger rejected a submitted transaction (``reason`` is its text)

Retries: :func:`with_retries` repeats a call that failed with :class:`Transient`
(429, 5xx, connection errors, timeouts) with exponential backoff, bounded both in
attempts and in total time, then raises :class:`ProviderUnavailable` naming the
provider and the last error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from anchor.errors import EnvironmentFailure

T = TypeVar("T")


@dataclass(frozen=True)
class ProtocolParams:
    """The protocol parameters transaction building needs (lovelace and bytes)."""

    min_fee_a: int
    min_fee_b: int
    max_tx_size: int
    coins_per_utxo_byte: int
    max_value_size: int = 5000
    key_deposit: int = 2_000_000
    pool_deposit: int = 500_000_000
    protocol_major: int = 10
    protocol_minor: int = 0

    def min_fee(self, tx_size: int) -> int:
        """The ledger's minimum fee for a script-free transaction of ``tx_size`` bytes."""
        return self.min_fee_a * tx_size + self.min_fee_b


@dataclass(frozen=True)
class Utxo:
    """One unspent output: where it is, what it holds, and whether it carries a script/datum.

    ``assets`` are ``(unit, quantity)`` pairs, unit = policy id hex + asset name hex.
    """

    tx_hash: str
    index: int
    address: str
    lovelace: int
    assets: tuple[tuple[str, int], ...] = ()
    has_datum: bool = False
    has_script_ref: bool = False

    @property
    def ref(self) -> str:
        """``txhash#index``."""
        return f"{self.tx_hash}#{self.index}"

    @property
    def plain(self) -> bool:
        """True for an ADA-only output without datum or reference script (what publish spends)."""
        return not self.assets and not self.has_datum and not self.has_script_ref


@dataclass(frozen=True)
class Tip:
    """The newest block a provider knows."""

    height: int
    slot: int
    block_hash: str
    time: int


class ChainProvider(Protocol):
    """The calls `anchor publish` makes; every failure is a :class:`ProviderError`."""

    @property
    def name(self) -> str:
        """Short provider name for receipts and messages (``blockfrost``)."""
        ...

    @property
    def url(self) -> str:
        """The API root in use, without credentials."""
        ...

    def protocol_params(self) -> ProtocolParams:
        """Current protocol parameters."""
        ...

    def utxos(self, address: str) -> list[Utxo]:
        """All UTxOs at ``address`` (empty when the address has none)."""
        ...

    def submit(self, tx_bytes: bytes) -> str:
        """Submit a signed transaction; return its id (hex) or raise :class:`ProviderRejected`."""
        ...

    def tip(self) -> Tip:
        """The chain tip."""
        ...


class ProviderError(EnvironmentFailure):
    """A chain provider failed us (exit 5). ``provider`` names it."""

    def __init__(self, provider: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(f"{provider}: {message}", hint=hint)
        self.provider = provider


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or kept failing (after retries), or answered nonsense."""


class ProviderRefused(ProviderError):
    """The provider refused the request itself (credentials, quota, ban); retrying will not help."""


class ProviderRejected(ProviderError):
    """The ledger rejected a submitted transaction; ``reason`` is the ledger's text as reported."""

    def __init__(self, provider: str, reason: str, *, status: int | None = None) -> None:
        super().__init__(provider, f"transaction rejected: {reason}")
        self.reason = reason
        self.status = status


class SubmitOutcomeUnknown(ProviderError):
    """A submission attempt failed in transit and a later attempt was refused by the ledger.

    The refusal may be caused by the first attempt itself (it reached the node, its
    answer was lost, and the retry now conflicts with it in the mempool), so the
    transaction must be treated as possibly submitted, never as rejected.
    """

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(
            provider,
            "transaction submission outcome unknown: an attempt failed in transit and the "
            f"retry was refused ({reason})",
        )
        self.reason = reason


class Transient(Exception):
    """Raised by implementations for a failure worth retrying (429, 5xx, connection, timeout)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``base_delay * factor**n`` capped at ``max_delay``.

    At most ``attempts`` calls and ``max_total`` seconds (sleeping included) per operation.
    """

    attempts: int = 6
    base_delay: float = 0.5
    factor: float = 2.0
    max_delay: float = 8.0
    max_total: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based)."""
        return float(min(self.max_delay, self.base_delay * self.factor**attempt))

    @classmethod
    def none(cls) -> RetryPolicy:
        """A single attempt, no waiting (tests, and calls that must not repeat)."""
        return cls(attempts=1, base_delay=0.0, max_total=0.0)


def with_retries(
    call: Callable[[], T],
    *,
    provider: str,
    what: str,
    policy: RetryPolicy,
) -> T:
    """Run ``call``; on :class:`Transient` retry with backoff, then raise :class:`ProviderUnavailable`.

    Any other exception passes through unchanged on the first occurrence.
    """
    started = policy.clock()
    attempt = 0
    while True:
        try:
            return call()
        except Transient as exc:
            last = str(exc) or type(exc).__name__
            pause = policy.delay(attempt)
            attempt += 1
            elapsed = policy.clock() - started
            if attempt >= policy.attempts or elapsed + pause > policy.max_total:
                tries = f"{attempt} attempt" + ("s" if attempt != 1 else "")
                raise ProviderUnavailable(provider, f"{what} failed after {tries}: {last}") from exc
            policy.sleep(pause)
