"""One publish pass over a spool: seal due windows, then advance each unfinished one.

Exactly once, across crashes at any point:

* sign: the record and transaction are built, and the bytes, tx id, TTL and inputs are
  committed in ``attempts`` together with ``sealed → signed``; only then are they sent.
  A crash before that commit sent nothing; a crash after it resends the same bytes;
* submit sends stored bytes only. A rejection is looked up, never rebuilt: the tx (or an
  earlier attempt) in a block → ``included``; in the mempool → ``submitted``; its inputs
  gone while no attempt is anywhere → ``blocked`` (a foreign spend, exit 5);
* a new attempt is made only for a dead one (a block past its TTL is ``confirmations``
  deep and no attempt is on chain) and spends a subset of the same inputs, so two
  attempts can never both land;
* one window in flight (signed, submitted, included) per spool and payment key;
* ``included``/``anchored`` recheck the block on every pass; a vanished transaction or a
  changed block hash goes back to ``submitted`` and the same bytes are resent.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anchor.chain.keys import PaymentKey
from anchor.chain.network import Network
from anchor.chain.providers import ChainProvider, ProviderRejected
from anchor.errors import EnvironmentFailure
from anchor.publish.spool import export, faults, machine
from anchor.publish.spool.store import Attempt, Spool, Store, Window, WindowRows


class WindowBlocked(EnvironmentFailure):
    """A window's inputs were spent by a transaction that is not ours (exit 5)."""


class WaitTimeout(EnvironmentFailure):
    """``--wait`` ran out of time with windows still pending (exit 5; rerun to resume)."""


