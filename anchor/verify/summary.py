"""The human summary of a verify report (plain text; the CLI writes it to stderr).

It states what was established and nothing more: the verdict, network, transaction,
block time (UTC and POSIX seconds) with where it came from (``from the bundle, not
authenticated`` unless providers this run asked confirmed it) and depth; always one
signer line — ``signed by K (verified)``, ``not signed`` or ``no verified signature`` —
and whether the signer was pinned (``--signer``); unverified signature entries apart,
marked as such (a key there never signed anything); the anchored roots, the content
checks, one line per file with its leaf index, result and matched item, then findings,
issues and notes. Under ``pending`` it says the result is not final. It never raises
for any report value (a time outside the calendar is shown as a number). Every line
has its control characters escaped (:func:`anchor.text.printable`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from anchor.label309.standard import PROFILE
from anchor.text import printable
from anchor.verify.provenance import provenance_lines
from anchor.verify.report import SIGNER_UNSIGNED, SIGNER_VERIFIED, VerifyReport

_VERDICT_TEXT = {
    "valid": "VALID",
    "failed": "FAILED",
    "unverifiable": "UNVERIFIABLE",
    "pending": "PENDING (not final)",
}


def utc_text(posix: int) -> str:
    """``2026-01-01T00:00:00Z`` for POSIX seconds (``out of range`` when no date has it)."""
    try:
        return datetime.fromtimestamp(posix, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return "out of range"


def _file_lines(report: VerifyReport) -> list[str]:
    if not report.files:
        return []
    lines = ["files:", f"  {'leaf':>6}  {'result':<24}  name"]
    for f in report.files:
        leaf = "-" if f.leaf_index is None else str(f.leaf_index)
        result = "ok" if f.inclusion_ok else (f.code or "failed")
        item = f" (item {f.item_name}, {f.item_kind})" if f.item_name is not None else ""
        lines.append(f"  {leaf:>6}  {result:<24}  {f.name}{item}")
        lines.extend(f"          warning: {w}" for w in f.warnings)
    ok = sum(1 for f in report.files if f.inclusion_ok)
    lines.append(f"  {ok} of {len(report.files)} file(s) anchored")
    return lines


def _signer_lines(report: VerifyReport) -> list[str]:
    """Always one ``signer:`` line; unverified entries apart; the pin, or that there was none."""
    status = report.signer_status
    ran = report.steps.get("signatures") in ("ok", "failed")
    if status == SIGNER_VERIFIED:
        head = [
            f"signer:       signed by {key} (verified; signature over record body)"
            for key in report.verified_keys
        ]
    elif status == SIGNER_UNSIGNED:
        head = ["signer:       not signed (the record carries no signature)"]
    else:
        why = "" if ran else " (the signature step did not run)"
        head = [f"signer:       no verified signature{why}"]
    unverified = [s for s in report.signatures if not s.ok]
    if unverified:
        head.append("unverified signature entries (these keys did NOT sign):")
        head.extend(
            f"  sigs[{s.index}] claims {s.signer_public_key or '(key unresolved)'}: {s.code}"
            for s in unverified
        )
    if report.signer_pins:
        matched = report.signer_json()["pinMatched"]
        state = {True: "a pinned key signed", False: "NO pinned key signed", None: "not checked"}
        head.append(f"signer pin:   {', '.join(report.signer_pins)} ({state[matched]})")
    else:
        head.append("signer pin:   not pinned (pass --signer KEY to require the publisher's key)")
    return head


def render_summary(report: VerifyReport) -> str:
    """The multi-line summary (no trailing newline)."""
    lines = [f"verdict:      {_VERDICT_TEXT[report.verdict]} (exit {report.exit_code})"]
    if report.network:
        lines.append(f"network:      {report.network}")
    if report.tx_hash:
        lines.append(f"transaction:  {report.tx_hash}")
    if report.block_time is not None:
        origin = ""
        if report.chain_facts is not None and report.chain_facts.source == "bundle":
            origin = "; block time from the bundle, not authenticated"
        lines.append(f"block time:   {utc_text(report.block_time)} ({report.block_time}{origin})")
    if report.block_height is not None:
        where = f"block:        height {report.block_height}"
        if report.block_slot is not None:
            where += f", slot {report.block_slot}"
        lines.append(where)
    if report.confirmation_depth is not None:
        lines.append(
            f"depth:        {report.confirmation_depth} (threshold {report.confirmation_threshold})"
        )
    lines.extend(_signer_lines(report))
    for i, root in enumerate(report.merkle_roots):
        status = report.merkle[i] if i < len(report.merkle) else "not_checked"
        lines.append(f"root:         merkle[{i}] {root} (leaves-list {status})")
    for i, status in enumerate(report.items):
        lines.append(f"item:         items[{i}] content {status}")
    lines.extend(_file_lines(report))
    lines.extend(provenance_lines(report))
    if report.findings:
        lines.append("findings:")
        lines.extend(f"  [{f.effect}] {f.code}: {f.message}" for f in report.findings)
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
    lines.append(f"verifier:     evidence-anchor, profile {PROFILE}, {report.mode}")
    return "\n".join(printable(line) for line in lines)  # a name can never forge a row
