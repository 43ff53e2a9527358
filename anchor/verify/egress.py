"""The verifier's single egress point: every outbound call is checked, timed and recorded.

:class:`Egress` implements :class:`anchor.chain.readers.HttpClient`, so the chain
readers use it unchanged. For every attempt — success, HTTP error, transport failure
or policy refusal — it appends one :class:`AuditEntry` ``{url, method, status, bytes,
durationMs, purpose}`` to :attr:`Egress.trail`; the trail is the report's
``auditTrail`` and is never filtered.

Policy, checked before any connection is opened:

* ``purpose`` must be one of ``cardano``, ``arweave``, ``ipfs``, ``oidc``, ``attestation`` and the URL must be a
  well-formed http(s) URL; otherwise :class:`EgressRefused` with ``URI_TARGET_FORBIDDEN``;
* a host on the deny list (the entry itself or any subdomain of it) is refused with
  ``SERVICE_INDEPENDENCE_VIOLATION`` (terminal on the resolve path).

Redirects are never followed (the inner client is built that way), so a 3xx is just
a status the caller treats as unusable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from anchor.chain.readers import HttpClient, HttpResponse, TransportError
from anchor.errors import AnchorError

# oidc: attestation trust roots (discovery, JWKS); attestation: a bundle given by URL.
PURPOSES = frozenset({"cardano", "arweave", "ipfs", "oidc", "attestation"})
SERVICE_INDEPENDENCE_VIOLATION = "SERVICE_INDEPENDENCE_VIOLATION"
URI_TARGET_FORBIDDEN = "URI_TARGET_FORBIDDEN"
STATUS_DENIED = "denied"
STATUS_FORBIDDEN = "forbidden"


class EgressRefused(AnchorError):
    """The egress policy refused a call before connecting; ``code`` is the registry code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.detail = message


@dataclass(frozen=True)
class AuditEntry:
    """One recorded outbound call (the standard's audit-entry shape)."""

    url: str
    method: str
    status: int | str | None
    bytes: int
    duration_ms: float
    purpose: str

    def to_json(self) -> dict[str, Any]:
        """The report form, with the standard's camelCase ``durationMs``."""
        return {
            "url": self.url,
            "method": self.method,
            "status": self.status,
            "bytes": self.bytes,
            "durationMs": round(self.duration_ms, 3),
            "purpose": self.purpose,
        }


def normalize_host(entry: str) -> str:
    """A deny-list entry as a bare lower-case host (a full URL is reduced to its host)."""
    text = entry.strip()
    if "://" in text:
        text = urlsplit(text).hostname or ""
    text = text.split("/")[0].lower().rstrip(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text


def host_is_denied(host: str, deny: Iterable[str]) -> bool:
    """True when ``host`` equals a deny entry or is a subdomain of one."""
    h = host.lower().rstrip(".")
    return any(h == d or h.endswith("." + d) for d in deny if d)


def _redact(url: str) -> str:
    """The URL without userinfo or query string (they may carry credentials).

    Never raises: a URL ``urlsplit`` cannot take apart (bad port, bad IPv6 literal) is
    cut at the first ``?`` or ``#`` and stripped of anything before an ``@``.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
    except ValueError:
        scheme, sep, rest = url.partition("://")
        rest = rest.split("?", 1)[0].split("#", 1)[0]
        authority, slash, path = rest.partition("/")
        return f"{scheme}{sep}{authority.rpartition('@')[2]}{slash}{path}"
    return f"{parts.scheme}://{host}{parts.path}"


class Egress:
    """The recording, policy-enforcing :class:`HttpClient` every verifier network call goes through."""

    def __init__(
        self,
        *,
        inner: HttpClient | None = None,
        deny_hosts: Iterable[str] = (),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._inner = inner
        self._deny = tuple(sorted({normalize_host(d) for d in deny_hosts} - {""}))
        self._clock = clock
        self.trail: list[AuditEntry] = []

    @property
    def deny_hosts(self) -> tuple[str, ...]:
        """The normalized deny list."""
        return self._deny

    def _record(
        self, url: str, method: str, status: int | str | None, size: int, ms: float, purpose: str
    ) -> None:
        self.trail.append(AuditEntry(_redact(url), method, status, size, max(ms, 0.0), purpose))

    def _client(self) -> HttpClient:
        if self._inner is None:
            from anchor.chain.readers import HttpxClient

            self._inner = HttpxClient()
        return self._inner

    def request(
        self,
        method: str,
        url: str,
        *,
        purpose: str,
        headers: dict[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
    ) -> HttpResponse:
        """Check policy, send through the inner client, record the attempt, return the response."""
        method = method.upper()
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
            _ = parts.port  # a malformed port raises here, never inside the inner client
        except ValueError:
            self._record(url, method, STATUS_FORBIDDEN, 0, 0.0, purpose)
            raise EgressRefused(URI_TARGET_FORBIDDEN, f"malformed URL: {_redact(url)}") from None
        if purpose not in PURPOSES or parts.scheme not in ("http", "https") or not host:
            self._record(url, method, STATUS_FORBIDDEN, 0, 0.0, purpose)
            raise EgressRefused(URI_TARGET_FORBIDDEN, f"target not allowed: {_redact(url)}")
        if host_is_denied(host, self._deny):
            self._record(url, method, STATUS_DENIED, 0, 0.0, purpose)
            raise EgressRefused(SERVICE_INDEPENDENCE_VIOLATION, f"host {host} is on the deny list")
        started = self._clock()
        try:
            response = self._client().request(
                method, url, purpose=purpose, headers=headers, json=json, content=content
            )
        except TransportError as exc:
            elapsed = (self._clock() - started) * 1000.0
            self._record(url, method, f"error: {exc.message}", 0, elapsed, purpose)
            raise
        elapsed = (self._clock() - started) * 1000.0
        self._record(url, method, response.status, len(response.content), elapsed, purpose)
        return response

    def audit_trail(self) -> list[dict[str, Any]]:
        """The trail in report form, in call order."""
        return [entry.to_json() for entry in self.trail]
