"""Verify one attestation bundle: the steps in order, the first failure gives the code.

:func:`verify_attestation` takes bytes and values (the bundle, a trust root or a loader for
one, the artifact's digest, the reference time T) and returns an :class:`AttestationResult`;
it never raises for a bad bundle. Steps (``checks[]`` lists each with its outcome):

1. ``bundle`` — ``bundle-malformed``;  2. ``dsse`` — ``dsse-signature``;
3. ``payload`` — ``payload-type``;  4. ``token`` — ``token-alg|kid|signature|issuer``;
5. ``binding`` — ``token-audience|expired``;  6. ``identity`` — ``identity-mismatch:<field>``;
7. ``subject`` — ``subject-mismatch`` (skipped without an artifact).

T is the anchor's block time when the bundle is anchored (``anchor verify``), else now.
A trust root that cannot be obtained gives ``unverifiable`` (``trust-root-unavailable``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from anchor.attest.bundle import ParsedBundle, parse_bundle
from anchor.attest.codes import (
    DSSE_SIGNATURE,
    FAILED,
    IDENTITY_MISMATCH,
    STEPS,
    SUBJECT_MISMATCH,
    TOKEN_ISSUER,
    TRUST_ROOT_UNAVAILABLE,
    UNVERIFIABLE,
    VERIFIED,
    CheckFailed,
    TrustRootUnavailable,
)
from anchor.attest.dsse import audience_for, verify_der
from anchor.attest.identity import check_identity, claim_map_for, identity_of
from anchor.attest.statement import ParsedStatement, parse_statement
from anchor.attest.token import DEFAULT_TIME_AUDIENCE, TokenFacts, check_binding, check_token
from anchor.attest.trustroot import DiscoveryMismatch, TrustRoot

RootSource = TrustRoot | Callable[[], TrustRoot]


@dataclass
class AttestationResult:
    """The verdict on one bundle and what was established on the way (JSON via :meth:`to_json`)."""

    verdict: str
    code: str | None
    detail: str
    reference_time: int
    reference_source: str
    subjects: list[dict[str, Any]] = field(default_factory=list)
    artifact: dict[str, Any] | None = None
    identity: dict[str, Any] = field(default_factory=dict)
    token: TokenFacts = field(default_factory=TokenFacts)
    key_sha256: str | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    created: str | None = None

    @property
    def ok(self) -> bool:
        """True when the verdict is ``verified``."""
        return self.verdict == VERIFIED

    def to_json(self, egress: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The ``verify-attestation --json`` document (never the raw token)."""
        return {
            "verdict": self.verdict,
            "code": self.code,
            "detail": self.detail,
            "subjects": self.subjects,
            "artifact": self.artifact,
            "identity": self.identity,
            "token": self.token.to_json(self.reference_time)
            | {"referenceSource": self.reference_source},
            "keySha256": self.key_sha256,
            "checks": self.checks,
            "egress": egress or [],
        }


class _Run:
    """One verification in progress: records each step's outcome in order."""

    def __init__(self, result: AttestationResult) -> None:
        self.result = result
        self.done: list[str] = []

    def passed(self, step: str) -> None:
        self.result.checks.append({"step": step, "ok": True, "code": None})
        self.done.append(step)

    def finish(self, verdict: str, code: str | None, detail: str) -> AttestationResult:
        r = self.result
        if code is not None:
            failing = STEPS[len(self.done)] if len(self.done) < len(STEPS) else STEPS[-1]
            r.checks.append({"step": failing, "ok": False, "code": code})
        r.checks.extend({"step": s, "ok": None, "code": None} for s in STEPS[len(r.checks) :])
        r.verdict, r.code, r.detail = verdict, code, detail
        return r


def _load(root: RootSource) -> TrustRoot:
    return root if isinstance(root, TrustRoot) else root()


def verify_attestation(
    bundle: bytes,
    root: RootSource,
    *,
    reference_time: int,
    reference_source: str = "now",
    artifact_sha256: str | None = None,
    artifact_name: str | None = None,
    audience: str | None = None,
) -> AttestationResult:
    """Run the seven steps over ``bundle``; a failed step ends the run with its code."""
    result = AttestationResult(VERIFIED, None, "", reference_time, reference_source)
    if artifact_sha256 is not None:
        result.artifact = {"name": artifact_name, "sha256": artifact_sha256}
    run = _Run(result)
    try:
        return _steps(run, bundle, root, artifact_sha256, audience or DEFAULT_TIME_AUDIENCE)
    except CheckFailed as exc:
        return run.finish(FAILED, exc.code, exc.detail)
    except TrustRootUnavailable as exc:
        return run.finish(UNVERIFIABLE, TRUST_ROOT_UNAVAILABLE, exc.message)


def _steps(
    run: _Run, data: bytes, root_source: RootSource, artifact: str | None, time_audience: str
) -> AttestationResult:
    result = run.result
    parsed: ParsedBundle = parse_bundle(data)
    result.key_sha256 = parsed.key_sha256
    run.passed("bundle")
    if not verify_der(parsed.key, parsed.payload_type, parsed.payload, parsed.signature):
        raise CheckFailed(DSSE_SIGNATURE, "the DSSE signature does not verify with the bundled key")
    run.passed("dsse")
    statement: ParsedStatement = parse_statement(parsed.payload_type, parsed.payload)
    result.subjects = [s.to_json() for s in statement.subjects]
    result.created = statement.created
    run.passed("payload")
    try:
        root = _load(root_source)
    except DiscoveryMismatch as exc:
        raise CheckFailed(TOKEN_ISSUER, exc.message) from None
    facts: list[TokenFacts] = []
    key_audience = audience_for(parsed.spki_der)
    try:
        token = check_token(
            statement.token,
            root,
            key_audience=key_audience,
            time_audience=time_audience,
            reference_time=result.reference_time,
            facts=facts,
        )
    except CheckFailed as exc:
        if facts:
            result.token = facts[-1]
            if facts[-1].claims is not None:
                result.identity = identity_of(facts[-1].claims, None)
        if exc.code not in ("token-audience", "token-expired"):
            raise
        run.passed("token")
        raise
    claims = token.claims or {}
    result.token = token
    run.passed("token")
    run.passed("binding")
    claim_map = claim_map_for(claims, root.claim_map)
    result.identity = identity_of(claims, claim_map)
    if claim_map is None:
        raise CheckFailed(
            f"{IDENTITY_MISMATCH}:claimMap",
            "no claim map for this issuer (add claimMap to the trust root)",
        )
    check_identity(statement, claims, claim_map)
    run.passed("identity")
    if artifact is not None:
        if all(s.sha256 != artifact for s in statement.subjects):
            raise CheckFailed(
                SUBJECT_MISMATCH, "the artifact's sha256 is no subject of the statement"
            )
        run.passed("subject")
    return run.finish(VERIFIED, None, "verified")


__all__ = ["AttestationResult", "check_binding", "verify_attestation"]
