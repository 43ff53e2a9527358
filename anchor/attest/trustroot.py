"""The trusted issuer: its URL and published keys, from a trust-root file or OIDC discovery.

The verifier never trusts the issuer named inside a token; it comes only from here.

* a file ``{"issuer": URL, "jwks": {"keys": [...]}, "claimMap": {...}?}`` (air-gapped use);
* an issuer URL: ``<url>/.well-known/openid-configuration`` must name ``issuer`` equal to
  the URL, then its ``jwks_uri`` is fetched. ``https`` only, plain ``http`` only for a
  loopback host. Every request goes through the injected client (the verifier's egress
  wrapper, which records it).

:func:`merge` keeps rotated-out keys, so a snapshot taken before a rotation still verifies
bundles signed with the old keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from anchor.attest import strictjson
from anchor.attest.codes import AttestInputError, TrustRootUnavailable
from anchor.chain.readers import HttpClient, TransportError

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
DISCOVERY = "/.well-known/openid-configuration"
EGRESS_PURPOSE = "oidc"


@dataclass(frozen=True)
class TrustRoot:
    """An issuer and its JWKS; ``refetch`` (online roots only) reloads the JWKS once on an unknown kid."""

    issuer: str
    keys: tuple[dict[str, Any], ...]
    claim_map: dict[str, str] | None = None
    source: str = "file"
    refetch: Callable[[], tuple[dict[str, Any], ...]] | None = field(default=None, compare=False)

    def to_file(self) -> bytes:
        """The trust-root file form (``issuer``, ``jwks``, optional ``claimMap``), pretty JSON."""
        import json

        doc: dict[str, Any] = {"issuer": self.issuer, "jwks": {"keys": list(self.keys)}}
        if self.claim_map:
            doc["claimMap"] = self.claim_map
        return json.dumps(doc, indent=2).encode("utf-8") + b"\n"


def _keys(jwks: Any, what: str) -> tuple[dict[str, Any], ...]:
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise AttestInputError(f"{what}: no JWKS 'keys' list")
    keys = jwks["keys"]
    if not all(isinstance(k, dict) and isinstance(k.get("kty"), str) for k in keys):
        raise AttestInputError(f"{what}: a JWKS key is not a JWK object")
    return tuple(keys)


def load_file(data: bytes, *, name: str = "trust root") -> TrustRoot:
    """Parse a trust-root file; :class:`AttestInputError` (exit 4) when it is malformed."""
    try:
        doc = strictjson.loads(data)
    except strictjson.StrictJSONError as exc:
        raise AttestInputError(f"{name}: not strict JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("issuer"), str):
        raise AttestInputError(f"{name}: no 'issuer' string")
    claim_map = doc.get("claimMap")
    if claim_map is not None and not (
        isinstance(claim_map, dict) and all(isinstance(v, str) for v in claim_map.values())
    ):
        raise AttestInputError(f"{name}: 'claimMap' must map claim names to templates")
    return TrustRoot(doc["issuer"], _keys(doc.get("jwks"), name), claim_map, source="file")


def check_issuer_url(url: str) -> None:
    """Refuse an issuer URL that is not https (or http on a loopback host), exit 4."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise AttestInputError(f"trust root {url!r} is not a URL") from None
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host in LOOPBACK:
        return
    raise AttestInputError(f"trust root {url}: https only (plain http only on a loopback host)")


def _get_json(client: HttpClient, url: str) -> Any:
    check_issuer_url(url)
    try:
        response = client.request("GET", url, purpose=EGRESS_PURPOSE)
    except TransportError as exc:
        raise TrustRootUnavailable(f"cannot fetch {url}: {exc.message}") from None
    if response.status != 200:
        raise TrustRootUnavailable(f"{url} answered HTTP {response.status}")
    try:
        return strictjson.loads(response.content)
    except strictjson.StrictJSONError:
        raise TrustRootUnavailable(f"{url} did not return strict JSON") from None


class DiscoveryMismatch(AttestInputError):
    """The discovery document names another issuer than the trust-root URL (a ``token-issuer`` failure)."""


def fetch(url: str, client: HttpClient) -> TrustRoot:
    """Discover ``url``'s JWKS through ``client``; the discovery ``issuer`` must equal ``url``."""
    issuer = url.rstrip("/")
    check_issuer_url(issuer)
    config = _get_json(client, issuer + DISCOVERY)
    if not isinstance(config, dict) or not isinstance(config.get("jwks_uri"), str):
        raise TrustRootUnavailable(f"{issuer}{DISCOVERY} has no jwks_uri")
    if config.get("issuer") != issuer:
        raise DiscoveryMismatch(f"discovery at {issuer} names another issuer")
    jwks_uri = config["jwks_uri"]

    def refetch() -> tuple[dict[str, Any], ...]:
        try:
            return _keys(_get_json(client, jwks_uri), jwks_uri)
        except AttestInputError as exc:
            raise TrustRootUnavailable(exc.message) from None

    return TrustRoot(issuer, refetch(), None, source="discovery", refetch=refetch)


def merge(old: TrustRoot, new: TrustRoot) -> TrustRoot:
    """``new`` plus every key of ``old`` whose kid ``new`` lacks (rotated-out keys are kept).

    Both must name the same issuer (:class:`AttestInputError` otherwise).
    """
    if old.issuer != new.issuer:
        raise AttestInputError(f"cannot merge trust roots of {old.issuer} and {new.issuer}")
    kids = {k.get("kid") for k in new.keys}
    kept = tuple(k for k in old.keys if k.get("kid") not in kids)
    return replace(new, keys=new.keys + kept, claim_map=new.claim_map or old.claim_map)
