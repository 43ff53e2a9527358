"""Release metadata from Buildkite, CircleCI, Jenkins and Azure Pipelines variables.

Names and values follow each system's documentation (docs/ci.md lists the sources). Each test
asserts the exact manifest objects, that they satisfy docs/manifest.schema.json, and the
default ``spool add --source`` derived from the same identity.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from anchor.evidence.metadata import CI_VARIABLES, Metadata, from_environment, resolve_metadata
from anchor.publish.spool.api import check_source, default_source

SHA = "0123456789abcdef0123456789abcdef01234567"
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "docs" / "manifest.schema.json").read_text()
)

BUILDKITE_ENV = {
    "BUILDKITE": "true",
    "CI": "true",
    "BUILDKITE_REPO": "git@github.com:acme/widget.git",
    "BUILDKITE_COMMIT": SHA,
    "BUILDKITE_TAG": "v1.2.3",
    "BUILDKITE_BRANCH": "v1.2.3",
    "BUILDKITE_PIPELINE_SLUG": "widget-release",
    "BUILDKITE_BUILD_NUMBER": "1514",
    "BUILDKITE_BUILD_ID": "4735ba57-80d0-46e2-8fa0-b28223a86586",
    "BUILDKITE_BUILD_URL": "https://buildkite.com/acme/widget-release/builds/1514",
    "BUILDKITE_AGENT_ACCESS_TOKEN": "bkaj_secret",
}
CIRCLECI_ENV = {
    "CIRCLECI": "true",
    "CI": "true",
    "CIRCLE_REPOSITORY_URL": "git@github.com:acme/widget.git",
    "CIRCLE_PROJECT_USERNAME": "acme",
    "CIRCLE_PROJECT_REPONAME": "widget",
    "CIRCLE_SHA1": SHA,
    "CIRCLE_BRANCH": "main",
    "CIRCLE_JOB": "release",
    "CIRCLE_BUILD_NUM": "2718",
    "CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/widget/2718",
    "CIRCLE_WORKFLOW_ID": "6ad1b4a0-2e15-4cba-9c8e-1f0c7f4b1e2d",
    "CIRCLE_OIDC_TOKEN": "eyJ-secret",
}
JENKINS_ENV = {
    "JENKINS_URL": "https://jenkins.example.com/",
    "JENKINS_HOME": "/var/lib/jenkins",
    "GIT_URL": "https://builder:s3cret@git.example.com/acme/widget.git",
    "GIT_COMMIT": SHA,
    "GIT_BRANCH": "origin/v3.0.0",
    "BRANCH_NAME": "v3.0.0",
    "TAG_NAME": "v3.0.0",
    "JOB_NAME": "widget/v3.0.0",
    "BUILD_NUMBER": "153",
    "BUILD_URL": "https://jenkins.example.com/job/widget/job/v3.0.0/153/",
}
AZURE_ENV = {
    "TF_BUILD": "True",
    "BUILD_REPOSITORY_URI": "https://fabrikam@dev.azure.com/fabrikam/Fabrikam%20Fiber/_git/widget",
    "BUILD_REPOSITORY_NAME": "widget",
    "BUILD_SOURCEVERSION": SHA,
    "BUILD_SOURCEBRANCH": "refs/tags/v4.0.0",
    "BUILD_SOURCEBRANCHNAME": "v4.0.0",
    "BUILD_DEFINITIONNAME": "widget-ci",
    "BUILD_BUILDID": "4711",
    "BUILD_BUILDNUMBER": "20240506.3",
    "SYSTEM_COLLECTIONURI": "https://dev.azure.com/fabrikam/",
    "SYSTEM_TEAMPROJECT": "Fabrikam Fiber",
    "SYSTEM_ACCESSTOKEN": "azure-secret",
}


def _all(m: Metadata) -> dict[str, dict[str, str]]:
    out = {"release": m.release_json(), "source": m.source_json(), "build": m.build_json()}
    schema = {**SCHEMA, "required": [], "properties": {k: SCHEMA["properties"][k] for k in out}}
    jsonschema.Draft202012Validator(schema).validate(out)
    return out


def test_buildkite() -> None:
    assert _all(resolve_metadata(Metadata(), BUILDKITE_ENV)) == {
        "release": {"name": "widget", "version": "v1.2.3"},
        "source": {
            "repository": "https://github.com/acme/widget",
            "commit": SHA,
            "ref": "refs/tags/v1.2.3",
        },
        "build": {
            "ci": "buildkite",
            "workflow": "widget-release",
            "run_id": "1514",
            "run_url": "https://buildkite.com/acme/widget-release/builds/1514",
        },
    }
    assert default_source(BUILDKITE_ENV) == "github.com/acme/widget/run/1514"
    # Buildkite documents BUILDKITE_COMMIT may be symbolic ("HEAD"): omitted, not an error
    assert (
        resolve_metadata(Metadata(), {**BUILDKITE_ENV, "BUILDKITE_COMMIT": "HEAD"}).commit is None
    )


def test_circleci() -> None:
    assert _all(resolve_metadata(Metadata(), CIRCLECI_ENV)) == {
        "release": {"name": "widget"},
        "source": {
            "repository": "https://github.com/acme/widget",
            "commit": SHA,
            "ref": "refs/heads/main",
        },
        "build": {
            "ci": "circleci",
            "workflow": "release",
            "run_id": "2718",
            "run_url": "https://circleci.com/gh/acme/widget/2718",
        },
    }
    assert default_source(CIRCLECI_ENV) == "github.com/acme/widget/run/2718"


def test_jenkins_multibranch_tag_build_drops_credentials_from_git_url() -> None:
    assert _all(resolve_metadata(Metadata(), JENKINS_ENV)) == {
        "release": {"name": "widget", "version": "v3.0.0"},
        "source": {
            "repository": "https://git.example.com/acme/widget",
            "commit": SHA,
            "ref": "refs/tags/v3.0.0",
        },
        "build": {
            "ci": "jenkins",
            "workflow": "widget/v3.0.0",
            "run_id": "153",
            "run_url": "https://jenkins.example.com/job/widget/job/v3.0.0/153/",
        },
    }
    assert default_source(JENKINS_ENV) == "git.example.com/acme/widget/run/153"
    freestyle = {k: v for k, v in JENKINS_ENV.items() if k not in ("TAG_NAME", "BRANCH_NAME")}
    assert from_environment(freestyle).ref == "origin/v3.0.0"


def test_azure_pipelines() -> None:
    assert _all(resolve_metadata(Metadata(), AZURE_ENV)) == {
        "release": {"name": "widget", "version": "v4.0.0"},
        "source": {
            "repository": "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_git/widget",
            "commit": SHA,
            "ref": "refs/tags/v4.0.0",
        },
        "build": {
            "ci": "azure-pipelines",
            "workflow": "widget-ci",
            "run_id": "4711",
            "run_url": "https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_build/results?buildId=4711",
        },
    }
    assert default_source(AZURE_ENV) == (
        "dev.azure.com/fabrikam/Fabrikam%20Fiber/_git/widget/run/4711"
    )


@pytest.mark.parametrize("env", [BUILDKITE_ENV, CIRCLECI_ENV, JENKINS_ENV, AZURE_ENV])
def test_only_named_variables_are_read_and_sources_are_valid(env: dict[str, str]) -> None:
    class Recording(dict[str, str]):
        def __init__(self, data: dict[str, str]) -> None:
            super().__init__(data)
            self.read: set[str] = set()

        def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
            self.read.add(key)
            return super().get(key, default)

    recording = Recording({**env, "UNRELATED": "1"})
    meta = from_environment(recording)
    assert recording.read <= set(CI_VARIABLES)
    text = json.dumps([meta.release_json(), meta.source_json(), meta.build_json()])
    assert "secret" not in text and "s3cret" not in text and "builder" not in text
    assert check_source(default_source(env)) == default_source(env)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git@gitlab.com:group/sub/proj.git", "https://gitlab.com/group/sub/proj"),
        ("ssh://git@example.com:2222/acme/w.git", "https://example.com/acme/w"),
        ("https://example.com:8443/acme/w", "https://example.com:8443/acme/w"),
        ("file:///srv/repo.git", None),
        ("not a url", None),
    ],
)
def test_clone_urls_are_normalised(url: str, expected: str | None) -> None:
    assert from_environment({**CIRCLECI_ENV, "CIRCLE_REPOSITORY_URL": url}).repository == expected
