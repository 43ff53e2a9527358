"""End to end over loopback: collect, publish to the devnet, fetch the transaction back, check it.

Runs the real `anchor` CLI in-process (``run_cli``) against a devnet serving the
Blockfrost API on 127.0.0.1 (blocks every 0.2 s), with keys made by the keys library.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from anchor.chain.keys import create_key_set
from anchor.devnet import RunningDevnet
from anchor.label309 import carriage, cbor, txbind
from anchor.label309.cose import verify_signatures
from anchor.label309.hashes import blake2b_256
from anchor.merkle.leaves import parse_leaves_list
from anchor.merkle.prooffile import ProofFile
from tests.conftest import CliResult
from tests.publish_kit import (
    DEAD,
    address,
    collect_bundle,
    funded_devnet,
    keys_fixture,  # noqa: F401 (the "keys" fixture)
    publish_args,
)

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "fixtures" / "sample-release"


@pytest.fixture
def devnet(keys: Path) -> Iterator[RunningDevnet]:
    with funded_devnet(keys, block_time=0.2) as net:
        yield net


@pytest.fixture
def bundle(tmp_path: Path, run_cli: Callable[..., CliResult]) -> Path:
    return collect_bundle(run_cli, SAMPLE, tmp_path / "evidence")


def test_collect_publish_fetch_back_and_check(
    bundle: Path, keys: Path, devnet: RunningDevnet, run_cli: Callable[..., CliResult]
) -> None:
    r = run_cli(publish_args(bundle, keys, devnet.url, "--json"))
    assert r.exit_code == 0, r.stderr
    receipt = json.loads(r.stdout)
    assert receipt == json.loads((bundle / "anchor.json").read_text())
    assert receipt["status"] == "confirmed"
    tx_hash = receipt["tx_hash"]

    fetched = httpx.get(f"{devnet.url}/txs/{tx_hash}/cbor", timeout=5).json()["cbor"]
    tx = bytes.fromhex(fetched)
    assert tx == (bundle / "tx.cbor").read_bytes()
    parts = txbind.split_tx(tx)
    # tx id = blake2b-256 of the body bytes as fetched
    assert blake2b_256(parts.body).hex() == tx_hash
    # auxiliary-data hash in body key 7
    assert parts.aux is not None
    assert cbor.decode_lenient(parts.body).get(7) == blake2b_256(parts.aux)
    bound = txbind.bind(bytes.fromhex(tx_hash), parts.body, parts.aux)
    assert bound.ok
    # the record, reassembled with our carriage code, is record.cbor byte for byte
    record = (bundle / "record.cbor").read_bytes()
    assert carriage.reassemble(carriage.unwrap_aux_data(parts.aux)) == record
    # the signature verifies, by the identity key
    from anchor.chain.keys import read_key_set

    identity = read_key_set(keys).identity_public
    assert identity is not None
    sigs = verify_signatures(record, network="testnet")
    assert [(s.ok, s.signer_public_key) for s in sigs] == [(True, identity.hex())]
    # merkle root == manifest tree root == leaves.cbor root
    body = cbor.decode(record)
    manifest = (bundle / "manifest.json").read_bytes()
    tree = json.loads(manifest)["tree"]
    leaves = parse_leaves_list((bundle / "leaves.cbor").read_bytes())
    assert body["merkle"][0]["root"].hex() == tree["root"] == leaves.root.hex()
    assert body["merkle"][0]["leaf_count"] == tree["leaf_count"] == len(leaves.leaves)
    assert body["items"][0]["hashes"]["sha2-256"] == hashlib.sha256(manifest).digest()
    # fee is the ledger minimum for the size on chain
    assert receipt["fee"] == receipt["min_fee"] == 44 * len(tx) + 155381
    # every proof carries the anchor and still verifies under the anchored root
    proofs = sorted((bundle / "proofs").rglob("*.proof.json"))
    assert len(proofs) == tree["leaf_count"]
    for path in proofs:
        proof = ProofFile.from_json_bytes(path.read_bytes())
        assert proof.anchor is not None and proof.anchor.tx_hash.hex() == tx_hash
        assert proof.root == leaves.root
    facts = json.loads((bundle / "chain-facts.json").read_text())
    assert facts["providers"][0]["block_hash"] == receipt["block_hash"]
    # secrets never printed
    seed_text = (keys / "identity.seed").read_text().strip()
    skey_hex = json.loads((keys / "payment.skey").read_text())["cborHex"][4:]
    for stream in (r.stdout, r.stderr):
        assert seed_text.lower() not in stream.lower()
        assert skey_hex not in stream


def test_rerun_is_refused_as_already_anchored(
    bundle: Path, keys: Path, devnet: RunningDevnet, run_cli: Callable[..., CliResult]
) -> None:
    assert run_cli(publish_args(bundle, keys, devnet.url, "-q")).exit_code == 0
    again = run_cli(publish_args(bundle, keys, devnet.url))
    assert again.exit_code == 4
    assert "already anchored on devnet" in again.stderr
    assert "--force" in again.stderr
    assert len(devnet.state.txs) == 1


def test_dry_run_submits_nothing(
    bundle: Path, keys: Path, devnet: RunningDevnet, run_cli: Callable[..., CliResult]
) -> None:
    r = run_cli(publish_args(bundle, keys, devnet.url, "--dry-run", "--json"))
    assert r.exit_code == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["dry_run"] is True
    assert shown["fee"] == 44 * shown["tx_size"] + 155381
    assert shown["fee_minus_min"] == 0
    assert len(bytes.fromhex(shown["record_hex"])) == shown["record_size"]
    devnet.advance(2)
    assert devnet.state.txs == {}
    assert not (bundle / "anchor.json").exists()
    assert not (bundle / "tx.cbor").exists()
    text = run_cli(publish_args(bundle, keys, devnet.url, "--dry-run"))
    assert "nothing was submitted" in text.stdout
    assert "difference 0" in text.stdout


def test_missing_funds_exit_5_with_amount_and_address(
    bundle: Path, tmp_path: Path, devnet: RunningDevnet, run_cli: Callable[..., CliResult]
) -> None:
    poor = tmp_path / "poor"
    create_key_set(poor)
    r = run_cli(publish_args(bundle, poor, devnet.url))
    assert r.exit_code == 5
    line = r.stderr.strip().splitlines()[-1]
    assert line.startswith(f"error: no spendable UTxO at the payment address {address(poor)}")
    assert "send at least" in line and "lovelace" in line


def test_unreachable_provider_exit_5(
    bundle: Path, keys: Path, run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    import anchor.chain.blockfrost as bf
    from anchor.chain.providers import RetryPolicy

    monkeypatch.setattr(bf, "RetryPolicy", lambda: RetryPolicy(attempts=2, base_delay=0.0))
    args = publish_args(bundle, keys, DEAD, "--dry-run")
    r = run_cli(args)
    assert r.exit_code == 5
    assert (
        "error: blockfrost: protocol parameters failed after 2 attempts: ConnectionError"
        in r.stderr
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--supersedes", "zz"], "--supersedes: not hex"),
        (["--supersedes", "ab" * 31], "--supersedes: expected 32 bytes"),
        (["--unsigned"], "--unsigned and --identity-seed exclude each other"),
        (["--confirmations", "0"], "--confirmations"),
    ],
)
def test_bad_input_exit_4(
    bundle: Path, keys: Path, run_cli: Callable[..., CliResult], extra: list[str], message: str
) -> None:
    r = run_cli(publish_args(bundle, keys, DEAD, *extra))
    assert r.exit_code == 4
    assert message in r.stderr


def test_not_a_bundle_and_missing_key_exit_4(
    tmp_path: Path,
    keys: Path,
    bundle: Path,
    run_cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANCHOR_PAYMENT_SKEY", raising=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run_cli(publish_args(empty, keys, DEAD, "--dry-run"))
    assert r.exit_code == 4
    assert "is not an evidence bundle: manifest.json is missing" in r.stderr
    # The bundle is checked before the keys (anchor/cli/publish.py), so the missing
    # payment key is reported for a real bundle.
    r = run_cli(["publish", str(bundle), "--unsigned"])
    assert r.exit_code == 4
    assert "ANCHOR_PAYMENT_SKEY" in r.stderr
