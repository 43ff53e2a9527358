"""Records published by other implementations verify here (public-verifier part).

* ``cross-service/*.json``: sealed records from another SDK, through entry point B with
  the vector's block facts (depth 15, threshold 15) → ``valid``, the ``enc`` item
  ``not_checked`` (the public verifier never decrypts; decryption is the later phase);
* the signed records of ``poe-record/`` and ``cose/``, carried in transactions built by
  the test and verified offline through the full pipeline (binding, carriage,
  validation, depth, signatures) → ``valid``, or the pinned failure code for the
  negative COSE vectors (always ``failed``: record-attributable). The maximal record's
  ``merkle[0]`` has no leaves-list anywhere, so it is ``unverifiable``
  (``MERKLE_LEAVES_UNAVAILABLE``) with its signature verified.

One test id per vector, ids = vector names.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from anchor.label309 import cbor
from anchor.label309.cbor import CborMap
from anchor.verify.chainfacts import SOURCE_PROVIDER, Observation
from anchor.verify.pipeline import BlockInfo, VerifyConfig, verify_record_bytes, verify_tx_bytes
from anchor.verify.txfacts import CLOCKS
from tests.conftest import l309_data_dir
from tests.unit.verify.kit import make_tx

DATA = l309_data_dir()
BLOCK_TIME = 1_779_148_800


def facts_for(network: str) -> list[Observation]:
    """Facts as a provider this run asked would give them (bundle facts alone never make
    "valid"), with the slot whose start is BLOCK_TIME on ``network``'s clock."""
    clock = CLOCKS[network]
    shelley = clock.time_of(clock.byron_slots)
    slot = clock.byron_slots + (BLOCK_TIME - shelley)
    assert clock.time_of(slot) == BLOCK_TIME
    return [
        Observation(
            "vector", 100, "ab" * 32, slot, BLOCK_TIME, tip_height=199, source=SOURCE_PROVIDER
        )
    ]


def _load(rel: str) -> Any:
    if DATA is None:
        return None
    path = DATA / "conformance" / rel
    return json.loads(path.read_bytes()) if path.is_file() else None


def _signed(body_hex: str, *entries: CborMap) -> bytes:
    """``body`` (no sigs) with ``sigs`` set to ``entries`` (canonical; possibly invalid on purpose)."""
    body = cbor.decode(bytes.fromhex(body_hex))
    return cbor.encode(CborMap([*body.items(), ("sigs", list(entries))]))


def _entry(cose_sign1_hex: str) -> CborMap:
    return CborMap([("cose_sign1", bytes.fromhex(cose_sign1_hex))])


def _cases() -> list[Any]:
    """(id, record bytes, network, crit extensions, expected verdict, expected error codes)."""
    cases: list[Any] = []
    maximal = _load("poe-record/maximal-record-with-extension-keys.json")
    if maximal:
        crit = frozenset(maximal["validator_options"]["supportedCriticalExtensions"])
        rec = bytes.fromhex(maximal["cbor_hex"])
        # merkle[0] has no uris and no leaves-list is supplied: a producer-only commitment
        # (BRIEF §3.3), and the enc item is never checked by the public verifier, so no
        # content commitment is verified → MERKLE_LEAVES_UNAVAILABLE is an error.
        cases.append(
            (maximal["name"], rec, "preprod", crit, "unverifiable", ["MERKLE_LEAVES_UNAVAILABLE"])
        )
        cases.append(
            (
                maximal["name"] + "-crit-unsupported",
                rec,
                "preprod",
                frozenset(),
                "failed",
                ["EXTENSION_UNSUPPORTED_CRITICAL"],
            )
        )
    mixed = _load("poe-record/mixed-signature-record.json")
    if mixed:
        for v in mixed["vectors"]:
            cases.append(
                (v["name"], bytes.fromhex(v["cbor_hex"]), "mainnet", frozenset(), "valid", [])
            )
        first = mixed["vectors"][0]
        cases.append(
            (
                first["name"] + "-on-testnet",
                bytes.fromhex(first["cbor_hex"]),
                "preprod",
                frozenset(),
                "failed",
                ["WALLET_ADDRESS_MISMATCH"],
            )
        )
    verify_vectors = _load("cose/sign1-verify.json")
    for v in verify_vectors["cardano_poe_vectors"] if verify_vectors else []:
        expected = v["expected_result"]
        codes = [] if expected["ok"] else [expected["error_code"]]
        verdict = "valid" if expected["ok"] else "failed"
        rec = _signed(v["detached_record_body_cbor_hex"], _entry(v["message_hex"]))
        cases.append((v["name"], rec, "preprod", frozenset(), verdict, codes))
    build = _load("cose/sign1-build.json")
    for v in build["cardano_poe_vectors"] if build else []:
        entry = cbor.decode(bytes.fromhex(v["expected_sigs_entry_cbor_hex"]))
        cases.append(
            (
                v["name"],
                _signed(v["record_body_cbor_hex"], entry),
                "preprod",
                frozenset(),
                "valid",
                [],
            )
        )
    verbatim = _load("cose/to-sign-verbatim.json")
    for v in verbatim["vectors"] if verbatim else []:
        rec = _signed(v["record_body_cbor_hex"], _entry(v["cose_sign1_hex"]))
        cases.append((v["name"], rec, "preprod", frozenset(), "valid", []))
    transform = _load("cose/attached-detached-transform.json")
    if transform:
        body = transform["record_body_cbor_hex"]
        cases.append(
            (
                "attached-detached-transform-detached",
                _signed(body, _entry(transform["detached_cose_sign1_hex"])),
                "preprod",
                frozenset(),
                "valid",
                [],
            )
        )
        cases.append(
            (
                "attached-detached-transform-attached",
                _signed(body, _entry(transform["attached_cose_sign1_hex"])),
                "preprod",
                frozenset(),
                "failed",
                ["MALFORMED_SIG_COSE_SIGN1"],
            )
        )
    return cases


