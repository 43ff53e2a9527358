"""The root command: version, help listing, and the exit-code contract for usage errors."""

from __future__ import annotations

from collections.abc import Callable

from anchor import __version__
from anchor.cli.main import SHORT_HELP
from tests.conftest import CliResult


def test_version(run_cli: Callable[..., CliResult]) -> None:
    r = run_cli(["--version"])
    assert (r.exit_code, r.stdout) == (0, f"anchor {__version__}\n")


def test_help_lists_every_command_with_one_line(run_cli: Callable[..., CliResult]) -> None:
    r = run_cli(["--help"])
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    start = lines.index("Commands:")
    listed = {
        line.split()[0]: " ".join(line.split()[1:]) for line in lines[start + 1 :] if line.strip()
    }
    assert listed == SHORT_HELP


def test_unknown_flag_is_a_usage_error_exit_4(run_cli: Callable[..., CliResult]) -> None:
    r = run_cli(["--no-such-flag"])
    assert r.exit_code == 4
    assert r.stderr.startswith("error: No such option")
    assert len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_unknown_command_is_exit_4(run_cli: Callable[..., CliResult]) -> None:
    r = run_cli(["frobnicate"])
    assert r.exit_code == 4
    assert "No such command" in r.stderr


def test_missing_required_argument_is_exit_4_on_one_line(run_cli: Callable[..., CliResult]) -> None:
    r = run_cli(["keys", "show", "somewhere"])
    assert r.exit_code == 4
    assert len(r.stderr.strip().splitlines()) == 1
    assert "--network" in r.stderr
