"""`make conformance`: run the conformance tests and print one line, `conformance: N passed, M failed`.

The vectors are read from the standard's data folder (see tests/conftest.py); a
missing folder is reported as skipped, never as passed.
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

import pytest


class _Counter:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.skipped = 0
        self.failures: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            if report.passed:
                self.passed += 1
            elif report.failed:
                self.failed += 1
                self.failures.append(report.nodeid)
            elif report.skipped:
                self.skipped += 1
        elif report.failed:
            self.failed += 1
            self.failures.append(report.nodeid)
        elif report.skipped and report.when == "setup":
            self.skipped += 1


def main() -> int:
    here = Path(__file__).resolve().parent
    counter = _Counter()
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        code = pytest.main(
            [str(here), "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--no-header"],
            plugins=[counter],
        )
    for nodeid in counter.failures:
        print(f"FAILED {nodeid}", file=sys.stderr)
    line = f"conformance: {counter.passed} passed, {counter.failed} failed"
    if counter.skipped:
        line += f", {counter.skipped} skipped"
    print(line)
    return 0 if code in (0, 5) and counter.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
