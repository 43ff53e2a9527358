"""What the bound transaction itself says about its chain, and the facts that contradict it.

The transaction body is bound to the requested hash, so what it states cannot be
forged by whoever handed over the bundle or served the bytes:

* the **network**: the body's ``network_id`` (key 15) when present, and the header of
  every Shelley-era output address (keys 1 and 16; the low nibble is the network id:
  1 mainnet, 0 every testnet). A transaction whose body names another network than the
  one claimed is ``TX_NETWORK_MISMATCH`` (``failed``): it provably is not on that chain;
* the **validity interval** ``[validity_start, ttl)`` (keys 8 and 3, the ledger's rule:
  a transaction is accepted in a slot ``s`` only when ``start <= s < ttl``). A block
  slot outside it is ``SLOT_OUTSIDE_VALIDITY``: those facts are not the facts of
  this transaction's block;
* ``is_valid`` (element 2 of a ``[body, witnesses, is_valid, aux]`` transaction) is
  **not** covered by the hash. ``false`` marks a transaction whose phase-2 scripts
  failed: the ledger applied only its collateral, so it anchors nothing
  (``TX_MARKED_INVALID``, ``failed``; docs/adr/0016).

Block time against slot uses the networks' public genesis parameters (:data:`CLOCKS`:
Byron's 20-second slots until the Shelley hard fork, then 1-second slots); the devnet
has 1-second slots from a ``system_start`` known only online (its ``/genesis``). A
stated block time that is not the time of the stated slot is ``BLOCK_TIME_SLOT_MISMATCH``.
This never computes a block time for the report (BRIEF §7.6): it only refuses facts
that cannot be true.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anchor.label309 import cbor
from anchor.label309.txbind import TxBindError, split_tx
from anchor.verify.chainfacts import Observation

TX_NETWORK_MISMATCH = "TX_NETWORK_MISMATCH"
TX_MARKED_INVALID = "TX_MARKED_INVALID"
SLOT_OUTSIDE_VALIDITY = "SLOT_OUTSIDE_VALIDITY"
BLOCK_TIME_SLOT_MISMATCH = "BLOCK_TIME_SLOT_MISMATCH"

NETWORK_IDS = {"mainnet": 1, "preprod": 0, "preview": 0, "devnet": 0}
DEVNET_SLOT_LENGTH = 1  # anchor/devnet/params.py SLOT_LENGTH (a test keeps them equal)
_SHELLEY_ADDRESS_TYPES = frozenset({0, 1, 2, 3, 4, 5, 6, 7, 14, 15})


@dataclass(frozen=True)
class SlotClock:
    """Slot → POSIX time: ``byron_slots`` slots of ``byron_length`` s, then 1-second slots."""

    system_start: int
    byron_slots: int = 0
    byron_length: int = 20
    slot_length: int = 1

    def time_of(self, slot: int) -> int:
        """The POSIX time at which ``slot`` begins."""
        if slot < self.byron_slots:
            return self.system_start + slot * self.byron_length
        shelley_start = self.system_start + self.byron_slots * self.byron_length
        return shelley_start + (slot - self.byron_slots) * self.slot_length


CLOCKS = {
    "mainnet": SlotClock(1_506_203_091, byron_slots=4_492_800),  # Shelley at 2020-07-29T21:44:51Z
    "preprod": SlotClock(1_654_041_600, byron_slots=86_400),  # Shelley at 2022-06-21T00:00:00Z
    "preview": SlotClock(1_666_656_000),  # 1-second slots from 2022-10-25T00:00:00Z
}


def devnet_clock(system_start: int | None) -> SlotClock | None:
    """The devnet's clock once its ``system_start`` is known (from its ``/genesis``)."""
    if system_start is None:
        return None
    return SlotClock(system_start, slot_length=DEVNET_SLOT_LENGTH)


@dataclass(frozen=True)
class TxFacts:
    """The chain-relevant fields of a transaction (None where it does not state them)."""

    network_id: int | None = None
    address_network_ids: tuple[int, ...] = ()
    validity_start: int | None = None
    ttl: int | None = None
    is_valid: bool | None = None


def _address_ids(outputs: Any) -> list[int]:
    ids: list[int] = []
    for out in outputs if isinstance(outputs, list) else []:
        if isinstance(out, list) and out:
            address = out[0]
        elif isinstance(out, cbor.CborMap):
            address = out.get(0)
        else:
            continue
        if isinstance(address, bytes) and address and address[0] >> 4 in _SHELLEY_ADDRESS_TYPES:
            ids.append(address[0] & 0x0F)
    return ids


def _uint(value: Any) -> int | None:
    return value if type(value) is int and value >= 0 else None


def read_tx_facts(tx_bytes: bytes) -> TxFacts:
    """The facts of a full signed transaction; empty facts when the bytes do not decode."""
    try:
        parts = split_tx(tx_bytes)
        body = cbor.decode_lenient(parts.body)
    except (TxBindError, cbor.CborError, RecursionError, MemoryError, ValueError):
        return TxFacts()
    if not isinstance(body, cbor.CborMap):
        return TxFacts(is_valid=parts.is_valid)
    collateral_return = body.get(16)
    return TxFacts(
        network_id=_uint(body.get(15)),
        address_network_ids=tuple(
            _address_ids(body.get(1))
            + _address_ids([collateral_return] if collateral_return else [])
        ),
        validity_start=_uint(body.get(8)),
        ttl=_uint(body.get(3)),
        is_valid=parts.is_valid,
    )


def network_contradiction(tx: TxFacts, network: str) -> str | None:
    """Why the transaction cannot be on ``network`` (None when nothing contradicts it)."""
    want = NETWORK_IDS[network]
    if tx.network_id is not None and tx.network_id != want:
        return f"the transaction body names network id {tx.network_id}, {network} is {want}"
    wrong = sorted({i for i in tx.address_network_ids if i != want})
    if wrong:
        return (
            f"output addresses carry network id {', '.join(map(str, wrong))}, "
            f"{network} addresses carry {want}"
        )
    return None


def fact_contradiction(
    obs: Observation, tx: TxFacts, clock: SlotClock | None
) -> tuple[str, str] | None:
    """``(code, why)`` when ``obs`` cannot be the facts of ``tx``'s block, else None."""
    slot = obs.block_slot
    start, ttl = tx.validity_start, tx.ttl
    interval = f"[{'-inf' if start is None else start}, {'+inf' if ttl is None else ttl})"
    if slot is not None:
        if (start is not None and slot < start) or (ttl is not None and slot >= ttl):
            return SLOT_OUTSIDE_VALIDITY, (
                f"{obs.label}: slot {slot} is outside the transaction's validity interval "
                f"{interval}"
            )
        if clock is not None and clock.time_of(slot) != obs.block_time:
            return BLOCK_TIME_SLOT_MISMATCH, (
                f"{obs.label}: block time {obs.block_time} is not the time of slot {slot} "
                f"({clock.time_of(slot)})"
            )
        return None
    if clock is not None:
        low = clock.time_of(start) if start is not None else None
        high = clock.time_of(ttl) if ttl is not None else None
        if (low is not None and obs.block_time < low) or (
            high is not None and obs.block_time >= high
        ):
            return SLOT_OUTSIDE_VALIDITY, (
                f"{obs.label}: block time {obs.block_time} falls outside the transaction's "
                f"validity interval {interval}"
            )
    return None
