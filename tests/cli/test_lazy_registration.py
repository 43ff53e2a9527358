"""Lazy command registration in anchor/cli/main.py: only the named command's module loads,
while help, unknown commands and the listing order behave as with everything registered."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from anchor.cli.main import COMMAND_MODULES, SHORT_HELP, _wanted
from tests.conftest import REPO, CliResult


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        (["collect", ".", "-o", "out"], ("collect",)),
        (["-v", "verify", "f"], ("verify",)),
        (["--verbose", "merkle", "root", "x"], ("merkle",)),
        (["--help"], COMMAND_MODULES),
        ([], COMMAND_MODULES),
        (["--version"], COMMAND_MODULES),
        (["frobnicate"], COMMAND_MODULES),
        (["--", "collect"], COMMAND_MODULES),
        (["collect-typo"], COMMAND_MODULES),
    ],
)
def test_wanted_modules(args: list[str], wanted: tuple[str, ...]) -> None:
    assert _wanted(args) == wanted


def _fresh(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_command_imports_only_its_own_module() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from anchor.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    rc = main(['collect', '--help'])\n"
        "assert rc == 0, rc\n"
        "print(sorted(m for m in sys.modules if m.startswith('anchor.cli.')))\n"
    )
    done = _fresh(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['anchor.cli._common', 'anchor.cli.collect', 'anchor.cli.main']"


_LISTING = (
    "import contextlib, io\n"
    "from anchor.cli.main import main\n"
    "def listing():\n"
    "    out = io.StringIO()\n"
    "    with contextlib.redirect_stdout(out):\n"
    "        assert main(['--help']) == 0\n"
    "    lines = out.getvalue().splitlines()\n"
    "    start = lines.index('Commands:')\n"
    "    return ' '.join(l.split()[0] for l in lines[start + 1:] if l.strip())\n"
)


def test_help_order_does_not_depend_on_which_command_ran_first() -> None:
    fresh = _fresh(_LISTING + "print(listing())\n")
    after = _fresh(
        _LISTING + "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['verify', '--help'])\n"
        "    main(['merkle', '--help'])\n"
        "print(listing())\n"
    )
    assert fresh.returncode == 0 and after.returncode == 0, (fresh.stderr, after.stderr)
    assert sorted(fresh.stdout.split()) == sorted(SHORT_HELP)
    assert after.stdout == fresh.stdout
    # Typer lists plain commands first, then groups, each in COMMAND_MODULES order.
    assert fresh.stdout.split() == [
        "collect",
        "publish",
        "verify",
        "devnet",
        "attest",
        "verify-attestation",
        "report",
        "keys",
        "record",
        "merkle",
        "trust-root",
        "spool",
    ]


def test_registration_is_idempotent_in_one_process(run_cli: Callable[..., CliResult]) -> None:
    listings = []
    for _ in range(2):
        assert run_cli(["collect", "--help"]).exit_code == 0
        r = run_cli(["--help"])
        assert r.exit_code == 0
        lines = r.stdout.splitlines()
        listings.append(
            [ln.split()[0] for ln in lines[lines.index("Commands:") + 1 :] if ln.strip()]
        )
    assert listings[0] == listings[1]
    assert sorted(listings[0]) == sorted(COMMAND_MODULES)


def test_unknown_command_still_suggests_from_every_command(
    run_cli: Callable[..., CliResult],
) -> None:
    r = run_cli(["colect"])
    assert r.exit_code == 4
    assert "No such command 'colect'" in r.stderr
    assert "collect" in r.stderr.split("No such command")[1]
