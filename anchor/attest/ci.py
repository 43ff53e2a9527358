"""The CI side of ``anchor attest``: find the identity token, read its claims, check them against the job.

Where the token comes from (first match wins):

1. ``--token-file F`` (read by the CLI, passed in as bytes);
2. GitHub Actions with ``id-token: write``: GET ``$ACTIONS_ID_TOKEN_REQUEST_URL&audience=
   anchor:v1:sha256:<keyid>`` with ``Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN``,
   answer ``{"value": jwt}`` — a **key-bound** token;
3. ``ANCHOR_ID_TOKEN`` — GitLab's ``id_tokens: {ANCHOR_ID_TOKEN: {aud: evidence-anchor}}``
   (**time-bound**) or any other CI.

GitLab's deprecated ``CI_JOB_JWT*`` are refused, and no token at all (a local run) is
:class:`~anchor.attest.codes.NoIdentityToken` (exit 5). The token is a secret for its
lifetime: no message here ever contains it or the request token.

The statement's values come from the token's claims (:func:`context_from_claims`); the
CI environment must agree with them (:func:`check_environment`, exit 4 on a difference).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from anchor.attest import strictjson
from anchor.attest.codes import AttestInputError, NoIdentityToken
from anchor.attest.identity import platform_of
from anchor.attest.statement import BuildContext
from anchor.chain.readers import HttpClient, TransportError

GITHUB = "github"
GITLAB = "gitlab"
_GITHUB_ENV = {
    "repository": "GITHUB_REPOSITORY",
    "ref": "GITHUB_REF",
    "sha": "GITHUB_SHA",
    "workflow_ref": "GITHUB_WORKFLOW_REF",
    "run_id": "GITHUB_RUN_ID",
    "run_attempt": "GITHUB_RUN_ATTEMPT",
}
_GITLAB_ENV = {
    "project_path": "CI_PROJECT_PATH",
    "ref": "CI_COMMIT_REF_NAME",
    "sha": "CI_COMMIT_SHA",
    "pipeline_id": "CI_PIPELINE_ID",
    "job_id": "CI_JOB_ID",
}


def on_github(env: Mapping[str, str]) -> bool:
    """True when the job can request a GitHub Actions OIDC token."""
    return bool(
        env.get("ACTIONS_ID_TOKEN_REQUEST_URL") and env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    )


def _clean(token: str) -> str:
    token = token.strip()
    if not token or any(c.isspace() for c in token) or token.count(".") != 2:
        raise AttestInputError("the identity token is not a compact JWT")
    return token


def request_github_token(env: Mapping[str, str], audience: str, client: HttpClient) -> str:
    """Ask the GitHub Actions token endpoint for a token with ``audience`` (exit 5 on failure)."""
    url = env["ACTIONS_ID_TOKEN_REQUEST_URL"]
    sep = "&" if "?" in url else "?"
    headers = {"Authorization": f"bearer {env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"}
    try:
        response = client.request(
            "GET", f"{url}{sep}audience={quote(audience, safe='')}", purpose="oidc", headers=headers
        )
    except TransportError:
        raise NoIdentityToken("the GitHub OIDC token endpoint is unreachable") from None
    if response.status != 200:
        raise NoIdentityToken(f"the GitHub OIDC token endpoint answered HTTP {response.status}")
    try:
        value = strictjson.loads(response.content).get("value")
    except (strictjson.StrictJSONError, AttributeError):
        value = None
    if not isinstance(value, str):
        raise NoIdentityToken("the GitHub OIDC token endpoint sent no token value")
    return _clean(value)


def find_token(
    env: Mapping[str, str],
    *,
    key_audience: str,
    token_file: bytes | None,
    client: HttpClient | None,
) -> tuple[str, str]:
    """The identity token and where it came from (``token-file``, ``github``, ``ANCHOR_ID_TOKEN``)."""
    if token_file is not None:
        try:
            return _clean(token_file.decode("ascii")), "token-file"
        except UnicodeDecodeError:
            raise AttestInputError("the token file is not a compact JWT") from None
    if on_github(env):
        if client is None:
            from anchor.chain.readers import HttpxClient

            client = HttpxClient(timeout=30.0)
        return request_github_token(env, key_audience, client), GITHUB
    if env.get("ANCHOR_ID_TOKEN"):
        return _clean(env["ANCHOR_ID_TOKEN"]), "ANCHOR_ID_TOKEN"
    if any(k.startswith("CI_JOB_JWT") for k in env):
        raise NoIdentityToken(
            "CI_JOB_JWT is deprecated and refused",
            hint="declare id_tokens: {ANCHOR_ID_TOKEN: {aud: evidence-anchor}} in the job",
        )
    raise NoIdentityToken(
        "no OIDC identity token: not in a CI job with id-token permission",
        hint="on GitHub grant 'id-token: write'; on GitLab declare ANCHOR_ID_TOKEN; "
        "elsewhere pass --token-file or set ANCHOR_ID_TOKEN",
    )


def unverified_claims(token: str) -> dict[str, Any]:
    """The token's claims without checking its signature (the issuer is the CI platform itself)."""
    from joserfc.errors import JoseError
    from joserfc.jws import extract_compact

    try:
        claims = strictjson.loads(extract_compact(token.encode("ascii")).payload)
    except (JoseError, ValueError):
        raise AttestInputError("the identity token's claims are not readable") from None
    if not isinstance(claims, dict):
        raise AttestInputError("the identity token's claims are not an object")
    return claims


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise AttestInputError(f"the identity token has no {name} claim")
    return value


