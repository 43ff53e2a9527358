"""A copy of the repository as a clone of it would be: tracked and new files, not ignored ones."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO

# Outside a git work tree (an unpacked copy), what .gitignore leaves out, by name.
IGNORED = (".git", ".venv*", ".vectors", "build", "dist", "*.egg-info", "__pycache__", "*.so")
IGNORED += (".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", "demo-out", "demo-spool-out")  # fmt: skip


def copy_sources(dest: Path) -> Path:
    """Copy the repository's files (``git ls-files``: tracked and untracked, not ignored) to dest."""
    if not (REPO / ".git").exists():
        shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(*IGNORED, "anchor-spool.db*"))
        return dest
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    for rel in filter(None, listed.decode().split("\0")):
        src = REPO / rel
        if src.is_file():  # a file deleted in the work tree is still listed by --cached
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest
