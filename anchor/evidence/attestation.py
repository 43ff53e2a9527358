"""What an attestation claims, read without trusting it.

Supported containers: in-toto Statement (v1, and v0.1 for older tools) as JSON or JSON
Lines, DSSE envelopes, and Sigstore bundles v0.1-v0.3 (``.sigstore.json``). Nothing is
verified here: signatures are not checked and subject digests are recorded exactly as
claimed, so a reader of the manifest sees what the file *says*, never an endorsement.

The functions take parsed JSON, never raise on odd content, bound what they copy
(:data:`MAX_SUBJECTS`, string length caps) and return an :class:`AttestationInfo` plus
warnings for anything missing or malformed.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

from anchor.merkle.jcs import encodable

IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
STATEMENT_TYPES = ("https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1")

MEDIA_IN_TOTO = "application/vnd.in-toto+json"
MEDIA_JSONL = "application/jsonl"
MEDIA_DSSE = "application/vnd.dsse.envelope.v1+json"
MEDIA_SIGSTORE = "application/vnd.dev.sigstore.bundle+json"

SIGSTORE_MEDIA_TYPES = {
    "application/vnd.dev.sigstore.bundle+json;version=0.1": "0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2": "0.2",
    "application/vnd.dev.sigstore.bundle.v0.3+json": "0.3",
}
_SIGSTORE_DIGEST_ALGS = {"SHA2_256": "sha2-256", "SHA2_384": "sha2-384", "SHA2_512": "sha2-512"}

MAX_SUBJECTS = 1000
_MAX_NAME = 4096
_MAX_ALG = 64
_MAX_VALUE = 512
_MAX_TYPE = 1024
_ALG = re.compile(r"^[A-Za-z0-9._+-]+$")


@dataclass(frozen=True)
class Subject:
    """One claimed subject: its name (if any) and its digests, as written in the statement."""

    name: str | None
    digests: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, object]:
        """The manifest form (``name`` omitted when absent)."""
        out: dict[str, object] = {"digests": dict(self.digests)}
        if self.name is not None:
            out["name"] = self.name
        return out


@dataclass(frozen=True)
class Statement:
    """One envelope or statement: payload type, statement type, predicate type, subjects."""

    payload_type: str | None = None
    statement_type: str | None = None
    predicate_type: str | None = None
    subjects: tuple[Subject, ...] = ()
    identity: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, object]:
        """The manifest form: absent fields omitted; ``subjects`` always present."""
        out: dict[str, object] = {"subjects": [s.to_json() for s in self.subjects]}
        if self.identity:
            out["identity"] = dict(self.identity)
        for key, value in (
            ("payload_type", self.payload_type),
            ("statement_type", self.statement_type),
            ("predicate_type", self.predicate_type),
        ):
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class AttestationInfo:
    """What an attestation file contains; ``format`` names the container."""

    format: str
    statements: tuple[Statement, ...] = ()
    bundle_version: str | None = None
    message_digest: tuple[tuple[str, str], ...] | None = None

    def to_json(self) -> dict[str, object]:
        """The manifest form: absent fields omitted, never null."""
        out: dict[str, object] = {
            "format": self.format,
            "statements": [s.to_json() for s in self.statements],
        }
        if self.bundle_version is not None:
            out["bundle_version"] = self.bundle_version
        if self.message_digest is not None:
            out["message_digest"] = dict(self.message_digest)
        return out


def looks_like_statement(doc: object) -> bool:
    """True for a JSON object whose ``_type`` is an in-toto Statement type."""
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("_type"), str)
        and (doc["_type"].startswith("https://in-toto.io/Statement/"))
    )


def looks_like_dsse(doc: object) -> bool:
    """True for a JSON object with DSSE's ``payloadType`` and ``payload``."""
    return isinstance(doc, dict) and "payloadType" in doc and "payload" in doc


def looks_like_sigstore_bundle(doc: object) -> bool:
    """True for a JSON object whose ``mediaType`` names a Sigstore bundle."""
    return isinstance(doc, dict) and str(doc.get("mediaType", "")).startswith(
        "application/vnd.dev.sigstore.bundle"
    )


def inspect_document(doc: object) -> tuple[AttestationInfo | None, list[str]]:
    """Inspect one parsed JSON document of any supported container (``None``: not one)."""
    warnings: list[str] = []
    budget = _Budget()
    if looks_like_sigstore_bundle(doc):
        assert isinstance(doc, dict)
        return _sigstore(doc, warnings, budget), warnings
    if looks_like_dsse(doc):
        assert isinstance(doc, dict)
        statement = _dsse(doc, warnings, budget)
        return AttestationInfo("dsse-envelope", (statement,)), warnings
    if looks_like_statement(doc):
        assert isinstance(doc, dict)
        statement = _statement(doc, None, warnings, budget)
        return AttestationInfo("in-toto-statement", (statement,)), warnings
    return None, warnings


def inspect_json_lines(text: str) -> tuple[AttestationInfo | None, list[str]]:
    """Inspect JSON Lines of statements or DSSE envelopes (``None``: no line was one)."""
    warnings: list[str] = []
    budget = _Budget()
    statements: list[Statement] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except (ValueError, RecursionError):
            warnings.append(f"attestation: line {number} is not valid JSON")
            continue
        if looks_like_dsse(doc):
            assert isinstance(doc, dict)
            statements.append(_dsse(doc, warnings, budget))
        elif looks_like_statement(doc):
            assert isinstance(doc, dict)
            statements.append(_statement(doc, None, warnings, budget))
        else:
            warnings.append(
                f"attestation: line {number} is neither a statement nor a DSSE envelope"
            )
    if not statements:
        return None, warnings
    return AttestationInfo("in-toto-jsonl", tuple(statements)), warnings


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_SUBJECTS
        self.dropped = 0


