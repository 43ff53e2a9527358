"""The verify report: the standard's verify-report JSON plus our per-file and per-signature results.

:class:`VerifyReport` is a frozen value built once at the end of a run. :meth:`to_json`
gives the document ``anchor verify --json`` prints; it satisfies
``schemas/verify-report.schema.json`` (verdict/exitCode pairing, chain facts under
``valid``/``pending``, explicit non-error severities under ``valid``, positionally
aligned ``items[]``/``merkle[]``, a complete ``auditTrail``) and adds:

* ``profile`` and ``verifier`` — the conformance profile this verifier implements;
* ``tx_hash``, ``block_height``, ``block_hash``, ``chainFacts`` (per-provider facts and
  any disagreement between providers);
* ``signatures[]`` — ``{index, signerType, signerPublicKey, alg, ok, code}`` (§5.13);
* ``files[]`` — ``{name, sha2-256, leaf_index, inclusion_ok, code}``;
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

PROFILE = "sealed"
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
class SignatureEntry:
    """Result for ``sigs[index]``: who signed (key shown, never a name) and whether it verified."""

    index: int
    signer_type: str | None
    signer_public_key: str | None
    alg: int | None
    ok: bool
    code: str | None

    def to_json(self) -> dict[str, Any]:
        """Report form (camelCase as in §5.13)."""
        return {
            "index": self.index,
            "signerType": self.signer_type,
            "signerPublicKey": self.signer_public_key,
            "alg": self.alg,
            "ok": self.ok,
            "code": self.code,
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

    def to_json(self) -> dict[str, Any]:
        """Report form."""
        return {
            "name": self.name,
            "sha2-256": self.sha256,
            "leaf_index": self.leaf_index,
            "inclusion_ok": self.inclusion_ok,
            "code": self.code,
            "proofSource": self.proof_source,
            "message": self.message,
        }


@dataclass(frozen=True)
class ChainFactsSummary:
    """Block facts per provider and the fields on which providers disagree."""

    observations: tuple[dict[str, Any], ...] = ()
    disagreements: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Report form."""
        return {
            "observations": [dict(o) for o in self.observations],
            "disagreements": [dict(d) for d in self.disagreements],
        }


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

    @property
    def exit_code(self) -> int:
        """0 valid, 1 failed, 2 unverifiable, 3 pending."""
        return VERDICT_EXIT[self.verdict]

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
        doc["files"] = [f.to_json() for f in self.files]
        if self.chain_facts is not None:
            doc["chainFacts"] = self.chain_facts.to_json()
        doc["steps"] = dict(self.steps)
        doc["resolution"] = [dict(a) for a in self.attempts]
        doc["notes"] = list(self.notes)
        return doc
