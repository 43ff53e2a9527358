"""Release, source and build metadata from flags and, when absent, the CI environment.

Only the variables listed in :data:`CI_VARIABLES` (GitHub Actions, GitLab CI, Buildkite,
CircleCI, Jenkins, Azure Pipelines) are ever read; nothing else of the environment reaches
the manifest. Repository URLs lose any credentials and are written as ``https://host/path``. A flag always wins over
the environment, field by field. Empty values count as absent. The wall clock is never
read: ``build.time`` exists only when the CI system reports one (GitLab's
``CI_PIPELINE_CREATED_AT``), so the same inputs always give the same manifest.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from anchor.errors import InputError

GITHUB_ACTIONS = "github-actions"
GITLAB_CI = "gitlab-ci"
BUILDKITE = "buildkite"
CIRCLECI = "circleci"
JENKINS = "jenkins"
AZURE_PIPELINES = "azure-pipelines"

GITHUB_VARIABLES = (
    "GITHUB_ACTIONS",
    "GITHUB_SERVER_URL",
    "GITHUB_REPOSITORY",
    "GITHUB_SHA",
    "GITHUB_REF",
    "GITHUB_REF_TYPE",
    "GITHUB_REF_NAME",
    "GITHUB_WORKFLOW",
    "GITHUB_RUN_ID",
    "GITHUB_RUN_ATTEMPT",
)
GITLAB_VARIABLES = (
    "GITLAB_CI",
    "CI_PROJECT_URL",
    "CI_PROJECT_NAME",
    "CI_COMMIT_SHA",
    "CI_COMMIT_TAG",
    "CI_COMMIT_BRANCH",
    "CI_COMMIT_REF_NAME",
    "CI_PIPELINE_NAME",
    "CI_CONFIG_PATH",
    "CI_PIPELINE_ID",
    "CI_PIPELINE_URL",
    "CI_PIPELINE_CREATED_AT",
)
BUILDKITE_VARIABLES = (
    "BUILDKITE",
    "BUILDKITE_REPO",
    "BUILDKITE_COMMIT",
    "BUILDKITE_TAG",
    "BUILDKITE_BRANCH",
    "BUILDKITE_PIPELINE_SLUG",
    "BUILDKITE_BUILD_NUMBER",
    "BUILDKITE_BUILD_URL",
)
CIRCLECI_VARIABLES = (
    "CIRCLECI",
    "CIRCLE_REPOSITORY_URL",
    "CIRCLE_PROJECT_REPONAME",
    "CIRCLE_SHA1",
    "CIRCLE_TAG",
    "CIRCLE_BRANCH",
    "CIRCLE_JOB",
    "CIRCLE_BUILD_NUM",
    "CIRCLE_BUILD_URL",
)
JENKINS_VARIABLES = (
    "JENKINS_URL",
    "GIT_URL",
    "GIT_COMMIT",
    "TAG_NAME",
    "BRANCH_NAME",
    "GIT_BRANCH",
    "JOB_NAME",
    "BUILD_NUMBER",
    "BUILD_URL",
)
AZURE_VARIABLES = (
    "TF_BUILD",
    "BUILD_REPOSITORY_URI",
    "BUILD_REPOSITORY_NAME",
    "BUILD_SOURCEVERSION",
    "BUILD_SOURCEBRANCH",
    "BUILD_DEFINITIONNAME",
    "BUILD_BUILDID",
    "SYSTEM_COLLECTIONURI",
    "SYSTEM_TEAMPROJECT",
)
CI_VARIABLES = (
    GITHUB_VARIABLES
    + GITLAB_VARIABLES
    + BUILDKITE_VARIABLES
    + CIRCLECI_VARIABLES
    + JENKINS_VARIABLES
    + AZURE_VARIABLES
)

_Getter = Callable[[str], str | None]
_COMMIT = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")


class MetadataError(InputError):
    """A metadata value (flag or CI variable) is not acceptable, e.g. a malformed commit."""


@dataclass(frozen=True)
class Metadata:
    """Release, source and build facts for the manifest; ``None`` means absent (omitted)."""

    name: str | None = None
    version: str | None = None
    repository: str | None = None
    commit: str | None = None
    ref: str | None = None
    ci: str | None = None
    workflow: str | None = None
    run_id: str | None = None
    run_attempt: str | None = None
    run_url: str | None = None
    time: str | None = None

    def release_json(self) -> dict[str, str]:
        """The manifest's ``release`` object (may be empty)."""
        return _present(name=self.name, version=self.version)

    def source_json(self) -> dict[str, str]:
        """The manifest's ``source`` object (may be empty)."""
        return _present(repository=self.repository, commit=self.commit, ref=self.ref)

    def build_json(self) -> dict[str, str]:
        """The manifest's ``build`` object (may be empty)."""
        return _present(
            ci=self.ci,
            workflow=self.workflow,
            run_id=self.run_id,
            run_attempt=self.run_attempt,
            run_url=self.run_url,
            time=self.time,
        )


