"""Build provenance inside ``anchor verify``: the anchored attestation bundles, checked
against a trusted issuer with the anchor's block time as the clock.

``anchor verify FILE… --bundle B --trust-root X`` runs :func:`add_provenance` after the
anchor itself is verified. Every FILE that matched a manifest item of kind
``attestation`` and is anchored (inclusion verified) is checked with
:func:`anchor.attest.verify.verify_attestation`; the reference time T is the block time
when the anchor's verdict is ``valid`` or ``pending`` (the bundle existed by then, so a
time-bound token is judged at that time), else now. The report gains:

* ``attestations[]``: one row per checked bundle (file, item, verdict, code, detail,
  subjects, identity, reference time and its source);
* ``files[].provenance`` for every other file: ``verified`` when a verified bundle names
  its SHA-256, else ``failed:<code>`` / ``unverifiable`` from the bundles that name it,
  else ``none``; attestation files themselves get ``attestation``. Only bundles of the
  shape ``anchor attest`` writes are checked; other attestations (plain statements,
  Fulcio-certified Sigstore bundles) are rows with ``unverifiable`` /
  ``unsupported-attestation`` and vouch for no file;
* with ``--require-provenance``, the finding ``PROVENANCE_NOT_VERIFIED`` (effect
  ``failed``) when any such file lacks verified provenance.

An attestation bundle that is not anchored is never checked: it proves nothing about the
release. Nothing here imports pycardano; the attestation layer is imported only when a
trust root is given.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anchor.verify.report import FileEntry, Finding, VerifyReport
from anchor.verify.verdict import EFFECT_FAILED

if TYPE_CHECKING:
    from anchor.attest.trustroot import TrustRoot

PROVENANCE_NOT_VERIFIED = "PROVENANCE_NOT_VERIFIED"
NONE = "none"
ATTESTATION = "attestation"
_BUNDLE_CAP = 4 * 1024 * 1024


def reference_time(report: VerifyReport, now: Callable[[], float] = time.time) -> tuple[int, str]:
    """``(T, source)``: the block time of an anchor that held, else now."""
    if report.verdict in ("valid", "pending") and report.block_time is not None:
        return report.block_time, "block-time"
    return int(now()), "now"


UNSUPPORTED = "unsupported-attestation"
_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"


def is_anchor_bundle(data: bytes) -> bool:
    """True for the shape ``anchor attest`` writes (Sigstore v0.3, a public-key hint, a
    DSSE envelope); other attestations (plain statements, Fulcio-certified bundles) are
    anchored files here, and their signatures are for their own tools to check."""
    import json

    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        # one that names the shape is ours, malformed (the verifier says how); else not ours
        return _V03.encode() in data and b"dsseEnvelope" in data
    material = doc.get("verificationMaterial") if isinstance(doc, dict) else None
    return (
        isinstance(doc, dict)
        and doc.get("mediaType") == _V03
        and isinstance(material, dict)
        and "publicKey" in material
        and "dsseEnvelope" in doc
    )


def _unsupported(f: FileEntry, data: bytes, t: int, source: str) -> dict[str, Any]:
    return {
        "file": f.name,
        "item": f.item_name,
        "sha2-256": hashlib.sha256(data).hexdigest(),
        "verdict": "unverifiable",
        "code": UNSUPPORTED,
        "detail": "not an anchor attestation bundle (Sigstore v0.3 with a public-key hint "
        "and a DSSE envelope): anchored as a file, its own signature not checked here",
        "subjects": [],
        "identity": {},
        "referenceTime": t,
        "referenceSource": source,
    }


def result_digests(subjects: list[dict[str, Any]]) -> list[str]:
    """The SHA-256 digests of a verified-so-far statement's subjects."""
    out = []
    for subject in subjects:
        digest = subject.get("digest")
        if isinstance(digest, dict) and isinstance(digest.get("sha256"), str):
            out.append(digest["sha256"].lower())
    return out


