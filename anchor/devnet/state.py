"""The devnet's chain state: confirmed UTxO set, blocks, transactions and the mempool.

A :class:`ChainState` is the single source of truth behind the HTTP API. Submitted
transactions are validated against the UTxO set as the mempool has already changed
it (so a double spend is refused even before a block is cut) at the slot of the next
block. :meth:`ChainState.cut_block` forms that block: mempool transactions, first
come first served up to the maximum block body size, are validated again at the
block's slot (expired ones are dropped, as a node drops them) and applied; the rest
wait for the next block. Slots are one second long from ``system_start``; a block's
slot is the current wall-clock slot, or the previous block's slot + 1 when blocks are
cut faster than the clock (tests, through :meth:`ChainState.cut_block`), so slots and
heights always increase. The block clock (``anchor devnet --block-time``) cuts only when
:meth:`ChainState.slot_due`, so its block times never run ahead of the wall clock.

All public methods take the state's lock, so HTTP threads and the block clock can
share one instance. :mod:`anchor.devnet.persist` saves it as JSON and restores it by
replaying the saved blocks through the same rules.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from anchor.devnet.ledger import Failure, TxRejected, apply_tx, check_tx, validate_tx
from anchor.devnet.params import CONWAY, EPOCH_LENGTH, SLOT_LENGTH, ProtocolParams
from anchor.devnet.txdecode import (
    DecodedTx,
    TxDecodeError,
    TxIn,
    TxOut,
    blake2b_256,
    decode_tx,
)
from anchor.label309.cbor import encode

Clock = Callable[[], float]


class ShiftedClock:
    """A clock running ``offset`` seconds ahead of ``base`` (the advance test control)."""

    def __init__(self, base: Clock) -> None:
        self.base = base
        self.offset = 0.0

    def __call__(self) -> float:
        return self.base() + self.offset


@dataclass(frozen=True)
class Block:
    """A block: hash, height, slot, Unix time, previous hash, transaction ids in order,
    and the genesis or faucet credits it carries (outputs created from nothing)."""

    hash: bytes
    height: int
    slot: int
    time: int
    previous: bytes | None
    tx_ids: tuple[bytes, ...]
    credits: tuple[tuple[TxIn, TxOut], ...]

    @property
    def epoch(self) -> int:
        """Epoch of the block's slot."""
        return self.slot // EPOCH_LENGTH


@dataclass(frozen=True)
class Unspent:
    """A confirmed unspent output, the block that created it and its creation order."""

    txin: TxIn
    out: TxOut
    block: bytes
    seq: int


@dataclass(frozen=True)
class TxRecord:
    """A confirmed transaction and where it sits in the chain."""

    tx: DecodedTx
    block: Block
    index: int


def credit_output(address: bytes, lovelace: int) -> TxOut:
    """The output of a genesis or faucet credit (serialised as a legacy output)."""
    return TxOut(address=address, coin=lovelace, assets=(), raw=encode([address, lovelace]))


def credit_hash(kind: str, counter: int, address: bytes, lovelace: int) -> bytes:
    """Deterministic pseudo transaction id of the ``counter``-th genesis or faucet credit."""
    material = f"anchor-devnet/{kind}/{counter}/{lovelace}/".encode() + address
    return blake2b_256(material)


