"""Bundle state: atomic writes, anchor.json reading, the stored transaction, receipts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from anchor.errors import EXIT_INPUT
from anchor.publish.receipts import ProofMismatch, complete_proofs, proof_files
from anchor.publish.state import (
    BadState,
    BundleLocked,
    bundle_lock,
    json_bytes,
    read_state,
    read_stored_tx,
    write_atomic,
)
from tests.unit.publish.conftest import THREE, make_bundle


def test_write_atomic_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "anchor.json"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert os.listdir(tmp_path) == ["anchor.json"]


def test_bundle_lock_reports_only_a_held_lock_as_locked(tmp_path: Path) -> None:
    with bundle_lock(tmp_path), pytest.raises(BundleLocked) as held, bundle_lock(tmp_path):
        pass
    assert held.value.message == f"{tmp_path} is being published by another process"
    # a BlockingIOError from the body is the body's, not "being published"
    with pytest.raises(BlockingIOError) as raised, bundle_lock(tmp_path):
        raise BlockingIOError("from the body")
    assert str(raised.value) == "from the body"


def test_json_bytes_is_stable() -> None:
    assert json_bytes({"b": 1, "a": [1, 2]}) == b'{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'


def _doc(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "status": "submitted",
        "tx_hash": "AB" * 32,
        "network": "devnet",
        "ttl": 9,
    }
    base.update(kw)
    return base


def test_read_state(tmp_path: Path) -> None:
    assert read_state(tmp_path) is None
    (tmp_path / "anchor.json").write_text(json.dumps(_doc()))
    state = read_state(tmp_path)
    assert state is not None
    assert (state.status, state.tx_hash, state.ttl, state.pending) == (
        "submitted",
        "ab" * 32,
        9,
        True,
    )


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("not json", "is not JSON"),
        ("[]", "is not a JSON object"),
        (json.dumps(_doc(status="done")), "unknown status 'done'"),
        (json.dumps(_doc(tx_hash="ab")), "missing or malformed tx_hash"),
        (json.dumps(_doc(network=None)), "missing network"),
        (json.dumps(_doc(ttl="soon")), "malformed ttl"),
    ],
)
def test_bad_state_is_input_error(tmp_path: Path, doc: str, message: str) -> None:
    (tmp_path / "anchor.json").write_text(doc)
    with pytest.raises(BadState, match=message) as info:
        read_state(tmp_path)
    assert info.value.exit_code == EXIT_INPUT


def test_stored_tx_must_match_the_state(tmp_path: Path) -> None:
    from anchor.label309 import cbor
    from anchor.label309.hashes import blake2b_256

    body = cbor.encode({0: [], 2: 1})
    tx = b"\x84" + body + b"\xa0\xf5\xf6"
    with pytest.raises(BadState, match="cannot be read"):
        read_stored_tx(tmp_path, "00" * 32)
    (tmp_path / "tx.cbor").write_bytes(tx)
    assert read_stored_tx(tmp_path, blake2b_256(body).hex()) == tx
    with pytest.raises(BadState, match=r"but anchor\.json names"):
        read_stored_tx(tmp_path, "00" * 32)
    (tmp_path / "tx.cbor").write_bytes(b"\x01")
    with pytest.raises(BadState, match="is not a transaction"):
        read_stored_tx(tmp_path, "00" * 32)


def test_complete_proofs_is_idempotent_and_refuses_a_foreign_proof(tmp_path: Path) -> None:
    from anchor.merkle.prooffile import ProofFile

    bundle = make_bundle(tmp_path, THREE)
    paths = proof_files(bundle)
    assert len(paths) == 3
    root = ProofFile.from_json_bytes(paths[0].read_bytes()).root
    facts = {
        "network": "devnet",
        "tx_hash": b"\x01" * 32,
        "block_height": 5,
        "block_time": 9,
        "block_hash": b"\x02" * 32,
        "slot": 7,
    }
    assert complete_proofs(bundle, root=root, **facts) == 3  # type: ignore[arg-type]
    once = [p.read_bytes() for p in paths]
    assert complete_proofs(bundle, root=root, **facts) == 3  # type: ignore[arg-type]
    assert [p.read_bytes() for p in paths] == once
    anchor = json.loads(once[0])["anchor"]
    assert anchor == {
        "network": "devnet",
        "tx_hash": "01" * 32,
        "block_height": 5,
        "block_time": 9,
        "block_hash": "02" * 32,
        "slot": 7,
    }
    with pytest.raises(ProofMismatch) as info:
        complete_proofs(bundle, root=b"\x03" * 32, **facts)  # type: ignore[arg-type]
    assert info.value.exit_code == EXIT_INPUT
    assert [p.read_bytes() for p in paths] == once  # nothing changed