def resolve_metadata(flags: Metadata, env: Mapping[str, str] | None) -> Metadata:
    """Merge ``flags`` over what the CI ``env`` reports (``env=None``: flags only).

    Raises :class:`MetadataError` when the resulting commit is not 40 or 64 hex digits.
    """
    base = from_environment(env) if env is not None else Metadata()
    overrides = {k: _clean(v) for k, v in vars(flags).items() if _clean(v) is not None}
    merged = replace(base, **overrides)
    if merged.commit is not None:
        if not _COMMIT.match(merged.commit):
            raise MetadataError(f"commit {merged.commit!r} is not a 40- or 64-digit hex object id")
        merged = replace(merged, commit=merged.commit.lower())
    return merged


def from_environment(env: Mapping[str, str]) -> Metadata:
    """Metadata from the CI system's variables (empty when no known system is detected).

    Each system is recognised by the variable it documents as always set (``GITHUB_ACTIONS``,
    ``GITLAB_CI``, ``BUILDKITE``, ``CIRCLECI``, ``TF_BUILD``, ``JENKINS_URL``); without one,
    GitHub's or GitLab's identity variables alone still identify those two.
    """

    def get(key: str) -> str | None:
        return _clean(env.get(key))

    if get("GITHUB_ACTIONS") == "true":
        return _github(get)
    if get("GITLAB_CI") == "true":
        return _gitlab(get)
    if get("BUILDKITE") == "true":
        return _buildkite(get)
    if get("CIRCLECI") == "true":
        return _circleci(get)
    if (get("TF_BUILD") or "").lower() == "true":
        return _azure(get)
    if get("JENKINS_URL"):
        return _jenkins(get)
    if any(get(k) for k in ("GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_RUN_ID")):
        return _github(get)
    if any(get(k) for k in ("CI_PROJECT_URL", "CI_COMMIT_SHA", "CI_PIPELINE_ID")):
        return _gitlab(get)
    return Metadata()


