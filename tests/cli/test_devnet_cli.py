"""`anchor devnet` flags: refused before anything starts (exit 4), and the --json start line.

The serving loop, saving and a taken port are covered in tests/unit/devnet/test_cli.py.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.unit.devnet.txkit import wallet

with warnings.catch_warnings():  # see tests/cli/test_keys_cli.py: typer vs click 8.5 deprecation
    warnings.filterwarnings(
        "ignore", r"'click\.utils\.get_\w+_stream' is deprecated", DeprecationWarning
    )
    import anchor.cli.main  # noqa: F401

Run = Callable[..., Any]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        # inf used to start the server and die in its clock thread with a traceback
        ("inf", "error: --block-time inf: at most 3600 seconds"),
        ("1e9", "error: --block-time 1000000000.0: at most 3600 seconds"),
        ("nan", "error: --block-time nan: must be positive"),
        ("-1", "error: --block-time -1.0: must be positive"),
    ],
)
def test_block_time_out_of_range(run_cli: Run, value: str, message: str) -> None:
    r = run_cli(["devnet", "--port", "0", "--block-time", value])
    assert (r.exit_code, r.stdout, r.stderr) == (4, "", message + "\n")


def test_state_file_that_can_never_be_written(run_cli: Run, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "chain.json"
    r = run_cli(["devnet", "--port", "0", "--state", missing])
    # used to exit 5 ("environment") for what is a typo in a flag
    assert (r.exit_code, r.stdout, r.stderr) == (
        4,
        "",
        f"error: --state {missing}: folder {missing.parent} does not exist\n",
    )
    r = run_cli(["devnet", "--port", "0", "--state", tmp_path])
    assert (r.exit_code, r.stderr) == (
        4,
        f"error: --state {tmp_path}: is a directory; give a file name\n",
    )
    assert list(tmp_path.iterdir()) == []


def test_json_start_line_and_quiet(tmp_path: Path) -> None:
    address = wallet(1).bech32
    command = [sys.executable, "-m", "anchor", "devnet", "--port", "0", "--json", "-q"]
    command += ["--fund", f"{address}=2.5"]
    proc = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        doc = json.loads(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=20)
    assert doc == {
        "url": f"http://127.0.0.1:{doc['port']}/api/v0",
        "port": doc["port"],
        "restored": False,
        "height": 0,
        "state": None,
        "funded": [{"address": address, "lovelace": 2_500_000}],
        "controls": None,
    }
    assert isinstance(doc["port"], int) and doc["port"] > 0
    assert (proc.returncode, rest, err) == (0, "", "")


def test_devnet_help_has_examples(run_cli: Run) -> None:
    r = run_cli(["devnet", "--help"])
    assert r.exit_code == 0
    assert "  Examples:\n" in r.stdout and "anchor devnet --port 0 --json" in r.stdout
    assert "--test-controls" in r.stdout and "/control/rollback" in r.stdout
    assert "/control/drop-next" in r.stdout and "/control/advance" in r.stdout
