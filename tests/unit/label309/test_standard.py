"""anchor/label309/standard.py is the one place naming the standard's commit and profile:
the Makefile (what `make vectors` fetches), the README and `anchor --version` agree with it."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from anchor.label309 import standard
from tests.conftest import REPO


def test_commit_is_a_full_sha1_and_profile_is_sealed() -> None:
    assert re.fullmatch(r"[0-9a-f]{40}", standard.STANDARD_COMMIT)
    assert standard.PROFILE == "sealed"


def test_makefile_reads_the_commit_from_the_code() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert standard.STANDARD_COMMIT not in makefile  # read, never restated
    assert "anchor/label309/standard.py" in makefile
    make = shutil.which("make")
    if make is None:  # pragma: no cover - make is how the suite itself is run
        pytest.fail("make not found")
    dry = subprocess.run(
        [make, "-s", "-n", "vectors"], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert dry.returncode == 0, dry.stderr
    assert (
        f"--depth 1 https://github.com/cardanowall/cip309 {standard.STANDARD_COMMIT}" in dry.stdout
    )


def test_readme_names_the_same_commit() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"commit\n{standard.STANDARD_COMMIT[:7]}" in readme or (
        f"commit {standard.STANDARD_COMMIT[:7]}" in readme
    )


def test_verify_report_declares_the_profile() -> None:
    from anchor.verify import report

    assert report.PROFILE is standard.PROFILE
