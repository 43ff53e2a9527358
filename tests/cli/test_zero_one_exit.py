"""verify-attestation exits 0 or 1 only (KiCI's convention): a usage error or an unreadable
bundle is 1, and its --json error object states the exit the process really has."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult

Run = Callable[..., CliResult]


def test_usage_error_is_exit_1_and_the_json_says_1(run_cli: Run) -> None:
    r = run_cli(["verify-attestation", "--bogus", "--json"])
    assert r.exit_code == 1
    assert json.loads(r.stdout) == {
        "error": {"code": "usage-error", "message": "No such option '--bogus'.", "exitCode": 1}
    }
    assert r.stderr.strip() == (
        "error: No such option '--bogus'. (see 'anchor verify-attestation --help')"
    )


def test_missing_bundle_is_exit_1(run_cli: Run, tmp_path: Path) -> None:
    missing = tmp_path / "none.sigstore.json"
    r = run_cli(["verify-attestation", "--bundle", missing, "--trust-root", missing, "--json"])
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["error"]["exitCode"] == 1
    assert doc["error"]["message"] == f"cannot read bundle {missing}: No such file or directory"


def test_other_commands_keep_exit_4(run_cli: Run) -> None:
    r = run_cli(["verify", "--bogus", "--json"])
    assert r.exit_code == 4
    assert json.loads(r.stdout)["error"]["exitCode"] == 4


def test_a_fifo_or_device_as_bundle_is_refused_unread(run_cli: Run, tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "a FIFO"), (Path("/dev/zero"), "a device")):
        r = run_cli(["verify-attestation", "--bundle", path, "--trust-root", path])
        assert r.exit_code == 1
        assert r.stderr.strip() == f"error: cannot read bundle {path}: not a regular file ({kind})"
