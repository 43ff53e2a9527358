"""`anchor spool` in-process: exit codes, one-line errors, JSON shapes, the import rule."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import REPO, CliResult

Run = Callable[..., CliResult]


def _init(run_cli: Run, db: str) -> None:
    r = run_cli(["spool", "init", "--db", db, "--json"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["created"] is True
    again = run_cli(["spool", "init", "--db", db, "--json"])
    assert json.loads(again.stdout)["created"] is False


def test_add_status_and_pending_proof(run_cli: Run, tmp_path: Path) -> None:
    db = f"sqlite:{tmp_path / 's.db'}"
    _init(run_cli, db)
    r = run_cli(
        [
            "spool",
            "add",
            "--sha256",
            "AB" * 32,
            "--name",
            "x/y",
            "--source",
            "s",
            "--db",
            db,
            "--json",
        ]
    )
    assert r.exit_code == 0, r.stderr
    row = json.loads(r.stdout)
    assert (row["window"], row["state"], row["duplicate"]) == (1, "pending", False)
    p = run_cli(["spool", "proof", "--sha256", "ab" * 32, "--db", db, "--json"])
    assert p.exit_code == 3
    doc = json.loads(p.stdout)
    assert doc["item_id"] == row["item_id"] and doc["tx_hash"] is None and doc["proof"] is None
    s = run_cli(["spool", "status", "--db", db, "--json"])
    assert json.loads(s.stdout)["windows"][0]["items"] == 1


def test_usage_and_input_errors_are_one_line_exit_4(run_cli: Run, tmp_path: Path) -> None:
    db = f"sqlite:{tmp_path / 's.db'}"
    _init(run_cli, db)
    for args in (
        ["spool", "add", "--db", db],
        ["spool", "add", "--sha256", "ab" * 32, "--db", db],
        ["spool", "publish", "--every", "weekly", "--db", db],
        ["spool", "export", "1", "-o", str(tmp_path / "out"), "--db", db],
        ["spool", "export", "9", "-o", str(tmp_path / "out"), "--db", db],
        ["spool", "proof", "--db", db],
        ["spool", "proof", "0" * 32, "--db", db],
        ["spool", "status", "--db", db, "--spool", "nope"],
    ):
        r = run_cli(args)
        assert r.exit_code == 4, (args, r.stderr)
        assert r.stderr.startswith("error: ") and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_newer_schema_exit_5_untouched(run_cli: Run, tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "s.db"
    _init(run_cli, f"sqlite:{path}")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    before = path.read_bytes()
    r = run_cli(["spool", "add", "--sha256", "ab" * 32, "--name", "n", "--db", f"sqlite:{path}"])
    assert r.exit_code == 5 and "schema version 99" in r.stderr
    assert path.read_bytes() == before


def test_missing_database_folder_is_exit_5(run_cli: Run, tmp_path: Path) -> None:
    r = run_cli(["spool", "status", "--db", f"sqlite:{tmp_path / 'no' / 's.db'}"])
    assert r.exit_code == 5 and "does not exist" in r.stderr


def test_spool_add_never_imports_pycardano(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from anchor.cli.main import main\n"
        f"db = 'sqlite:{tmp_path / 's.db'}'\n"
        "assert main(['spool', 'init', '--db', db]) == 0\n"
        "assert main(['spool', 'add', '--sha256', 'ab' * 32, '--name', 'n', '--db', db]) == 0\n"
        "print('pycardano' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"
