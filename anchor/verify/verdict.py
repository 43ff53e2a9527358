"""Verdict precedence (BRIEF §7.7) over the issues of a run, plus our per-file outcomes.

The standard's order, applied to error-severity issues only (a warning or info never
decides a verdict, and nothing is softened to make a record pass):

1. resolution or binding failure (``TX_NOT_FOUND``, ``PROVIDER_UNAVAILABLE``,
   ``TX_INTEGRITY_MISMATCH``) → ``unverifiable``: there is no record;
2. carriage, metadata or structural failure (Part A and carriage codes,
   ``METADATA_NOT_FOUND``) → ``failed``. These codes only arise from a bound
   transaction; next to ``PROVIDER_UNAVAILABLE`` (its block facts could not be had)
   they still win, because validation precedes the depth step;
3. ``INSUFFICIENT_CONFIRMATIONS`` present → ``pending``;
4. any record-attributable error → ``failed`` (integrity beats availability);
   our per-file codes that prove a file is not the anchored item count here;
5. any other error (network or policy class), or a file whose inclusion could not
   be established → ``unverifiable``;
6. the commitment floor unmet (content checking ran, nothing was verified) →
   ``unverifiable``;
7. otherwise ``valid``.
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


def decide(
    issues: Iterable[Issue],
    *,
    file_codes: Iterable[str | None] = (),
    floor_unmet: bool = False,
) -> str:
    """The verdict for a run's issues and per-file codes, by the standard's precedence."""
    all_issues = list(issues)
    errors = {i.code for i in all_issues if i.severity == "error"}
    present = {i.code for i in all_issues}
    files = {code for code in file_codes if code}
    # Structural codes exist only once a transaction was resolved and bound, so they
    # can meet a resolution code only when the bound record's block facts were
    # unavailable (PROVIDER_UNAVAILABLE): validation precedes the depth step, the
    # record is provably malformed, hence ``failed``.
    if errors & STRUCTURAL_CODES:
        return "failed"
    if errors & RESOLUTION_CODES:
        return "unverifiable"
    if c.INSUFFICIENT_CONFIRMATIONS in present:
        return "pending"
    if errors & RECORD_ATTRIBUTABLE_CODES or files & FILE_FAILED_CODES:
        return "failed"
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
