"""The publish state machine against an in-process devnet: files, resume, refusals, rejection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from anchor.chain.network import Network
from anchor.chain.providers import ProviderRejected, SubmitOutcomeUnknown
from anchor.chain.txbuild import NotEnoughFunds
from anchor.errors import EXIT_ENVIRONMENT, EXIT_INPUT
from anchor.label309 import txbind
from anchor.label309.hashes import sha256
from anchor.merkle.prooffile import ProofFile
from anchor.publish.assemble import assemble_record
from anchor.publish.confirm import ConfirmationTimeout
from anchor.publish.pipeline import (
    AlreadyAnchored,
    DryRunOutcome,
    Note,
    PublishOptions,
    PublishOutcome,
    StillPending,
    TxExpired,
    build_for_bundle,
)
from anchor.publish.state import BundleLocked, bundle_lock
from tests.unit.publish.conftest import PAYMENT, THREE, Crash, Env, make_bundle

BUNDLE_FILES = {"manifest.json", "leaves.cbor", "proofs"}


def anchor_doc(bundle: Path) -> dict[str, object]:
    return json.loads((bundle / "anchor.json").read_text())


def test_publish_writes_every_receipt(env: Env, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    result = env.publish(bundle)
    assert isinstance(result, PublishOutcome)
    assert not result.resumed
    doc = anchor_doc(bundle)
    assert doc == result.receipt
    assert doc["status"] == "confirmed"
    tx = (bundle / "tx.cbor").read_bytes()
    assert doc["tx_hash"] == txbind.tx_id(txbind.split_tx(tx).body).hex()
    assert env.chain_txs() == [doc["tx_hash"]]
    assert doc["fee"] == doc["min_fee"] == 44 * len(tx) + 155381
    assert doc["tx_size"] == len(tx)
    record = (bundle / "record.cbor").read_bytes()
    assert doc["record_size"] == len(record)
    assert doc["record_sha256"] == sha256(record).hex()
    assert doc["confirmations"] >= 1
    assert doc["signed"] is True
    facts = json.loads((bundle / "chain-facts.json").read_text())
    assert facts["tx_hash"] == doc["tx_hash"]
    assert facts["providers"][0]["block_height"] == doc["block_height"]
    assert facts["providers"][0]["block_hash"] == doc["block_hash"]
    proofs = sorted((bundle / "proofs").rglob("*.proof.json"))
    assert len(proofs) == 3 == result.proofs_updated
    for path in proofs:
        proof = ProofFile.from_json_bytes(path.read_bytes())
        assert proof.anchor is not None
        assert proof.anchor.tx_hash.hex() == doc["tx_hash"]
        assert proof.anchor.block_height == doc["block_height"]
        assert proof.anchor.network == "devnet"


def test_dry_run_submits_and_writes_nothing(env: Env, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    before = {p: p.read_bytes() for p in bundle.rglob("*") if p.is_file()}
    result = env.publish(bundle, dry_run=True)
    assert isinstance(result, DryRunOutcome)
    assert env.provider.submitted == []
    assert {p: p.read_bytes() for p in bundle.rglob("*") if p.is_file()} == before
    assert result.tx.fee == result.tx.min_fee == 44 * result.tx.size + 155381
    env.net.advance(2)
    assert env.chain_txs() == []


def test_already_anchored_is_refused_then_force_publishes_again(env: Env, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    first = env.publish(bundle)
    assert isinstance(first, PublishOutcome)
    with pytest.raises(AlreadyAnchored) as info:
        env.publish(bundle)
    assert info.value.exit_code == EXIT_INPUT
    assert first.receipt["tx_hash"] in info.value.message
    assert len(env.provider.submitted) == 1
    second = env.publish(bundle, force=True)
    assert isinstance(second, PublishOutcome)
    assert second.receipt["tx_hash"] != first.receipt["tx_hash"]
    assert second.receipt["previous"] == [
        {
            "tx_hash": first.receipt["tx_hash"],
            "network": "devnet",
            "status": "confirmed",
            "block_height": first.receipt["block_height"],
        }
    ]
    assert any(isinstance(e, Note) and "replacing" in e.message for e in env.events)


def test_crash_after_submit_resumes_without_a_second_transaction(env: Env, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    env.provider.crash_after_submit = True
    with pytest.raises(Crash):
        env.publish(bundle)
    doc = anchor_doc(bundle)
    assert doc["status"] == "submitting"  # tx.cbor and the id were on disk before submit
    tx_hash = doc["tx_hash"]
    assert txbind.tx_id(txbind.split_tx((bundle / "tx.cbor").read_bytes()).body).hex() == tx_hash
    env.provider.crash_after_submit = False
    env.net.cut_block()  # the transaction lands while the publisher is dead
    result = env.publish(bundle)
    assert isinstance(result, PublishOutcome)
    assert result.resumed
    assert result.receipt["tx_hash"] == tx_hash
    assert len(env.provider.submitted) == 1  # nothing submitted on the rerun
    assert env.chain_txs() == [tx_hash]


def test_resume_while_still_in_the_mempool_resubmits_the_same_bytes(
    env: Env, tmp_path: Path
) -> None:
    bundle = make_bundle(tmp_path, THREE)
    env.provider.crash_after_submit = True
    with pytest.raises(Crash):
        env.publish(bundle)
    env.provider.crash_after_submit = False
    saved = (bundle / "tx.cbor").read_bytes()
    result = env.publish(bundle)  # not yet in a block: resubmit (refused: inputs in use), wait
    assert isinstance(result, PublishOutcome)
    assert result.resumed
    assert env.provider.submitted == [saved, saved]
    assert env.chain_txs() == [result.receipt["tx_hash"]]
    assert any("resubmission refused" in n for n in result.notes)


def test_lost_submit_answer_is_never_taken_as_rejected_and_never_publishes_twice(
    env: Env, tmp_path: Path
) -> None:
    bundle = make_bundle(tmp_path, THREE)
    env.provider.lost_answer_on_submit = True
    with pytest.raises(SubmitOutcomeUnknown) as info:
        env.publish(bundle, cut_blocks=False)
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert "rerun" in info.value.diagnostics()
    doc = anchor_doc(bundle)
    assert doc["status"] == "submitting"  # possibly submitted: a rerun must look it up
    tx_hash = doc["tx_hash"]
    # The rerun resubmits the same bytes; the mempool refuses them and that answer is lost
    # too: the outcome is unknown again, so it waits for the original.
    result = env.publish(bundle)
    assert isinstance(result, PublishOutcome)
    assert result.receipt["tx_hash"] == tx_hash
    assert env.chain_txs() == [tx_hash]
    assert len(env.provider.submitted) == 2
    assert any(
        n.startswith("resubmission outcome unknown (") and n.endswith("); waiting for the original")
        for n in result.notes
    ), result.notes


def test_lost_before_submit_and_expired_needs_force(env: Env, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    env.provider.crash_before_submit = True
    with pytest.raises(Crash):
        env.publish(bundle, ttl_slots=3)
    env.provider.crash_before_submit = False
    stale = anchor_doc(bundle)["tx_hash"]
    env.net.advance(5)  # slots move past the TTL
    with pytest.raises(TxExpired) as info:
        env.publish(bundle)
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert f"transaction {stale}" in info.value.message
    assert "expired" in info.value.message
    assert "--force" in info.value.diagnostics()
    result = env.publish(bundle, force=True)
    assert isinstance(result, PublishOutcome)
    assert result.receipt["tx_hash"] != stale
    assert env.chain_txs() == [result.receipt["tx_hash"]]


def test_force_never_replaces_a_pending_transaction_within_its_ttl(
    env: Env, tmp_path: Path
) -> None:
    bundle = make_bundle(tmp_path, THREE)
    env.provider.crash_before_submit = True
    with pytest.raises(Crash):
        env.publish(bundle)
    env.provider.crash_before_submit = False
    with pytest.raises(StillPending) as info:
        env.publish(bundle, force=True)
    assert info.value.exit_code == EXIT_INPUT
    assert env.provider.submitted == []
    result = env.publish(bundle)  # without --force: the saved transaction is submitted
    assert isinstance(result, PublishOutcome)
    assert result.resumed
    assert env.chain_txs() == [result.receipt["tx_hash"]]


def test_ledger_rejection_surfaces_the_reason_and_leaves_a_rejected_state(
    env: Env, tmp_path: Path
) -> None:
    first = make_bundle(tmp_path, THREE, name="one")
    second = make_bundle(tmp_path, {"other.txt": b"other\n"}, name="two")
    # Bundle one's transaction sits in the mempool; the provider's UTxO view is stale.
    env.provider.stale_utxos = env.provider.inner.utxos(PAYMENT.address(0))
    plan = assemble_record(first, identity_seed=None)
    tx_one = build_for_bundle(plan, payment_key=PAYMENT, provider=env.provider, options=_options())
    env.provider.inner.submit(tx_one.tx_bytes)
    with pytest.raises(ProviderRejected) as info:
        env.publish(second, cut_blocks=False)
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert "BadInputsUTxO" in info.value.reason
    doc = anchor_doc(second)
    assert doc["status"] == "rejected"
    assert "BadInputsUTxO" in str(doc["rejection"])
    # With a fresh UTxO view the same bundle publishes normally.
    env.provider.stale_utxos = None
    env.net.cut_block()
    result = env.publish(second)
    assert isinstance(result, PublishOutcome)
    assert "previous" not in result.receipt


def _options() -> PublishOptions:
    return PublishOptions(network=Network.devnet(), confirmations=1, timeout=1.0, ttl_slots=100)


def test_missing_funds_name_amount_and_address(env: Env, tmp_path: Path) -> None:
    from anchor.chain.keys import PaymentKey

    bundle = make_bundle(tmp_path, THREE)
    poor = PaymentKey.from_seed(bytes([9]) * 32)
    from anchor.publish.pipeline import publish_bundle

    with pytest.raises(NotEnoughFunds) as info:
        publish_bundle(
            bundle,
            identity_seed=None,
            payment_key=poor,
            provider=env.provider,
            readers=[env.reader],
            options=_options(),
        )
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert poor.address(0) in info.value.message
    assert f"send at least {info.value.need} lovelace" in info.value.message
    assert not (bundle / "anchor.json").exists()
    assert not (bundle / "tx.cbor").exists()


def test_confirmation_timeout_is_resumable(env: Env, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    with pytest.raises(ConfirmationTimeout) as info:
        env.publish(bundle, cut_blocks=False, timeout=0.05)
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert "not yet in a block" in info.value.message
    assert "to resume waiting" in info.value.diagnostics()
    assert anchor_doc(bundle)["status"] == "submitted"
    env.net.cut_block()
    result = env.publish(bundle, confirmations=3)
    assert isinstance(result, PublishOutcome)
    assert result.resumed
    assert result.receipt["confirmations"] >= 3
    assert len(env.provider.submitted) == 1


def test_pending_on_another_network_is_input_error(env: Env, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    with pytest.raises(ConfirmationTimeout):
        env.publish(bundle, cut_blocks=False, timeout=0.05)
    doc = anchor_doc(bundle)
    doc["network"] = "preprod"
    (bundle / "anchor.json").write_text(json.dumps(doc))
    with pytest.raises(Exception) as info:
        env.publish(bundle)
    assert getattr(info.value, "exit_code", None) == EXIT_INPUT
    assert "--network preprod" in info.value.diagnostics()  # type: ignore[attr-defined]


def test_a_locked_bundle_is_refused(env: Env, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    with bundle_lock(bundle), pytest.raises(BundleLocked) as info:
        env.publish(bundle)
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert env.provider.submitted == []


def test_unsigned_record(env: Env, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path, THREE)
    result = env.publish(bundle, identity_seed=None)
    assert isinstance(result, PublishOutcome)
    assert result.receipt["signed"] is False
    assert "signer" not in result.receipt


def test_provider_down_at_submit_keeps_the_transaction_for_the_rerun(
    env: Env, tmp_path: Path
) -> None:
    from anchor.chain.providers import ProviderUnavailable

    bundle = make_bundle(tmp_path, THREE)
    env.provider.unavailable_on_submit = True
    with pytest.raises(ProviderUnavailable) as info:
        env.publish(bundle)
    assert info.value.exit_code == EXIT_ENVIRONMENT
    assert str(bundle / "tx.cbor") in info.value.diagnostics()
    saved = (bundle / "tx.cbor").read_bytes()
    assert anchor_doc(bundle)["status"] == "submitting"
    env.provider.unavailable_on_submit = False
    result = env.publish(bundle)
    assert isinstance(result, PublishOutcome)
    assert result.resumed
    assert env.provider.submitted == [saved]
    assert env.chain_txs() == [result.receipt["tx_hash"]]


def test_no_secret_reaches_a_file_a_repr_or_an_event(env: Env, tmp_path: Path) -> None:
    """Identity seed, derived signing key and payment key: never in the bundle's files
    (anchor.json, tx.cbor, record.cbor, chain facts, proofs), in the outcome's or the
    plan's repr, in progress events, or in the repr of the key objects themselves."""
    from anchor.label309.keys import derive_identity
    from tests.unit.publish.conftest import IDENTITY_SEED

    identity = derive_identity(IDENTITY_SEED)
    secrets = [IDENTITY_SEED, identity.ed25519_secret, PAYMENT.signing_seed]
    needles = [form for s in secrets for form in (s, s.hex().encode(), s.hex().upper().encode())]
    bundle = make_bundle(tmp_path, THREE)
    dry = env.publish(bundle, dry_run=True)
    result = env.publish(bundle)
    blobs = [p.read_bytes() for p in bundle.rglob("*") if p.is_file()]
    blobs += [repr(x).encode() for x in (dry, result, identity, PAYMENT, *env.events)]
    for blob in blobs:
        assert not [n for n in needles if n in blob]
