"""Pipeline steps 4 and 6 over a bound record body: structural validation, then signatures.

Thin seams over the standard's layer (:mod:`anchor.label309.validate`,
:mod:`anchor.label309.cose_verify`) that return the verifier's own values: a list of
issues for the report, and one :class:`~anchor.verify.report.SignatureEntry` per
``sigs[i]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from anchor.label309 import codes as c
from anchor.label309.codes import Issue
from anchor.verify.report import SignatureEntry
from anchor.verify.verdict import make_issue


@dataclass(frozen=True)
class StructuralResult:
    """``ok`` is False when any error-severity issue was found; ``issues`` has all severities."""

    ok: bool
    issues: tuple[Issue, ...]
    extension_keys: tuple[str, ...] = ()


def validate_body(body: bytes, *, supported_critical_extensions: Iterable[str]) -> StructuralResult:
    """Run the structural validator (Part A) over the reassembled body bytes, never re-encoded."""
    from anchor.label309.validate import ValidateOk, validate_record

    result = validate_record(
        body, supported_critical_extensions=frozenset(supported_critical_extensions)
    )
    if isinstance(result, ValidateOk):
        issues: tuple[Issue, ...] = (*result.warnings, *result.info)
        return StructuralResult(True, issues, tuple(result.extension_keys))
    issues = tuple(result.issues)
    ok = not any(i.severity == "error" for i in issues)
    return StructuralResult(ok, issues, tuple(result.extension_keys))


def check_signatures(
    body: bytes, *, network: str
) -> tuple[tuple[SignatureEntry, ...], tuple[Issue, ...]]:
    """Verify every ``sigs[i]`` (step 6); failures become issues on ``["sigs", i]``.

    The wallet-address header comes from the network the transaction was resolved on
    (mainnet, or testnet for every other network), never from the record.

    ``SIGNATURE_UNSUPPORTED`` entries were already reported (info) by the validator and
    are listed here as not verified without a second issue.
    """
    from anchor.label309.cose_verify import verify_signatures

    net: Literal["mainnet", "testnet"] = "mainnet" if network == "mainnet" else "testnet"
    entries: list[SignatureEntry] = []
    issues: list[Issue] = []
    for r in verify_signatures(body, network=net):
        entries.append(
            SignatureEntry(r.index, r.signer_type, r.signer_public_key, r.alg, r.ok, r.code)
        )
        if r.ok or r.code is None or r.code == c.SIGNATURE_UNSUPPORTED:
            continue
        if c.default_severity(r.code) != "error":
            continue
        what = f"sigs[{r.index}]"
        if r.signer_public_key:
            what += f" (key {r.signer_public_key})"
        issues.append(make_issue(r.code, f"{what}: {r.code}", path=("sigs", r.index)))
    return tuple(entries), tuple(issues)
