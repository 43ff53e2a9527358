"""Release, source and build metadata from flags and, when absent, the CI environment.

Only the variables listed in :data:`GITHUB_VARIABLES` and :data:`GITLAB_VARIABLES` are
ever read; nothing else of the environment reaches the manifest. A flag always wins over
the environment, field by field. Empty values count as absent. The wall clock is never
read: ``build.time`` exists only when the CI system reports one (GitLab's
``CI_PIPELINE_CREATED_AT``), so the same inputs always give the same manifest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from anchor.errors import InputError

GITHUB_ACTIONS = "github-actions"
GITLAB_CI = "gitlab-ci"

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
    """Metadata from GitHub Actions or GitLab CI variables (empty when neither is present)."""

    def get(key: str) -> str | None:
        return _clean(env.get(key))

    github = get("GITHUB_ACTIONS") == "true"
    gitlab = get("GITLAB_CI") == "true"
    if not github and not gitlab:
        github = any(get(k) for k in ("GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_RUN_ID"))
        gitlab = not github and any(
            get(k) for k in ("CI_PROJECT_URL", "CI_COMMIT_SHA", "CI_PIPELINE_ID")
        )
    if github:
        return _github(get)
    if gitlab:
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
