"""The public verifier pipeline (BRIEF §7.4), in the standard's order, producing one report.

Entry points:

* :func:`verify_tx` (A) — online: resolve the transaction through an ordered provider
  chain (all calls through the recording egress), bind, then the record steps;
* :func:`verify_record_bytes` (B) — caller-supplied label-309 value or record body plus
  block facts and the network: the same pipeline from the structural step onward;
* :func:`verify_tx_bytes` — offline: transaction bytes (``tx.cbor``) bound to the
  requested hash, block facts from ``chain-facts.json``.

Record steps after binding: unwrap/reassemble (done by the binding), structural
validation (errors short-circuit to ``failed``), confirmation depth (below the
threshold → ``pending``, later steps do not run), signatures, content claims against
out-of-band bytes, then each file's inclusion. The verdict follows §7.7
(:mod:`anchor.verify.verdict`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from anchor.chain.readers import NETWORKS, ChainReader
from anchor.errors import InputError
from anchor.label309 import cbor
from anchor.label309 import codes as c
from anchor.label309.carriage import CarriageError, reassemble
from anchor.label309.codes import Issue, sort_issues
from anchor.label309.txbind import BindFailed
from anchor.verify.chainfacts import CombinedFacts, Observation, combine
from anchor.verify.content import (
    NOT_CHECKED,
    check_content,
    item_digests,
    leaves_unavailable,
    record_commitments,
    record_items,
)
from anchor.verify.files import ProofIndex, check_files
from anchor.verify.record_checks import check_signatures, validate_body
from anchor.verify.report import (
    ChainFactsSummary,
    FileEntry,
    Finding,
    SignatureEntry,
    VerifyReport,
)
from anchor.verify.resolve import Resolution, bind_offline, resolve_online
from anchor.verify.trust import (
    SIGNER_NOT_PINNED_NOTE,
    ManifestItem,
    annotate_files,
    assess_facts,
    assess_tx,
    clock_for,
    pin_signers,
)
from anchor.verify.txfacts import TxFacts, read_tx_facts
from anchor.verify.verdict import FILE_NOT_CHECKED, decide, make_issue

DEFAULT_MIN_CONFIRMATIONS = 15
HALTED_NOTE = "below the confirmation threshold: signature, content and file checks did not run"
SUPERSEDES_NOTE = "supersedes (informational, never an invalidation): the earlier transaction"
DISAGREE_NOTE = "providers disagree on the including block's facts; block time is not established"
NO_FACTS_NOTE = (
    "no provider gave the including block's facts: depth, signature, content and file "
    "checks did not run"
)


@dataclass(frozen=True)
class VerifyConfig:
    """Run settings: network the transaction is resolved on, threshold, accepted crit extensions.

    ``network`` is one of ``mainnet``, ``preprod``, ``preview``, ``devnet`` (InputError
    otherwise): it fixes the wallet-address header (``0xe1`` on mainnet, ``0xe0`` on the
    others), so an unrecognised spelling must not silently select the testnet header.
    ``trust`` names the endpoints whose block facts settle a disagreement
    (``--trust-provider``); ``signer_pins`` the lower-case hex Ed25519 keys one of which
    must have signed (``--signer``).
    """

    network: str
    min_confirmations: int = DEFAULT_MIN_CONFIRMATIONS
    supported_critical_extensions: frozenset[str] = frozenset()
    trust: tuple[str, ...] = ()
    signer_pins: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.network not in NETWORKS:
            raise InputError(
                f"unknown network {self.network!r}: expected one of {', '.join(NETWORKS)}"
            )


@dataclass(frozen=True)
class BlockInfo:
    """Entry point B's block facts: depth, block time (POSIX s), optionally slot/height/hash."""

    confirmation_depth: int
    block_time: int
    block_slot: int | None = None
    block_height: int | None = None
    block_hash: str | None = None


@dataclass
class Evidence:
    """Out-of-band material: content bytes per item/commitment, files to check, proof sources.

    ``expect_content`` is True for a bundle run: the commitment floor then applies (no
    content commitment verified → ``unverifiable``). ``bundle_observations`` are the
    block facts the bundle states besides ``chain-facts.json`` (``anchor.json``, proof
    ``anchor`` objects); ``references`` the ``(source, tx hash)`` pairs the bundle's files
    name, which must be the transaction verified. A ``merkle[i]`` without its
    leaves-list is reported (``MERKLE_LEAVES_UNAVAILABLE``) in every run, since this
    verifier never fetches one (docs/adr/0005).
    """

    item_bytes: Mapping[int, bytes] = field(default_factory=dict)
    leaves_bytes: Mapping[int, bytes] = field(default_factory=dict)
    files: Sequence[tuple[str, bytes]] = ()
    proofs: ProofIndex = field(default_factory=ProofIndex)
    expect_content: bool = False
    bundle_observations: Sequence[Observation] = ()
    references: Sequence[tuple[str, str]] = ()
    manifest_items: Mapping[int, ManifestItem] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Context:
    network: str
    tx_hash: str | None
    mode: str
    audit_trail: tuple[dict[str, Any], ...] = ()
    attempts: tuple[dict[str, str], ...] = ()
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()