@dataclass
class Publisher:
    """Everything a pass needs; ``reader`` is a BlockfrostReader-like object with ``mempool``."""

    store: Store
    spool: Spool
    network: Network
    provider: ChainProvider
    reader: Any
    payment_key: PaymentKey
    identity_seed: bytes | None
    work_dir: Path
    holder: str
    lease_seconds: float = 120.0
    on_event: Callable[[str], None] | None = None
    changes: list[tuple[int, str, str]] = field(default_factory=list)
    epoch: int = 0

    # -- entry points ------------------------------------------------------------------
    def run(self, *, cadence: int, wait: bool, timeout: float, poll: float) -> list[Window]:
        """Take the lease, run passes (until all anchored with ``wait``), release the lease."""
        self.epoch = self._acquire()
        try:
            started = time.monotonic()
            while True:
                self.store.renew(self.spool, self.holder, self.epoch, seconds=self.lease_seconds)
                self.one_pass(cadence)
                pending = self.store.windows(self.spool, machine.UNFINISHED[:-1])
                if not wait or not pending:
                    return self.store.windows(self.spool)
                if time.monotonic() - started > timeout:
                    raise WaitTimeout(
                        f"{len(pending)} window(s) not anchored after {timeout:.0f} s "
                        f"(first: window {pending[0].seq}, {pending[0].state})",
                        hint="rerun `anchor spool publish` to resume; nothing is lost",
                    )
                time.sleep(poll)
        finally:
            self.store.release(self.spool, self.holder, self.epoch)

    def seal_now(self, label: str | None) -> Window | None:
        """Seal the open window now (the ``release`` cadence), under the lease."""
        self.epoch = self._acquire()
        try:
            return self._seal(label)
        finally:
            self.store.release(self.spool, self.holder, self.epoch)

    def one_pass(self, cadence: int) -> None:
        """Seal the open window if a cadence boundary passed, then advance every window."""
        opened = self.store.windows(self.spool, (machine.OPEN,))
        now = self.store.now()
        if opened and machine.window_due(opened[0].opened_at, now, cadence):
            self._seal(machine.window_label(opened[0].opened_at, cadence))
        for window in self.store.windows(self.spool, machine.UNFINISHED):
            self._advance(window)

    # -- helpers -----------------------------------------------------------------------
    def _acquire(self) -> int:
        """The lease; a holder on this host whose process is gone is taken over at once."""
        from anchor.publish.spool.store import LeaseHeld

        try:
            return self.store.acquire(self.spool, self.holder, seconds=self.lease_seconds)
        except LeaseHeld:
            holder, epoch, _ = self.store.lease(self.spool)
            if not holder_is_dead(holder):
                raise
            self._note(f"taking over the lease of {holder} (that process is gone)")
            return self.store.take_over(
                self.spool, (holder, epoch), self.holder, seconds=self.lease_seconds
            )

    def _note(self, text: str) -> None:
        if self.on_event is not None:
            self.on_event(text)

    def _move(self, window: Window, new: str, **kw: Any) -> Window:
        self.store.transition(
            window,
            new,
            holder=self.holder,
            epoch=self.epoch,
            lease_seconds=self.lease_seconds,
            **kw,
        )
        self.changes.append((window.seq, window.state, new))
        self._note(f"window {window.seq}: {window.state} -> {new}")
        found = self.store.window(self.spool, window.seq)
        assert found is not None
        return found

    def bundle_dir(self, window: Window) -> Path:
        """Where the window's bundle lives in the work folder (regenerated if missing)."""
        return self.work_dir / f"window-{window.seq:06d}"

    def materialize(
        self, window: Window, leaves: WindowRows | None = None, *, hashes: bool = True
    ) -> export.WindowFiles:
        """Write (or leave unchanged) the window's files in the work folder.

        ``leaves``: the window's rows when the caller holds them (the seal just read them);
        ``hashes``: the manifest's hashes are wanted (signing), else they may be empty.
        """
        if leaves is None:
            leaves = self.store.window_rows(window.id)
        return export.write_window(
            self.spool, window, leaves, self._current(window), self.bundle_dir(window),
            hashes=hashes,
        )  # fmt: skip

    def _seal(self, label: str | None) -> Window | None:
        window, leaves = self.store.seal_rows(
            self.spool, holder=self.holder, epoch=self.epoch, label=label,
            lease_seconds=self.lease_seconds,
        )  # fmt: skip
        if window is not None:
            self.changes.append((window.seq, machine.OPEN, window.state))
            self._note(f"window {window.seq}: open -> {window.state}")
            if window.state == machine.SEALED:
                self.materialize(window, leaves, hashes=False)
                faults.point("seal.bundle")
        return window

    def _current(self, window: Window) -> Attempt | None:
        attempts = self.store.attempts(window.id)
        if window.tx_id is not None:
            for a in attempts:
                if a.tx_id == window.tx_id:
                    return a
        return attempts[-1] if attempts else None

    # -- the machine ---------------------------------------------------------------------
    def _advance(self, window: Window) -> None:
        if window.state == machine.SEALED:
            others = self.store.windows(self.spool, machine.IN_FLIGHT)
            if any(w.id != window.id for w in others):
                return  # one window in flight per payment key
            window = self._sign(window)
        if window.state == machine.SIGNED:
            window = self._send(window)
        if window.state == machine.SUBMITTED:
            window = self._observe_submitted(window)
        if window.state in (machine.INCLUDED, machine.ANCHORED):
            self._observe_included(window)

    def _sign(self, window: Window) -> Window:
        from anchor.publish.assemble import record_plan
        from anchor.publish.pipeline import PublishOptions, build_for_bundle

        files = self.materialize(window)  # checks the rows against the sealed root
        assert window.root is not None and window.leaf_count is not None
        plan = record_plan(
            manifest_sha256=files.manifest_sha256,
            manifest_blake2b_256=files.manifest_blake2b_256,
            root=bytes.fromhex(window.root),
            leaf_count=window.leaf_count,
            identity_seed=self.identity_seed,
        )
        options = PublishOptions(
            network=self.network, confirmations=self.spool.confirmations, timeout=0.0,
            ttl_slots=self.spool.ttl_slots,
        )  # fmt: skip
        built = build_for_bundle(
            plan, payment_key=self.payment_key, provider=self.provider, options=options
        )
        attempt = Attempt(
            window.id, 1, built.tx_id, built.tx_bytes, plan.body, built.ttl, built.inputs,
            built.fee, built.address,
        )  # fmt: skip
        fields = {"tx_id": built.tx_id, "address": built.address}
        return self._move(
            window, machine.SIGNED, fields=fields, attempt=attempt, point="sign.commit"
        )

    def _send(self, window: Window) -> Window:
        attempt = self._current(window)
        assert attempt is not None
        faults.point("send.before")
        try:
            self.provider.submit(attempt.tx_bytes)
        except ProviderRejected as exc:
            return self._rejected(window, attempt, exc.reason)
        faults.point("send.after")
        if window.state == machine.SIGNED:
            return self._move(window, machine.SUBMITTED, point="submitted.commit")
        return window

    def _find_on_chain(self, window: Window) -> tuple[Attempt, Any] | None:
        for attempt in reversed(self.store.attempts(window.id)):
            facts = self.reader.tx_block_facts(attempt.tx_id)
            if facts is not None:
                return attempt, facts
        return None

    def _include(self, window: Window, attempt: Attempt, facts: Any) -> Window:
        fields = {
            "tx_id": attempt.tx_id, "block_height": facts.height, "block_hash": facts.hash,
            "block_slot": facts.slot, "block_time": facts.block_time, "ttl_passed_height": None,
        }  # fmt: skip
        return self._move(window, machine.INCLUDED, fields=fields, point="included.commit")

    def _rejected(self, window: Window, attempt: Attempt, reason: str) -> Window:
        found = self._find_on_chain(window)
        if found is not None:
            return self._include(window, *found)
        if self.reader.in_mempool(attempt.tx_id):
            if window.state == machine.SIGNED:
                return self._move(window, machine.SUBMITTED, point="submitted.commit")
            return window
        refs = {u.ref for u in self.provider.utxos(attempt.address)}
        if not set(attempt.inputs) <= refs:
            # The inputs are spent, but perhaps by this very tx, which left the mempool for a
            # block between the two looks above. A tx only moves mempool -> block, so looking
            # at the mempool and then the chain again, after the spend was seen, finds it.
            if self.reader.in_mempool(attempt.tx_id):
                if window.state == machine.SIGNED:
                    return self._move(window, machine.SUBMITTED, point="submitted.commit")
                return window
            found = self._find_on_chain(window)
            if found is not None:
                return self._include(window, *found)
            self._move(window, machine.BLOCKED, fields={"reason": reason[:500]})
            raise WindowBlocked(
                f"window {window.seq}: the inputs of transaction {attempt.tx_id} were spent by "
                "a transaction that is not this spool's; the window is blocked",
                hint="another wallet uses this payment key; give the spool its own key",
            )
        if "OutsideValidityInterval" in reason and window.state == machine.SIGNED:
            return self._move(window, machine.SUBMITTED, point="submitted.commit")
        if window.state == machine.SUBMITTED:
            return window
        self._move(window, machine.BLOCKED, fields={"reason": reason[:500]})
        raise WindowBlocked(f"window {window.seq}: the ledger refused {attempt.tx_id}: {reason}")

    def _observe_submitted(self, window: Window) -> Window:
        attempt = self._current(window)
        assert attempt is not None
        found = self._find_on_chain(window)
        tip = self.provider.tip()
        facts = found[1] if found else None
        view = machine.ChainView(
            tip.height, tip.slot, facts.height if facts else None, facts.hash if facts else None
        )
        decision = machine.decide_submitted(
            view, ttl=attempt.ttl, ttl_passed_height=window.ttl_passed_height,
            confirmations=self.spool.confirmations,
        )  # fmt: skip
        if decision.action == "include" and found is not None:
            return self._include(window, *found)
        if decision.action == "resend":
            return self._send(window)
        if decision.action == "ttl_passed":
            return self._move(
                window, machine.SUBMITTED, fields={"ttl_passed_height": decision.block_height}
            )
        if decision.action == "dead":
            return self._send(self._reattempt(window, attempt, tip))
        return window

    def _reattempt(self, window: Window, old: Attempt, tip: Any) -> Window:
        from anchor.chain.txbuild import build_transaction

        keep = [u for u in self.provider.utxos(old.address) if u.ref in set(old.inputs)]
        if not keep:
            self._move(window, machine.BLOCKED, fields={"reason": "inputs spent by a foreign tx"})
            raise WindowBlocked(
                f"window {window.seq}: transaction {old.tx_id} expired and its inputs were "
                "spent by a transaction that is not this spool's; the window is blocked"
            )
        built = build_transaction(
            old.record, payment_key=self.payment_key, params=self.provider.protocol_params(),
            utxos=keep, network=self.network, ttl=tip.slot + self.spool.ttl_slots,
            tip_slot=tip.slot,
        )  # fmt: skip
        attempt = Attempt(
            window.id, old.n + 1, built.tx_id, built.tx_bytes, old.record, built.ttl,
            built.inputs, built.fee, built.address,
        )  # fmt: skip
        self._note(
            f"window {window.seq}: attempt {old.n} is dead; attempt {attempt.n} on the same inputs"
        )
        fields = {"tx_id": built.tx_id, "ttl_passed_height": None}
        return self._move(
            window, machine.SIGNED, fields=fields, attempt=attempt, point="sign.commit"
        )

    def _observe_included(self, window: Window) -> None:
        assert window.tx_id is not None
        facts = self.reader.tx_block_facts(window.tx_id)
        tip_height = self.reader.tip_height()
        view = machine.ChainView(
            tip_height, 0, facts.height if facts else None, facts.hash if facts else None
        )
        decision = machine.decide_included(
            view, state=window.state, recorded_height=window.block_height or 0,
            recorded_hash=window.block_hash or "", confirmations=self.spool.confirmations,
            final_depth=self.spool.final_depth,
        )  # fmt: skip
        if decision.action == "rollback":
            cleared = {"block_height": None, "block_hash": None, "block_slot": None,
                       "block_time": None, "depth": None}  # fmt: skip
            self._move(window, machine.SUBMITTED, fields=cleared)
            return
        if decision.action == "anchored":
            from anchor.publish.confirm import utc_now

            fields = {"depth": decision.depth, "anchored_at": utc_now()}
            window = self._move(window, machine.ANCHORED, fields=fields, point="anchored.commit")
            self.materialize(window, hashes=False)
        elif decision.action == "final":
            self._move(
                window, machine.FINAL, fields={"depth": decision.depth}, point="final.commit"
            )


def holder_name() -> str:
    """This process as a lease holder: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_is_dead(holder: str) -> bool:
    """True only for a holder on this host whose process no longer exists."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
