"""The verifier's trust boundary: what a run believes about the chain, the network and the signer.

Everything here turns untrusted statements into :class:`~anchor.verify.report.Finding`
values (codes of our own, docs/exit-codes.md) without I/O:

* :func:`assess_facts` — block facts against the bound transaction and each other:
  facts that contradict the transaction (slot outside its validity interval, block
  time that is not the slot's time) are dropped; what remains is compared endpoint by
  endpoint (``CHAIN_FACTS_DISAGREE`` unless ``--trust-provider`` settles it); the
  bundle's own statements (``anchor.json``, proof ``anchor`` objects) are compared too;
* :func:`assess_tx` — the bound transaction against the claimed network
  (``TX_NETWORK_MISMATCH``) and its ``is_valid`` flag (``TX_MARKED_INVALID``), and the
  bundle's references to a transaction (``TX_REFERENCE_MISMATCH``);
* :func:`pin_signers` — ``--signer``: a verified signature by a pinned key, or
  ``SIGNER_NOT_EXPECTED``;
* :func:`annotate_files` — the manifest item each file matched, and tamper hints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from anchor.verify.chainfacts import SOURCE_PROVIDER, CombinedFacts, Observation, combine
from anchor.verify.report import FileEntry, Finding, SignatureEntry
from anchor.verify.txfacts import (
    CLOCKS,
    TX_MARKED_INVALID,
    TX_NETWORK_MISMATCH,
    SlotClock,
    TxFacts,
    devnet_clock,
    fact_contradiction,
    network_contradiction,
)
from anchor.verify.verdict import (
    CHAIN_FACTS_DISAGREE,
    EFFECT_FAILED,
    EFFECT_UNVERIFIABLE,
    EFFECT_WARNING,
    SIGNER_NOT_EXPECTED,
    TX_REFERENCE_MISMATCH,
)

BUNDLE_FACTS_NOTE = (
    "block time and depth from the bundle, not authenticated: anyone could have edited "
    "them (verify --online to confirm them with providers you choose)"
)
SIGNER_NOT_PINNED_NOTE = (
    "signer not pinned: pass --signer KEY (the publisher's `anchor keys show` output) to "
    "require a signature by the key you expect"
)


@dataclass(frozen=True)
class FactsAssessment:
    """The facts a run uses (None when none survived), and what was found on the way."""

    facts: CombinedFacts | None
    findings: tuple[Finding, ...]
    notes: tuple[str, ...]


def clock_for(network: str, devnet_system_start: int | None) -> SlotClock | None:
    """The slot clock of ``network`` (the devnet's only when its system start is known)."""
    if network == "devnet":
        return devnet_clock(devnet_system_start)
    return CLOCKS.get(network)


def _is_valid_disagreement(
    obs: Sequence[Observation], tx: TxFacts, served_by: str
) -> dict[str, Any] | None:
    """An ``is_valid`` claim that differs from the flag in the transaction bytes."""
    if tx.is_valid is None:
        return None
    claims = {o.label: o.is_valid for o in obs if o.is_valid is not None}
    if all(v == tx.is_valid for v in claims.values()):
        return None
    return {
        "field": "is_valid",
        "values": {f"transaction bytes ({served_by})": tx.is_valid, **claims},
    }


def assess_facts(
    observations: Sequence[Observation],
    bundle_observations: Sequence[Observation],
    tx: TxFacts,
    *,
    clock: SlotClock | None,
    trust: tuple[str, ...] = (),
    served_by: str = "tx.cbor",
) -> FactsAssessment:
    """Drop facts the transaction contradicts, compare the rest, say where they came from.

    ``observations`` are the facts the run relies on (providers online, the chain-facts
    file offline); ``bundle_observations`` are the bundle's other statements: offline they
    join the comparison, online a difference from the providers is only a warning.
    """
    online = any(o.source == SOURCE_PROVIDER for o in observations)
    relied = list(observations) if online else [*observations, *bundle_observations]
    findings: list[Finding] = []
    kept: list[Observation] = []
    contradicted: list[tuple[str, str]] = []
    for o in relied:
        why = fact_contradiction(o, tx, clock)
        if why is None:
            kept.append(o)
        else:
            contradicted.append(why)
    effect = EFFECT_WARNING if kept else EFFECT_UNVERIFIABLE
    findings.extend(Finding(code, effect, why) for code, why in contradicted)
    if not relied:
        return FactsAssessment(None, tuple(findings), ())
    facts = combine(kept or relied, trust=trust)
    extra = _is_valid_disagreement(facts.observations, tx, served_by)
    if extra is not None:  # it replaces the providers-only is_valid comparison
        others = tuple(d for d in facts.disagreements if d["field"] != "is_valid")
        # settled only when every trusted endpoint states the flag the bytes carry
        chosen = [o for o in facts.observations if o.label in facts.trusted]
        settled = bool(chosen) and all(o.is_valid == tx.is_valid for o in chosen)
        facts = replace(
            facts, disagreements=(*others, extra), trusted=facts.trusted if settled else ()
        )
    if facts.disagreements:
        listed = "; ".join(
            f"{d['field']}: " + ", ".join(f"{k}={v}" for k, v in d["values"].items())
            for d in facts.disagreements
        )
        if facts.established:
            msg = f"endpoints disagree ({listed}); facts of {', '.join(facts.trusted)} used"
            findings.append(Finding(CHAIN_FACTS_DISAGREE, EFFECT_WARNING, msg))
        else:
            findings.append(Finding(CHAIN_FACTS_DISAGREE, EFFECT_UNVERIFIABLE, listed))
    if online and facts.established:  # unsettled, there are no provider facts to differ from
        findings.extend(_bundle_differs(facts, bundle_observations))
    notes = () if facts.source == SOURCE_PROVIDER else (BUNDLE_FACTS_NOTE,)
    return FactsAssessment(facts, tuple(findings), notes)


def _bundle_differs(facts: CombinedFacts, bundle: Sequence[Observation]) -> list[Finding]:
    out: list[Finding] = []
    for o in bundle:
        fields = [
            name
            for name in ("block_height", "block_hash", "block_slot", "block_time")
            if getattr(o, name) is not None and getattr(o, name) != getattr(facts, name)
        ]
        if fields:
            msg = f"{o.label} states other block facts than the providers ({', '.join(fields)})"
            out.append(Finding(CHAIN_FACTS_DISAGREE, EFFECT_WARNING, msg))
    return out


def assess_tx(
    tx: TxFacts,
    network: str,
    tx_hash: str | None,
    references: Sequence[tuple[str, str]],
    *,
    is_valid_disputed: bool,
) -> tuple[Finding, ...]:
    """Findings about the bound transaction itself and the bundle's references to it."""
    findings: list[Finding] = []
    why = network_contradiction(tx, network)
    if why is not None:
        findings.append(Finding(TX_NETWORK_MISMATCH, EFFECT_FAILED, f"not a {network} tx: {why}"))
    if tx.is_valid is False and not is_valid_disputed:
        msg = "the transaction is marked is_valid = false (phase-2 failure): it anchors nothing"
        findings.append(Finding(TX_MARKED_INVALID, EFFECT_FAILED, msg))
    for source, named in references:
        if tx_hash is not None and named.lower() != tx_hash:
            msg = f"{source} names transaction {named}, not the one verified ({tx_hash})"
            findings.append(Finding(TX_REFERENCE_MISMATCH, EFFECT_UNVERIFIABLE, msg))
    return tuple(findings)


def pin_signers(
    signatures: tuple[SignatureEntry, ...], pins: tuple[str, ...]
) -> tuple[tuple[SignatureEntry, ...], tuple[Finding, ...]]:
    """Mark each signature as expected or not; ``SIGNER_NOT_EXPECTED`` unless a pinned key signed."""
    if not pins:
        return signatures, ()
    marked: list[SignatureEntry] = []
    for s in signatures:
        expected = s.signer_public_key in pins if s.signer_public_key else False
        code = s.code
        if s.ok and not expected:
            code = SIGNER_NOT_EXPECTED
        marked.append(replace(s, expected=expected, code=code))
    if any(s.ok and s.expected for s in marked):
        return tuple(marked), ()
    verified = [s.signer_public_key for s in marked if s.ok and s.signer_public_key]
    if verified:
        why = f"signed by {', '.join(verified)}, none of the --signer keys"
    elif marked:
        why = "no signature verified, so none by a --signer key"
    else:
        why = "the record is not signed; --signer requires a signature"
    return tuple(marked), (Finding(SIGNER_NOT_EXPECTED, EFFECT_FAILED, why),)


@dataclass(frozen=True)
class ManifestItem:
    """A manifest item as the file rows name it."""

    name: str
    kind: str | None
    sha256: str | None


def annotate_files(
    files: tuple[FileEntry, ...], items: Mapping[int, ManifestItem]
) -> tuple[FileEntry, ...]:
    """Name each file's matched item (by leaf index); warn on renamed copies and name clashes."""
    if not items:
        return files
    by_name: dict[str, list[ManifestItem]] = {}
    for item in items.values():
        by_name.setdefault(os.path.basename(item.name), []).append(item)
    out: list[FileEntry] = []
    for f in files:
        warnings: list[str] = []
        matched = items.get(f.leaf_index) if f.leaf_index is not None and f.inclusion_ok else None
        base = os.path.basename(f.name)
        if f.name.startswith("sha256:"):
            base = ""
        if matched is not None and base and base != os.path.basename(matched.name):
            warnings.append(f"file name {base!r} differs from the matched item {matched.name!r}")
        for same in by_name.get(base, []) if base else []:
            if same.sha256 is not None and same.sha256 != f.sha256:
                warnings.append(
                    f"item {same.name!r} has the same name but another digest (tamper hint)"
                )
        out.append(
            replace(
                f,
                item_name=matched.name if matched else None,
                item_kind=matched.kind if matched else None,
                warnings=tuple(warnings),
            )
        )
    return tuple(out)