def _aligned(body: bytes | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``not_checked`` for every item and commitment of a decodable record, else empty."""
    if body is None:
        return (), ()
    try:
        record = cbor.decode(body)
    except cbor.CborError:
        return (), ()
    items = record.get("items") if isinstance(record, cbor.CborMap) else None
    merkle = record.get("merkle") if isinstance(record, cbor.CborMap) else None
    n_items = len(items) if isinstance(items, list) else 0
    n_merkle = len(merkle) if isinstance(merkle, list) else 0
    return (NOT_CHECKED,) * n_items, (NOT_CHECKED,) * n_merkle


def _not_checked(files: Sequence[tuple[str, bytes]], why: str) -> tuple[FileEntry, ...]:
    return tuple(FileEntry(n, d.hex(), None, False, FILE_NOT_CHECKED, None, why) for n, d in files)


def _report(
    ctx: _Context,
    config: VerifyConfig,
    issues: Iterable[Issue],
    *,
    facts: CombinedFacts | None = None,
    body: bytes | None = None,
    items: tuple[str, ...] | None = None,
    merkle: tuple[str, ...] | None = None,
    signatures: tuple[SignatureEntry, ...] = (),
    files: tuple[FileEntry, ...] = (),
    notes: tuple[str, ...] = (),
    floor_unmet: bool = False,
    steps: Mapping[str, str] | None = None,
    extension_keys: tuple[str, ...] = (),
    findings: tuple[Finding, ...] = (),
) -> VerifyReport:
    all_issues = sort_issues(tuple(issues))
    all_findings = (*ctx.findings, *findings)
    verdict = decide(
        all_issues,
        file_codes=[f.code for f in files],
        floor_unmet=floor_unmet,
        findings=[(f.code, f.effect) for f in all_findings],
    )
    if facts is not None and not facts.established and verdict == "valid":
        verdict = "unverifiable"
    if items is None or merkle is None:
        items, merkle = _aligned(body)
    roots: tuple[str, ...] = ()
    if body is not None:
        try:
            roots = tuple(m.root.hex() for m in record_commitments(cbor.decode(body)))
        except (cbor.CborError, KeyError, TypeError, ValueError):
            roots = ()
    with_facts = facts is not None and facts.depth is not None and facts.depth >= 1
    if verdict in ("valid", "pending") and not with_facts:
        verdict = "unverifiable"  # the schema needs chain facts for these verdicts
    return VerifyReport(
        verdict=verdict,
        network=f"cardano:{ctx.network}",
        tx_hash=ctx.tx_hash,
        issues=all_issues,
        items=items,
        merkle=merkle,
        audit_trail=ctx.audit_trail,
        confirmation_threshold=config.min_confirmations,
        confirmation_depth=facts.depth if with_facts and facts is not None else None,
        block_time=facts.block_time if facts is not None else None,
        block_slot=facts.block_slot if facts is not None else None,
        block_height=facts.block_height if facts is not None else None,
        block_hash=facts.block_hash if facts is not None else None,
        signatures=signatures,
        files=files,
        chain_facts=(
            ChainFactsSummary(
                tuple(o.to_json() for o in facts.observations),
                facts.disagreements,
                source=facts.source,
                trusted=facts.trusted,
            )
            if facts is not None
            else None
        ),
        merkle_roots=roots,
        notes=(*ctx.notes, *notes),
        mode=ctx.mode,
        steps=dict(steps or {}),
        attempts=ctx.attempts,
        extension_keys=extension_keys,
        findings=all_findings,
        signer_pins=config.signer_pins,
        record_signed=_record_signed(body),
    )


def _record_signed(body: bytes | None) -> bool | None:
    """Whether the record carries any ``sigs`` entry (None when it does not decode)."""
    if body is None:
        return None
    try:
        record = cbor.decode(body)
    except cbor.CborError:
        return None
    sigs = record.get("sigs") if isinstance(record, cbor.CborMap) else None
    return isinstance(sigs, list) and bool(sigs)


def _run_record(
    body: bytes,
    facts: CombinedFacts | Issue,
    config: VerifyConfig,
    evidence: Evidence,
    ctx: _Context,
) -> VerifyReport:
    """Steps 4-7 over a bound, reassembled record body.

    ``facts`` is the including block's facts, or the issue saying why no provider gave
    them: structural validation still runs first, so a malformed record is ``failed``;
    a sound one stops before the depth step as ``unverifiable``.
    """
    steps: dict[str, str] = {"resolve": "ok", "bind": "ok", "reassemble": "ok"}
    structural = validate_body(
        body, supported_critical_extensions=config.supported_critical_extensions
    )
    if not structural.ok:
        steps["validate"] = "failed"
        why = "the record failed structural validation"
        return _report(
            ctx,
            config,
            [*structural.issues, facts] if isinstance(facts, Issue) else structural.issues,
            facts=None if isinstance(facts, Issue) else facts,
            body=body,
            files=_not_checked(evidence.files, why),
            steps=steps,
            extension_keys=structural.extension_keys,
        )
    steps["validate"] = "ok"
    issues: list[Issue] = list(structural.issues)
    notes: list[str] = []
    ext = structural.extension_keys
    record = cbor.decode(body)
    prior = record.get("supersedes")
    if isinstance(prior, bytes):
        notes.append(f"{SUPERSEDES_NOTE} {prior.hex()} was not looked up")
    if isinstance(facts, Issue):
        steps["confirmations"] = "unavailable"
        notes.append(NO_FACTS_NOTE)
        return _report(
            ctx,
            config,
            [*issues, facts],
            body=body,
            notes=tuple(notes),
            files=_not_checked(evidence.files, NO_FACTS_NOTE),
            steps=steps,
            extension_keys=ext,
        )
    if not facts.established:
        notes.append(DISAGREE_NOTE)
    depth = facts.depth if facts.depth is not None else 0
    if depth < config.min_confirmations:
        steps["confirmations"] = "pending"
        issues.append(
            make_issue(
                c.INSUFFICIENT_CONFIRMATIONS,
                f"confirmation depth {depth} is below the threshold {config.min_confirmations}",
            )
        )
        notes.append(HALTED_NOTE)
        return _report(
            ctx,
            config,
            issues,
            facts=facts,
            body=body,
            notes=tuple(notes),
            files=_not_checked(evidence.files, HALTED_NOTE),
            steps=steps,
            extension_keys=structural.extension_keys,
        )
    steps["confirmations"] = "ok"
    signatures, sig_issues = check_signatures(body, network=ctx.network)
    signatures, pin_findings = pin_signers(signatures, config.signer_pins)
    issues.extend(sig_issues)
    steps["signatures"] = "failed" if sig_issues or pin_findings else "ok"
    if not config.signer_pins:
        notes.append(SIGNER_NOT_PINNED_NOTE)
    commitments = record_commitments(record)
    content = check_content(
        record, item_bytes=evidence.item_bytes, leaves_bytes=evidence.leaves_bytes
    )
    proofs = evidence.proofs
    proofs.tree = content.trees.get(0)
    proofs.item_digests = {
        item_digests(item)["sha2-256"]: j
        for j, item in enumerate(record_items(record))
        if "sha2-256" in item_digests(item)
    }
    files = check_files(evidence.files, proofs, commitments[0] if commitments else None)
    if content.items[:1] == ("checked",):
        files = annotate_files(files, evidence.manifest_items)
    files_ok = any(f.inclusion_ok for f in files)
    issues.extend(content.issues)
    verified = content.any_checked or files_ok
    issues.extend(leaves_unavailable(content.missing_leaves, verified=verified))
    steps["content"] = "checked" if content.any_checked else "not_checked"
    steps["files"] = "ok" if all(f.inclusion_ok for f in files) else "failed"
    floor_unmet = evidence.expect_content and not verified
    return _report(
        ctx,
        config,
        issues,
        facts=facts,
        body=body,
        items=content.items,
        merkle=content.merkle,
        signatures=signatures,
        files=files,
        notes=tuple(notes),
        floor_unmet=floor_unmet,
        steps=steps,
        extension_keys=ext,
        findings=pin_findings,
    )


def _served_by(resolution: Resolution) -> str:
    """Who served the bound transaction bytes (the provider's name and URL, or the file)."""
    if resolution.served_by:
        return resolution.served_by
    for a in resolution.attempts:
        if a.step == "fetch" and a.outcome == "bound":
            return a.provider
    return "tx.cbor"


def _assess(
    resolution: Resolution,
    observations: list[Observation],
    config: VerifyConfig,
    evidence: Evidence,
    ctx: _Context,
) -> tuple[CombinedFacts | None, _Context]:
    """Trust-boundary checks on the bound transaction and its facts (see anchor.verify.trust)."""
    tx = read_tx_facts(resolution.tx_bytes) if resolution.tx_bytes is not None else TxFacts()
    assessed = assess_facts(
        observations,
        evidence.bundle_observations,
        tx,
        clock=clock_for(config.network, resolution.system_start),
        trust=config.trust,
        served_by=_served_by(resolution),
    )
    disputed = any(
        d.get("field") == "is_valid"
        for d in (assessed.facts.disagreements if assessed.facts else ())
    )
    findings = (
        *resolution.findings,
        *assess_tx(
            tx, config.network, ctx.tx_hash, evidence.references, is_valid_disputed=disputed
        ),
        *assessed.findings,
    )
    return assessed.facts, replace(
        ctx, findings=(*ctx.findings, *findings), notes=(*ctx.notes, *assessed.notes)
    )


def _after_resolution(
    resolution: Resolution,
    facts_override: Sequence[Observation] | None,
    config: VerifyConfig,
    evidence: Evidence,
    ctx: _Context,
) -> VerifyReport:
    steps = {"resolve": "ok"}
    bound = resolution.bound
    if bound is None:
        issue = resolution.issue or make_issue(c.PROVIDER_UNAVAILABLE, "no transaction")
        steps["resolve"] = "failed"
        return _report(
            ctx, config, [issue], files=_not_checked(evidence.files, "no record"), steps=steps
        )
    observations = list(facts_override) if facts_override else list(resolution.observations)
    combined, ctx = _assess(resolution, observations, config, evidence, ctx)
    facts: CombinedFacts | Issue = (
        combined
        if combined is not None
        else resolution.issue or make_issue(c.PROVIDER_UNAVAILABLE, NO_FACTS_NOTE)
    )
    if isinstance(bound, BindFailed):
        steps.update(bind="ok", reassemble="failed")
        issues = [make_issue(bound.code, bound.reason)]
        issues += [facts] if isinstance(facts, Issue) else []
        return _report(
            ctx, config, issues, files=_not_checked(evidence.files, "no record"), steps=steps
        )
    return _run_record(bound.record_body, facts, config, evidence, ctx)


def verify_tx(
    tx_hash: str,
    readers: Sequence[ChainReader],
    *,
    config: VerifyConfig,
    evidence: Evidence | None = None,
    audit_trail: Callable[[], list[dict[str, Any]]] | None = None,
) -> VerifyReport:
    """Entry point A: resolve ``tx_hash`` over ``readers`` (in order, with fallback) and verify.

    ``audit_trail`` is a zero-argument callable returning the egress trail (read after
    the run); the readers must have been built over that egress.
    """
    resolution = resolve_online(tx_hash, readers, network=config.network)
    return _finish(resolution, None, config, evidence or Evidence(), "online", audit_trail)


def verify_tx_bytes(
    tx_hash: str,
    tx_bytes: bytes,
    observations: Sequence[Observation],
    *,
    config: VerifyConfig,
    evidence: Evidence | None = None,
    source: str = "tx.cbor",
) -> VerifyReport:
    """Offline: bind ``tx_bytes`` to ``tx_hash``; block facts are the given observations."""
    resolution = bind_offline(tx_hash, tx_bytes, source=source)
    return _finish(resolution, observations, config, evidence or Evidence(), "offline", None)


def _finish(
    resolution: Resolution,
    observations: Sequence[Observation] | None,
    config: VerifyConfig,
    evidence: Evidence,
    mode: str,
    audit_trail: Callable[[], list[dict[str, Any]]] | None,
) -> VerifyReport:
    ctx = _Context(
        network=config.network,
        tx_hash=resolution.tx_hash,
        mode=mode,
        attempts=tuple(a.to_json() for a in resolution.attempts),
        notes=evidence.notes,
    )
    report = _after_resolution(resolution, observations, config, evidence, ctx)
    if audit_trail is None:
        return report
    return replace(report, audit_trail=tuple(audit_trail()))


def verify_record_bytes(
    label309_value_or_body: bytes,
    block_info: BlockInfo,
    *,
    config: VerifyConfig,
    evidence: Evidence | None = None,
    tx_hash: str | None = None,
) -> VerifyReport:
    """Entry point B: a label-309 value (chunk array) or a record body, plus block facts.

    An array is reassembled first (carriage errors → ``failed``); anything else is
    taken as the record body itself.
    """
    data = bytes(label309_value_or_body)
    ctx = _Context(network=config.network, tx_hash=tx_hash, mode="record-bytes")
    evidence = evidence or Evidence()
    if data and data[0] >> 5 == 4:
        try:
            data = reassemble(data)
        except CarriageError as exc:
            return _report(ctx, config, [make_issue(exc.code, exc.detail)])
    observation = Observation(
        provider="block_info",
        block_height=block_info.block_height,
        block_hash=block_info.block_hash,
        block_slot=block_info.block_slot,
        block_time=block_info.block_time,
        depth=block_info.confirmation_depth,
    )
    facts = combine([observation])
    return _run_record(data, facts, config, evidence, ctx)