def claimed_digests(data: bytes) -> list[str]:
    """Subjects a bundle claims, read WITHOUT verification: used only to say which files
    a failed bundle would have vouched for (their provenance becomes ``failed:<code>``)."""
    import json

    from anchor.evidence.attestation import inspect_document

    try:
        info, _warnings = inspect_document(json.loads(data))
    except (ValueError, RecursionError):
        return []
    if info is None:
        return []
    found = [dict(s.digests).get("sha256", "") for st in info.statements for s in st.subjects]
    return [d.lower() for d in found if d]


def _rank(outcomes: list[tuple[str, str | None]]) -> str:
    if not outcomes:
        return NONE
    if any(v == "verified" for v, _ in outcomes):
        return "verified"
    failed = [c for v, c in outcomes if v == "failed"]
    if failed:
        return f"failed:{failed[0]}"
    return "unverifiable"


def add_provenance(
    report: VerifyReport,
    paths: Sequence[tuple[str, Path]],
    root: TrustRoot | Callable[[], TrustRoot],
    *,
    require: bool = False,
    audience: str | None = None,
    now: Callable[[], float] = time.time,
) -> VerifyReport:
    """The report with attestations checked and provenance per file (module docstring)."""
    from anchor.attest.verify import verify_attestation
    from anchor.safeio import read_regular

    where = dict(paths)
    t, source = reference_time(report, now)
    rows: list[dict[str, Any]] = []
    by_digest: dict[str, list[tuple[str, str | None]]] = {}
    for f in report.files:
        if f.item_kind != ATTESTATION or not f.inclusion_ok or f.name not in where:
            continue
        data = read_regular(where[f.name], cap=_BUNDLE_CAP, follow=True)
        if not is_anchor_bundle(data):
            rows.append(_unsupported(f, data, t, source))
            continue
        result = verify_attestation(
            data, root, reference_time=t, reference_source=source, audience=audience
        )
        rows.append(
            {
                "file": f.name,
                "item": f.item_name,
                "sha2-256": hashlib.sha256(data).hexdigest(),
                "verdict": result.verdict,
                "code": result.code,
                "detail": result.detail,
                "subjects": result.subjects,
                "identity": result.identity,
                "referenceTime": t,
                "referenceSource": source,
            }
        )
        for digest in result_digests(result.subjects) or claimed_digests(data):
            by_digest.setdefault(digest, []).append((result.verdict, result.code))
    files: list[FileEntry] = []
    for f in report.files:
        if f.item_kind == ATTESTATION:
            files.append(replace(f, provenance=ATTESTATION))
        else:
            files.append(replace(f, provenance=_rank(by_digest.get(f.sha256, []))))
    report = replace(report, files=tuple(files), attestations=tuple(rows))
    lacking = [f.name for f in files if f.provenance not in (ATTESTATION, "verified")]
    if require and lacking:
        finding = Finding(
            PROVENANCE_NOT_VERIFIED,
            EFFECT_FAILED,
            f"no verified provenance for {', '.join(lacking)}",
        )
        verdict = report.verdict if report.verdict == "failed" else "failed"
        report = replace(report, verdict=verdict, findings=(*report.findings, finding))
    return report


def provenance_lines(report: VerifyReport) -> list[str]:
    """The summary's provenance block (empty when no trust root was given)."""
    if report.attestations is None:
        return []
    lines = [
        f"attestation:  {a['file']}: {a['verdict']}"
        + (f" ({a['code']})" if a["code"] else "")
        + f", T={a['referenceTime']} ({a['referenceSource']})"
        for a in report.attestations
    ]
    counted = [f for f in report.files if f.provenance != ATTESTATION]
    ok = sum(1 for f in counted if f.provenance == "verified")
    lines.append(f"provenance:   {ok}/{len(counted)} files")
    lines.extend(f"  {f.name}: {f.provenance}" for f in counted if f.provenance != "verified")
    return lines
