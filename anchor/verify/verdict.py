"""Verdict precedence (BRIEF §7.7) over the issues of a run, plus our per-file outcomes.

The standard's order, applied to error-severity issues only (a warning or info never
decides a verdict, and nothing is softened to make a record pass):

1. resolution or binding failure (``TX_NOT_FOUND``, ``PROVIDER_UNAVAILABLE``,
   ``TX_INTEGRITY_MISMATCH``) → ``unverifiable``: there is no record;
2. carriage, metadata or structural failure (Part A and carriage codes,
   ``METADATA_NOT_FOUND``) → ``failed``. These codes only arise from a bound
   transaction; next to ``PROVIDER_UNAVAILABLE`` (its block facts could not be had)
   they still win, because validation precedes the depth step;
   so do our findings that the bound transaction itself condemns
   (``TX_NETWORK_MISMATCH``, ``TX_MARKED_INVALID``): they need no block facts;
3. ``INSUFFICIENT_CONFIRMATIONS`` present → ``pending``, or ``unverifiable`` when a
   finding left the block facts unestablished (a depth from such facts is no depth);
4. any record-attributable error → ``failed`` (integrity beats availability);
   our per-file codes that prove a file is not the anchored item, and
   ``SIGNER_NOT_EXPECTED``, count here (they only arise once the depth step passed);
5. a finding that leaves the block facts unestablished (``CHAIN_FACTS_DISAGREE``,
   ``TX_REFERENCE_MISMATCH``, ``SLOT_OUTSIDE_VALIDITY``, ``BLOCK_TIME_SLOT_MISMATCH``)
   → ``unverifiable``;
6. any other error (network or policy class), or a file whose inclusion could not
   be established → ``unverifiable``;
7. the commitment floor unmet (content checking ran, nothing was verified) →
   ``unverifiable``;
8. otherwise ``valid``.

Findings carry their effect (``failed``, ``unverifiable``, ``warning``); the codes are
listed in docs/exit-codes.md.
"""

from __future__ import annotations

from collections.abc import Iterable

from anchor.label309 import codes as c
from anchor.label309.codes import Issue

RESOLUTION_CODES = frozenset({c.TX_NOT_FOUND, c.PROVIDER_UNAVAILABLE, c.TX_INTEGRITY_MISMATCH})
STRUCTURAL_CODES = frozenset(
    {info.code for info in c.REGISTRY if info.part in ("A", "carriage")} | {c.METADATA_NOT_FOUND}
)
RECORD_ATTRIBUTABLE_CODES = frozenset(
    {
        c.SIGNATURE_INVALID,
        c.SIGNER_KEY_UNRESOLVED,
        c.WALLET_ADDRESS_MISMATCH,
        c.URI_INTEGRITY_MISMATCH,
        c.MERKLE_ROOT_MISMATCH,
        c.SCHEMA_MERKLE_LEAF_COUNT_MISMATCH,
        c.SCHEMA_MERKLE_LEAVES_FORMAT_UNSUPPORTED,
        c.SCHEMA_MERKLE_LEAVES_MALFORMED,
        c.MERKLE_UNSUPPORTED,
        c.SERVICE_INDEPENDENCE_VIOLATION,
    }
)

# Per-file codes (report ``files[]``, never ``issues[]``; see docs/adr/0005).
FILE_NOT_IN_TREE = "FILE_NOT_IN_TREE"
FILE_DIGEST_MISMATCH = "FILE_DIGEST_MISMATCH"
INCLUSION_PROOF_INVALID = "INCLUSION_PROOF_INVALID"
FILE_PROOF_UNAVAILABLE = "FILE_PROOF_UNAVAILABLE"
FILE_NOT_CHECKED = "NOT_CHECKED"
FILE_FAILED_CODES = frozenset({FILE_NOT_IN_TREE, FILE_DIGEST_MISMATCH, INCLUSION_PROOF_INVALID})
FILE_UNVERIFIABLE_CODES = frozenset({FILE_PROOF_UNAVAILABLE})

# Run findings (report ``findings[]``; docs/exit-codes.md).
SIGNER_NOT_EXPECTED = "SIGNER_NOT_EXPECTED"
CHAIN_FACTS_DISAGREE = "CHAIN_FACTS_DISAGREE"
TX_REFERENCE_MISMATCH = "TX_REFERENCE_MISMATCH"
PROVIDER_WRONG_NETWORK = "PROVIDER_WRONG_NETWORK"
TX_FAILED_FINDINGS = frozenset({"TX_NETWORK_MISMATCH", "TX_MARKED_INVALID"})
EFFECT_FAILED = "failed"
EFFECT_UNVERIFIABLE = "unverifiable"
EFFECT_WARNING = "warning"


def decide(
    issues: Iterable[Issue],
    *,
    file_codes: Iterable[str | None] = (),
    floor_unmet: bool = False,
    findings: Iterable[tuple[str, str]] = (),
) -> str:
    """The verdict for a run's issues, per-file codes and ``(code, effect)`` findings."""
    all_issues = list(issues)
    errors = {i.code for i in all_issues if i.severity == "error"}
    present = {i.code for i in all_issues}
    files = {code for code in file_codes if code}
    found = list(findings)
    tx_failed = any(e == EFFECT_FAILED and code in TX_FAILED_FINDINGS for code, e in found)
    run_failed = any(e == EFFECT_FAILED for _code, e in found)
    facts_unverifiable = any(e == EFFECT_UNVERIFIABLE for _code, e in found)
    # Structural codes exist only once a transaction was resolved and bound, so they
    # can meet a resolution code only when the bound record's block facts were
    # unavailable (PROVIDER_UNAVAILABLE): validation precedes the depth step, the
    # record is provably malformed, hence ``failed``.
    if errors & STRUCTURAL_CODES or tx_failed:
        return "failed"
    if errors & RESOLUTION_CODES:
        return "unverifiable"
    if c.INSUFFICIENT_CONFIRMATIONS in present:
        # a depth from unestablished facts is no depth
        return "unverifiable" if facts_unverifiable else "pending"
    if errors & RECORD_ATTRIBUTABLE_CODES or files & FILE_FAILED_CODES or run_failed:
        return "failed"
    if facts_unverifiable:
        return "unverifiable"
    if errors or files & FILE_UNVERIFIABLE_CODES:
        return "unverifiable"
    if floor_unmet:
        return "unverifiable"
    return "valid"


def make_issue(
    code: str,
    message: str,
    *,
    path: tuple[str | int, ...] = (),
    severity: c.Severity | None = None,
) -> Issue:
    """An issue with the registry's default severity unless one is given (for dual codes)."""
    return Issue(
        path=path, code=code, severity=severity or c.default_severity(code), message=message
    )
