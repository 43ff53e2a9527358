"""`make docs`: mkdocs builds the site from docs/ in strict mode (a warning, a page left out of
the nav, a broken link or anchor fails the build), and the pages a reader starts from exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

KEY_PAGES = [
    "index.html",
    "quickstart.html",
    "auditor.html",
    "threat-model.html",
    "reference/index.html",
    "reference/verify.html",
    "verify.html",
    "bundle.html",
    "exit-codes.html",
    "adr/0005-verify-bundle-codes.html",
    "manifest.schema.json",
]


def _build(site: Path, config: Path = REPO / "mkdocs.yml") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
         "--site-dir", str(site)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_site_builds_strict_with_the_key_pages(tmp_path: Path) -> None:
    site = tmp_path / "site"
    r = _build(site)
    assert r.returncode == 0, r.stderr
    assert "WARNING" not in r.stderr, r.stderr
    missing = [p for p in KEY_PAGES if not (site / p).is_file()]
    assert missing == []
    assert "Label 309" in (site / "index.html").read_text(encoding="utf-8")


def test_a_broken_anchor_fails_the_build(tmp_path: Path) -> None:
    """The strict gate is real: a copy of the docs with one dead anchor does not build."""
    docs = tmp_path / "docs"
    subprocess.run(["cp", "-R", str(REPO / "docs"), str(docs)], check=True)
    with (docs / "index.md").open("a", encoding="utf-8") as f:
        f.write("\nSee [nothing](verify.md#no-such-heading).\n")
    config = tmp_path / "mkdocs.yml"
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    config.write_text(text.replace("docs_dir: docs", f"docs_dir: {docs}"), encoding="utf-8")
    r = _build(tmp_path / "site", config)
    assert r.returncode == 1
    assert "does not contain an anchor '#no-such-heading'" in r.stderr
