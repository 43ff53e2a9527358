"""Verify reports validate against the standard's verify-report JSON Schema, for every verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from anchor.verify.pipeline import BlockInfo, VerifyConfig, verify_record_bytes
from anchor.verify.run import ProviderSpec, VerifyRequest, run_verify
from tests.unit.verify.fakes import BF, FakeChain
from tests.unit.verify.kit import SAMPLE_FILES, Published, chain_facts, observation, publish_bundle


@pytest.fixture(scope="module")
def validator(l309_data: Path) -> Draft202012Validator:
    schema = json.loads((l309_data / "schemas" / "verify-report.schema.json").read_bytes())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish_bundle(tmp_path_factory.mktemp("schema"), SAMPLE_FILES)


def _assert_valid(validator: Draft202012Validator, doc: dict[str, Any]) -> None:
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]


def test_report_of_a_published_bundle_validates(
    validator: Draft202012Validator, published: Published
) -> None:
    files = tuple(str(published.file(n)) for n in published.names)
    report = run_verify(VerifyRequest(files=files, bundle=str(published.bundle))).to_json()
    assert report["verdict"] == "valid" and len(report["files"]) == len(SAMPLE_FILES)
    _assert_valid(validator, report)
    assert report["profile"] == "sealed" and report["verifier"]["profile"] == "sealed"
    assert report["auditTrail"] == []  # offline: no network call at all


def test_pending_failed_and_unverifiable_reports_validate(
    validator: Draft202012Validator, published: Published, tmp_path: Path
) -> None:
    facts = tmp_path / "facts.json"
    facts.write_bytes(chain_facts(published.tx_hash, observation(tip=1001)))
    base = VerifyRequest(files=(str(published.file("README.txt")),), bundle=str(published.bundle))
    pending = run_verify(
        VerifyRequest(**{**base.__dict__, "chain_facts_file": str(facts)})
    ).to_json()
    assert pending["verdict"] == "pending"
    _assert_valid(validator, pending)

    failed = run_verify(VerifyRequest(**{**base.__dict__, "files": (str(facts),)})).to_json()
    assert failed["verdict"] == "failed"
    _assert_valid(validator, failed)

    down = VerifyRequest(
        **{
            **base.__dict__,
            "online": True,
            "tx_hash": published.tx_hash,
            "providers": (ProviderSpec("blockfrost", BF),),
            "http_client": FakeChain(behaviour={BF: "down"}),
        }
    )
    unverifiable = run_verify(down).to_json()
    assert unverifiable["verdict"] == "unverifiable"
    assert unverifiable["auditTrail"][0]["status"].startswith("error")
    _assert_valid(validator, unverifiable)


def test_valid_report_with_warnings_and_info_keeps_explicit_severities(
    validator: Draft202012Validator, published: Published
) -> None:
    report = run_verify(
        VerifyRequest(files=(str(published.file("README.txt")),), bundle=str(published.bundle))
    )
    doc = report.to_json()
    doc["issues"] = [
        {"path": [], "code": "URI_FETCH_FAILED", "severity": "warning", "message": "x"}
    ]
    _assert_valid(validator, doc)
    doc["issues"][0].pop("severity")
    assert list(validator.iter_errors(doc)), (
        "an implicit (error) severity must not pass under valid"
    )


def test_entry_point_b_report_validates(validator: Draft202012Validator, l309_data: Path) -> None:
    vector = json.loads(
        (l309_data / "conformance/cross-service/external-sealed-record.json").read_bytes()
    )
    rec = vector["record"]
    info = BlockInfo(confirmation_depth=rec["confirmation_depth"], block_time=rec["block_time"])
    report = verify_record_bytes(
        bytes.fromhex(rec["metadata_cbor_hex"]), info, config=VerifyConfig(network="mainnet")
    )
    doc = report.to_json()
    assert doc["verdict"] == "valid"
    _assert_valid(validator, doc)
