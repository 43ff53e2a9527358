"""`anchor verify` on a bundle published for real: `anchor collect` + `anchor publish` to the devnet.

One devnet and one published bundle per module (fixtures/sample-release). The verifier
then checks it offline (tx.cbor + chain-facts.json), online against the devnet's
Blockfrost API over loopback, and after tampering (the full matrix runs on the test-kit
bundle in test_verify_tamper.py; here the key cases run on the real publisher's output).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from anchor.label309.txbind import split_tx
from tests.conftest import REPO, CliResult

SAMPLE = REPO / "fixtures" / "sample-release"
DEAD = "http://127.0.0.1:9/api/v0"  # nothing listens on the discard port
TARGET = "dist/evidence-demo-1.0.0.tar.gz"


@dataclass(frozen=True)
class Live:
    bundle: Path
    url: str
    tx_hash: str
    names: tuple[str, ...]


def _cli(args: list[str]) -> int:
    from anchor.cli.main import main

    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    from anchor.chain.keys import create_key_set, read_key_set
    from anchor.devnet import start_devnet

    tmp = tmp_path_factory.mktemp("verify-devnet")
    keys = tmp / "keys"
    create_key_set(keys, seed=bytes(range(32)), payment=None)
    address = read_key_set(keys).address(0)
    assert address is not None
    bundle = tmp / "evidence"
    with start_devnet(port=0, funds={address: 20_000_000}, block_time=0.2) as net:
        assert _cli(["collect", SAMPLE, "--root", SAMPLE, "-o", bundle, "--no-env", "-q"]) == 0
        code = _cli(
            ["publish", bundle, "--network", "devnet", "--provider-url", net.url,
             "--identity-seed", keys / "identity.seed", "--payment-key", keys / "payment.skey",
             "--confirmations", "3", "-q"]
        )  # fmt: skip
        assert code == 0
        receipt = json.loads((bundle / "anchor.json").read_text())
        names = tuple(
            i["name"] for i in json.loads((bundle / "manifest.json").read_text())["items"]
        )
        yield Live(bundle, net.url, receipt["tx_hash"], names)


@pytest.fixture
def copy(live: Live, tmp_path: Path) -> Live:
    bundle = tmp_path / "evidence"
    shutil.copytree(live.bundle, bundle)
    return Live(bundle, live.url, live.tx_hash, live.names)


def run(run_cli: Callable[..., CliResult], *args: Any) -> tuple[int, dict[str, Any]]:
    """``anchor verify ARGS --json``; ``--network devnet`` unless given: the auditor made this
    bundle on their own devnet (a receipt saying devnet is not trusted for the defaults)."""
    extra = [] if "--network" in [str(a) for a in args] else ["--network", "devnet"]
    r = run_cli(["verify", *[str(a) for a in args], *extra, "--json"])
    assert r.stdout, r.stderr
    return r.exit_code, json.loads(r.stdout)


def codes(doc: dict[str, Any]) -> list[str]:
    return [i["code"] for i in doc["issues"]]


def test_offline_every_released_file_in_one_call(
    run_cli: Callable[..., CliResult], live: Live, l309_data: Path
) -> None:
    files = [SAMPLE / n for n in live.names]
    code, doc = run(run_cli, *files, "--bundle", live.bundle)
    assert (code, doc["verdict"], doc["issues"], doc["mode"]) == (0, "valid", [], "offline")
    assert [f["leaf_index"] for f in doc["files"]] == list(range(len(live.names)))
    assert all(f["inclusion_ok"] for f in doc["files"])
    assert doc["network"] == "cardano:devnet" and doc["tx_hash"] == live.tx_hash
    assert doc["confirmationDepth"] >= 3 and doc["signatures"][0]["ok"] is True
    schema = json.loads((l309_data / "schemas/verify-report.schema.json").read_bytes())
    assert list(Draft202012Validator(schema).iter_errors(doc)) == []


def test_online_against_the_devnet(run_cli: Callable[..., CliResult], live: Live) -> None:
    code, doc = run(
        run_cli, SAMPLE / TARGET, "--bundle", live.bundle, "--online", "--tx-hash", live.tx_hash,
        "--network", "devnet", "--provider-url", live.url,
    )  # fmt: skip
    assert (code, doc["verdict"], doc["mode"]) == (0, "valid", "online")
    assert [e["url"].removeprefix(live.url) for e in doc["auditTrail"]] == [
        "/genesis",
        f"/txs/{live.tx_hash}/cbor",
        f"/txs/{live.tx_hash}",
        "/blocks/latest",
    ]
    assert {(e["status"], e["purpose"]) for e in doc["auditTrail"]} == {(200, "cardano")}


def test_online_dead_provider_then_devnet_recovers(
    run_cli: Callable[..., CliResult], live: Live
) -> None:
    code, doc = run(
        run_cli, SAMPLE / TARGET, "--bundle", live.bundle, "--tx-hash", live.tx_hash, "--online",
        "--network", "devnet", "--provider", f"blockfrost={DEAD}", "--provider", f"blockfrost={live.url}",
    )  # fmt: skip
    assert (code, doc["verdict"]) == (0, "valid")
    assert str(doc["auditTrail"][0]["status"]).startswith("error")
    assert [a["outcome"] for a in doc["resolution"] if a["step"] == "fetch"] == [
        "unavailable",
        "bound",
    ]


@pytest.mark.parametrize(
    ("extra", "exit_code", "verdict", "issue"),
    [
        (["--tx-hash", "0" * 64], 2, "unverifiable", "TX_NOT_FOUND"),
        (["--deny-host", "127.0.0.1"], 1, "failed", "SERVICE_INDEPENDENCE_VIOLATION"),
        (["--min-confirmations", "100000"], 3, "pending", "INSUFFICIENT_CONFIRMATIONS"),
    ],
    ids=["unknown-tx", "denied-host", "below-threshold"],
)
def test_online_outcomes(
    run_cli: Callable[..., CliResult],
    live: Live,
    extra: list[str],
    exit_code: int,
    verdict: str,
    issue: str,
) -> None:
    args = [
        SAMPLE / TARGET,
        "--bundle",
        live.bundle,
        "--online",
        "--network",
        "devnet",
        "--provider-url",
        live.url,
    ]
    if "--tx-hash" not in extra:
        args += ["--tx-hash", live.tx_hash]
    code, doc = run(run_cli, *args, *extra)
    assert (code, doc["verdict"], codes(doc)) == (exit_code, verdict, [issue])


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_tampered_file_is_not_in_the_tree(
    run_cli: Callable[..., CliResult], copy: Live, tmp_path: Path
) -> None:
    forged = tmp_path / "evidence-demo-1.0.0.tar.gz"
    forged.write_bytes((SAMPLE / TARGET).read_bytes() + b"\x00")
    code, doc = run(run_cli, forged, "--bundle", copy.bundle)
    assert (code, doc["verdict"], doc["files"][0]["code"]) == (1, "failed", "FILE_NOT_IN_TREE")


def test_tampered_transaction_body(run_cli: Callable[..., CliResult], copy: Live) -> None:
    tx = copy.bundle / "tx.cbor"
    body = split_tx(tx.read_bytes()).body
    _flip(tx, tx.read_bytes().index(body) + len(body) - 1)
    code, doc = run(run_cli, SAMPLE / TARGET, "--bundle", copy.bundle)
    assert (code, doc["verdict"], codes(doc)) == (2, "unverifiable", ["TX_INTEGRITY_MISMATCH"])


def test_tampered_leaves_and_manifest(run_cli: Callable[..., CliResult], copy: Live) -> None:
    leaves = copy.bundle / "leaves.cbor"
    _flip(leaves, len(leaves.read_bytes()) // 2)
    manifest = copy.bundle / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b"evidence-demo", b"evidence-dem0", 1))
    code, doc = run(run_cli, SAMPLE / TARGET, "--bundle", copy.bundle)
    assert (code, doc["verdict"]) == (1, "failed")
    assert codes(doc) == ["URI_INTEGRITY_MISMATCH", "MERKLE_ROOT_MISMATCH"]
    assert doc["files"][0]["inclusion_ok"] is True  # its proof still holds against the chain


def test_wrong_tx_hash_offline(run_cli: Callable[..., CliResult], copy: Live) -> None:
    code, doc = run(run_cli, SAMPLE / TARGET, "--bundle", copy.bundle, "--tx-hash", "ab" * 32)
    assert (code, doc["verdict"], codes(doc)) == (2, "unverifiable", ["TX_INTEGRITY_MISMATCH"])
