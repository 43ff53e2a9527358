"""`anchor report`: one self-contained HTML page listing attestations, verified in the browser.

:func:`build_report` takes the bundles found under a directory (and optionally a trust-root
file) and returns the files to write: ``index.html`` with the page's CSS, script and data
inline (a Content-Security-Policy allows nothing else, so the page makes no request), and a
copy of each bundle under ``bundles/`` to download.

The page's script (``page/report.js``) repeats the steps and codes of
:func:`anchor.attest.verify.verify_attestation` with WebCrypto; the constants and the
built-in claim maps are embedded from the Python modules, so both sides read one source.
Row text is shown as the bundle says it, unverified, and only ever through ``textContent``.
Like the CLI without an ARTIFACT, the badge does not re-hash artifacts (the page says so).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from anchor.attest.bundle import BUNDLE_MEDIA_TYPE, BUNDLE_SUFFIX, parse_bundle
from anchor.attest.codes import CheckFailed
from anchor.attest.dsse import PAYLOAD_TYPE
from anchor.attest.identity import GITHUB_MAP, GITLAB_MAP
from anchor.attest.statement import SLSA_PREDICATE, STATEMENT_TYPE, parse_statement
from anchor.attest.token import ALLOWED_ALGS, ALLOWED_HEADERS, DEFAULT_TIME_AUDIENCE, LEEWAY_S
from anchor.attest.trustroot import TrustRoot

#: Token segments longer than this are refused as ``token-alg`` (not a JWS) in the page.
_MAX_SEGMENT = 1 << 20
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_PLACEHOLDER = re.compile(r"%(CSP_SCRIPT|CSP_STYLE|CSS|DATA|SCRIPT)%")


@dataclass(frozen=True)
class BundleInput:
    """One bundle for the report: its name (path under DIR), bytes, and T if anchored."""

    name: str
    data: bytes
    reference_time: int | None = None


@dataclass(frozen=True)
class Report:
    """The report's files, by path relative to OUT (``index.html``, ``bundles/...``)."""

    files: dict[str, bytes]
    rows: int


def _read_page(name: str) -> str:
    return resources.files("anchor.attest").joinpath("page", name).read_text("utf-8")


def _row_text(data: bytes) -> dict[str, Any]:
    """What a row shows, read without verification (the badge says whether to believe it)."""
    row: dict[str, Any] = {"job": "", "artifact": "", "digest": "", "created": ""}
    try:
        parsed = parse_bundle(data)
        statement = parse_statement(parsed.payload_type, parsed.payload)
    except CheckFailed:
        return row
    wf = statement.pointer("/predicate/buildDefinition/externalParameters/workflow") or {}
    ci = statement.pointer("/predicate/buildDefinition/internalParameters/anchor_ci") or {}
    parts = []
    if isinstance(wf, dict) and isinstance(wf.get("repository"), str):
        parts.append(wf["repository"])
    if isinstance(ci, dict):
        for label, key in (("run", "runId"), ("job", "jobId")):
            if isinstance(ci.get(key), str) and ci[key]:
                parts.append(f"{label} {ci[key]}")
    row["job"] = " ".join(parts)
    row["artifact"] = "\n".join(s.name for s in statement.subjects)
    row["digest"] = "\n".join(f"sha256:{s.sha256}" for s in statement.subjects)
    row["created"] = statement.created or ""
    return row


def _copy_name(name: str, taken: set[str]) -> str:
    base = name.rsplit("/", 1)[-1]
    stem = base[: -len(BUNDLE_SUFFIX)] if base.endswith(BUNDLE_SUFFIX) else base
    stem = _UNSAFE_NAME.sub("_", stem).strip("._") or "bundle"
    name, n = f"{stem}{BUNDLE_SUFFIX}", 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}{BUNDLE_SUFFIX}"
    taken.add(name)
    return name


def page_constants() -> dict[str, Any]:
    """The values the page's script checks against, from the Python modules."""
    return {
        "bundleMediaType": BUNDLE_MEDIA_TYPE,
        "payloadType": PAYLOAD_TYPE,
        "statementType": STATEMENT_TYPE,
        "predicateType": SLSA_PREDICATE,
        "allowedAlgs": list(ALLOWED_ALGS),
        "allowedHeaders": list(ALLOWED_HEADERS),
        "timeAudience": DEFAULT_TIME_AUDIENCE,
        "leeway": LEEWAY_S,
        "maxHeader": _MAX_SEGMENT,
        "maxPayload": _MAX_SEGMENT,
        "maxSignature": _MAX_SEGMENT,
    }


def _csp_source(text: str) -> str:
    """The CSP hash source allowing exactly this inline block."""
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def _script_json(obj: Any) -> str:
    """JSON safe inside ``<script type=application/json>`` (no ``<``, ``>``, ``&`` literal)."""
    text = json.dumps(obj, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_report(bundles: list[BundleInput], trust_root: TrustRoot | None = None) -> Report:
    """The report for ``bundles``: ``index.html`` and ``bundles/<name>.sigstore.json`` each.

    A bundle's ``reference_time`` is T when a record anchors it (the block time); any other
    row uses the browser's clock, as the CLI uses now. ``trust_root`` is embedded as the
    issuer keys; without one every badge whose signature holds says ``unverifiable``.
    """
    files: dict[str, bytes] = {}
    rows: list[dict[str, Any]] = []
    taken: set[str] = set()
    for index, item in enumerate(bundles):
        copy = f"bundles/{_copy_name(item.name, taken)}"
        files[copy] = item.data
        rows.append(
            _row_text(item.data)
            | {
                "index": index,
                "file": copy,
                "bundle": base64.b64encode(item.data).decode("ascii"),
                "referenceTime": item.reference_time,
            }
        )
    root_doc = None
    if trust_root is not None:
        root_doc = {"issuer": trust_root.issuer, "jwks": {"keys": list(trust_root.keys)}}
        if trust_root.claim_map:
            root_doc["claimMap"] = trust_root.claim_map
    data_doc = {
        "constants": page_constants(),
        "claimMaps": {"github": list(GITHUB_MAP.items()), "gitlab": list(GITLAB_MAP.items())},
        "rows": rows,
        "trustRoot": root_doc,
    }
    script = _read_page("report.js")
    style = _read_page("report.css")
    values = {
        "CSP_SCRIPT": _csp_source(script),
        "CSP_STYLE": _csp_source(style),
        "CSS": style,
        "DATA": _script_json(data_doc),
        "SCRIPT": script,
    }
    # One pass, so text inside one value is never taken for another placeholder.
    html = _PLACEHOLDER.sub(lambda m: values[m.group(1)], _read_page("report.html"))
    return Report({"index.html": html.encode("utf-8"), **files}, len(rows))


__all__ = ["BundleInput", "Report", "page_constants", "render_report"]