def _sigstore(doc: dict[str, Any], warnings: list[str], budget: _Budget) -> AttestationInfo:
    media = doc.get("mediaType")
    version = SIGSTORE_MEDIA_TYPES.get(media) if isinstance(media, str) else None
    if version is None:
        warnings.append("attestation: unsupported Sigstore bundle mediaType")
    if not isinstance(doc.get("verificationMaterial"), dict):
        warnings.append("attestation: Sigstore bundle has no verificationMaterial")
    envelope = doc.get("dsseEnvelope")
    message = doc.get("messageSignature")
    if isinstance(envelope, dict):
        statement = _dsse(envelope, warnings, budget)
        return AttestationInfo("sigstore-bundle", (statement,), bundle_version=version)
    if isinstance(message, dict):
        digest = _message_digest(message, warnings)
        return AttestationInfo("sigstore-bundle", (), bundle_version=version, message_digest=digest)
    warnings.append("attestation: Sigstore bundle has neither dsseEnvelope nor messageSignature")
    return AttestationInfo("sigstore-bundle", (), bundle_version=version)


def _message_digest(
    message: dict[str, Any], warnings: list[str]
) -> tuple[tuple[str, str], ...] | None:
    md = message.get("messageDigest")
    if not isinstance(md, dict):
        warnings.append("attestation: messageSignature has no messageDigest")
        return None
    alg = _SIGSTORE_DIGEST_ALGS.get(str(md.get("algorithm")))
    raw = _b64(md.get("digest"))
    if alg is None or raw is None:
        warnings.append("attestation: messageDigest algorithm or digest unusable")
        return None
    return ((alg, raw.hex()),)


def _dsse(envelope: dict[str, Any], warnings: list[str], budget: _Budget) -> Statement:
    payload_type = _short(envelope.get("payloadType"), _MAX_TYPE)
    if payload_type is None:
        warnings.append("attestation: DSSE payloadType missing or not a string")
    sigs = envelope.get("signatures")
    if not isinstance(sigs, list) or not sigs:
        warnings.append("attestation: DSSE envelope has no signatures")
    payload = _b64(envelope.get("payload"))
    if payload is None:
        warnings.append("attestation: DSSE payload is not valid base64")
        return Statement(payload_type=payload_type)
    if payload_type != IN_TOTO_PAYLOAD:
        return Statement(payload_type=payload_type)
    try:
        doc = json.loads(payload)
    except (ValueError, RecursionError):
        warnings.append("attestation: DSSE payload is not valid JSON")
        return Statement(payload_type=payload_type)
    if not isinstance(doc, dict):
        warnings.append("attestation: DSSE payload is not a JSON object")
        return Statement(payload_type=payload_type)
    return _statement(doc, payload_type, warnings, budget)


def _statement(
    doc: dict[str, Any], payload_type: str | None, warnings: list[str], budget: _Budget
) -> Statement:
    stype = _short(doc.get("_type"), _MAX_TYPE)
    if stype not in STATEMENT_TYPES:
        warnings.append("attestation: '_type' is not a known in-toto Statement type")
    ptype = _short(doc.get("predicateType"), _MAX_TYPE)
    if ptype is None:
        warnings.append("attestation: 'predicateType' missing or not a string")
    raw_subjects = doc.get("subject")
    subjects: list[Subject] = []
    if not isinstance(raw_subjects, list) or not raw_subjects:
        warnings.append("attestation: 'subject' missing, empty or not a list")
        raw_subjects = []
    bad = 0
    for entry in raw_subjects:
        subject = _subject(entry)
        if subject is None:
            bad += 1
        elif budget.left > 0:
            subjects.append(subject)
            budget.left -= 1
        else:
            budget.dropped += 1
    if bad:
        warnings.append(f"attestation: {bad} malformed subject entries skipped")
    if budget.dropped and budget.left == 0:
        warnings.append(f"attestation: more than {MAX_SUBJECTS} subjects; the rest are not listed")
        budget.left = -1  # warn once
    from anchor.evidence.attestlinks import claimed_identity

    return Statement(payload_type, stype, ptype, tuple(subjects), claimed_identity(doc))


def _subject(entry: object) -> Subject | None:
    if not isinstance(entry, dict):
        return None
    name = entry.get("name")
    if name is not None and _short(name, _MAX_NAME) is None:
        return None
    digest = entry.get("digest")
    if not isinstance(digest, dict) or not digest:
        return None
    pairs: list[tuple[str, str]] = []
    for alg, value in digest.items():
        if not (isinstance(alg, str) and _ALG.match(alg) and len(alg) <= _MAX_ALG):
            return None
        if _short(value, _MAX_VALUE) is None:
            return None
        pairs.append((alg, value))
    return Subject(name, tuple(sorted(pairs)))


def _short(value: object, limit: int) -> str | None:
    if isinstance(value, str) and len(value) <= limit and encodable(value):
        return value
    return None


def _b64(value: object) -> bytes | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
