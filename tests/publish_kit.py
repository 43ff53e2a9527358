"""What the `anchor publish` CLI tests and the end-to-end devnet tests share.

The ``keys`` fixture (import ``keys_fixture`` into a test module to use it: the name
differs so a test's ``keys`` argument does not shadow the import), the payment address of
a key folder, a devnet funding that address, a collected bundle and the publish arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from anchor.chain.keys import create_key_set, read_key_set
from anchor.devnet import RunningDevnet, start_devnet

DEAD = "http://127.0.0.1:9/api/v0"  # nothing listens on the discard port
FUNDS = 20_000_000  # lovelace at the keys' address on a fresh devnet


@pytest.fixture(name="keys")
def keys_fixture(tmp_path: Path) -> Path:
    """A key folder (identity.seed, payment.skey, payment.vkey) with a fixed identity seed."""
    folder = tmp_path / "keys"
    create_key_set(folder, seed=bytes(range(32)))
    return folder


def address(keys: Path) -> str:
    """The devnet (testnet) payment address of the key folder ``keys``."""
    found = read_key_set(keys).address(0)
    assert found is not None
    return found


@contextmanager
def funded_devnet(keys: Path, *, block_time: float | None = None) -> Iterator[RunningDevnet]:
    """A devnet on a free port whose genesis gives :data:`FUNDS` to the address of ``keys``."""
    with start_devnet(port=0, funds={address(keys): FUNDS}, block_time=block_time) as net:
        yield net


def collect_bundle(run_cli: Callable[..., Any], source: Path, out: Path) -> Path:
    """`anchor collect` of ``source`` into ``out`` (no environment record); returns ``out``."""
    r = run_cli(["collect", source, "--root", source, "-o", out, "--no-env", "-q"])
    assert r.exit_code == 0, r.stderr
    return out


def publish_args(
    bundle: Path, keys: Path, url: str, *extra: str, network: str | None = "devnet"
) -> list[str]:
    """`anchor publish` arguments with the keys of ``keys``; ``network=None`` gives no --network."""
    chosen = [] if network is None else ["--network", network]
    return [
        "publish", str(bundle), *chosen, "--provider-url", url,
        "--identity-seed", str(keys / "identity.seed"),
        "--payment-key", str(keys / "payment.skey"),
        *extra,
    ]  # fmt: skip
