"""The verification codes of an attestation bundle, the step that gives each, and the errors.

The first failing step gives the verdict's code (docs/attest.md has the table):

1. ``bundle-malformed`` — strict JSON, the exact bundle shape, one signature, keyid = hint;
2. ``dsse-signature`` — checked before the payload is parsed;
3. ``payload-type`` — Statement v1, SLSA Provenance v1, identity token present;
4. ``token-alg``, ``token-kid``, ``token-signature``, ``token-issuer``;
5. ``token-audience``, ``token-expired``;
6. ``identity-mismatch:<field>`` — the statement against the token's claims;
7. ``subject-mismatch`` — the artifact's SHA-256 is no subject.

``unverifiable`` verdicts (the trust root could not be obtained) use ``trust-root-unavailable``.
"""

from __future__ import annotations

from anchor.errors import AnchorError, EnvironmentFailure, InputError

BUNDLE_MALFORMED = "bundle-malformed"
DSSE_SIGNATURE = "dsse-signature"
PAYLOAD_TYPE = "payload-type"
TOKEN_ALG = "token-alg"
TOKEN_KID = "token-kid"
TOKEN_SIGNATURE = "token-signature"
TOKEN_ISSUER = "token-issuer"
TOKEN_AUDIENCE = "token-audience"
TOKEN_EXPIRED = "token-expired"
IDENTITY_MISMATCH = "identity-mismatch"
SUBJECT_MISMATCH = "subject-mismatch"
TRUST_ROOT_UNAVAILABLE = "trust-root-unavailable"

#: The step names, in the order they run (``checks[]`` of the report lists them this way).
STEPS = ("bundle", "dsse", "payload", "token", "binding", "identity", "subject")

VERIFIED = "verified"
FAILED = "failed"
UNVERIFIABLE = "unverifiable"


class CheckFailed(Exception):
    """A verification step failed: ``code`` is the verdict code, ``detail`` one human line.

    Internal to the pipeline (it becomes a ``failed`` verdict, never a crash); ``detail``
    never contains the raw token.
    """

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class AttestInputError(InputError):
    """``anchor attest``/``verify-attestation`` input problem: a bad flag, file or CI value (exit 4)."""


class NoIdentityToken(EnvironmentFailure):
    """No OIDC identity token is available (a local run, or the CI job lacks the permission): exit 5."""


class TrustRootUnavailable(AnchorError):
    """The trust root could not be obtained (network failure, bad discovery): ``unverifiable``."""
