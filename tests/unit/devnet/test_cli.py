"""`anchor devnet`: input errors exit 4, a taken port exits 5, a real run serves and saves."""

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

from anchor.devnet import start_devnet
from tests.unit.devnet.txkit import http, wallet

# typer 0.23 touches click.utils.get_*_stream, deprecated in click 8.5; with warnings as
# errors the lazy import inside run_cli would fail. Import the CLI once, that warning
# silenced (same workaround as tests/cli; a central pyproject filter would be better).
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", r"'click\.utils\.get_\w+_stream' is deprecated", DeprecationWarning
    )
    import anchor.cli.main  # noqa: F401

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fund", "nonsense"], "expected ADDR=ADA"),
        (["--fund", "{addr}=12.3456789"], "is not an ADA amount"),
        (["--fund", "{addr}=0"], "must be positive"),
        (["--fund", "{mainnet}=10"], "testnet (addr_test) key address"),
        (["--fund", "addr_test1qqqq=10"], "not a bech32 address"),
        (["--block-time", "0"], "--block-time 0.0: must be positive"),
        (["--port", "70000"], "--port 70000: must be 0..65535"),
    ],
)
def test_bad_input_exits_4_with_one_line(
    run_cli: Callable[..., Any], args: list[str], message: str
) -> None:
    w = wallet(1)
    filled = [a.format(addr=w.bech32, mainnet=str(w.mainnet_address())) for a in args]
    result = run_cli(["devnet", *filled])
    assert result.exit_code == 4
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert message in result.stderr


def test_port_in_use_exits_5(run_cli: Callable[..., Any]) -> None:
    with start_devnet() as other:
        result = run_cli(["devnet", "--port", str(other.port)])
    assert result.exit_code == 5
    assert f"cannot listen on 127.0.0.1:{other.port}" in result.stderr


def test_damaged_state_file_exits_4(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    state = tmp_path / "chain.json"
    state.write_text('{"format": "something else"}')
    result = run_cli(["devnet", "--port", "0", "--state", str(state)])
    assert result.exit_code == 4
    assert "not a anchor-devnet-state-v1 document" in result.stderr


def test_devnet_serves_until_sigterm_and_saves(tmp_path: Path) -> None:
    state = tmp_path / "chain.json"
    address = wallet(1).bech32
    command = [sys.executable, "-m", "anchor", "devnet", "--port", "0", "--block-time", "0.1"]
    command += ["--state", str(state), "--fund", f"{address}=12.5"]
    proc = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api/v0")
        assert proc.stdout.readline().strip() == f"funded {address} 12.500000 ADA"
        utxos = http(f"{url}/addresses/{address}/utxos").json()
        assert utxos[0]["amount"] == [{"unit": "lovelace", "quantity": "12500000"}]
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out == ""
    assert "chain saved to" in err
    doc = json.loads(state.read_text())
    assert doc["blocks"][0]["credits"][0]["lovelace"] == 12_500_000
