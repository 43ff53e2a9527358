"""`anchor attest`, `anchor verify-attestation` and `anchor trust-root fetch` through the real CLI.

The token is a secret: every test that has one greps every output for it. On GitHub the
only place it may appear is the single ``::add-mask::`` line, which comes first.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from anchor.devnet.oidc import RunningOidc, start_oidc
from tests.conftest import CliResult
from tests.unit.attest.kit import ARTIFACT, ARTIFACT_SHA, job_env

Run = Callable[..., CliResult]
_CI_PREFIXES = ("GITHUB_", "ACTIONS_", "CI_", "GITLAB", "ANCHOR_ID_TOKEN", "RUNNER_")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No CI variables from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith(_CI_PREFIXES):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture(scope="module")
def github() -> Iterator[RunningOidc]:
    with start_oidc() as running:
        yield running


@pytest.fixture(scope="module")
def gitlab() -> Iterator[RunningOidc]:
    with start_oidc(gitlab=True) as running:
        yield running


def _artifact(tmp: Path) -> Path:
    path = tmp / "app-1.0.tgz"
    path.write_bytes(ARTIFACT)
    return path


def _no_secret(result: CliResult, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.stdout and secret not in result.stderr


def test_attest_on_github_masks_first_then_verifies(
    run_cli: Run, tmp_path: Path, github: RunningOidc, clean_env: pytest.MonkeyPatch
) -> None:
    for k, v in job_env(github.issuer).items():
        clean_env.setenv(k, v)
    before = github.issuer.requests
    r = run_cli(["attest", "--subject-path", _artifact(tmp_path), "-o", tmp_path, "--json"])
    assert r.exit_code == 0, r.stderr
    mask, result_line = r.stdout.splitlines()
    assert mask.startswith("::add-mask::")
    token = mask.removeprefix("::add-mask::")
    assert github.issuer.requests == before + 1
    assert json.loads(result_line) == {
        "storageKey": str(tmp_path / "app-1.0.tgz.sigstore.json"),
        "subjectDigest": f"sha256:{ARTIFACT_SHA}",
        "bundleMediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
    }
    assert token not in r.stderr and r.stdout.count(token) == 1
    assert github.issuer.request_token not in r.stdout + r.stderr
    v = run_cli(
        [
            "verify-attestation",
            _artifact(tmp_path),
            "--bundle",
            tmp_path / "app-1.0.tgz.sigstore.json",
            "--trust-root",
            github.url,
            "--json",
        ]
    )
    doc = json.loads(v.stdout)
    assert (v.exit_code, doc["verdict"], doc["token"]["binding"]) == (0, "verified", "key-bound")
    assert doc["identity"]["repository"] == "acme/app"
    _no_secret(v, token)
    human = run_cli(
        [
            "verify-attestation",
            "--bundle",
            tmp_path / "app-1.0.tgz.sigstore.json",
            "--trust-root",
            github.url,
        ]
    )
    assert (human.exit_code, human.stdout) == (
        0,
        f"verified: app-1.0.tgz by {github.url} (key-bound)\n",
    )


def test_the_test_issuers_gitlab_job_environment_attests_time_bound(
    run_cli: Run, tmp_path: Path, gitlab: RunningOidc, clean_env: pytest.MonkeyPatch
) -> None:
    """`python -m anchor.devnet.oidc --gitlab --env-file F` writes this (docs/attest.md runs it)."""
    job = gitlab.issuer.gitlab_env()
    assert job["ANCHOR_ID_TOKEN"].count(".") == 2
    for k, v in job.items():
        clean_env.setenv(k, v)
    r = run_cli(["attest", "--subject-path", _artifact(tmp_path), "-o", tmp_path])
    assert r.exit_code == 0, r.stderr
    _no_secret(r, job["ANCHOR_ID_TOKEN"])
    v = run_cli(
        ["verify-attestation", _artifact(tmp_path), "--bundle",
         tmp_path / "app-1.0.tgz.sigstore.json", "--trust-root", gitlab.url, "--json"]
    )  # fmt: skip
    doc = json.loads(v.stdout)
    assert (v.exit_code, doc["verdict"], doc["token"]["binding"]) == (0, "verified", "time-bound")


def test_attest_github_environment_mismatch_exits_4(
    run_cli: Run, tmp_path: Path, github: RunningOidc, clean_env: pytest.MonkeyPatch
) -> None:
    for k, v in job_env(github.issuer).items():
        clean_env.setenv(k, v)
    clean_env.setenv("GITHUB_SHA", "9" * 40)
    r = run_cli(["attest", "--subject-path", _artifact(tmp_path), "-o", tmp_path])
    assert r.exit_code == 4
    assert (
        r.stderr.splitlines()[-1]
        == "error: the token's sha claim differs from $GITHUB_SHA of this job"
    )
    token = r.stdout.removeprefix("::add-mask::").strip()
    assert r.stdout.count(token) == 1 and token not in r.stderr
    assert not (tmp_path / "app-1.0.tgz.sigstore.json").exists()


def test_attest_on_gitlab_is_time_bound(
    run_cli: Run, tmp_path: Path, gitlab: RunningOidc, clean_env: pytest.MonkeyPatch
) -> None:
    token = gitlab.issuer.mint("evidence-anchor")
    for k, v in job_env(gitlab.issuer).items():
        clean_env.setenv(k, v)
    clean_env.setenv("ANCHOR_ID_TOKEN", token)
    clean_env.setenv("CI_JOB_JWT_V2", "legacy.token.ignored")
    r = run_cli(
        [
            "attest",
            "--subject-digest",
            f"sha256:{ARTIFACT_SHA.upper()}",
            "--subject-name",
            "registry.example/acme/app",
            "-o",
            tmp_path,
            "--json",
        ]
    )
    assert r.exit_code == 0, r.stderr
    _no_secret(r, token)
    key = json.loads(r.stdout)["storageKey"]
    assert key == str(tmp_path / "app.sigstore.json")
    v = run_cli(["verify-attestation", "--bundle", key, "--trust-root", gitlab.url, "--json"])
    doc = json.loads(v.stdout)
    assert (v.exit_code, doc["token"]["binding"], doc["identity"]["project_path"]) == (
        0,
        "time-bound",
        "acme/app",
    )


def test_attest_with_a_token_file(
    run_cli: Run, tmp_path: Path, gitlab: RunningOidc, clean_env: pytest.MonkeyPatch
) -> None:
    token = gitlab.issuer.mint("evidence-anchor")
    (tmp_path / "tok").write_text(token + "\n")
    r = run_cli(
        [
            "attest",
            "--subject-path",
            _artifact(tmp_path),
            "--token-file",
            tmp_path / "tok",
            "-o",
            tmp_path,
        ]
    )
    assert r.exit_code == 0, r.stderr
    _no_secret(r, token)
    assert json.loads(r.stdout)["subjectDigest"] == f"sha256:{ARTIFACT_SHA}"


def test_attest_refuses_the_deprecated_ci_job_jwt(
    run_cli: Run, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("CI_JOB_JWT", "aaa.bbb.ccc")
    r = run_cli(["attest", "--subject-path", _artifact(tmp_path), "-o", tmp_path])
    assert (r.exit_code, r.stdout) == (5, "")
    assert r.stderr.startswith("error: CI_JOB_JWT is deprecated and refused")
    _no_secret(r, "aaa.bbb.ccc")


def test_attest_without_any_token_exits_5(
    run_cli: Run, tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    r = run_cli(["attest", "--subject-path", _artifact(tmp_path), "-o", tmp_path])
    assert (r.exit_code, r.stdout) == (5, "")
    assert r.stderr.startswith(
        "error: no OIDC identity token: not in a CI job with id-token permission"
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--subject-digest", "sha256:" + "a" * 64],
            "error: --subject-name is required with --subject-digest",
        ),
        (
            ["--subject-digest", "md5:abc", "--subject-name", "x"],
            "error: --subject-digest must be sha256:<64 hex digits>",
        ),
        ([], "error: give exactly one of --subject-path and --subject-digest"),
    ],
)
def test_attest_bad_subjects_exit_4(
    run_cli: Run, tmp_path: Path, clean_env: pytest.MonkeyPatch, args: list[str], line: str
) -> None:
    r = run_cli(["attest", *args, "-o", tmp_path])
    assert (r.exit_code, r.stderr.strip()) == (4, line)


def test_verify_attestation_exits_1_on_usage_errors_and_unreachable_roots(
    run_cli: Run, tmp_path: Path, github: RunningOidc, clean_env: pytest.MonkeyPatch
) -> None:
    from tests.unit.attest.kit import make_bundle

    bundle = tmp_path / "b.sigstore.json"
    bundle.write_bytes(make_bundle(github.issuer).data)
    assert run_cli(["verify-attestation", "--bundle", bundle]).exit_code == 1
    assert run_cli(["verify-attestation", "--bogus"]).exit_code == 1
    r = run_cli(["verify-attestation", "--bundle", bundle, "--trust-root", "http://example.com/"])
    assert (r.exit_code, r.stderr.strip()) == (
        1,
        "error: trust root http://example.com/: https only (plain http only on a loopback host)",
    )
    with start_oidc() as gone:
        dead = gone.url
    r = run_cli(["verify-attestation", "--bundle", bundle, "--trust-root", dead, "--json"])
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["verdict"], doc["code"]) == (
        1,
        "unverifiable",
        "trust-root-unavailable",
    )
    assert [c["ok"] for c in doc["checks"]][:3] == [True, True, True]


def test_trust_root_fetch_and_merge_keep_rotated_keys(run_cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "root.json"
    with start_oidc() as issuer:
        r = run_cli(["trust-root", "fetch", issuer.url, "-o", out])
        assert r.exit_code == 0, r.stderr
        first = json.loads(out.read_text())
        assert first["issuer"] == issuer.url and len(first["jwks"]["keys"]) == 2
        issuer.issuer.rotate()
        r = run_cli(["trust-root", "fetch", issuer.url, "-o", out, "--merge"])
        assert r.stderr == f"wrote {out}: {issuer.url}, 4 keys (2 kept from before)\n"
        merged = json.loads(out.read_text())["jwks"]["keys"]
        assert merged[2:] == first["jwks"]["keys"]
        r = run_cli(["trust-root", "fetch", issuer.url, "-o", out])
        assert len(json.loads(out.read_text())["jwks"]["keys"]) == 2
        issuer.issuer.discovery_issuer = "https://other.example"
        r = run_cli(["trust-root", "fetch", issuer.url, "-o", out])
        assert (r.exit_code, r.stderr) == (
            4,
            f"error: discovery at {issuer.url} names another issuer\n",
        )
