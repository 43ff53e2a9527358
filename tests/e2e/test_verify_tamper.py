"""Tamper matrix for `anchor verify`: every case with the exact verdict, exit code and code.

Expected outcomes come from the standard (BRIEF §7.4/§7.7, §8) and, for the per-file
codes the standard does not cover, from docs/adr/0005-verify-bundle-codes.md:

* binding failures (transaction body, auxiliary data, anything inside them, the wrong
  tx hash) are ``TX_INTEGRITY_MISMATCH`` → unverifiable (2), never failed;
* out-of-band bytes supplied by the caller are attributable: a bad ``leaves.cbor`` is
  ``MERKLE_ROOT_MISMATCH``, a bad ``manifest.json`` is ``URI_INTEGRITY_MISMATCH`` → failed (1);
* a record that verifies but carries a bad signature → ``SIGNATURE_INVALID``, failed (1);
* depth below the threshold → ``INSUFFICIENT_CONFIRMATIONS`` (info), pending (3);
* a file that is provably not an anchored item → failed (1) with its files[] code.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from anchor.label309 import cbor
from anchor.label309.txbind import split_tx
from anchor.verify.run import ProviderSpec, VerifyRequest, run_verify
from tests.unit.verify.fakes import BF, KOIOS, FakeChain
from tests.unit.verify.kit import (
    SAMPLE_FILES,
    Published,
    chain_facts,
    make_tx,
    observation,
    publish_bundle,
)

TARGET = "dist/app-1.0.0.tar.gz"
OTHER_RELEASE = {name: data + b"\nrelease 2" for name, data in SAMPLE_FILES.items()}


@pytest.fixture(scope="session")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish_bundle(tmp_path_factory.mktemp("release-a"), SAMPLE_FILES)


@pytest.fixture(scope="session")
def other(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish_bundle(tmp_path_factory.mktemp("release-b"), OTHER_RELEASE)


@pytest.fixture
def pub(origin: Published, tmp_path: Path) -> Published:
    """A private copy of the published bundle and its sources, safe to tamper with."""
    bundle = tmp_path / "evidence"
    source = tmp_path / "src"
    shutil.copytree(origin.bundle, bundle)
    shutil.copytree(origin.source, source)
    return Published(
        bundle, source, origin.names, origin.tx_hash, origin.tx, origin.record, origin.root
    )


def flip(path: Path, offset: int, mask: int = 0x01) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def replace_once(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert data.count(old) == 1, (old, data.count(old))
    path.write_bytes(data.replace(old, new))


def verify(
    run_cli: Callable[..., Any], pub: Published, *extra: str, file: str = TARGET
) -> tuple[int, dict[str, Any]]:
    result = run_cli(["verify", str(pub.file(file)), "--bundle", str(pub.bundle), "--json", *extra])
    return result.exit_code, json.loads(result.stdout)


def issue_codes(report: dict[str, Any]) -> list[str]:
    return [i["code"] for i in report["issues"]]


def proof_path(pub: Published, name: str = TARGET) -> Path:
    return pub.bundle / "proofs" / f"{name}.proof.json"


def test_untampered_bundle_is_valid(run_cli: Callable[..., Any], pub: Published) -> None:
    code, report = verify(run_cli, pub)
    assert (code, report["verdict"], report["issues"]) == (0, "valid", [])
    assert report["files"][0]["inclusion_ok"] is True and report["files"][0]["leaf_index"] == 2


def test_file_byte_flipped(run_cli: Callable[..., Any], pub: Published) -> None:
    flip(pub.file(TARGET), 100)
    code, report = verify(run_cli, pub)
    assert (code, report["verdict"]) == (1, "failed")
    assert report["files"][0]["code"] == "FILE_NOT_IN_TREE"
    assert report["issues"] == []  # the record and the bundle are fine; the file is not


def test_proof_sibling_flipped(run_cli: Callable[..., Any], pub: Published) -> None:
    doc = json.loads(proof_path(pub).read_bytes())
    sibling = doc["path"][0]
    changed = sibling[:-1] + ("0" if sibling[-1] != "0" else "1")
    replace_once(proof_path(pub), sibling.encode(), changed.encode())
    code, report = verify(run_cli, pub)
    assert (code, report["verdict"], report["files"][0]["code"]) == (
        1,
        "failed",
        "INCLUSION_PROOF_INVALID",
    )
    # The altered proof decides (ADR 0005); the message still tells the auditor the file
    # itself is an anchored item according to the verified leaves-list.
    assert report["files"][0]["message"].endswith(
        "the digest is leaf 2 of the verified leaves-list (the proof fails, not the file)"
    )


def test_proof_index_changed(run_cli: Callable[..., Any], pub: Published) -> None:
    replace_once(proof_path(pub), b'"leaf_index":2', b'"leaf_index":3')
    code, report = verify(run_cli, pub)
    assert (code, report["verdict"], report["files"][0]["code"]) == (
        1,
        "failed",
        "INCLUSION_PROOF_INVALID",
    )


def test_proof_tree_size_changed(run_cli: Callable[..., Any], pub: Published) -> None:
    replace_once(proof_path(pub), b'"tree_size":5', b'"tree_size":4')
    code, report = verify(run_cli, pub)
    assert (code, report["verdict"], report["files"][0]["code"]) == (
        1,
        "failed",
        "INCLUSION_PROOF_INVALID",
    )


def test_proof_root_field_changed(run_cli: Callable[..., Any], pub: Published) -> None:
    """The sibling path still folds to the on-chain root, but the proof file states another
    root: it is not the proof that was published (ADR 0005: a proof is used as presented,
    and an inconsistent one is reported even though leaves.cbor would prove the file)."""
    root = pub.root.hex()
    other = root[:-1] + ("0" if root[-1] != "0" else "1")
    replace_once(proof_path(pub), f'"root":"{root}"'.encode(), f'"root":"{other}"'.encode())
    code, report = verify(run_cli, pub)
    assert (code, report["verdict"], report["files"][0]["code"]) == (
        1,
        "failed",
        "INCLUSION_PROOF_INVALID",
    )
    assert "root" in report["files"][0]["message"]


def test_leaves_list_byte_flipped(run_cli: Callable[..., Any], pub: Published) -> None:
    leaves = pub.bundle / "leaves.cbor"
    first_leaf = bytes.fromhex(
        json.loads((pub.bundle / "manifest.json").read_bytes())["items"][0]["digests"]["sha2-256"]
    )
    flip(leaves, leaves.read_bytes().index(first_leaf) + 5)
    code, report = verify(run_cli, pub)
    assert (code, report["verdict"], issue_codes(report)) == (1, "failed", ["MERKLE_ROOT_MISMATCH"])
    assert report["issues"][0]["path"] == ["merkle", 0]
    assert report["merkle"] == [{"contentCheck": "mismatched"}]
    assert report["items"] == [{"contentCheck": "checked"}]


def test_manifest_byte_flipped(run_cli: Callable[..., Any], pub: Published) -> None:
    replace_once(pub.bundle / "manifest.json", b'"version":"1.0.0"', b'"version":"1.0.1"')
    code, report = verify(run_cli, pub)
    assert (code, report["verdict"], issue_codes(report)) == (
        1,
        "failed",
        ["URI_INTEGRITY_MISMATCH"],
    )
    assert report["issues"][0]["path"] == ["items", 0, "hashes"]
    assert report["items"] == [{"contentCheck": "mismatched"}]
    assert report["merkle"] == [{"contentCheck": "checked"}]


def test_record_body_inside_tx_flipped(run_cli: Callable[..., Any], pub: Published) -> None:
    tx = pub.bundle / "tx.cbor"
    flip(tx, tx.read_bytes().index(pub.record[:40]) + 20)
    code, report = verify(run_cli, pub)
    assert (code, report["verdict"], issue_codes(report)) == (
        2,
        "unverifiable",
        ["TX_INTEGRITY_MISMATCH"],
    )


def test_transaction_body_flipped(run_cli: Callable[..., Any], pub: Published) -> None:
    tx = pub.bundle / "tx.cbor"
    body = split_tx(tx.read_bytes()).body
    flip(tx, 1 + body.index(bytes.fromhex("1a00029bf8")) + 4)  # the fee
    code, report = verify(run_cli, pub)
    assert (code, report["verdict"], issue_codes(report)) == (
        2,
        "unverifiable",
        ["TX_INTEGRITY_MISMATCH"],
    )


def test_auxiliary_data_flipped(run_cli: Callable[..., Any], pub: Published) -> None:
    tx = pub.bundle / "tx.cbor"
    flip(tx, tx.read_bytes().index(bytes.fromhex("d90103")) + 2)  # tag 259 -> 258
    code, report = verify(run_cli, pub)
    assert (code, report["verdict"], issue_codes(report)) == (
        2,
        "unverifiable",
        ["TX_INTEGRITY_MISMATCH"],
    )


def signature_of(record: bytes) -> bytes:
    """The 64-byte Ed25519 signature inside sigs[0].cose_sign1."""
    return bytes(cbor.decode(record)["sigs"][0]["cose_sign1"][-64:])


def test_signature_flipped_inside_the_published_tx(
    run_cli: Callable[..., Any], pub: Published
) -> None:
    tx = pub.bundle / "tx.cbor"
    sig = signature_of(pub.record)
    data = tx.read_bytes()
    at = data.index(sig[:8]) if sig[:8] in data else data.index(sig[-8:])
    flip(tx, at + 3)
    code, report = verify(run_cli, pub)
    assert (code, report["verdict"], issue_codes(report)) == (
        2,
        "unverifiable",
        ["TX_INTEGRITY_MISMATCH"],
    )


def test_record_published_with_a_bad_signature(run_cli: Callable[..., Any], pub: Published) -> None:
    bad = bytearray(pub.record)
    bad[pub.record.index(signature_of(pub.record)) + 63] ^= 0x01  # last signature byte
    tx_hash, tx = make_tx(bytes(bad))
    (pub.bundle / "tx.cbor").write_bytes(tx)
    (pub.bundle / "anchor.json").write_text(json.dumps({"network": "preprod", "tx_hash": tx_hash}))
    (pub.bundle / "chain-facts.json").write_bytes(chain_facts(tx_hash))
    code, report = verify(run_cli, pub)
    assert (code, report["verdict"], issue_codes(report)) == (1, "failed", ["SIGNATURE_INVALID"])
    assert report["signatures"][0]["ok"] is False
    assert report["signatures"][0]["code"] == "SIGNATURE_INVALID"


def test_wrong_tx_hash(run_cli: Callable[..., Any], pub: Published, other: Published) -> None:
    code, report = verify(run_cli, pub, "--tx-hash", other.tx_hash)
    assert (code, report["verdict"], issue_codes(report)) == (
        2,
        "unverifiable",
        ["TX_INTEGRITY_MISMATCH"],
    )
    assert report["tx_hash"] == other.tx_hash


def test_chain_facts_below_threshold(
    run_cli: Callable[..., Any], pub: Published, tmp_path: Path
) -> None:
    facts = tmp_path / "fresh-facts.json"
    facts.write_bytes(chain_facts(pub.tx_hash, observation(tip=1004)))
    code, report = verify(run_cli, pub, "--chain-facts", str(facts))
    assert (code, report["verdict"], issue_codes(report)) == (
        3,
        "pending",
        ["INSUFFICIENT_CONFIRMATIONS"],
    )
    assert report["issues"][0]["severity"] == "info"
    assert (report["confirmationDepth"], report["confirmationThreshold"]) == (5, 15)
    assert report["files"][0]["code"] == "NOT_CHECKED" and report["signatures"] == []


def test_file_checked_against_a_bundle_from_another_release(
    run_cli: Callable[..., Any], pub: Published, other: Published
) -> None:
    result = run_cli(["verify", str(pub.file(TARGET)), "--bundle", str(other.bundle), "--json"])
    report = json.loads(result.stdout)
    assert (result.exit_code, report["verdict"], report["issues"]) == (1, "failed", [])
    assert report["files"][0]["code"] == "FILE_NOT_IN_TREE"


def test_transaction_with_another_release_s_bundle(
    run_cli: Callable[..., Any], pub: Published, other: Published
) -> None:
    result = run_cli(
        [
            "verify",
            str(other.file(TARGET)),
            "--bundle",
            str(other.bundle),
            "--json",
            "--tx",
            str(pub.bundle / "tx.cbor"),
            "--tx-hash",
            pub.tx_hash,
        ]
    )
    report = json.loads(result.stdout)
    assert (result.exit_code, report["verdict"]) == (1, "failed")
    assert issue_codes(report) == ["URI_INTEGRITY_MISMATCH", "MERKLE_ROOT_MISMATCH"]
    assert report["files"][0]["code"] == "INCLUSION_PROOF_INVALID"


def _online(pub: Published, chain: FakeChain) -> dict[str, Any]:
    request = VerifyRequest(
        files=(str(pub.file(TARGET)),),
        bundle=str(pub.bundle),
        tx_hash=pub.tx_hash,
        network="preprod",
        online=True,
        providers=(ProviderSpec("blockfrost", BF), ProviderSpec("koios", KOIOS)),
        http_client=chain,
    )
    return run_verify(request).to_json()


def test_provider_serving_altered_bytes_then_a_good_one(pub: Published) -> None:
    chain = FakeChain(txs={pub.tx_hash: pub.tx}, behaviour={BF: "tamper"})
    report = _online(pub, chain)
    assert (report["exitCode"], report["verdict"], report["issues"]) == (0, "valid", [])
    trail = [(e["url"], e["status"]) for e in report["auditTrail"]]
    assert trail[:4] == [
        (f"{BF}/genesis", 200),
        (f"{KOIOS}/genesis", 200),
        (f"{BF}/txs/{pub.tx_hash}/cbor", 200),
        (f"{KOIOS}/tx_cbor", 200),
    ]
    assert [a["outcome"] for a in report["resolution"] if a["step"] == "fetch"] == [
        "integrity-mismatch",
        "bound",
    ]


def test_all_providers_down(pub: Published) -> None:
    chain = FakeChain(txs={pub.tx_hash: pub.tx}, behaviour={BF: "down", KOIOS: "down"})
    report = _online(pub, chain)
    assert (report["exitCode"], report["verdict"]) == (2, "unverifiable")
    assert issue_codes(report) == ["PROVIDER_UNAVAILABLE"]
    # each provider: its network asked (/genesis), then the transaction
    assert [e["status"].split(":")[0] for e in report["auditTrail"]] == ["error"] * 4