def context_from_claims(claims: Mapping[str, Any], env: Mapping[str, str]) -> BuildContext:
    """The statement's build context, every identity value taken from the claims."""
    platform = platform_of(dict(claims))
    if platform == GITHUB:
        repo, ref, wf_ref = (_text(claims, n) for n in ("repository", "ref", "workflow_ref"))
        prefix, suffix = f"{repo}/", f"@{ref}"
        if not (wf_ref.startswith(prefix) and wf_ref.endswith(suffix)):
            raise AttestInputError("the token's workflow_ref does not name this repository and ref")
        server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        run_id, attempt = _text(claims, "run_id"), _text(claims, "run_attempt")
        runner = str(claims.get("runner_environment", "github-hosted"))
        return BuildContext(
            platform=GITHUB,
            repository=repo,
            ref=ref,
            workflow_path=wf_ref[len(prefix) : -len(suffix)],
            workflow_ref=wf_ref,
            commit=_text(claims, "sha"),
            run_id=run_id,
            run_attempt=attempt,
            job_id=env.get("GITHUB_JOB", ""),
            builder_id=f"{server}/actions/runner/{runner}",
            invocation_id=f"{server}/{repo}/actions/runs/{run_id}/attempts/{attempt}",
            source_uri=f"git+{server}/{repo}@{ref}",
        )
    if platform == GITLAB:
        project, ref = _text(claims, "project_path"), _text(claims, "ref")
        config = _text(claims, "ci_config_ref_uri")
        path = config.split("//", 1)[1].rsplit("@", 1)[0] if "//" in config else ""
        server = str(claims.get("iss") or env.get("CI_SERVER_URL", "")).rstrip("/")
        job = _text(claims, "job_id")
        return BuildContext(
            platform=GITLAB,
            repository=project,
            ref=ref,
            workflow_path=env.get("CI_CONFIG_PATH", path) or path,
            workflow_ref=config,
            commit=_text(claims, "sha"),
            run_id=_text(claims, "pipeline_id"),
            run_attempt="1",
            job_id=job,
            builder_id=f"{server}/{project}/-/runners/{claims.get('runner_id', '')}",
            invocation_id=f"{server}/{project}/-/jobs/{job}",
            source_uri=f"git+{server}/{project}@{ref}",
        )
    raise AttestInputError(
        "the identity token's claims are neither GitHub- nor GitLab-shaped; cannot describe the build"
    )


def check_environment(claims: Mapping[str, Any], env: Mapping[str, str]) -> None:
    """Every CI variable that is set must equal the token's claim (exit 4 naming the first that differs)."""
    table = _GITHUB_ENV if platform_of(dict(claims)) == GITHUB else _GITLAB_ENV
    for claim, var in table.items():
        if var in env and env[var] != str(claims.get(claim, "")):
            raise AttestInputError(f"the token's {claim} claim differs from ${var} of this job")
