"""Statement versus token claims: which claim must equal which statement value, per CI platform.

A claim map is data, ``{claim: template}``; a template is text with ``{/json/pointer}``
placeholders into the statement. The check renders each template from the statement and
compares it with the claim (as text); the first field that differs, in map order, gives
``identity-mismatch:<claim>``. The same maps are embedded in the report page, so the
browser runs exactly the same comparison.

Built-in maps: GitHub Actions (``repository ref sha workflow_ref run_id run_attempt``) and
GitLab CI (``project_path ref sha ci_config_ref_uri pipeline_id job_id``), chosen by the
claims the issuer signed; any other issuer needs a ``claimMap`` in its trust-root file.
"""

from __future__ import annotations

import re
from typing import Any

from anchor.attest.codes import IDENTITY_MISMATCH, CheckFailed
from anchor.attest.statement import ParsedStatement, resolve_pointer

_WF = "/predicate/buildDefinition/externalParameters/workflow"
_CI = "/predicate/buildDefinition/internalParameters/anchor_ci"
_SHA = "/predicate/buildDefinition/resolvedDependencies/0/digest/gitCommit"


def _p(pointer: str) -> str:
    """A template placeholder for the statement value at ``pointer``."""
    return "{" + pointer + "}"


GITHUB_MAP: dict[str, str] = {
    "repository": _p(f"{_WF}/repository"),
    "ref": _p(f"{_WF}/ref"),
    "sha": _p(_SHA),
    "workflow_ref": _p(f"{_WF}/repository") + "/" + _p(f"{_WF}/path") + "@" + _p(f"{_WF}/ref"),
    "run_id": _p(f"{_CI}/runId"),
    "run_attempt": _p(f"{_CI}/runAttempt"),
}
GITLAB_MAP: dict[str, str] = {
    "project_path": _p(f"{_WF}/repository"),
    "ref": _p(f"{_WF}/ref"),
    "sha": _p(_SHA),
    "ci_config_ref_uri": _p(f"{_CI}/workflowRef"),
    "pipeline_id": _p(f"{_CI}/runId"),
    "job_id": _p(f"{_CI}/jobId"),
}
_PLACEHOLDER = re.compile(r"\{(/[^{}]*)\}")


def platform_of(claims: dict[str, Any]) -> str:
    """``github`` or ``gitlab`` by the claims the issuer signed, else ``other``."""
    if "workflow_ref" in claims and "run_id" in claims:
        return "github"
    if "project_path" in claims and "pipeline_id" in claims:
        return "gitlab"
    return "other"


def claim_map_for(claims: dict[str, Any], custom: dict[str, str] | None) -> dict[str, str] | None:
    """The trust root's own ``claimMap`` if it has one, else the built-in map, else ``None``."""
    if custom:
        return custom
    return {"github": GITHUB_MAP, "gitlab": GITLAB_MAP}.get(platform_of(claims))


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return None


def render(template: str, statement: dict[str, Any]) -> str | None:
    """The template filled from the statement; ``None`` when a pointer has no text value."""
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        value = _text(resolve_pointer(statement, match.group(1)))
        if value is None:
            missing = True
            return ""
        return value

    out = _PLACEHOLDER.sub(fill, template)
    return None if missing else out


def check_identity(
    statement: ParsedStatement, claims: dict[str, Any], claim_map: dict[str, str]
) -> None:
    """Raise ``identity-mismatch:<claim>`` for the first mapped claim the statement contradicts."""
    for claim, template in claim_map.items():
        expected = render(template, statement.document)
        actual = _text(claims.get(claim))
        if expected is None or actual is None or expected != actual:
            raise CheckFailed(
                f"{IDENTITY_MISMATCH}:{claim}",
                f"the statement's {claim} does not match the token's claim",
            )


def identity_of(claims: dict[str, Any], claim_map: dict[str, str] | None) -> dict[str, Any]:
    """The claims a report shows: ``iss``, ``sub`` and every mapped claim (never the token)."""
    names = ["iss", "sub", *(claim_map or {})]
    return {n: claims[n] for n in names if n in claims and _text(claims[n]) is not None}
