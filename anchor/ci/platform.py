"""Where each CI system takes a stage's results: outputs, the job summary, a scratch folder.

GitHub Actions (:class:`GitHub`): outputs are appended to ``$GITHUB_OUTPUT`` in the
delimiter syntax under kebab-case names (``bundle-path``, ``root``, ``tx-hash``,
``verdict``, ``bundle-archive``), the summary to ``$GITHUB_STEP_SUMMARY``, and scratch
files (the verify report, the bundle archive) go to ``$RUNNER_TEMP/evidence-anchor``.
A missing ``GITHUB_OUTPUT`` or ``RUNNER_TEMP`` means this is no Actions step: exit 4.

GitLab CI (:class:`GitLab`): outputs are the dotenv report ``anchor-ci/anchor.env``
(``ANCHOR_BUNDLE_PATH``, ``ANCHOR_ROOT``, ``ANCHOR_TX_HASH``, ``ANCHOR_VERDICT``,
``ANCHOR_BUNDLE_ARCHIVE``, on tags also ``ANCHOR_PACKAGE_URL`` and
``ANCHOR_RELEASE_LINKS_URL``), rewritten whole by each stage with the values so far; the
summary is ``anchor-ci/summary.md`` and is also printed to the job log. ``anchor-ci/`` is
relative to the job's folder (``$CI_PROJECT_DIR``), so later jobs find the same paths in
the restored artifacts.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from anchor.ci import outputs
from anchor.errors import InputError
from anchor.fsutil import replace_atomically

GITLAB_DIR = "anchor-ci"
DOTENV_FILE = "anchor.env"
SUMMARY_FILE = "summary.md"
GENERIC_PACKAGE = "evidence-anchor"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

# one name per output, and what each system calls it
OUTPUT_NAMES = {
    "bundle-path": "ANCHOR_BUNDLE_PATH",
    "root": "ANCHOR_ROOT",
    "tx-hash": "ANCHOR_TX_HASH",
    "verdict": "ANCHOR_VERDICT",
    "bundle-archive": "ANCHOR_BUNDLE_ARCHIVE",
    "package-url": "ANCHOR_PACKAGE_URL",
    "release-links-url": "ANCHOR_RELEASE_LINKS_URL",
}


def file_label(text: str) -> str:
    """``text`` as a file-name part: runs of anything but ``A-Za-z0-9._-`` become ``-``."""
    return _UNSAFE_NAME.sub("-", text).strip("-.") or "bundle"


class Platform:
    """The CI system a stage runs on (see the subclasses)."""

    name: str
    work_dir: Path

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def setting(self, variable: str) -> str:
        """How the user names the setting behind ``variable`` on this system."""
        return variable

    def secrets_hint(self) -> str:
        """Where this system's users put the secrets, in a few words."""
        raise NotImplementedError

    def check_output_value(self, key: str, value: str) -> None:
        """Refuse early a value this system could not carry as output ``key`` (default: any goes)."""

    def write_outputs(self, values: Mapping[str, str]) -> None:
        """Hand ``values`` (keys of :data:`OUTPUT_NAMES`) to the steps or jobs after this one."""
        raise NotImplementedError

    def write_summary(self, markdown: str) -> None:
        """Show ``markdown`` as the job's summary."""
        raise NotImplementedError

    def tag(self) -> str | None:
        """The tag this job builds, else None."""
        raise NotImplementedError

    def commit(self) -> str:
        """The commit this job builds ('' when unknown)."""
        raise NotImplementedError

    def ref_label(self) -> str:
        """The tag, else the first 12 digits of the commit, as a file-name part."""
        return file_label(self.tag() or self.commit()[:12] or "local")

    def release_urls(self, archive: Path) -> dict[str, str]:
        """Extra outputs that attaching ``archive`` to the tag's release needs (default: none)."""
        return {}


