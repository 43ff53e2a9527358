"""Wait until a submitted transaction has enough confirmations, and gather its chain facts.

:func:`wait_for_confirmations` polls the first reader (the provider publish
submitted through) for the transaction's block and the tip height, reporting each
observation to an ``on_progress`` callback, until the depth reaches the target or
the timeout expires (:class:`ConfirmationTimeout`, exit 5, with what was seen so the
user can resume). A provider hiccup while polling is tolerated until the timeout, with
exponential backoff: after ``n`` failed polls in a row the next one waits
``poll_interval * 2**n`` seconds, at most :data:`BACKOFF_CAP` (:func:`poll_delay`), so a
provider that is down is not asked every 0.2 s; the first good answer resets it. A
block that disappears (rollback) simply sets the depth back to zero.

When the target is reached every reader is asked once for its view of the block
(:class:`ProviderFacts`); a reader that fails or disagrees is recorded, not fatal:
chain facts are informative. Readers are :class:`anchor.chain.readers.ChainReader`
implementations (the same code the verifier uses).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from anchor.chain.readers import BlockFacts, ChainReader, ReaderError
from anchor.errors import EnvironmentFailure

BACKOFF_CAP = 30.0
"""Longest wait between two polls while the provider keeps failing, in seconds."""


def poll_delay(poll_interval: float, failures: int, *, cap: float = BACKOFF_CAP) -> float:
    """Seconds to wait before the next poll after ``failures`` failed polls in a row.

    ``poll_interval`` while the provider answers; then doubling per failure
    (``poll_interval * 2**failures``), never more than ``max(cap, poll_interval)``.
    """
    longest = max(cap, poll_interval)
    if failures <= 0:
        return poll_interval
    if failures >= 64:  # 2**64 times any interval is past every cap
        return longest
    return min(longest, poll_interval * 2.0**failures)


class ConfirmationTimeout(EnvironmentFailure):
    """The transaction did not reach the confirmation target in time (exit 5; resumable)."""

    def __init__(self, message: str, *, depth: int, target: int) -> None:
        super().__init__(message)
        self.depth = depth
        self.target = target


@dataclass(frozen=True)
class WaitProgress:
    """One observation while waiting: depth so far (0 = not in a block yet) and time spent."""

    tx_hash: str
    depth: int
    target: int
    elapsed: float
    timeout: float
    block_height: int | None
    note: str | None = None
    retry_in: float | None = None  # seconds to the next poll after a provider error


@dataclass(frozen=True)
class ProviderFacts:
    """One provider's view of the including block, or the error it gave."""

    provider: str
    fetched_at: str
    block_height: int | None = None
    block_hash: str | None = None
    slot: int | None = None
    block_time: int | None = None
    tip_height: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        """The chain-facts.json entry (fields that are None are left out)."""
        out: dict[str, object] = {"provider": self.provider, "fetched_at": self.fetched_at}
        for key in ("block_height", "block_hash", "slot", "block_time", "tip_height", "error"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class Confirmation:
    """The transaction reached ``depth >= target``; ``block`` is the primary provider's facts."""

    tx_hash: str
    block: BlockFacts
    depth: int
    target: int
    tip_height: int
    providers: tuple[ProviderFacts, ...]


def utc_now() -> str:
    """Current UTC time, ISO 8601 to the second (``2026-01-02T03:04:05Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _facts(reader: ChainReader, tx_hash: str, now: Callable[[], str]) -> ProviderFacts:
    try:
        block = reader.tx_block_facts(tx_hash)
        tip = reader.tip_height()
    except ReaderError as exc:
        return ProviderFacts(provider=reader.name, fetched_at=now(), error=exc.message)
    if block is None:
        return ProviderFacts(
            provider=reader.name, fetched_at=now(), tip_height=tip, error="transaction not found"
        )
    return ProviderFacts(
        provider=reader.name,
        fetched_at=now(),
        block_height=block.height,
        block_hash=block.hash,
        slot=block.slot,
        block_time=block.block_time,
        tip_height=tip,
    )


def wait_for_confirmations(
    readers: Sequence[ChainReader],
    tx_hash: str,
    *,
    target: int,
    timeout: float,
    poll_interval: float = 2.0,
    on_progress: Callable[[WaitProgress], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], str] = utc_now,
) -> Confirmation:
    """Poll ``readers[0]`` until ``tx_hash`` is ``target`` blocks deep; then gather every reader's facts."""
    from anchor.label309.txbind import confirmation_depth

    if not readers:
        raise ValueError("at least one chain reader is needed")
    primary = readers[0]
    started = clock()
    depth, last_error, height = 0, None, None
    failures = 0
    while True:
        elapsed = clock() - started
        note = None
        try:
            block = primary.tx_block_facts(tx_hash)
            if block is None:
                depth, height = 0, None
            else:
                tip = primary.tip_height()
                depth, height = confirmation_depth(tip, block.height), block.height
                if depth >= target:
                    facts = [_facts(primary, tx_hash, now)]
                    facts += [_facts(r, tx_hash, now) for r in readers[1:]]
                    if on_progress is not None:
                        on_progress(WaitProgress(tx_hash, depth, target, elapsed, timeout, height))
                    return Confirmation(
                        tx_hash=tx_hash,
                        block=block,
                        depth=depth,
                        target=target,
                        tip_height=tip,
                        providers=tuple(facts),
                    )
            last_error = None
            failures = 0
        except ReaderError as exc:
            last_error = exc.message
            failures += 1
            note = f"provider error, retrying: {exc.message}"
        last_poll = elapsed + poll_interval > timeout
        # Backing off never skips the deadline: the last wait ends at it, for one last poll.
        delay = min(poll_delay(poll_interval, failures), max(0.0, timeout - elapsed))
        if on_progress is not None:
            retry_in = delay if note is not None and not last_poll else None
            on_progress(
                WaitProgress(tx_hash, depth, target, elapsed, timeout, height, note, retry_in)
            )
        if last_poll:
            seen = "not yet in a block" if depth == 0 else f"{depth} of {target} confirmations"
            tail = f"; last provider error: {last_error}" if last_error else ""
            raise ConfirmationTimeout(
                f"transaction {tx_hash} was submitted but is {seen} after {elapsed:.0f} s{tail}",
                depth=depth,
                target=target,
            )
        sleep(delay)
