"""Building blocks for attestation tests: bundles made by hand from the library's parts, and forgeries.

Everything is real: a served :mod:`anchor.devnet.oidc` issuer signs the tokens, the
bundles are made with the same functions ``anchor attest`` uses, and a forgery changes
exactly one thing (named by the caller) on top of a good bundle.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from anchor.attest.bundle import build_bundle
from anchor.attest.ci import context_from_claims, unverified_claims
from anchor.attest.dsse import PAYLOAD_TYPE, EphemeralKey, audience_for
from anchor.attest.statement import BuildContext, Subject, build_statement
from anchor.devnet.oidc import OidcIssuer

ARTIFACT = b"app release bytes\n"
ARTIFACT_SHA = hashlib.sha256(ARTIFACT).hexdigest()
SUBJECT = Subject("app-1.0.tgz", ARTIFACT_SHA)


def b64url(data: bytes) -> str:
    """Unpadded base64url (JWS segments)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(obj: Any) -> str:
    """A JWS header or payload segment."""
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A token's header and claims (decoded, unverified) and its signature segment."""
    h, p, s = token.split(".")
    pad = lambda x: x + "=" * (-len(x) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(h))),
        json.loads(base64.urlsafe_b64decode(pad(p))),
        s,
    )


def sign_es256(
    key: ec.EllipticCurvePrivateKey, header: dict[str, Any], claims: dict[str, Any]
) -> str:
    """A JWS compact ES256 token signed by ``key`` (an attacker's, in forgery tests)."""
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    der = key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def sign_rs256(key: rsa.RSAPrivateKey, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A JWS compact RS256 token signed by ``key``."""
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64url(sig)}"


def sign_hs256(secret: bytes, header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A JWS compact HS256 token keyed with ``secret`` (the algorithm-confusion attack)."""
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """An ``alg: none`` token."""
    return f"{b64url_json(header)}.{b64url_json(claims)}."


def job_env(issuer: OidcIssuer) -> dict[str, str]:
    """The CI environment matching the issuer's claims (GitHub or GitLab shape)."""
    return issuer.gitlab_job_env() if issuer.gitlab else issuer.github_env()


@dataclasses.dataclass
class Made:
    """A bundle and what went into it (so a test can forge one part)."""

    data: bytes
    token: str
    key: EphemeralKey
    ctx: BuildContext
    payload: bytes

    def doc(self) -> dict[str, Any]:
        """The bundle as a dict."""
        return json.loads(self.data)


def make_bundle(
    issuer: OidcIssuer,
    *,
    token: str | None = None,
    token_for: Callable[[str], str] | None = None,
    ctx_edit: dict[str, str] | None = None,
    subjects: list[Subject] | None = None,
    key: EphemeralKey | None = None,
) -> Made:
    """A bundle signed by a fresh key; the token is key-bound unless ``token``/``token_for`` says else.

    ``token_for(key_audience)`` builds a token for the new key; ``ctx_edit`` changes
    statement fields after they were derived from the claims (an identity lie).
    """
    key = key or EphemeralKey()
    if token is None:
        aud = audience_for(key.spki_der)
        token = token_for(aud) if token_for else issuer.mint(aud)
    claims = unverified_claims(token)
    ctx = context_from_claims(claims, job_env(issuer))
    if ctx_edit:
        ctx = dataclasses.replace(ctx, **ctx_edit)
    now = int(time.time())
    payload = build_statement(
        subjects or [SUBJECT], ctx, token=token, started_on=now, finished_on=now
    )
    data = build_bundle(
        spki_der=key.spki_der,
        payload_type=PAYLOAD_TYPE,
        payload=payload,
        signature=key.sign(PAYLOAD_TYPE, payload),
    )
    return Made(data, token, key, ctx, payload)


def resign(made: Made, payload: bytes, key: EphemeralKey | None = None) -> bytes:
    """The same statement bytes ``payload`` signed again (by ``key`` or the bundle's own key)."""
    key = key or made.key
    return build_bundle(
        spki_der=key.spki_der,
        payload_type=PAYLOAD_TYPE,
        payload=payload,
        signature=key.sign(PAYLOAD_TYPE, payload),
    )


def public_pem(issuer: OidcIssuer, alg: str = "ES256") -> bytes:
    """The issuer's public key as PEM (the HS256 confusion secret)."""
    raw = issuer.key(alg).private_key
    return raw.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def write(tmp: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to ``tmp/name`` and return the path."""
    path = tmp / name
    path.write_bytes(data)
    return path
