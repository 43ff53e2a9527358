"""Who is asking `anchor spool serve`: the bearer token's checks and the item source its claims give.

* :class:`Verifier` — the trusted issuer's keys (from OIDC discovery) and the one
  audience; every token goes through :func:`anchor.attest.token.check_bearer_token`, the
  checks `anchor attest` tokens get. An unknown ``kid`` reloads the JWKS, at most every
  :data:`JWKS_REFRESH_S`;
* :func:`identity_from_claims` — the item's source, from the verified claims alone, in the
  ``host/org/repo/run/ID`` form `spool add` reads from the CI environment, and
  :func:`check_allowed` — its repository must match one of the server's ``--allow`` globs;
* :class:`HttpError` — an answer other than success (status, code, one line that never
  contains the token).
"""

from __future__ import annotations

import fnmatch
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from anchor.attest.codes import TOKEN_KID, CheckFailed, TrustRootUnavailable
from anchor.attest.identity import platform_of
from anchor.attest.trustroot import TrustRoot
from anchor.errors import InputError
from anchor.publish.spool import machine

#: An unknown kid refetches the issuer's JWKS at most this often (a key rotation is picked
#: up; a flood of made-up kids does not become a flood of requests to the issuer).
JWKS_REFRESH_S = 30.0
TOKEN_MISSING = "token-missing"
TOKEN_CLAIMS = "token-claims"
NOT_ALLOWED = "not-allowed"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


class HttpError(Exception):
    """An answer other than success: status, error code and one line (never the token)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _claim_text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value:
        return value
    raise HttpError(403, TOKEN_CLAIMS, f"the token has no {name} claim")


def identity_from_claims(claims: Mapping[str, Any]) -> tuple[str, str]:
    """``(host/org/repo, host/org/repo/run/ID)`` for a verified token, as `spool add` derives it.

    GitHub: ``github.com/<repository>/run/<run_id>`` (a GitHub Enterprise issuer
    ``https://HOST/_services/token`` gives ``HOST``). GitLab: the issuer's host and path,
    ``/<project_path>/run/<pipeline_id>``. Anything else is 403.
    """
    platform = platform_of(dict(claims))
    issuer = str(claims.get("iss", ""))
    if platform == "github":
        host = "github.com"
        parts = urlsplit(issuer)
        if issuer != GITHUB_ISSUER and parts.path.rstrip("/") == "/_services/token":
            host = parts.netloc
        repo, run = f"{host}/{_claim_text(claims, 'repository')}", _claim_text(claims, "run_id")
    elif platform == "gitlab":
        base = issuer.split("://", 1)[-1].strip("/")
        repo = f"{base}/{_claim_text(claims, 'project_path')}"
        run = _claim_text(claims, "pipeline_id")
    else:
        raise HttpError(
            403, TOKEN_CLAIMS, "the token's claims name no GitHub or GitLab repository and run"
        )
    try:
        return repo, machine.check_name(f"{repo}/run/{run}", what="the token's source")
    except InputError as exc:
        raise HttpError(403, TOKEN_CLAIMS, exc.message) from None


def source_from_claims(claims: Mapping[str, Any]) -> str:
    """The item source alone (see :func:`identity_from_claims`)."""
    return identity_from_claims(claims)[1]


def check_allowed(repository: str, allow: Sequence[str]) -> None:
    """403 ``not-allowed`` unless ``repository`` (``host/org/repo``) matches an ``--allow`` glob.

    Any job of any repository can get a token for any audience from a public issuer
    (GitHub's is one), so the server names the repositories it takes items from.
    """
    if not any(fnmatch.fnmatchcase(repository, pattern) for pattern in allow):
        raise HttpError(403, NOT_ALLOWED, f"repository {repository} is not allowed on this server")


class Verifier:
    """The trusted issuer's keys and the audience; verifies bearer tokens (thread-safe)."""

    def __init__(
        self,
        root: TrustRoot,
        audience: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._refetch = root.refetch
        self._root = replace(root, refetch=None)
        self._refreshed = float("-inf")  # one reload is allowed at once
        self._lock = threading.Lock()
        self.audience = audience
        self.clock = clock

    @property
    def issuer(self) -> str:
        """The issuer every token must name."""
        return self._root.issuer

    def _refresh(self) -> bool:
        """Reload the JWKS once (at most every :data:`JWKS_REFRESH_S`); True if it was reloaded."""
        with self._lock:
            if self._refetch is None or time.monotonic() - self._refreshed < JWKS_REFRESH_S:
                return False
            self._refreshed = time.monotonic()
            keys = self._refetch()
            self._root = replace(self._root, keys=keys)
            return True

    def verify(self, token: str) -> dict[str, Any]:
        """The token's verified claims; :class:`CheckFailed` naming the first failing check."""
        from anchor.attest.token import check_bearer_token

        def check() -> dict[str, Any]:
            return check_bearer_token(
                token, self._root, audience=self.audience, reference_time=int(self.clock())
            )

        try:
            return check()
        except CheckFailed as exc:
            if exc.code != TOKEN_KID:
                raise
            try:
                reloaded = self._refresh()
            except TrustRootUnavailable:
                raise HttpError(
                    503, "issuer-unavailable", "cannot reload the issuer's keys"
                ) from None
            if not reloaded:
                raise
        return check()


def bearer(authorization: str | None) -> str:
    value = authorization or ""
    scheme, _, token = value.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise HttpError(401, TOKEN_MISSING, "send the job's OIDC token as 'Authorization: Bearer'")
    return token
