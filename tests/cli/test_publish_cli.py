"""`anchor publish` on the command line: the order of its checks, the provider's network, help.

The full publish loop against the devnet is covered in tests/e2e; these tests pin what a user
sees when something is wrong before anything is built or sent.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from anchor.devnet import RunningDevnet
from tests.publish_kit import (
    DEAD,
    collect_bundle,
    funded_devnet,
    keys_fixture,  # noqa: F401 (the "keys" fixture)
    publish_args,
)

with warnings.catch_warnings():  # see tests/cli/test_keys_cli.py: typer vs click 8.5 deprecation
    warnings.filterwarnings(
        "ignore", r"'click\.utils\.get_\w+_stream' is deprecated", DeprecationWarning
    )
    import anchor.cli.main  # noqa: F401

Run = Callable[..., Any]


@pytest.fixture(autouse=True)
def _no_keys_or_network_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANCHOR_IDENTITY_SEED", "ANCHOR_PAYMENT_SKEY", "ANCHOR_NETWORK"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def bundle(tmp_path: Path, run_cli: Run) -> Path:
    source = tmp_path / "release"
    (source / "dist").mkdir(parents=True)
    (source / "dist" / "app.tgz").write_bytes(b"app bytes\n")
    (source / "build.log").write_bytes(b"ok\n")
    return collect_bundle(run_cli, source, tmp_path / "evidence")


@pytest.fixture
def devnet(keys: Path) -> Iterator[RunningDevnet]:
    with funded_devnet(keys) as net:
        yield net


def _args(bundle: Path, keys: Path, url: str, *extra: str) -> list[str]:
    return publish_args(bundle, keys, url, *extra, network=None)


def _one_error(r: Any) -> str:
    assert r.stdout == "", r.stdout
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    line: str = lines[0]
    return line


def test_not_a_bundle_is_reported_before_missing_keys(run_cli: Run, tmp_path: Path) -> None:
    """No key is configured at all: the bundle problem is still the one reported."""
    empty = tmp_path / "empty"
    empty.mkdir()
    a_file = tmp_path / "notes.txt"
    a_file.write_text("hello")
    half = tmp_path / "half"
    half.mkdir()
    (half / "manifest.json").write_text("{}")
    cases = {
        tmp_path / "missing": f"error: {tmp_path / 'missing'} does not exist "
        "(make a bundle with `anchor collect`)",
        a_file: f"error: {a_file} is not a folder (an evidence bundle is a folder)",
        empty: f"error: {empty} is not an evidence bundle: manifest.json is missing "
        "(make one with `anchor collect`)",
        half: f"error: {half} is not an evidence bundle: leaves.cbor is missing "
        "(make one with `anchor collect`)",
    }
    for path, message in cases.items():
        r = run_cli(["publish", path, "--provider-url", DEAD])
        assert r.exit_code == 4
        assert _one_error(r) == message


def test_then_the_keys(run_cli: Run, bundle: Path, keys: Path) -> None:
    r = run_cli(["publish", bundle, "--provider-url", DEAD])
    assert (r.exit_code, _one_error(r)) == (
        4,
        "error: no identity seed: pass --identity-seed FILE or set ANCHOR_IDENTITY_SEED",
    )
    r = run_cli(
        ["publish", bundle, "--provider-url", DEAD, "--identity-seed", keys / "identity.seed"]
    )
    assert (r.exit_code, _one_error(r)) == (
        4,
        "error: no payment signing key: pass --payment-key FILE or set ANCHOR_PAYMENT_SKEY",
    )


@pytest.mark.parametrize(("network", "magic"), [("preprod", 1), ("mainnet", 764824073)])
def test_provider_serving_another_network_is_refused(
    run_cli: Run, bundle: Path, keys: Path, devnet: RunningDevnet, network: str, magic: int
) -> None:
    """Publishing '--network preprod' to a devnet URL used to succeed and write a receipt
    claiming preprod; an auditor would then look for the transaction on preprod in vain."""
    before = sorted(p.name for p in bundle.iterdir())
    r = run_cli(_args(bundle, keys, devnet.url, "--network", network))
    assert r.exit_code == 4
    assert _one_error(r) == (
        f"error: --network {network}, but the provider at {devnet.url} serves devnet "
        f"(network magic 42, expected {magic}) "
        "(pass the --network the provider serves, or the provider URL of that network)"
    )
    assert sorted(p.name for p in bundle.iterdir()) == before
    assert devnet.state.txs == {}


def test_provider_on_the_right_network_passes_the_check(
    run_cli: Run, bundle: Path, keys: Path, devnet: RunningDevnet
) -> None:
    r = run_cli(_args(bundle, keys, devnet.url, "--network", "devnet", "--dry-run", "--json"))
    assert (r.exit_code, r.stderr) == (0, "")
    assert json.loads(r.stdout)["network"] == "devnet"


def test_unreachable_provider_is_noted_at_once_with_progress(
    run_cli: Run, bundle: Path, keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import anchor.chain.blockfrost as bf
    from anchor.chain.providers import RetryPolicy

    monkeypatch.setattr(bf, "RetryPolicy", lambda: RetryPolicy(attempts=2, base_delay=0.0))
    error = (
        f"error: blockfrost: protocol parameters failed after 2 attempts: ConnectionError ({DEAD})"
    )
    quiet_ci = run_cli(_args(bundle, keys, DEAD, "--dry-run"))
    assert (quiet_ci.exit_code, _one_error(quiet_ci)) == (5, error)
    shown = run_cli(_args(bundle, keys, DEAD, "--dry-run", "--progress"))
    lines = shown.stderr.splitlines()
    assert shown.exit_code == 5
    assert lines[0] == (
        f"cannot reach {DEAD} (is `anchor devnet` running there?); retrying for up to a minute"
    )
    assert lines[-1] == error


def test_publish_help_has_examples(run_cli: Run) -> None:
    r = run_cli(["publish", "--help"])
    assert r.exit_code == 0
    assert "  Examples:\n" in r.stdout
    assert "    anchor publish evidence/ --network mainnet --dry-run\n" in r.stdout
    for metavar in ("BUNDLE_DIR", "--identity-seed FILE", "--payment-key, --payment-skey FILE"):
        assert metavar in r.stdout
