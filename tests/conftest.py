"""Test-wide fixtures: the CLI runner and the standard's data (vectors, schemas)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
FETCH_HINT = "run 'make vectors' to fetch cardanowall/cip309 at the pinned commit"


def _first_dir(env: str, *candidates: Path) -> Path | None:
    value = os.environ.get(env)
    if value:
        path = Path(value)
        return path if path.is_dir() else None
    for path in candidates:
        if path.is_dir():
            return path
    return None


def l309_data_dir() -> Path | None:
    """The folder laid out like shared/label309: $ANCHOR_L309_DATA, ../shared/label309, or .vectors/."""
    return _first_dir(
        "ANCHOR_L309_DATA",
        REPO.parent / "shared" / "label309",
        REPO / ".vectors" / "label309",
    )


def blockfrost_schema_dir() -> Path | None:
    """The folder holding the Blockfrost OpenAPI/JSON schema."""
    return _first_dir(
        "ANCHOR_BLOCKFROST_SCHEMA",
        REPO.parent / "shared" / "blockfrost",
        REPO / ".vectors" / "blockfrost",
    )


@pytest.fixture(scope="session")
def l309_data() -> Path:
    path = l309_data_dir()
    if path is None:
        pytest.skip(f"Label 309 vectors not found ({FETCH_HINT})")
    return path


@pytest.fixture(scope="session")
def blockfrost_schema() -> Path:
    path = blockfrost_schema_dir()
    if path is None:
        pytest.skip(f"Blockfrost schema not found ({FETCH_HINT})")
    return path


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run ``anchor`` in-process with its real exit-code mapping: ``run_cli(["record", "validate", f])``."""
    from anchor.cli.main import main

    def _run(args: list[str], *, input: bytes | str | None = None) -> CliResult:
        runner = CliRunner()
        with runner.isolation(input=input) as streams:
            code = main([str(a) for a in args])
            out_b = streams[0].getvalue()
            err_b = streams[1].getvalue()
        return CliResult(
            code, out_b.decode("utf-8", "replace"), err_b.decode("utf-8", "replace"), out_b
        )

    return _run


def one_error_line(result: CliResult, *, exit_code: int = 4) -> str:
    """The single ``error: ...`` line of a refused run (``exit_code``, nothing on stdout)."""
    assert (result.exit_code, result.stdout) == (exit_code, ""), result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


CONFORMANCE_DIR = REPO / "tests" / "conformance"
FETCH_FAILED = REPO / ".vectors" / "FETCH_FAILED"  # written by `make vectors-if-missing`


def _why_no_data() -> str:
    """Why l309_data_dir() found nothing, in a few words (and why `make vectors` failed)."""
    value = os.environ.get("ANCHOR_L309_DATA")
    if value:
        why = f"$ANCHOR_L309_DATA={value} is not a folder"
    else:
        why = "no $ANCHOR_L309_DATA, no ../shared/label309, no .vectors/label309"
    if FETCH_FAILED.is_file():
        lines = FETCH_FAILED.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        why += f"; make vectors failed: {lines[-1] if lines else 'no reason given'}"
    return why


def missing_data_line(not_run: int) -> str:
    """The one line a run without the standard's data prints, at its top and its bottom."""
    from anchor.label309.standard import STANDARD_COMMIT
    from tests.conformance import CASES

    return (
        f"conformance: {not_run} of {CASES} Label 309 conformance cases did not run: the "
        f"standard's data was not found ({_why_no_data()}); run 'make vectors' to fetch "
        f"cardanowall/cip309 at {STANDARD_COMMIT[:7]}"
    )


def _covers_conformance(config: pytest.Config) -> bool:
    """True when the run's paths include the whole tests/conformance folder."""
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::", 1)[0]).resolve()
        if "::" not in arg and CONFORMANCE_DIR.is_relative_to(path):
            return True
    return False


def _reports_missing_data(config: pytest.Config) -> bool:
    return l309_data_dir() is None and _covers_conformance(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    """The top line of a run without the standard's data (the controller's, not xdist's workers')."""
    config = session.config
    if hasattr(config, "workerinput") or not _reports_missing_data(config):
        return
    from tests.conformance import CASES, DATA_FREE

    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(missing_data_line(CASES - DATA_FREE))


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """Print the conformance count of this run (tests under tests/conformance) before pytest's own
    line, and without the standard's data the same one line as at the top."""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for outcome in counts:
        for report in terminalreporter.stats.get(outcome, []):
            if "tests/conformance/" in getattr(report, "nodeid", "").replace("\\", "/"):
                counts[outcome] += 1
    if any(counts.values()):
        line = (
            f"conformance vectors in this run: {counts['passed']} passed, {counts['failed']} failed"
        )
        if counts["skipped"]:
            line += f", {counts['skipped']} skipped"
        terminalreporter.write_line(line)
    if _reports_missing_data(config):
        from tests.conformance import CASES

        terminalreporter.write_line(missing_data_line(CASES - counts["passed"] - counts["failed"]))


# Skips that stay skips in CI: the standard's later-phase vectors, and permission checks that
# cannot fail for root (CI may run as root).
ALLOWED_SKIP_PREFIXES = ("out of scope:", "root reads files whatever their mode")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """With ``ANCHOR_NO_SKIP=1`` (set by ``.ci/run``) a skipped test fails: CI has every component.

    A test skipped for a missing PostgreSQL, Chromium or the standard's vectors would otherwise
    look like a pass in CI; there the skip is a broken install and is reported as a failure.
    Only the reasons in ``ALLOWED_SKIP_PREFIXES`` stay skips.
    """
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("ANCHOR_NO_SKIP") != "1" or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if not reason.removeprefix("Skipped: ").startswith(ALLOWED_SKIP_PREFIXES):
        report.outcome = "failed"
        report.longrepr = f"skipped under ANCHOR_NO_SKIP=1 (CI must have every component): {reason}"
