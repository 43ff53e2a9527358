"""Release/source/build metadata from flags and the GitHub Actions / GitLab CI environment."""

from __future__ import annotations

import pytest

from anchor.evidence.metadata import (
    CI_VARIABLES,
    Metadata,
    MetadataError,
    from_environment,
    resolve_metadata,
)

SHA = "0123456789abcdef0123456789abcdef01234567"

GITHUB_ENV = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/widget",
    "GITHUB_SHA": SHA,
    "GITHUB_REF": "refs/tags/v1.2.3",
    "GITHUB_REF_TYPE": "tag",
    "GITHUB_REF_NAME": "v1.2.3",
    "GITHUB_WORKFLOW": "release",
    "GITHUB_RUN_ID": "987654321",
    "GITHUB_RUN_ATTEMPT": "2",
    # never recorded:
    "GITHUB_TOKEN": "ghs_secret",
    "GITHUB_ACTOR": "someone",
    "RUNNER_NAME": "runner-7",
    "HOME": "/home/runner",
}

GITLAB_ENV = {
    "GITLAB_CI": "true",
    "CI_PROJECT_URL": "https://gitlab.example.com/acme/widget",
    "CI_PROJECT_NAME": "widget",
    "CI_COMMIT_SHA": SHA.upper(),
    "CI_COMMIT_TAG": "v2.0.0",
    "CI_COMMIT_REF_NAME": "v2.0.0",
    "CI_CONFIG_PATH": ".gitlab-ci.yml",
    "CI_PIPELINE_ID": "4242",
    "CI_PIPELINE_URL": "https://gitlab.example.com/acme/widget/-/pipelines/4242",
    "CI_PIPELINE_CREATED_AT": "2024-05-06T07:08:09+02:00",
    # never recorded:
    "CI_JOB_TOKEN": "glcbt-secret",
    "CI_REGISTRY_PASSWORD": "pw",
    "GITLAB_USER_EMAIL": "a@b.c",
}


def _all(m: Metadata) -> dict[str, object]:
    return {"release": m.release_json(), "source": m.source_json(), "build": m.build_json()}


def test_github_actions() -> None:
    assert _all(from_environment(GITHUB_ENV)) == {
        "release": {"name": "widget", "version": "v1.2.3"},
        "source": {
            "repository": "https://github.com/acme/widget",
            "commit": SHA,
            "ref": "refs/tags/v1.2.3",
        },
        "build": {
            "ci": "github-actions",
            "workflow": "release",
            "run_id": "987654321",
            "run_attempt": "2",
            "run_url": "https://github.com/acme/widget/actions/runs/987654321",
        },
    }


def test_github_branch_build_has_no_version_and_no_time() -> None:
    env = {
        **GITHUB_ENV,
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_TYPE": "branch",
        "GITHUB_REF_NAME": "main",
    }
    m = from_environment(env)
    assert m.version is None
    assert m.ref == "refs/heads/main"
    assert m.time is None


def test_gitlab_ci() -> None:
    assert _all(resolve_metadata(Metadata(), GITLAB_ENV)) == {
        "release": {"name": "widget", "version": "v2.0.0"},
        "source": {
            "repository": "https://gitlab.example.com/acme/widget",
            "commit": SHA,
            "ref": "refs/tags/v2.0.0",
        },
        "build": {
            "ci": "gitlab-ci",
            "workflow": ".gitlab-ci.yml",
            "run_id": "4242",
            "run_url": "https://gitlab.example.com/acme/widget/-/pipelines/4242",
            "time": "2024-05-06T05:08:09Z",
        },
    }


def test_gitlab_branch_pipeline_and_pipeline_name() -> None:
    env = {k: v for k, v in GITLAB_ENV.items() if k != "CI_COMMIT_TAG"}
    env.update(CI_COMMIT_BRANCH="main", CI_COMMIT_REF_NAME="main", CI_PIPELINE_NAME="nightly")
    m = from_environment(env)
    assert (m.ref, m.version, m.workflow) == ("refs/heads/main", None, "nightly")
    env.pop("CI_COMMIT_BRANCH")
    env["CI_COMMIT_REF_NAME"] = "feature-x"
    assert from_environment(env).ref == "feature-x"


@pytest.mark.parametrize("value", ["yesterday", "2024-05-06T07:08:09", ""])
def test_gitlab_unusable_time_is_omitted(value: str) -> None:
    assert from_environment({**GITLAB_ENV, "CI_PIPELINE_CREATED_AT": value}).time is None


def test_detection_without_the_ci_flag_variables() -> None:
    assert from_environment({"GITHUB_REPOSITORY": "a/b"}).ci == "github-actions"
    assert from_environment({"CI_PIPELINE_ID": "1"}).ci == "gitlab-ci"
    assert from_environment({"CI": "true", "PATH": "/bin"}) == Metadata()


def test_flags_override_the_environment_field_by_field() -> None:
    flags = Metadata(name="my-app", version="9.9", commit="A" * 64, workflow="  ", run_id="x-1")
    m = resolve_metadata(flags, GITHUB_ENV)
    assert _all(m) == {
        "release": {"name": "my-app", "version": "9.9"},
        "source": {
            "repository": "https://github.com/acme/widget",
            "commit": "a" * 64,
            "ref": "refs/tags/v1.2.3",
        },
        "build": {
            "ci": "github-actions",
            "workflow": "release",
            "run_id": "x-1",
            "run_attempt": "2",
            "run_url": "https://github.com/acme/widget/actions/runs/987654321",
        },
    }


def test_no_environment_means_flags_only() -> None:
    assert _all(resolve_metadata(Metadata(name="n"), None)) == {
        "release": {"name": "n"},
        "source": {},
        "build": {},
    }


@pytest.mark.parametrize("commit", ["HEAD", "abc123", "g" * 40, "a" * 41])
def test_bad_commit_is_an_input_error(commit: str) -> None:
    with pytest.raises(MetadataError, match="not a 40- or 64-digit hex object id"):
        resolve_metadata(Metadata(commit=commit), None)


def test_nothing_outside_the_named_variables_is_read() -> None:
    class Recording(dict[str, str]):
        def __init__(self, data: dict[str, str]) -> None:
            super().__init__(data)
            self.read: set[str] = set()

        def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
            self.read.add(key)
            return super().get(key, default)

    for base in (GITHUB_ENV, GITLAB_ENV, {}):
        env = Recording({**base, "UNRELATED": "1"})
        from_environment(env)
        assert env.read <= set(CI_VARIABLES)