def _github(get: _Getter) -> Metadata:
    server = (get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    slug = get("GITHUB_REPOSITORY")
    run_id = get("GITHUB_RUN_ID")
    version = get("GITHUB_REF_NAME") if get("GITHUB_REF_TYPE") == "tag" else None
    return Metadata(
        name=slug.rsplit("/", 1)[-1] if slug else None,
        version=version,
        repository=f"{server}/{slug}" if slug else None,
        commit=get("GITHUB_SHA"),
        ref=get("GITHUB_REF"),
        ci=GITHUB_ACTIONS,
        workflow=get("GITHUB_WORKFLOW"),
        run_id=run_id,
        run_attempt=get("GITHUB_RUN_ATTEMPT"),
        run_url=f"{server}/{slug}/actions/runs/{run_id}" if slug and run_id else None,
    )


def _gitlab(get: _Getter) -> Metadata:
    tag = get("CI_COMMIT_TAG")
    branch = get("CI_COMMIT_BRANCH")
    if tag:
        ref: str | None = f"refs/tags/{tag}"
    elif branch:
        ref = f"refs/heads/{branch}"
    else:
        ref = get("CI_COMMIT_REF_NAME")
    return Metadata(
        name=get("CI_PROJECT_NAME"),
        version=tag,
        repository=get("CI_PROJECT_URL"),
        commit=get("CI_COMMIT_SHA"),
        ref=ref,
        ci=GITLAB_CI,
        workflow=get("CI_PIPELINE_NAME") or get("CI_CONFIG_PATH"),
        run_id=get("CI_PIPELINE_ID"),
        run_url=get("CI_PIPELINE_URL"),
        time=_utc_time(get("CI_PIPELINE_CREATED_AT")),
    )


def _buildkite(get: _Getter) -> Metadata:
    repository = _https_repository(get("BUILDKITE_REPO"))
    tag = get("BUILDKITE_TAG")
    return Metadata(
        name=_base_name(repository),
        version=tag,
        repository=repository,
        commit=_hex_commit(get("BUILDKITE_COMMIT")),
        ref=_git_ref(tag, get("BUILDKITE_BRANCH")),
        ci=BUILDKITE,
        workflow=get("BUILDKITE_PIPELINE_SLUG"),
        run_id=get("BUILDKITE_BUILD_NUMBER"),
        run_url=get("BUILDKITE_BUILD_URL"),
    )


def _circleci(get: _Getter) -> Metadata:
    repository = _https_repository(get("CIRCLE_REPOSITORY_URL"))
    tag = get("CIRCLE_TAG")
    return Metadata(
        name=get("CIRCLE_PROJECT_REPONAME") or _base_name(repository),
        version=tag,
        repository=repository,
        commit=get("CIRCLE_SHA1"),
        ref=_git_ref(tag, get("CIRCLE_BRANCH")),
        ci=CIRCLECI,
        workflow=get("CIRCLE_JOB"),
        run_id=get("CIRCLE_BUILD_NUM"),
        run_url=get("CIRCLE_BUILD_URL"),
    )


def _jenkins(get: _Getter) -> Metadata:
    repository = _https_repository(get("GIT_URL"))
    tag = get("TAG_NAME")
    branch = get("BRANCH_NAME")
    ref = _git_ref(tag, branch) if tag or branch else get("GIT_BRANCH")
    return Metadata(
        name=_base_name(repository),
        version=tag,
        repository=repository,
        commit=get("GIT_COMMIT"),
        ref=ref,
        ci=JENKINS,
        workflow=get("JOB_NAME"),
        run_id=get("BUILD_NUMBER"),
        run_url=get("BUILD_URL"),
    )


def _azure(get: _Getter) -> Metadata:
    repository = _https_repository(get("BUILD_REPOSITORY_URI"))
    ref = get("BUILD_SOURCEBRANCH")
    version = ref[len("refs/tags/") :] or None if ref and ref.startswith("refs/tags/") else None
    repo_name = get("BUILD_REPOSITORY_NAME")
    build_id = get("BUILD_BUILDID")
    collection = get("SYSTEM_COLLECTIONURI")
    project = get("SYSTEM_TEAMPROJECT")
    run_url = None
    if collection and project and build_id:
        quoted = urllib.parse.quote(project, safe="")
        run_url = f"{collection.rstrip('/')}/{quoted}/_build/results?buildId={build_id}"
    return Metadata(
        name=repo_name.rsplit("/", 1)[-1] if repo_name else _base_name(repository),
        version=version,
        repository=repository,
        commit=get("BUILD_SOURCEVERSION"),
        ref=ref,
        ci=AZURE_PIPELINES,
        workflow=get("BUILD_DEFINITIONNAME"),
        run_id=build_id,
        run_url=run_url,
    )


def _git_ref(tag: str | None, branch: str | None) -> str | None:
    if tag:
        return f"refs/tags/{tag}"
    return f"refs/heads/{branch}" if branch else None


_SCP_LIKE = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^/:]+):(?P<path>(?!//).+)$")


def _https_repository(url: str | None) -> str | None:
    """A clone URL as ``https://host/path`` (no credentials, no ``.git``); ``None`` if unusable.

    ``git@host:org/repo.git``, ``ssh://git@host/org/repo``, ``https://user:tok@host/org/repo.git``
    all become ``https://host/org/repo``.
    """
    if url is None:
        return None
    scp = _SCP_LIKE.match(url) if "://" not in url else None
    if scp:
        host, path = scp["host"], scp["path"]
    else:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("https", "http", "ssh", "git") or not parts.hostname:
            return None
        host = parts.hostname
        if parts.scheme in ("https", "http") and parts.port:
            host = f"{host}:{parts.port}"
        path = parts.path
    path = path.strip("/")
    path = path[: -len(".git")] if path.endswith(".git") else path
    return f"https://{host}/{path}" if path else None


def _base_name(repository: str | None) -> str | None:
    return repository.rsplit("/", 1)[-1] if repository else None


def _hex_commit(value: str | None) -> str | None:
    """Buildkite documents ``BUILDKITE_COMMIT`` may be a symbolic name like ``HEAD``: omit it."""
    return value if value is not None and _COMMIT.match(value) else None


def _utc_time(value: str | None) -> str | None:
    """An RFC 3339 time with an offset, as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC; else ``None``."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text or None


def _present(**fields: str | None) -> dict[str, str]:
    return {k: v for k, v in fields.items() if v is not None}