class GitHub(Platform):
    """GitHub Actions: ``$GITHUB_OUTPUT``, ``$GITHUB_STEP_SUMMARY``, ``$RUNNER_TEMP``."""

    name = "github"

    def __init__(self, env: Mapping[str, str]) -> None:
        super().__init__(env)
        temp = self._required("RUNNER_TEMP")
        self.work_dir = Path(temp) / "evidence-anchor"

    def _required(self, variable: str) -> str:
        value = self.env.get(variable, "")
        if not value:
            raise InputError(
                f"{variable} is not set: `python -m anchor.ci github` runs as a step of a "
                "GitHub Actions job (uses: the evidence-anchor action)"
            )
        return value

    def setting(self, variable: str) -> str:
        return f"the input `{variable.removeprefix('ANCHOR_').lower().replace('_', '-')}`"

    def secrets_hint(self) -> str:
        return (
            "add to the repository's Actions secrets and pass to this step by name "
            "(env: NAME: ${{ secrets.NAME }})"
        )

    def write_outputs(self, values: Mapping[str, str]) -> None:
        path = self._required("GITHUB_OUTPUT")
        text = "".join(outputs.github_output(key, value) for key, value in values.items())
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text)

    def write_summary(self, markdown: str) -> None:
        path = self._required("GITHUB_STEP_SUMMARY")
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(markdown if markdown.endswith("\n") else markdown + "\n")

    def tag(self) -> str | None:
        if self.env.get("GITHUB_REF_TYPE") == "tag":
            return self.env.get("GITHUB_REF_NAME") or None
        return None

    def commit(self) -> str:
        return self.env.get("GITHUB_SHA", "")


class GitLab(Platform):
    """GitLab CI: the dotenv report and the summary in ``anchor-ci/``."""

    name = "gitlab"

    def __init__(self, env: Mapping[str, str]) -> None:
        super().__init__(env)
        self.work_dir = Path(GITLAB_DIR)

    def secrets_hint(self) -> str:
        return "add as masked CI/CD variables of the project (Settings > CI/CD > Variables)"

    def check_output_value(self, key: str, value: str) -> None:
        outputs.dotenv_check(OUTPUT_NAMES[key], value)

    @property
    def dotenv_path(self) -> Path:
        """The dotenv report, relative to the job's folder."""
        return self.work_dir / DOTENV_FILE

    def write_outputs(self, values: Mapping[str, str]) -> None:
        path = self.dotenv_path
        merged: dict[str, str] = {}
        if path.is_file():
            merged.update(outputs.parse_dotenv(path.read_text(encoding="ascii")))
        merged.update({OUTPUT_NAMES[key]: value for key, value in values.items()})
        text = outputs.dotenv_text(merged)
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(path, text.encode("ascii"))

    def write_summary(self, markdown: str) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        replace_atomically(self.work_dir / SUMMARY_FILE, markdown.encode("utf-8"))
        sys.stdout.write(markdown if markdown.endswith("\n") else markdown + "\n")

    def tag(self) -> str | None:
        return self.env.get("CI_COMMIT_TAG") or None

    def commit(self) -> str:
        return self.env.get("CI_COMMIT_SHA", "")

    def release_urls(self, archive: Path) -> dict[str, str]:
        """On a tag: the generic package file URL for ``archive`` and the tag's release links URL."""
        tag, api, project = self.tag(), self.env.get("CI_API_V4_URL"), self.env.get("CI_PROJECT_ID")
        if not (tag and api and project):
            return {}
        base = f"{api.rstrip('/')}/projects/{quote(project, safe='')}"
        return {
            "package-url": f"{base}/packages/generic/{GENERIC_PACKAGE}/{quote(tag, safe='')}/"
            f"{quote(archive.name, safe='')}",
            "release-links-url": f"{base}/releases/{quote(tag, safe='')}/assets/links",
        }


def platform_for(name: str, env: Mapping[str, str] | None = None) -> Platform:
    """The :class:`Platform` called ``name`` (``github`` or ``gitlab``) over ``env``."""
    source = os.environ if env is None else env
    if name == GitHub.name:
        return GitHub(source)
    if name == GitLab.name:
        return GitLab(source)
    raise InputError(f"unknown CI system {name!r}; expected github or gitlab")
