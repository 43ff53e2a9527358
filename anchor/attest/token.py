"""The OIDC identity token checks, with joserfc: algorithm, key, signature, issuer, audience, time.

Order and codes (the first failure wins):

* ``token-alg`` — only ES256 and RS256; ``none``, every HS*, and any header parameter
  outside :data:`ALLOWED_HEADERS` (``jku``, ``x5u``, ``jwk``, ``x5c``, ``crit``) are refused
  before any key is touched; the JWK named by ``kid`` must be of the
  header's family (an RS256 header on an EC kid fails here) and its ``alg``, if any, equal;
* ``token-kid`` — the kid is in the trust root (an online root refetches its JWKS once);
* ``token-signature`` — joserfc verifies with that one key and that one algorithm;
* ``token-issuer`` — ``iss`` equals the trust root's issuer (never the other way round);
* ``token-audience`` — ``anchor:v1:sha256:<keyid of the bundled key>`` makes it **key-bound**;
  otherwise the time-bound audience (``evidence-anchor`` or ``--audience``) is required;
* ``token-expired`` — a time-bound token needs the reference time T in [nbf, exp] ± 60 s,
  validated by joserfc's claims registry with an explicit ``now=T``. A key-bound token
  stays valid after expiry: its audience already says which key it vouches for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from anchor.attest import strictjson
from anchor.attest.codes import (
    TOKEN_ALG,
    TOKEN_AUDIENCE,
    TOKEN_EXPIRED,
    TOKEN_ISSUER,
    TOKEN_KID,
    TOKEN_SIGNATURE,
    CheckFailed,
)
from anchor.attest.trustroot import TrustRoot

ALLOWED_ALGS = ("ES256", "RS256")
#: Header parameters a token may carry; anything else (``jku``, ``x5u``, ``jwk``, ``x5c``, ``crit``...) is refused.
ALLOWED_HEADERS = ("alg", "kid", "typ", "cty", "x5t", "x5t#S256")
DEFAULT_TIME_AUDIENCE = "evidence-anchor"
LEEWAY_S = 60
KEY_BOUND = "key-bound"
TIME_BOUND = "time-bound"
_KTY = {"ES256": ("EC", "P-256"), "RS256": ("RSA", None)}


@dataclass(frozen=True)
class TokenFacts:
    """What the checks established about a token (the raw token is never kept here)."""

    kid: str | None = None
    alg: str | None = None
    aud: Any = None
    exp: int | None = None
    binding: str | None = None
    claims: dict[str, Any] | None = None

    def to_json(self, reference_time: int) -> dict[str, Any]:
        """The report's ``token`` object."""
        return {
            "kid": self.kid,
            "alg": self.alg,
            "aud": self.aud,
            "exp": self.exp,
            "binding": self.binding,
            "referenceTime": reference_time,
        }


def _header(token: str) -> dict[str, Any]:
    from joserfc.errors import JoseError
    from joserfc.jws import extract_compact

    try:
        obj = extract_compact(token.encode("ascii"))
    except (JoseError, ValueError, UnicodeEncodeError):
        raise CheckFailed(TOKEN_ALG, "the token is not a JWS compact serialization") from None
    return dict(obj.headers())


def _find_key(root: TrustRoot, kid: str) -> dict[str, Any] | None:
    matches = [k for k in root.keys if k.get("kid") == kid]
    return matches[0] if len(matches) == 1 else None


def check_header(token: str, root: TrustRoot) -> tuple[str, str, dict[str, Any]]:
    """``token-alg`` and ``token-kid``: the header's alg, kid and the trust root's JWK for it."""
    header = _header(token)
    alg = header.get("alg")
    if alg not in ALLOWED_ALGS:
        raise CheckFailed(TOKEN_ALG, f"algorithm {alg!r} is not allowed (ES256, RS256 only)")
    refused = sorted(h for h in header if h not in ALLOWED_HEADERS)
    if refused:
        raise CheckFailed(TOKEN_ALG, f"header parameter {refused[0]!r} is refused")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise CheckFailed(TOKEN_KID, "the token names no kid")
    jwk_dict = _find_key(root, kid)
    if jwk_dict is None and root.refetch is not None:
        root = TrustRoot(root.issuer, root.refetch(), root.claim_map, root.source)
        jwk_dict = _find_key(root, kid)
    if jwk_dict is None:
        raise CheckFailed(TOKEN_KID, "the token's kid is not among the issuer's keys")
    kty, crv = _KTY[alg]
    if jwk_dict.get("kty") != kty or (crv is not None and jwk_dict.get("crv") != crv):
        raise CheckFailed(TOKEN_ALG, f"{alg} does not fit the issuer's {jwk_dict.get('kty')} key")
    if "alg" in jwk_dict and jwk_dict["alg"] != alg:
        raise CheckFailed(TOKEN_ALG, f"the issuer's key is for {jwk_dict['alg']}, not {alg}")
    if jwk_dict.get("use", "sig") != "sig":
        raise CheckFailed(TOKEN_ALG, "the issuer's key is not a signing key")
    return alg, kid, jwk_dict


