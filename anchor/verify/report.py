"""The verify report: the standard's verify-report JSON plus our per-file and per-signature results.

:class:`VerifyReport` is a frozen value built once at the end of a run. :meth:`to_json`
gives the document ``anchor verify --json`` prints; it satisfies
``schemas/verify-report.schema.json`` (verdict/exitCode pairing, chain facts under
``valid``/``pending``, explicit non-error severities under ``valid``, positionally
aligned ``items[]``/``merkle[]``, a complete ``auditTrail``) and adds:

* ``profile`` and ``verifier`` — the conformance profile this verifier implements;
* ``tx_hash``, ``block_height``, ``block_hash``, ``chainFacts`` (per-endpoint facts, each
  marked with its ``source``: ``bundle`` or ``provider``; any disagreement; the endpoints
  trusted to settle one);
* ``signatures[]`` — ``{index, signerType, signerPublicKey, claimedPublicKey, alg, ok,
  code, expected}`` (§5.13): ``signerPublicKey`` is set only when the signature verified;
* ``signer`` — ``{status, verifiedKeys, pinned, pinMatched}``: ``status`` is always one of
  ``verified``, ``unsigned``, ``no-verified-signature`` or ``not-checked``;
* ``findings[]`` — verifier-run codes of our own (docs/exit-codes.md), never in ``issues[]``;
* ``files[]`` — ``{name, sha2-256, leaf_index, inclusion_ok, code, item, warnings}``;
* ``extensionKeys[]`` — the record's extension keys, surfaced informationally (§10.15);
* ``steps``, ``resolution[]`` — what each pipeline step and each provider did;
* ``notes[]`` — for example which steps did not run under ``pending``.

Issues are :class:`anchor.label309.codes.Issue` values, sorted by the caller with
:func:`anchor.label309.codes.sort_issues` (the standard's mandatory order).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from anchor import __version__
from anchor.label309.codes import Issue
from anchor.label309.standard import PROFILE

VERIFIER_NAME = "evidence-anchor"
VERDICT_EXIT = {"valid": 0, "failed": 1, "unverifiable": 2, "pending": 3}
SEVERITIES = ("error", "warning", "info")


def issue_json(issue: Issue) -> dict[str, Any]:
    """Report form of an issue; the severity is always explicit."""
    return {
        "path": list(issue.path),
        "code": issue.code,
        "severity": issue.severity,
        "message": issue.message,
    }


@dataclass(frozen=True)
class Finding:
    """A verifier-run outcome with a code of our own (not a registry code, so not an issue).

    ``effect`` is what it does to the verdict: ``failed``, ``unverifiable``, or
    ``warning`` (reported, verdict unchanged).
    """

    code: str
    effect: str
    message: str

    def to_json(self) -> dict[str, Any]:
        """Report form."""
        return {"code": self.code, "effect": self.effect, "message": self.message}


@dataclass(frozen=True)
class SignatureEntry:
    """Result for ``sigs[index]``: who signed (key shown, never a name) and whether it verified.

    ``signer_public_key`` is the key the entry names or resolves to; it is reported as
    the signer only when ``ok`` (else as ``claimedPublicKey``). ``expected`` is whether
    the key is one ``--signer`` pinned (None when nothing was pinned).
    """

    index: int
    signer_type: str | None
    signer_public_key: str | None
    alg: int | None
    ok: bool
    code: str | None
    expected: bool | None = None

    @property
    def verified_key(self) -> str | None:
        """The key that provably signed, or None."""
        return self.signer_public_key if self.ok else None

    def to_json(self) -> dict[str, Any]:
        """Report form (camelCase as in §5.13)."""
        return {
            "index": self.index,
            "signerType": self.signer_type,
            "signerPublicKey": self.verified_key,
            "claimedPublicKey": self.signer_public_key,
            "alg": self.alg,
            "ok": self.ok,
            "code": self.code,
            "expected": self.expected,
            "scope": "signature over record body",
        }


@dataclass(frozen=True)
class FileEntry:
    """Result for one file given on the command line."""

    name: str
    sha256: str
    leaf_index: int | None
    inclusion_ok: bool
    code: str | None
    proof_source: str | None = None
    message: str = ""
    item_name: str | None = None
    item_kind: str | None = None
    warnings: tuple[str, ...] = ()
    provenance: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Report form; ``item`` is the manifest item the file matched (None: no manifest item);
        ``provenance`` only when a trust root was given (:mod:`anchor.verify.provenance`)."""
        item = None
        if self.item_name is not None:
            item = {"name": self.item_name, "kind": self.item_kind}
        return {
            "name": self.name,
            "sha2-256": self.sha256,
            "leaf_index": self.leaf_index,
            "inclusion_ok": self.inclusion_ok,
            "code": self.code,
            "proofSource": self.proof_source,
            "message": self.message,
            "item": item,
            "warnings": list(self.warnings),
        } | ({} if self.provenance is None else {"provenance": self.provenance})