class ChainState:
    """Blocks, confirmed UTxO set and mempool of one devnet chain (thread-safe)."""

    def __init__(
        self,
        *,
        system_start: int,
        params: ProtocolParams = CONWAY,
        clock: Clock,
    ) -> None:
        self.system_start = system_start
        self.params = params
        self.clock = clock
        self.lock = threading.RLock()
        self.blocks: list[Block] = []
        self.block_index: dict[bytes, Block] = {}
        self.txs: dict[bytes, TxRecord] = {}
        self.utxo: dict[TxIn, Unspent] = {}
        self.known_addresses: set[bytes] = set()
        self.credits: dict[TxIn, TxOut] = {}
        self.spent_by: dict[TxIn, bytes] = {}
        self.mempool: list[DecodedTx] = []
        self.dropped: list[tuple[bytes, tuple[Failure, ...]]] = []
        self.fund_counter = 0
        self.seq = 0
        # test controls (anchor devnet --test-controls): new valid transactions still to
        # drop, and the ids of those dropped (every valid submission of them is answered
        # as accepted and never reaches the mempool)
        self.drop_next = 0
        self.swallowed: list[bytes] = []
        self._view: dict[TxIn, TxOut] = {}

    @classmethod
    def create(
        cls,
        funds: Sequence[tuple[bytes, int]],
        *,
        clock: Clock,
        params: ProtocolParams = CONWAY,
    ) -> ChainState:
        """A fresh chain starting now: genesis block (height 0, slot 0) holding ``funds``."""
        state = cls(system_start=int(clock()), params=params, clock=clock)
        credits = [
            (TxIn(credit_hash("genesis", i, addr, amount), 0), credit_output(addr, amount))
            for i, (addr, amount) in enumerate(funds)
        ]
        state._append_block(slot=0, txs=[], credits=credits)
        return state

    # ------------------------------------------------------------------ queries

    @property
    def tip(self) -> Block:
        """The latest block."""
        with self.lock:
            return self.blocks[-1]

    def wall_slot(self) -> int:
        """The slot the clock is in now (whole slots since ``system_start``)."""
        return int(self.clock() - self.system_start) // SLOT_LENGTH

    def next_slot(self) -> int:
        """The slot the next block will have (and at which submissions are judged)."""
        with self.lock:
            return max(self.blocks[-1].slot + 1, self.wall_slot())

    def slot_due(self) -> bool:
        """True when the clock has passed the tip's slot: a block cut now has a slot, and so
        a block time, no later than now (the block clock cuts only then)."""
        with self.lock:
            return self.wall_slot() > self.blocks[-1].slot

    def block(self, ref: bytes | int) -> Block | None:
        """A block by hash (bytes) or height (int), or None."""
        with self.lock:
            if isinstance(ref, bytes):
                return self.block_index.get(ref)
            return self.blocks[ref] if 0 <= ref < len(self.blocks) else None

    def transaction(self, tx_id: bytes) -> TxRecord | None:
        """A confirmed transaction by id, or None (mempool transactions are not listed)."""
        with self.lock:
            return self.txs.get(tx_id)

    def output(self, txin: TxIn) -> TxOut | None:
        """The confirmed output ``txin`` refers to, spent or not (None if it never existed)."""
        with self.lock:
            record = self.txs.get(txin.tx_hash)
            if record is not None:
                outs = record.tx.outputs
                return outs[txin.index] if txin.index < len(outs) else None
            return self.credits.get(txin)

    def utxos_at(self, address: bytes) -> list[Unspent] | None:
        """Confirmed unspent outputs at ``address`` oldest first; None if never used."""
        with self.lock:
            if address not in self.known_addresses:
                return None
            found = [u for u in self.utxo.values() if u.out.address == address]
            return sorted(found, key=lambda u: u.seq)

    # ------------------------------------------------------------------ changes

    def submit(self, raw: bytes) -> bytes:
        """Validate and queue a transaction; return its id or raise the ledger's reason.

        Raises :class:`~anchor.devnet.txdecode.TxDecodeError` or
        :class:`~anchor.devnet.ledger.TxRejected`.
        """
        tx = decode_tx(raw)
        with self.lock:
            check_tx(tx, self._view, slot=self.next_slot(), params=self.params)
            # the drop test control: accepted as a node would, then lost, and so is every
            # later submission of the same transaction (it never lands)
            if tx.tx_id in self.swallowed:
                return tx.tx_id
            if self.drop_next > 0:
                self.drop_next -= 1
                self.swallowed.append(tx.tx_id)
                return tx.tx_id
            apply_tx(tx, self._view)
            self.mempool.append(tx)
        return tx.tx_id

    def cut_block(self) -> Block:
        """Form the next block from the mempool (revalidated at the block's slot)."""
        with self.lock:
            return self._cut(credits=[])

    def fund(self, address: bytes, lovelace: int) -> TxIn:
        """Credit ``lovelace`` to ``address`` from the faucet in a new block; return the output."""
        if lovelace <= 0:
            raise ValueError("a faucet credit must be positive")
        with self.lock:
            self.fund_counter += 1
            txin = TxIn(credit_hash("faucet", self.fund_counter, address, lovelace), 0)
            self._cut(credits=[(txin, credit_output(address, lovelace))])
            return txin

    def _cut(self, *, credits: list[tuple[TxIn, TxOut]]) -> Block:
        slot = self.next_slot()
        view = {txin: u.out for txin, u in self.utxo.items()}
        included: list[DecodedTx] = []
        waiting: list[DecodedTx] = []
        size = 0
        for tx in self.mempool:
            # First come, first served: once a transaction does not fit, it and every
            # later one wait for the next block (a later one may spend its outputs).
            if waiting or size + tx.size > self.params.max_block_size:
                waiting.append(tx)
                continue
            failures = validate_tx(tx, view, slot=slot, params=self.params)
            if failures:
                self.dropped.append((tx.tx_id, tuple(failures)))
                continue
            apply_tx(tx, view)
            included.append(tx)
            size += tx.size
        self.mempool = []
        block = self._append_block(slot=slot, txs=included, credits=credits)
        next_slot = self.next_slot()
        for tx in waiting:
            failures = validate_tx(tx, self._view, slot=next_slot, params=self.params)
            if failures:
                self.dropped.append((tx.tx_id, tuple(failures)))
                continue
            apply_tx(tx, self._view)
            self.mempool.append(tx)
        return block

    def _append_block(
        self, *, slot: int, txs: list[DecodedTx], credits: list[tuple[TxIn, TxOut]]
    ) -> Block:
        previous = self.blocks[-1].hash if self.blocks else None
        height = len(self.blocks)
        material = b"anchor-devnet/block" + (previous or b"") + height.to_bytes(8, "big")
        material += slot.to_bytes(8, "big") + b"".join(tx.tx_id for tx in txs)
        material += b"".join(txin.tx_hash for txin, _ in credits)
        block = Block(
            hash=blake2b_256(material),
            height=height,
            slot=slot,
            time=self.system_start + slot * SLOT_LENGTH,
            previous=previous,
            tx_ids=tuple(tx.tx_id for tx in txs),
            credits=tuple(credits),
        )
        self.blocks.append(block)
        self.block_index[block.hash] = block
        for index, tx in enumerate(txs):
            for txin in tx.inputs:
                del self.utxo[txin]
                self.spent_by[txin] = tx.tx_id
            self._add_outputs([(TxIn(tx.tx_id, i), o) for i, o in enumerate(tx.outputs)], block)
            self.txs[tx.tx_id] = TxRecord(tx=tx, block=block, index=index)
        self._add_outputs(credits, block)
        self.credits.update(credits)
        self._view = {txin: u.out for txin, u in self.utxo.items()}
        return block

    def _add_outputs(self, outputs: list[tuple[TxIn, TxOut]], block: Block) -> None:
        for txin, out in outputs:
            self.utxo[txin] = Unspent(txin=txin, out=out, block=block.hash, seq=self.seq)
            self.known_addresses.add(out.address)
            self.seq += 1

    def replay_block(
        self, *, slot: int, raws: Sequence[bytes], credits: Sequence[tuple[TxIn, TxOut]]
    ) -> Block:
        """Re-apply a saved block, validating each transaction at the block's slot.

        Raises :class:`~anchor.devnet.ledger.TxRejected` or
        :class:`~anchor.devnet.txdecode.TxDecodeError` if the saved chain is not valid.
        """
        with self.lock:
            if self.blocks and slot <= self.blocks[-1].slot:
                raise ValueError(f"block slot {slot} does not follow {self.blocks[-1].slot}")
            view = dict(self._view)
            txs: list[DecodedTx] = []
            for raw in raws:
                tx = decode_tx(raw)
                check_tx(tx, view, slot=slot, params=self.params)
                apply_tx(tx, view)
                txs.append(tx)
            return self._append_block(slot=slot, txs=txs, credits=list(credits))

    def restore_mempool(self, raws: Sequence[bytes]) -> None:
        """Resubmit saved mempool transactions, dropping any that are no longer valid."""
        for raw in raws:
            try:
                self.submit(raw)
            except (TxDecodeError, TxRejected):
                continue