def verify_signature(token: str, alg: str, jwk_dict: dict[str, Any]) -> dict[str, Any]:
    """``token-signature``: verify with exactly this key and algorithm; the claims, parsed strictly."""
    from joserfc import jwk, jws
    from joserfc.errors import JoseError

    try:
        key = jwk.import_key(jwk_dict)
    except (JoseError, ValueError, TypeError, KeyError):
        raise CheckFailed(TOKEN_KID, "the issuer's key for this kid does not import") from None
    try:
        obj = jws.deserialize_compact(token, key, algorithms=[alg])
    except (JoseError, ValueError):
        raise CheckFailed(TOKEN_SIGNATURE, "the token's signature does not verify") from None
    try:
        claims = strictjson.loads(obj.payload)
    except strictjson.StrictJSONError:
        raise CheckFailed(TOKEN_SIGNATURE, "the token's claims are not strict JSON") from None
    if not isinstance(claims, dict):
        raise CheckFailed(TOKEN_SIGNATURE, "the token's claims are not an object")
    return claims


def _audiences(aud: Any) -> list[str]:
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        return list(aud)
    return []


def check_binding(
    claims: dict[str, Any],
    *,
    key_audience: str,
    time_audience: str,
    reference_time: int,
) -> str:
    """``token-audience`` then ``token-expired``; returns ``key-bound`` or ``time-bound``."""
    audiences = _audiences(claims.get("aud"))
    if key_audience in audiences:
        return KEY_BOUND
    if time_audience not in audiences:
        raise CheckFailed(
            TOKEN_AUDIENCE, "the token's audience names neither this key nor the verifier"
        )
    check_time(claims, reference_time, "the time-bound token is not valid at the reference time")
    return TIME_BOUND


def check_time(claims: dict[str, Any], reference_time: int, detail: str) -> None:
    """``token-expired`` unless ``reference_time`` is in [nbf, exp] ± 60 s (``exp`` required)."""
    from joserfc.errors import JoseError
    from joserfc.jwt import JWTClaimsRegistry

    registry = JWTClaimsRegistry(now=reference_time, leeway=LEEWAY_S, exp={"essential": True})
    timed: dict[str, Any] = {k: claims[k] for k in ("exp", "nbf", "iat") if k in claims}
    try:
        registry.validate(timed)
    except JoseError:
        raise CheckFailed(TOKEN_EXPIRED, detail) from None


def check_token(
    token: str,
    root: TrustRoot,
    *,
    key_audience: str,
    time_audience: str = DEFAULT_TIME_AUDIENCE,
    reference_time: int,
    facts: list[TokenFacts] | None = None,
) -> TokenFacts:
    """Every token check in order; ``facts`` (if given) receives what was learnt before a failure."""
    alg, kid, jwk_dict = check_header(token, root)
    partial = TokenFacts(kid=kid, alg=alg)
    if facts is not None:
        facts.append(partial)
    claims = verify_signature(token, alg, jwk_dict)
    exp = claims.get("exp") if isinstance(claims.get("exp"), int) else None
    partial = TokenFacts(kid=kid, alg=alg, aud=claims.get("aud"), exp=exp, claims=claims)
    if facts is not None:
        facts.append(partial)
    if claims.get("iss") != root.issuer:
        raise CheckFailed(TOKEN_ISSUER, "the token's iss is not the trusted issuer")
    binding = check_binding(
        claims,
        key_audience=key_audience,
        time_audience=time_audience,
        reference_time=reference_time,
    )
    return TokenFacts(kid, alg, claims.get("aud"), exp, binding, claims)


def check_bearer_token(
    token: str, root: TrustRoot, *, audience: str, reference_time: int
) -> dict[str, Any]:
    """A service's bearer token (`anchor spool serve`): the same checks, one fixed audience.

    ``token-alg``, ``token-kid``, ``token-signature``, ``token-issuer`` as above, then
    ``token-audience`` (``audience`` must be among ``aud``) and ``token-expired`` (always
    time-bound: there is no key-bound form here). Returns the verified claims.
    """
    alg, _kid, jwk_dict = check_header(token, root)
    claims = verify_signature(token, alg, jwk_dict)
    if claims.get("iss") != root.issuer:
        raise CheckFailed(TOKEN_ISSUER, "the token's iss is not the trusted issuer")
    if audience not in _audiences(claims.get("aud")):
        raise CheckFailed(TOKEN_AUDIENCE, "the token's audience is not this service's")
    check_time(claims, reference_time, "the token is expired or not yet valid")
    return claims
