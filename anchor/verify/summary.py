"""The human summary of a verify report (plain text; the CLI writes it to stderr).

It states what was established and nothing more: the verdict, network, transaction,
block time (UTC and POSIX seconds) and depth, the verified signer keys with the scope
of their signatures ("signature over record body" — never "published by"), the
anchored roots, the content checks, then one line per file with its leaf index and
result, then the issues and notes. Under ``pending`` it says the result is not final.
Every line has its control characters escaped (:func:`anchor.text.printable`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from anchor.text import printable
from anchor.verify.report import VerifyReport

_VERDICT_TEXT = {
    "valid": "VALID",
    "failed": "FAILED",
    "unverifiable": "UNVERIFIABLE",
    "pending": "PENDING (not final)",
}


def utc_text(posix: int) -> str:
    """``2026-01-01T00:00:00Z`` for POSIX seconds."""
    return datetime.fromtimestamp(posix, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _file_lines(report: VerifyReport) -> list[str]:
    if not report.files:
        return []
    lines = ["files:", f"  {'leaf':>6}  {'result':<24}  name"]
    for f in report.files:
        leaf = "-" if f.leaf_index is None else str(f.leaf_index)
        result = "ok" if f.inclusion_ok else (f.code or "failed")
        lines.append(f"  {leaf:>6}  {result:<24}  {f.name}")
    ok = sum(1 for f in report.files if f.inclusion_ok)
    lines.append(f"  {ok} of {len(report.files)} file(s) anchored")
    return lines


def render_summary(report: VerifyReport) -> str:
    """The multi-line summary (no trailing newline)."""
    lines = [f"verdict:      {_VERDICT_TEXT[report.verdict]} (exit {report.exit_code})"]
    if report.network:
        lines.append(f"network:      {report.network}")
    if report.tx_hash:
        lines.append(f"transaction:  {report.tx_hash}")
    if report.block_time is not None:
        lines.append(f"block time:   {utc_text(report.block_time)} ({report.block_time})")
    if report.block_height is not None:
        where = f"block:        height {report.block_height}"
        if report.block_slot is not None:
            where += f", slot {report.block_slot}"
        lines.append(where)
    if report.confirmation_depth is not None:
        lines.append(
            f"depth:        {report.confirmation_depth} (threshold {report.confirmation_threshold})"
        )
    for s in report.signatures:
        state = "verified" if s.ok else f"NOT verified: {s.code}"
        key = s.signer_public_key or "(key unresolved)"
        lines.append(f"signer key:   {key} (signature over record body; {state})")
    for i, root in enumerate(report.merkle_roots):
        status = report.merkle[i] if i < len(report.merkle) else "not_checked"
        lines.append(f"root:         merkle[{i}] {root} (leaves-list {status})")
    for i, status in enumerate(report.items):
        lines.append(f"item:         items[{i}] content {status}")
    lines.extend(_file_lines(report))
    if report.chain_facts is not None and report.chain_facts.disagreements:
        lines.append("providers disagree on block facts:")
        for d in report.chain_facts.disagreements:
            values = ", ".join(f"{k}={v}" for k, v in d["values"].items())
            lines.append(f"  {d['field']}: {values}")
    if report.issues:
        lines.append("issues:")
        for issue in report.issues:
            lines.append(
                f"  [{issue.severity}] {issue.dotted_path()} {issue.code}: {issue.message}"
            )
    for note in report.notes:
        lines.append(f"note: {note}")
    lines.append(f"verifier:     evidence-anchor, profile {'sealed'}, {report.mode}")
    return "\n".join(printable(line) for line in lines)  # a name can never forge a row
