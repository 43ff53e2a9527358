"""A test OIDC issuer on 127.0.0.1: discovery, JWKS and a GitHub-style token endpoint.

Used by the tests and ``make demo`` to stand in for a CI platform's identity provider:

* ``GET /.well-known/openid-configuration`` — ``issuer``, ``jwks_uri``, ``token_endpoint``;
* ``GET /.well-known/jwks`` — the current public keys (ES256 and RS256), rotated ones removed;
* ``GET /token?audience=A`` with ``Authorization: bearer <request token>`` — ``{"value": jwt}``,
  as GitHub Actions' ``ACTIONS_ID_TOKEN_REQUEST_URL`` answers.

Claims are GitHub-style by default, GitLab-style with ``gitlab=True``; the clock is
injectable, so expiry is tested without waiting. :meth:`OidcIssuer.rotate` replaces the
keys (the old ones leave the JWKS). ``python -m anchor.devnet.oidc`` serves one from the
command line and writes the environment a GitHub job would see (with ``--gitlab``, a GitLab
job: its variables and ``ANCHOR_ID_TOKEN``) to ``--env-file``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shlex
import threading
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

HOST = "127.0.0.1"
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/.well-known/jwks"
TOKEN_PATH = "/token"
LIFETIME_S = 600
GITLAB_AUDIENCE = "evidence-anchor"  # the aud a GitLab job's id_tokens declares in docs/attest.md
SigningKey = ECKey | RSAKey


def _new_key(alg: str) -> SigningKey:
    key: SigningKey = (
        ECKey.generate_key("P-256", private=True)
        if alg == "ES256"
        else RSAKey.generate_key(2048, private=True)
    )
    key.ensure_kid()
    return key


class OidcIssuer:
    """The issuer's state: keys, claims, clock. Thread-safe; the HTTP handler reads it."""

    def __init__(
        self,
        *,
        gitlab: bool = False,
        clock: Callable[[], float] = time.time,
        lifetime: int = LIFETIME_S,
    ) -> None:
        self.gitlab = gitlab
        self.clock = clock
        self.lifetime = lifetime
        self.url = ""  # set when served
        self.discovery_issuer: str | None = None  # override to test a lying discovery document
        self.request_token = secrets.token_urlsafe(24)
        self.claims: dict[str, Any] = self.default_claims(gitlab)
        self._lock = threading.Lock()
        self._keys: dict[str, SigningKey] = {a: _new_key(a) for a in ("ES256", "RS256")}
        self.requests = 0

    @staticmethod
    def default_claims(gitlab: bool) -> dict[str, Any]:
        """The identity claims of the pretend job (GitHub Actions or GitLab CI shape)."""
        if gitlab:
            return {
                "sub": "project_path:acme/app:ref_type:branch:ref:main",
                "namespace_path": "acme",
                "project_path": "acme/app",
                "ref": "main",
                "ref_type": "branch",
                "sha": "5f3c2a1b" * 5,
                "ci_config_ref_uri": "gitlab.example/acme/app//.gitlab-ci.yml@refs/heads/main",
                "pipeline_id": "7001",
                "job_id": "90210",
                "runner_id": "12",
            }
        return {
            "sub": "repo:acme/app:ref:refs/heads/main",
            "repository": "acme/app",
            "repository_owner": "acme",
            "ref": "refs/heads/main",
            "sha": "5f3c2a1b" * 5,
            "workflow_ref": "acme/app/.github/workflows/release.yml@refs/heads/main",
            "run_id": "4242",
            "run_attempt": "1",
            "runner_environment": "github-hosted",
        }

    def key(self, alg: str = "ES256") -> SigningKey:
        """The current signing key for ``alg``."""
        with self._lock:
            return self._keys[alg]

    def rotate(self) -> None:
        """New keys for both algorithms; the old ones disappear from the JWKS."""
        with self._lock:
            self._keys = {a: _new_key(a) for a in self._keys}

    def jwks(self) -> dict[str, Any]:
        """The published JWKS: public parts only, each with ``kid``, ``alg`` and ``use``."""
        with self._lock:
            keys = list(self._keys.items())
        out = []
        for alg, key in keys:
            public = key.as_dict(private=False)
            public.update({"alg": alg, "use": "sig"})
            out.append(public)
        return {"keys": out}

    def mint(
        self,
        audience: str | list[str],
        *,
        alg: str = "ES256",
        claims: Mapping[str, Any] | None = None,
        lifetime: int | None = None,
    ) -> str:
        """A signed ID token for ``audience`` with the job's claims (``claims`` overrides any)."""
        now = int(self.clock())
        key = self.key(alg)
        body: dict[str, Any] = {
            "iss": self.url,
            "aud": audience,
            "jti": secrets.token_hex(8),
            "iat": now,
            "nbf": now,
            "exp": now + (self.lifetime if lifetime is None else lifetime),
            **self.claims,
        }
        body.update(claims or {})
        header = {"alg": alg, "kid": key.kid, "typ": "JWT"}
        return jwt.encode(header, body, key, algorithms=[alg])

    def discovery(self) -> dict[str, Any]:
        """The OpenID configuration document."""
        return {
            "issuer": self.discovery_issuer or self.url,
            "jwks_uri": self.url + JWKS_PATH,
            "token_endpoint": self.url + TOKEN_PATH,
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        }

    def github_env(self) -> dict[str, str]:
        """The environment of a GitHub Actions job with ``id-token: write`` pointing here."""
        c = self.claims
        return {
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{self.url}{TOKEN_PATH}?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self.request_token,
            "GITHUB_REPOSITORY": c["repository"],
            "GITHUB_REF": c["ref"],
            "GITHUB_SHA": c["sha"],
            "GITHUB_WORKFLOW_REF": c["workflow_ref"],
            "GITHUB_RUN_ID": c["run_id"],
            "GITHUB_RUN_ATTEMPT": c["run_attempt"],
            "GITHUB_JOB": "release",
        }

    def gitlab_env(self, audience: str = GITLAB_AUDIENCE) -> dict[str, str]:
        """The environment of a GitLab CI job whose ``id_tokens`` gives ANCHOR_ID_TOKEN for ``audience``.

        GitLab puts the token itself in the job's environment (no token endpoint), so it is
        minted now, valid for the issuer's lifetime.
        """
        return {**self.gitlab_job_env(), "ANCHOR_ID_TOKEN": self.mint(audience)}

    def gitlab_job_env(self) -> dict[str, str]:
        """The GitLab CI variables matching the issuer's claims (no token)."""
        c = self.claims
        return {
            "GITLAB_CI": "true",
            "CI_PROJECT_PATH": c["project_path"],
            "CI_COMMIT_REF_NAME": c["ref"],
            "CI_COMMIT_SHA": c["sha"],
            "CI_PIPELINE_ID": c["pipeline_id"],
            "CI_JOB_ID": c["job_id"],
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, issuer: OidcIssuer) -> None:
        super().__init__((HOST, port), _Handler)
        self.issuer = issuer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request line carries the audience and tests read stderr."""

    def _json(self, status: int, doc: Any) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        issuer = self.server.issuer
        parts = urlsplit(self.path)
        if parts.path == DISCOVERY_PATH:
            self._json(200, issuer.discovery())
        elif parts.path == JWKS_PATH:
            self._json(200, issuer.jwks())
        elif parts.path == TOKEN_PATH:
            expected = f"bearer {issuer.request_token}"
            if not secrets.compare_digest(self.headers.get("Authorization", ""), expected):
                self._json(401, {"message": "bad request token"})
                return
            audience = parse_qs(parts.query).get("audience", [])
            if len(audience) != 1:
                self._json(400, {"message": "exactly one audience"})
                return
            issuer.requests += 1
            self._json(200, {"count": 1, "value": issuer.mint(audience[0])})
        else:
            self._json(404, {"message": "not found"})


class RunningOidc:
    """A served :class:`OidcIssuer`; stop it (or use it as a context manager) when done."""

    def __init__(self, issuer: OidcIssuer, port: int = 0) -> None:
        self.issuer = issuer
        self._server = _Server(port, issuer)
        self.port = int(self._server.server_address[1])
        self.url = f"http://{HOST}:{self.port}"
        issuer.url = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Shut the server down and join its thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningOidc:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_oidc(
    *, gitlab: bool = False, clock: Callable[[], float] = time.time, port: int = 0
) -> RunningOidc:
    """Serve a fresh issuer on 127.0.0.1 (``port`` 0 = a free one)."""
    return RunningOidc(OidcIssuer(gitlab=gitlab, clock=clock), port)


def main(argv: list[str] | None = None) -> int:
    """``python -m anchor.devnet.oidc [--port N] [--gitlab] [--env-file F]``: serve until killed."""
    parser = argparse.ArgumentParser(prog="python -m anchor.devnet.oidc", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--gitlab", action="store_true", help="GitLab-style claims")
    parser.add_argument(
        "--env-file",
        type=Path,
        help="write the job environment (sh syntax): GitHub's token endpoint, or with --gitlab "
        f"GitLab's variables and ANCHOR_ID_TOKEN for the audience {GITLAB_AUDIENCE!r}",
    )
    args = parser.parse_args(argv)
    running = start_oidc(gitlab=args.gitlab, port=args.port)
    if args.env_file:
        issuer = running.issuer
        job = issuer.gitlab_env() if args.gitlab else issuer.github_env()
        lines = [f"export {k}={shlex.quote(v)}" for k, v in job.items()]
        lines.append(f"export ANCHOR_OIDC_ISSUER={shlex.quote(running.url)}")
        args.env_file.write_text("\n".join(lines) + "\n")
        args.env_file.chmod(0o600)
    print(f"oidc issuer {running.url} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        running.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