@dataclass(frozen=True)
class ChainFactsSummary:
    """Block facts per provider and the fields on which providers disagree."""

    observations: tuple[dict[str, Any], ...] = ()
    disagreements: tuple[dict[str, Any], ...] = ()
    source: str = "bundle"
    trusted: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Report form: ``source`` says where the facts used came from (bundle or provider)."""
        return {
            "source": self.source,
            "observations": [dict(o) for o in self.observations],
            "disagreements": [dict(d) for d in self.disagreements],
            "trusted": list(self.trusted),
        }


SIGNER_VERIFIED = "verified"
SIGNER_UNSIGNED = "unsigned"
SIGNER_NONE_VERIFIED = "no-verified-signature"
SIGNER_NOT_CHECKED = "not-checked"


@dataclass(frozen=True)
class VerifyReport:
    """Everything one verification run established, in report order."""

    verdict: str
    network: str | None
    tx_hash: str | None
    issues: tuple[Issue, ...]
    items: tuple[str, ...]
    merkle: tuple[str, ...]
    audit_trail: tuple[dict[str, Any], ...]
    confirmation_threshold: int
    confirmation_depth: int | None = None
    block_time: int | None = None
    block_slot: int | None = None
    block_height: int | None = None
    block_hash: str | None = None
    signatures: tuple[SignatureEntry, ...] = ()
    files: tuple[FileEntry, ...] = ()
    chain_facts: ChainFactsSummary | None = None
    merkle_roots: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    mode: str = "offline"
    steps: Mapping[str, str] = field(default_factory=dict)
    attempts: tuple[Mapping[str, str], ...] = ()
    extension_keys: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    signer_pins: tuple[str, ...] = ()
    record_signed: bool | None = None
    attestations: tuple[dict[str, Any], ...] | None = None

    @property
    def exit_code(self) -> int:
        """0 valid, 1 failed, 2 unverifiable, 3 pending."""
        return VERDICT_EXIT[self.verdict]

    @property
    def verified_keys(self) -> tuple[str, ...]:
        """Keys whose signature over the record body verified (the only signers shown)."""
        keys = (s.verified_key for s in self.signatures)
        return tuple(dict.fromkeys(k for k in keys if k))

    @property
    def signer_status(self) -> str:
        """``verified``, ``unsigned``, ``no-verified-signature``, or ``not-checked``."""
        if self.steps.get("signatures") not in ("ok", "failed"):
            return SIGNER_UNSIGNED if self.record_signed is False else SIGNER_NOT_CHECKED
        if self.verified_keys:
            return SIGNER_VERIFIED
        return SIGNER_UNSIGNED if not self.signatures else SIGNER_NONE_VERIFIED

    def signer_json(self) -> dict[str, Any]:
        """The ``signer`` member: status, verified keys, the pinned keys and whether one signed."""
        matched: bool | None = None
        if self.signer_pins and self.signer_status != SIGNER_NOT_CHECKED:
            matched = any(k in self.signer_pins for k in self.verified_keys)
        return {
            "status": self.signer_status,
            "verifiedKeys": list(self.verified_keys),
            "pinned": list(self.signer_pins),
            "pinMatched": matched,
        }

    def to_json(self) -> dict[str, Any]:
        """The report document (schema fields first, then our extensions)."""
        doc: dict[str, Any] = {"verdict": self.verdict, "exitCode": self.exit_code}
        if self.network is not None:
            doc["network"] = self.network
        if self.confirmation_depth is not None:
            doc["confirmationDepth"] = self.confirmation_depth
        doc["confirmationThreshold"] = self.confirmation_threshold
        if self.block_time is not None:
            doc["block_time"] = self.block_time
        if self.block_slot is not None:
            doc["block_slot"] = self.block_slot
        doc["issues"] = [issue_json(i) for i in self.issues]
        doc["items"] = [{"contentCheck": c} for c in self.items]
        doc["merkle"] = [{"contentCheck": c} for c in self.merkle]
        doc["auditTrail"] = [dict(e) for e in self.audit_trail]
        doc["profile"] = PROFILE
        doc["verifier"] = {"name": VERIFIER_NAME, "version": __version__, "profile": PROFILE}
        doc["mode"] = self.mode
        doc["tx_hash"] = self.tx_hash
        doc["block_height"] = self.block_height
        doc["block_hash"] = self.block_hash
        doc["merkleRoots"] = list(self.merkle_roots)
        doc["extensionKeys"] = list(self.extension_keys)
        doc["signatures"] = [s.to_json() for s in self.signatures]
        doc["signer"] = self.signer_json()
        doc["findings"] = [f.to_json() for f in self.findings]
        doc["files"] = [f.to_json() for f in self.files]
        if self.chain_facts is not None:
            doc["chainFacts"] = self.chain_facts.to_json()
        doc["steps"] = dict(self.steps)
        doc["resolution"] = [dict(a) for a in self.attempts]
        doc["notes"] = list(self.notes)
        if self.attestations is not None:
            doc["attestations"] = [dict(a) for a in self.attestations]
        return doc
