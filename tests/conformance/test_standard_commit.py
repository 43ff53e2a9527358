"""The conformance data on disk is the standard at the commit the code names
(anchor/label309/standard.py): shared/label309's SOURCE.txt, or the `make vectors` checkout."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from anchor.label309 import standard


def test_data_is_at_the_pinned_commit(l309_data: Path) -> None:
    source = l309_data / "SOURCE.txt"
    if source.is_file():
        named = re.findall(r"\b[0-9a-f]{40}\b", source.read_text(encoding="utf-8"))
        assert named == [standard.STANDARD_COMMIT]
        return
    # .vectors/label309 links into the .vectors/cip309 git checkout (make vectors).
    checkout = (l309_data / "conformance").resolve().parent
    head = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert head.stdout.strip() == standard.STANDARD_COMMIT, head.stderr
