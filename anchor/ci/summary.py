"""The job summary: the verify verdict as Markdown tables (GitHub's step summary, GitLab's log).

:func:`render` takes what the stages left (the manifest, the receipt ``anchor.json``, the
verify report) and never raises for any of it being absent or odd: a stage that failed
is said in the heading (``not collected``, ``not anchored``, ``anchored, not verified``)
and the tables show what there is. Names from the bundle are escaped for a Markdown
table cell (:func:`cell`): no character of a file name can end a cell, start a link or
an HTML tag, or break the row. At most :data:`MAX_FILE_ROWS` files are listed.

Pure: values in, text out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from anchor.text import one_line

MAX_FILE_ROWS = 100
_ESCAPED = set("\\`*_[]<>|&~#!")
_VERDICTS = {
    "valid": "VALID",
    "failed": "FAILED",
    "unverifiable": "UNVERIFIABLE",
    "pending": "PENDING (not final)",
}
EXPLORERS = {
    "mainnet": "https://cardanoscan.io/transaction/",
    "preprod": "https://preprod.cardanoscan.io/transaction/",
    "preview": "https://preview.cardanoscan.io/transaction/",
}


@dataclass(frozen=True)
class Facts:
    """What the summary is made of; None for what a stage did not leave."""

    network: str
    bundle: str
    publish: bool
    manifest: Mapping[str, Any] | None = None
    receipt: Mapping[str, Any] | None = None
    report: Mapping[str, Any] | None = None
    archive: str | None = None
    problem: str | None = None  # a settings error: nothing could run


def cell(value: object) -> str:
    """``value`` as the text of one Markdown table cell (one line, punctuation escaped)."""
    text = one_line(str(value))
    return "".join("\\" + c if c in _ESCAPED else c for c in text)


def code(value: object) -> str:
    """``value`` in a code span when it is plain (hex, numbers), else as an escaped cell."""
    text = str(value)
    if text and all(c.isalnum() or c in "-.:/" for c in text):
        return f"`{text}`"
    return cell(text)


def _utc(seconds: object) -> str | None:
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        return None
    try:
        return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None


def _table(rows: Sequence[tuple[str, str]]) -> list[str]:
    return ["| | |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in rows)]


def _heading(facts: Facts) -> str:
    if facts.problem is not None:
        return "not run"
    if facts.report is not None:
        verdict = str(facts.report.get("verdict", ""))
        return _VERDICTS.get(verdict, cell(verdict) or "no verdict")
    if facts.manifest is None:
        return "not collected"
    if not facts.publish:
        return "collected, not published"
    if facts.receipt is None:
        return "not anchored"
    return "anchored, not verified"


def _transaction(facts: Facts, tx: object) -> str:
    text = code(tx)
    link = EXPLORERS.get(facts.network)
    if link and isinstance(tx, str) and len(tx) == 64 and tx.isalnum():
        text += f" ([explorer]({link}{tx}))"
    return text


def _signer(report: Mapping[str, Any]) -> str | None:
    signer = report.get("signer")
    if not isinstance(signer, Mapping):
        return None
    keys = [k for k in signer.get("verifiedKeys") or [] if isinstance(k, str)]
    status = str(signer.get("status", ""))
    if not keys:
        return cell(status or "not checked")
    pinned = " (verified, pinned)" if signer.get("pinMatched") else " (verified, not pinned)"
    return ", ".join(code(k) for k in keys) + pinned


def _fact_rows(facts: Facts) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if facts.report is not None:
        rows.append(("verdict", f"**{_heading(facts)}**"))
    rows.append(("network", cell(facts.network)))
    chain: Mapping[str, Any] = facts.report or facts.receipt or {}
    tx = chain.get("tx_hash")
    if tx is not None:
        rows.append(("transaction", _transaction(facts, tx)))
    height = chain.get("block_height")
    if height is not None:
        when = _utc(chain.get("block_time"))
        rows.append(("block", cell(height) + (f", {when}" if when else "")))
    if facts.report is not None and "confirmationDepth" in facts.report:
        depth = facts.report.get("confirmationDepth")
        rows.append(
            ("depth", f"{cell(depth)} (required {cell(facts.report.get('confirmationThreshold'))})")
        )
    tree = (facts.manifest or {}).get("tree")
    if isinstance(tree, Mapping):
        rows.append(
            ("Merkle root", f"{code(tree.get('root'))} ({cell(tree.get('leaf_count'))} items)")
        )
    if facts.report is not None and (signer := _signer(facts.report)) is not None:
        rows.append(("signer", signer))
    files = (facts.report or {}).get("files")
    if isinstance(files, list):
        ok = sum(1 for f in files if isinstance(f, Mapping) and f.get("inclusion_ok") is True)
        rows.append(("files", f"{ok} of {len(files)} anchored"))
    rows.append(("bundle", code(facts.bundle)))
    if facts.archive:
        rows.append(("release file", code(facts.archive)))
    return rows


def _file_rows(report: Mapping[str, Any]) -> list[str]:
    files = [f for f in report.get("files") or [] if isinstance(f, Mapping)]
    if not files:
        return []
    lines = ["", "| leaf | result | item | kind |", "| ---: | --- | --- | --- |"]
    for f in files[:MAX_FILE_ROWS]:
        leaf = f.get("leaf_index")
        result = "ok" if f.get("inclusion_ok") is True else (f.get("code") or "failed")
        item = f.get("item")
        if not isinstance(item, Mapping):
            item = {}
        name = item.get("name") or f.get("name", "")  # the anchored name, else the file given
        index = "-" if leaf is None else cell(leaf)
        lines.append(f"| {index} | {cell(result)} | {cell(name)} | {cell(item.get('kind', ''))} |")
    if len(files) > MAX_FILE_ROWS:
        lines.append(f"\n{len(files) - MAX_FILE_ROWS} more files: see the verify report.")
    return lines


def _findings(report: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for entry in [*(report.get("findings") or []), *(report.get("issues") or [])]:
        if isinstance(entry, Mapping) and entry.get("code"):
            message = cell(entry.get("message", ""))
            lines.append(
                f"- {code(entry['code'])}: {message}" if message else f"- {code(entry['code'])}"
            )
    return ["", *lines] if lines else []


def render(facts: Facts) -> str:
    """The summary Markdown for ``facts`` (ends in a newline)."""
    lines = [f"## evidence-anchor: {_heading(facts)}", ""]
    if facts.problem is not None:
        lines.append(cell(facts.problem))
        return "\n".join(lines) + "\n"
    lines.extend(_table(_fact_rows(facts)))
    if facts.report is not None:
        lines.extend(_file_rows(facts.report))
        lines.extend(_findings(facts.report))
    elif facts.manifest is None:
        lines += ["", "The evidence was not collected: see the log of the collect step."]
    elif facts.publish and facts.receipt is None:
        lines += ["", "The bundle was not anchored: see the log of the publish step."]
    elif facts.receipt is not None:
        lines += ["", "The anchor was not verified: see the log of the verify step."]
    return "\n".join(lines) + "\n"
