"""templates/anchor.gitlab-ci.yml, run as a GitLab runner runs it (tests/ci/glci.py), on the devnet.

The jobs' scripts execute for real (bash, ``pip install`` of this checkout in place of the
published package, ``python -m anchor.ci gitlab ...``) with the predefined variables GitLab
sets for a tag pipeline of ``acme/app``, the three secrets as project CI/CD variables and the
job's ``id_tokens`` token. ``curl`` (the release job's uploads to GitLab's API) is a
recording stand-in first on PATH, so the exact URLs and the file it was given are asserted.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from anchor.devnet import RunningDevnet
from tests.ci.conftest import (
    COMMIT,
    FakeTools,
    Secrets,
    assert_no_secret,
    base_env,
    sha256_file,
)
from tests.ci.glci import included, run_job
from tests.conftest import REPO

TEMPLATE = yaml.safe_load((REPO / "templates" / "anchor.gitlab-ci.yml").read_text(encoding="utf-8"))
JOB_TOKEN = "glcbt-" + "Fak3J0bT0ken" * 2
API = "https://gitlab.example.com/api/v4"


def gitlab_predefined(
    tmp: Path, workspace: Path, runner_python: Path, fake: FakeTools, *, tag: bool
) -> dict[str, str]:
    """The predefined variables of a GitLab job (docs: "Predefined CI/CD variables reference")."""
    env = base_env(tmp / "home", fake.bin, runner_python)
    env.update(
        {
            "CI": "true",
            "GITLAB_CI": "true",
            "CI_SERVER_URL": "https://gitlab.example.com",
            "CI_API_V4_URL": API,
            "CI_PROJECT_ID": "4242",
            "CI_PROJECT_PATH": "acme/app",
            "CI_PROJECT_URL": "https://gitlab.example.com/acme/app",
            "CI_PROJECT_DIR": str(workspace),
            "CI_PIPELINE_ID": "1001",
            "CI_PIPELINE_SOURCE": "push",
            "CI_JOB_ID": "5005",
            "CI_JOB_NAME": "anchor",
            "CI_JOB_URL": "https://gitlab.example.com/acme/app/-/jobs/5005",
            "CI_JOB_TOKEN": JOB_TOKEN,
            "CI_COMMIT_SHA": COMMIT,
            "CI_COMMIT_REF_NAME": "v1.2.3" if tag else "main",
            "FAKE_TOOL_RECORD": str(fake.record),
        }
    )
    if tag:
        env["CI_COMMIT_TAG"] = "v1.2.3"
    return env


def test_the_template_runs_only_on_tags() -> None:
    assert included(TEMPLATE, "anchor", {"CI_COMMIT_TAG": "v1.2.3"})
    assert not included(TEMPLATE, "anchor", {"CI_COMMIT_REF_NAME": "main"})
    assert not included(TEMPLATE, "anchor:release", {"CI_COMMIT_REF_NAME": "main"})


def test_the_template_anchors_keeps_the_bundle_and_links_it_from_the_release(
    tmp_path: Path,
    workspace: Path,
    runner_python: Path,
    action_checkout: Path,
    fake_tools: FakeTools,
    ci_secrets: Secrets,
    devnet: RunningDevnet,
) -> None:
    predefined = gitlab_predefined(tmp_path, workspace, runner_python, fake_tools, tag=True)
    project_variables = {
        **ci_secrets.env(),
        "ANCHOR_PATHS": "dist/ sbom/",
        "ANCHOR_NETWORK": "devnet",
        "ANCHOR_PROVIDER_URL": devnet.url,
        "ANCHOR_PIP_SPEC": str(action_checkout),  # this checkout, not the package index
    }
    tokens = {"ANCHOR_ID_TOKEN": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}
    job = run_job(
        TEMPLATE, "anchor", predefined=predefined, project_variables=project_variables,
        id_tokens=tokens, workspace=workspace, timeout=300,
    )  # fmt: skip
    assert job.exit_code == 0, job.stdout + job.stderr
    dotenv = job.dotenv
    assert re.fullmatch(r"[0-9a-f]{64}", dotenv["ANCHOR_TX_HASH"]), dotenv
    assert re.fullmatch(r"[0-9a-f]{64}", dotenv["ANCHOR_ROOT"]), dotenv
    assert dotenv["ANCHOR_PACKAGE_URL"].startswith(f"{API}/projects/4242/packages/generic/"), dotenv
    assert dotenv["ANCHOR_RELEASE_LINKS_URL"] == f"{API}/projects/4242/releases/v1.2.3/assets/links"
    assert all(p.exists() for p in job.artifacts), job.artifacts
    assert (workspace / "evidence" / "manifest.json").is_file()
    assert "valid" in (job.stdout + job.after_stdout).lower()

    release = run_job(
        TEMPLATE, "anchor:release", predefined=predefined, project_variables={},
        id_tokens={}, workspace=workspace, upstream={"anchor": job},
    )  # fmt: skip
    assert release.exit_code == 0, release.stdout + release.stderr
    calls = fake_tools.calls()
    assert [c["tool"] for c in calls] == ["curl", "curl"]
    archive = workspace / dotenv["ANCHOR_BUNDLE_ARCHIVE"]
    upload, link = calls
    assert upload["argv"][-1] == dotenv["ANCHOR_PACKAGE_URL"]
    assert upload["files"] == {dotenv["ANCHOR_BUNDLE_ARCHIVE"]: sha256_file(archive)}
    assert f"JOB-TOKEN: {JOB_TOKEN}" in upload["argv"]
    assert link["argv"][-1] == dotenv["ANCHOR_RELEASE_LINKS_URL"]
    assert f"url={dotenv['ANCHOR_PACKAGE_URL']}" in link["argv"]
    texts = {"job": job.stdout + job.stderr + job.after_stdout + job.after_stderr,
             "release": release.stdout + release.stderr}  # fmt: skip
    assert_no_secret(texts, ci_secrets.needles())
