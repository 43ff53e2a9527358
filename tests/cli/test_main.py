"""The root command: version, help listing, and the exit-code contract for usage errors."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from anchor import __version__
from anchor.cli.main import SHORT_HELP
from tests.conftest import CliResult


def test_version_names_the_standard_commit_and_profile(run_cli: Callable[..., CliResult]) -> None:
    r = run_cli(["--version"])
    assert (r.exit_code, r.stdout, r.stderr) == (
        0,
        f"anchor {__version__}\n"
        "conforms to Label 309 https://github.com/cardanowall/cip309 at commit "
        "35bebfc08c92be8afb70646363205b786b96d438 (2026-06-13), profile sealed\n",
        "",
    )


@pytest.mark.parametrize("args", [["--version", "--json"], ["--json", "--version"]])
def test_version_json(run_cli: Callable[..., CliResult], args: list[str]) -> None:
    r = run_cli(args)
    assert (r.exit_code, r.stderr) == (0, "")
    assert r.stdout == (
        f'{{"name":"evidence-anchor","version":"{__version__}","standard":{{"name":"Label 309",'
        '"repository":"https://github.com/cardanowall/cip309",'
        '"commit":"35bebfc08c92be8afb70646363205b786b96d438","commitDate":"2026-06-13",'
        '"profile":"sealed"}}\n'
    )
    assert json.loads(r.stdout)["standard"]["profile"] == "sealed"


def test_root_json_without_version_is_a_usage_error(run_cli: Callable[..., CliResult]) -> None:
    r = run_cli(["--json", "merkle", "root"])
    assert r.exit_code == 4
    assert r.stderr == (
        "error: --json before the command name goes only with --version; put it after the "
        "command (anchor <command> --json) (see 'anchor --help')\n"
    )
    assert json.loads(r.stdout)["error"]["code"] == "usage-error"


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