CASES = _cases()


def _skip_without_data() -> None:
    if DATA is None:
        pytest.skip("Label 309 vectors not found (run 'make vectors')")


@pytest.mark.parametrize(
    ("record", "network", "crit", "verdict", "codes"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES]
    or [pytest.param(None, None, None, None, None, id="no-data")],
)
def test_other_implementations_signed_record_in_a_transaction(
    record: bytes | None, network: str, crit: frozenset[str], verdict: str, codes: list[str]
) -> None:
    _skip_without_data()
    assert record is not None
    tx_hash, tx = make_tx(record)
    config = VerifyConfig(network=network, supported_critical_extensions=crit)
    report = verify_tx_bytes(tx_hash, tx, facts_for(network), config=config)
    errors = sorted({i.code for i in report.issues if i.severity == "error"})
    assert (report.verdict, errors) == (verdict, sorted(codes))
    if verdict != "failed":
        assert report.signatures and all(s.ok for s in report.signatures)
        assert report.confirmation_depth == 100 and report.block_time == BLOCK_TIME


def test_other_implementations_signer_keys_are_reported(l309_data: Path) -> None:
    mixed = json.loads(
        (l309_data / "conformance/poe-record/mixed-signature-record.json").read_bytes()
    )
    for v in mixed["vectors"]:
        tx_hash, tx = make_tx(bytes.fromhex(v["cbor_hex"]))
        report = verify_tx_bytes(
            tx_hash, tx, facts_for("mainnet"), config=VerifyConfig(network="mainnet")
        )
        got = [(s.index, s.signer_type, s.signer_public_key, s.ok) for s in report.signatures]
        want = [
            (s["index"], s["signer_type"], s["signer_pub_hex"], s["ok"])
            for s in v["expected_signer_verdicts"]
        ]
        assert got == want


CROSS = ["external-sealed-record", "external-sealed-record-hybrid"]


@pytest.mark.parametrize("name", CROSS, ids=CROSS)
def test_cross_service_sealed_record_public_verify(l309_data: Path, name: str) -> None:
    vector = json.loads((l309_data / "conformance" / "cross-service" / f"{name}.json").read_bytes())
    rec = vector["record"]
    info = BlockInfo(
        confirmation_depth=rec["confirmation_depth"],
        block_time=rec["block_time"],
        block_height=rec["block_height"],
    )
    report = verify_record_bytes(
        bytes.fromhex(rec["metadata_cbor_hex"]),
        info,
        config=VerifyConfig(network="mainnet", min_confirmations=15),
        tx_hash=rec["tx_hash_hex"],
    )
    assert report.verdict == "valid" and report.exit_code == 0
    assert [i.severity for i in report.issues if i.severity == "error"] == []
    assert report.items == ("not_checked",)
    assert (report.confirmation_depth, report.block_time) == (15, rec["block_time"])
    doc = report.to_json()
    assert doc["block_time"] == rec["block_time"] and doc["network"] == "cardano:mainnet"


def test_maximal_record_surfaces_extension_keys_and_supersedes(l309_data: Path) -> None:
    vector = json.loads(
        (l309_data / "conformance/poe-record/maximal-record-with-extension-keys.json").read_bytes()
    )
    tx_hash, tx = make_tx(bytes.fromhex(vector["cbor_hex"]))
    config = VerifyConfig(network="preprod", supported_critical_extensions=frozenset({"x-note"}))
    report = verify_tx_bytes(tx_hash, tx, facts_for("preprod"), config=config)
    assert report.verdict == "unverifiable"  # no leaves-list for merkle[0] (see _cases)
    assert report.signatures[0].ok
    assert sorted(report.extension_keys) == ["x-meta", "x-note"]
    assert any(vector["record"]["supersedes_hex"] in note for note in report.notes)
    assert (report.items, report.merkle) == (("not_checked",), ("not_checked",))
