"""tests/conformance/__init__.py's CASES is what pytest collects under tests/conformance with the
data at the pinned commit: the number a run without the data says did not run stays true.
(DATA_FREE is checked by tests/packaging/test_clean_clone.py, which runs without the data.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conformance import CASES
from tests.conftest import REPO


def test_cases_is_the_collected_count_with_the_data(l309_data: Path) -> None:
    env = {**os.environ, "ANCHOR_L309_DATA": str(l309_data)}
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-p", "no:xdist", "tests/conformance"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    found = re.search(r"^(\d+) tests collected", r.stdout, re.M)
    assert found is not None, r.stdout[-2000:]
    assert int(found.group(1)) == CASES
