"""Record assembly: hashes of manifest.json as on disk, the tree head, signature, refusals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from anchor.errors import EXIT_INPUT
from anchor.label309 import cbor
from anchor.label309.cbor import CborMap
from anchor.label309.cose import verify_signatures
from anchor.label309.keys import derive_identity
from anchor.label309.record import Item, MerkleCommit, SigEntry, build_record_body, with_sigs
from anchor.merkle.leaves import encode_leaves_list, parse_leaves_list
from anchor.publish.assemble import (
    BundleError,
    RecordRefused,
    _refuse_on_issues,
    assemble_record,
)
from tests.unit.publish.conftest import IDENTITY_SEED, THREE, make_bundle


def test_items0_hashes_manifest_bytes_and_merkle0_is_the_tree_head(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    manifest = (bundle / "manifest.json").read_bytes()
    tree = json.loads(manifest)["tree"]
    plan = assemble_record(bundle, identity_seed=None)
    body = cbor.decode(plan.body)
    assert body["v"] == 1
    hashes = body["items"][0]["hashes"]
    assert hashes["sha2-256"] == hashlib.sha256(manifest).digest() == plan.manifest_sha256
    assert hashes["blake2b-256"] == hashlib.blake2b(manifest, digest_size=32).digest()
    merkle = body["merkle"][0]
    assert merkle["alg"] == "rfc9162-sha256"
    assert merkle["root"].hex() == tree["root"] == plan.root.hex()
    assert merkle["leaf_count"] == tree["leaf_count"] == 3 == plan.leaf_count
    assert merkle["root"] == parse_leaves_list((bundle / "leaves.cbor").read_bytes()).root
    assert "sigs" not in body and "supersedes" not in body
    assert plan.signer is None
    assert cbor.encode(body) == plan.body  # canonical


def test_signed_record_verifies_with_the_identity_key(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    plan = assemble_record(bundle, identity_seed=IDENTITY_SEED)
    public = derive_identity(IDENTITY_SEED).ed25519_public
    assert plan.signer == public
    results = verify_signatures(plan.body, network="testnet")
    assert [(r.ok, r.signer_public_key) for r in results] == [(True, public.hex())]
    sig_entry = cbor.decode(plan.body)["sigs"][0]
    assert len(SigEntry(sig_entry["cose_sign1"]).encode()) == 123  # path 1 layout
    # the same inputs give the same bytes (deterministic Ed25519)
    assert assemble_record(bundle, identity_seed=IDENTITY_SEED).body == plan.body


def test_supersedes(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    previous = bytes(range(32))
    plan = assemble_record(bundle, identity_seed=None, supersedes=previous)
    assert cbor.decode(plan.body)["supersedes"] == previous
    with pytest.raises(Exception) as info:
        assemble_record(bundle, identity_seed=None, supersedes=b"\x01" * 31)
    assert getattr(info.value, "exit_code", None) == EXIT_INPUT


def test_manifest_is_hashed_exactly_as_on_disk(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    path = bundle / "manifest.json"
    path.write_bytes(path.read_bytes() + b"\n")  # same JSON, different bytes
    plan = assemble_record(bundle, identity_seed=None)
    assert plan.manifest_sha256 == hashlib.sha256(path.read_bytes()).digest()


def test_leaves_that_disagree_with_the_manifest_are_refused(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    other = [hashlib.sha256(bytes([i])).digest() for i in range(3)]
    (bundle / "leaves.cbor").write_bytes(encode_leaves_list(other))
    with pytest.raises(
        BundleError,
        match=r"manifest\.json disagrees with leaves\.cbor: tree\.root: is not the root",
    ) as info:
        assemble_record(bundle, identity_seed=None)
    assert info.value.exit_code == EXIT_INPUT


def test_missing_or_broken_files(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    (bundle / "leaves.cbor").write_bytes(b"\xa0")
    with pytest.raises(BundleError, match="not a valid leaves list"):
        assemble_record(bundle, identity_seed=None)
    (bundle / "leaves.cbor").unlink()
    with pytest.raises(BundleError, match=r"leaves\.cbor is missing"):
        assemble_record(bundle, identity_seed=None)
    (bundle / "manifest.json").write_text('{"tree": {"alg": "sha2-256"}}')
    with pytest.raises(BundleError, match=r"manifest\.json: missing member 'format'$"):
        assemble_record(bundle, identity_seed=None)
    (bundle / "manifest.json").unlink()
    with pytest.raises(BundleError, match=r"manifest\.json is missing"):
        assemble_record(bundle, identity_seed=None)
    with pytest.raises(BundleError, match="is not a folder"):
        assemble_record(tmp_path / "nowhere", identity_seed=None)


def _leaky_body() -> bytes:
    keys = derive_identity(IDENTITY_SEED)
    unsigned = build_record_body(
        items=[Item(hashes=CborMap({"sha2-256": bytes(32)}))],
        merkle=[MerkleCommit(alg="rfc9162-sha256", root=bytes(32), leaf_count=1)],
    )
    from anchor.label309.cose import sign_record

    cose_key = cbor.encode(
        CborMap([(1, 1), (-1, 6), (-2, keys.ed25519_public), (-4, keys.ed25519_secret)])
    )
    entry = SigEntry(sign_record(unsigned, keys.ed25519_secret), cose_key=cose_key)
    return with_sigs(unsigned, [entry], check=False)


def test_a_record_leaking_a_private_key_is_a_hard_stop() -> None:
    with pytest.raises(RecordRefused) as info:
        _refuse_on_issues(_leaky_body())
    assert info.value.code == "SIG_PRIVATE_KEY_LEAKED"
    assert info.value.exit_code == EXIT_INPUT
    assert IDENTITY_SEED.hex() not in info.value.message


def test_an_invalid_record_is_refused_with_its_code() -> None:
    body = cbor.encode(
        CborMap([("v", 2), ("items", [CborMap([("hashes", CborMap([("sha2-256", bytes(32))]))])])])
    )
    with pytest.raises(RecordRefused) as info:
        _refuse_on_issues(body)
    assert info.value.code == "SCHEMA_INVALID_LITERAL"
