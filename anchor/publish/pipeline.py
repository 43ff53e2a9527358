"""`anchor publish` as a library: bundle → record → transaction → chain → receipts.

:func:`publish_bundle` runs the state machine below under the bundle lock and returns
a :class:`PublishOutcome` (or :class:`DryRunOutcome` for ``dry_run``). It never
prints; it reports stages and waiting progress to ``on_event``.

State (``anchor.json``, see :mod:`anchor.publish.state`) decides what happens:

* none, ``rejected``: assemble and validate the record, build and check the
  transaction, write ``record.cbor``, ``tx.cbor`` and ``anchor.json``
  (``submitting``, with the tx id) atomically, *then* submit, wait and write receipts;
* ``submitting``/``submitted`` (a crash or timeout after submission, or a submit whose
  outcome is unknown because an attempt failed in transit): the stored
  ``tx.cbor`` is looked up. On chain → resume waiting. Unknown and still within its
  TTL → resubmit the same bytes (same tx id, so it cannot anchor twice) and wait.
  Unknown and expired → :class:`TxExpired` unless ``force``, which builds a new one;
* ``confirmed``: :class:`AlreadyAnchored` (exit 4) unless ``force``.

``force`` never replaces a pending transaction that could still land (unknown and
within its TTL); that would risk two anchors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anchor.chain.keys import PaymentKey
from anchor.chain.network import Network
from anchor.chain.providers import (
    ChainProvider,
    ProviderError,
    ProviderRejected,
    SubmitOutcomeUnknown,
)
from anchor.chain.readers import ChainReader, ReaderError
from anchor.chain.txbuild import BuiltTx
from anchor.errors import EnvironmentFailure, InputError
from anchor.publish import receipts
from anchor.publish.assemble import RecordPlan, assemble_record
from anchor.publish.confirm import (
    ConfirmationTimeout,
    WaitProgress,
    utc_now,
    wait_for_confirmations,
)
from anchor.publish.state import (
    ANCHOR,
    ANCHOR_FORMAT,
    RECORD,
    STATUS_CONFIRMED,
    STATUS_REJECTED,
    STATUS_SUBMITTED,
    STATUS_SUBMITTING,
    TX,
    AnchorState,
    bundle_lock,
    read_state,
    read_stored_tx,
    write_atomic,
    write_json,
)


class AlreadyAnchored(InputError):
    """The bundle already has a confirmed anchor; ``--force`` publishes again (exit 4)."""


class TxExpired(EnvironmentFailure):
    """A pending transaction passed its TTL without reaching the chain (exit 5)."""


class StillPending(InputError):
    """``--force`` asked to replace a transaction that can still land (exit 4)."""


@dataclass(frozen=True)
class Stage:
    """A step of the publish, for the progress display."""

    message: str


@dataclass(frozen=True)
class Note:
    """Something the user should know even without a progress display (a resumed or replaced tx)."""

    message: str


Event = Stage | Note | WaitProgress


@dataclass(frozen=True)
class PublishOptions:
    """How to publish: network, confirmation target and time limits, and the switches."""

    network: Network
    confirmations: int
    timeout: float
    ttl_slots: int
    poll_interval: float = 2.0
    force: bool = False
    dry_run: bool = False
    supersedes: bytes | None = None


@dataclass(frozen=True)
class DryRunOutcome:
    """What would be published: the record and the signed (never submitted) transaction."""

    plan: RecordPlan
    tx: BuiltTx


@dataclass(frozen=True)
class PublishOutcome:
    """A confirmed anchor. ``receipt`` is the ``anchor.json`` document; ``resumed`` is True
    when an earlier, interrupted publish was completed instead of a new one."""

    receipt: dict[str, Any]
    resumed: bool
    proofs_updated: int
    notes: tuple[str, ...] = field(default=())


@dataclass
class _Run:
    bundle: Path
    options: PublishOptions
    provider: ChainProvider
    readers: Sequence[ChainReader]
    on_event: Callable[[Event], None] | None
    sleep: Callable[[float], None] | None
    notes: list[str] = field(default_factory=list)

    def stage(self, message: str) -> None:
        if self.on_event is not None:
            self.on_event(Stage(message))

    def note(self, message: str) -> None:
        self.notes.append(message)
        if self.on_event is not None:
            self.on_event(Note(message))


def build_for_bundle(
    plan: RecordPlan, *, payment_key: PaymentKey, provider: ChainProvider, options: PublishOptions
) -> BuiltTx:
    """Fetch parameters, tip and UTxOs from ``provider`` and build the signed transaction."""
    from anchor.chain.txbuild import build_transaction

    params = provider.protocol_params()
    tip = provider.tip()
    utxos = provider.utxos(payment_key.address(options.network.network_id))
    return build_transaction(
        plan.body,
        payment_key=payment_key,
        params=params,
        utxos=utxos,
        network=options.network,
        ttl=tip.slot + options.ttl_slots,
        tip_slot=tip.slot,
    )


def publish_bundle(
    bundle_dir: Path,
    *,
    identity_seed: bytes | None,
    payment_key: PaymentKey,
    provider: ChainProvider,
    readers: Sequence[ChainReader],
    options: PublishOptions,
    on_event: Callable[[Event], None] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> PublishOutcome | DryRunOutcome:
    """Publish ``bundle_dir`` (see the module text for the state machine and guarantees)."""
    bundle = Path(bundle_dir)
    if not bundle.is_dir():
        raise InputError(f"{bundle} is not a folder")
    run = _Run(bundle, options, provider, readers, on_event, sleep)
    _check_provider_network(run)
    with bundle_lock(bundle):
        state = read_state(bundle)
        previous: list[dict[str, Any]] = []
        if state is not None:
            resumed = _from_state(run, state)
            if resumed is not None:
                return resumed
            previous = _history(state)
        run.stage("assembling the record")
        plan = assemble_record(bundle, identity_seed=identity_seed, supersedes=options.supersedes)
        run.stage(f"building the transaction ({options.network.name}, {provider.name})")
        built = build_for_bundle(plan, payment_key=payment_key, provider=provider, options=options)
        if options.dry_run:
            return DryRunOutcome(plan=plan, tx=built)
        doc = _initial_doc(run, plan, built, previous)
        write_atomic(bundle / RECORD, plan.body)
        write_atomic(bundle / TX, built.tx_bytes)
        write_json(bundle / ANCHOR, doc)
        _submit(run, built.tx_bytes, built.tx_id, doc)
        return _confirm(run, doc, resumed=False)


def _check_provider_network(run: _Run) -> None:
    """Refuse (exit 4) a provider whose ``/genesis`` names another network than ``--network``.

    A reader that cannot tell (unreachable, no such endpoint) is left to the calls that
    follow, which retry and report; a note says so at once instead of waiting in silence.
    """
    from anchor.chain.blockfrost import redact_url, version_path_hint
    from anchor.chain.network import network_by_magic

    net = run.options.network
    for reader in run.readers:
        ask = getattr(reader, "network_magic", None)
        if ask is None:
            continue
        magic = ask()
        where = redact_url(getattr(reader, "base_url", reader.name))
        if magic is None:
            version = version_path_hint(where)
            if version is not None:
                run.stage(f"no network magic from {where}/genesis ({version})")
                continue
            hint = " (is `anchor devnet` running there?)" if not net.public else ""
            run.stage(f"cannot reach {where}{hint}; retrying for up to a minute")
            continue
        if magic != net.magic:
            known = network_by_magic(magic)
            served = known.name if known is not None else f"an unknown network (magic {magic})"
            raise InputError(
                f"--network {net.name}, but the provider at {where} serves {served} "
                f"(network magic {magic}, expected {net.magic})",
                hint="pass the --network the provider serves, or the provider URL of that network",
            )


def _history(state: AnchorState) -> list[dict[str, Any]]:
    """Earlier anchors kept in ``previous`` when ``--force`` publishes again."""
    earlier = state.doc.get("previous")
    out = [e for e in earlier if isinstance(e, dict)] if isinstance(earlier, list) else []
    if state.status == STATUS_REJECTED:
        return out
    entry = {"tx_hash": state.tx_hash, "network": state.network, "status": state.status}
    if isinstance(state.doc.get("block_height"), int):
        entry["block_height"] = state.doc["block_height"]
    return [*out, entry]


def _from_state(run: _Run, state: AnchorState) -> PublishOutcome | None:
    """Handle an existing ``anchor.json``: resume, refuse, or return None to publish anew."""
    opts = run.options
    if state.status == STATUS_CONFIRMED:
        if opts.force:
            verb = "would replace" if opts.dry_run else "replacing"
            run.note(f"{verb} the confirmed anchor {state.tx_hash} (--force)")
            return None
        raise AlreadyAnchored(
            f"{run.bundle} is already anchored on {state.network} by transaction {state.tx_hash}",
            hint="use --force to anchor it again",
        )
    if state.network != opts.network.name:
        raise InputError(
            f"{run.bundle} has a {state.status} transaction {state.tx_hash} on {state.network}",
            hint=f"rerun with --network {state.network} to finish it",
        )
    lookup = _lookup(run, state.tx_hash)
    if state.status == STATUS_REJECTED:
        if lookup is None:
            return None  # nothing on chain: publishing anew is safe
        run.note(f"transaction {state.tx_hash} was reported rejected but is on chain")
    if opts.force and lookup is not None:
        run.note(f"transaction {state.tx_hash} is on chain; publishing again (--force)")
        return None
    tx_bytes = read_stored_tx(run.bundle, state.tx_hash)
    doc = dict(state.doc)
    if lookup is None:
        tip = run.provider.tip()
        if state.ttl is not None and tip.slot > state.ttl:
            if opts.force:
                run.note(f"transaction {state.tx_hash} expired unconfirmed; publishing anew")
                return None
            raise TxExpired(
                f"transaction {state.tx_hash} (saved in {run.bundle / TX}) expired at slot "
                f"{state.ttl} without reaching the chain (tip slot {tip.slot}); nothing was anchored",
                hint="rerun with --force to build and publish a new transaction",
            )
        if opts.force:
            raise StillPending(
                f"transaction {state.tx_hash} is pending and valid until slot {state.ttl} "
                f"(tip slot {tip.slot}); replacing it now could anchor the bundle twice",
                hint="rerun without --force to resume it, or with --force after it expires",
            )
        if opts.dry_run:
            raise InputError(
                f"transaction {state.tx_hash} is pending; a dry run has nothing to show"
            )
        run.stage(f"resubmitting the saved transaction {state.tx_hash}")
        _submit(run, tx_bytes, state.tx_hash, doc, resubmit=True)
    else:
        if opts.dry_run:
            raise InputError(f"transaction {state.tx_hash} is already on chain")
        run.stage(f"transaction {state.tx_hash} is on chain; resuming")
    return _confirm(run, doc, resumed=True)


def _lookup(run: _Run, tx_hash: str) -> Any:
    """The primary reader's block facts for ``tx_hash`` (None: not on chain as far as it knows)."""
    try:
        return run.readers[0].tx_block_facts(tx_hash)
    except ReaderError as exc:
        raise EnvironmentFailure(
            f"cannot tell whether transaction {tx_hash} is already on chain: {exc.message}",
            hint="rerun when the provider is reachable; nothing was submitted",
        ) from exc


def _initial_doc(
    run: _Run, plan: RecordPlan, built: BuiltTx, previous: list[dict[str, Any]]
) -> dict[str, Any]:
    from anchor.label309.hashes import sha256

    doc: dict[str, Any] = {
        "format": ANCHOR_FORMAT,
        "status": STATUS_SUBMITTING,
        "network": run.options.network.name,
        "tx_hash": built.tx_id,
        "ttl": built.ttl,
        "fee": built.fee,
        "min_fee": built.min_fee,
        "tx_size": built.size,
        "record_size": plan.size,
        "record_sha256": sha256(plan.body).hex(),
        "merkle_root": plan.root.hex(),
        "leaf_count": plan.leaf_count,
        "signed": plan.signer is not None,
        "address": built.address,
        "inputs": list(built.inputs),
        "provider": run.provider.name,
        "provider_url": run.provider.url,
        "confirmations_required": run.options.confirmations,
        "created_at": utc_now(),
    }
    if plan.signer is not None:
        doc["signer"] = plan.signer.hex()
    if plan.supersedes is not None:
        doc["supersedes"] = plan.supersedes.hex()
    if previous:
        doc["previous"] = previous
    return doc


def _submit(
    run: _Run, tx_bytes: bytes, tx_id: str, doc: dict[str, Any], *, resubmit: bool = False
) -> None:
    """Submit ``tx_bytes``; mark ``anchor.json`` submitted, or rejected if the ledger refused."""
    run.stage(f"submitting transaction {tx_id}")
    try:
        returned = run.provider.submit(tx_bytes)
    except ProviderError as exc:
        if resubmit and isinstance(exc, (ProviderRejected, SubmitOutcomeUnknown)):
            # Usually "inputs already spent": by this very transaction, now in the mempool
            # (SubmitOutcomeUnknown: that refusal came after an attempt lost in transit).
            verb = "outcome unknown" if isinstance(exc, SubmitOutcomeUnknown) else "refused"
            run.note(f"resubmission {verb} ({exc.reason}); waiting for the original")
            returned = tx_id
        elif not isinstance(exc, ProviderRejected):
            # Unreachable, or SubmitOutcomeUnknown: the transaction may have been
            # submitted, so anchor.json stays "submitting" and a rerun looks it up.
            exc.hint = (
                f"the signed transaction {tx_id} is saved in {run.bundle / TX}; rerun "
                f"`anchor publish {run.bundle}` to resubmit it or pick it up if it landed"
            )
            raise
        elif _lookup(run, tx_id) is not None:
            returned = tx_id  # an earlier attempt of this submission did land
        else:
            doc.update(status=STATUS_REJECTED, rejection=exc.reason, rejected_at=utc_now())
            write_json(run.bundle / ANCHOR, doc)
            raise
    if returned != tx_id:
        raise EnvironmentFailure(
            f"{run.provider.name} reported transaction id {returned}, but the transaction "
            f"submitted has id {tx_id}"
        )
    doc.update(status=STATUS_SUBMITTED, submitted_at=utc_now())
    write_json(run.bundle / ANCHOR, doc)


def _confirm(run: _Run, doc: dict[str, Any], *, resumed: bool) -> PublishOutcome:
    """Wait for the confirmation target, then complete proofs, chain facts and the receipt."""
    opts = run.options
    tx_hash = str(doc["tx_hash"])
    target = opts.confirmations
    doc["confirmations_required"] = target
    run.stage(f"waiting for {target} confirmation(s) of {tx_hash}")
    try:
        confirmation = wait_for_confirmations(
            run.readers,
            tx_hash,
            target=target,
            timeout=opts.timeout,
            poll_interval=opts.poll_interval,
            on_progress=run.on_event,
            sleep=run.sleep or time.sleep,
        )
    except ConfirmationTimeout as exc:
        exc.hint = f"rerun `anchor publish {run.bundle}` to resume waiting for the same transaction"
        raise
    run.stage("writing proofs, chain facts and the receipt")
    updated = receipts.finalize(run.bundle, doc, confirmation, network=opts.network.name)
    return PublishOutcome(
        receipt=doc, resumed=resumed, proofs_updated=updated, notes=tuple(run.notes)
    )
