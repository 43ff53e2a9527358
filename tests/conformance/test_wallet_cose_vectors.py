"""CIP-30 wallet (path-2) signatures: ``wallet-cose/*.json``, six wallets x {valid,
missing address, tampered address, wrong network header}, all on mainnet. Each entry is
verified alone and embedded in a record; the normalised verdict must match."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from anchor.label309 import cose, cose_verify
from anchor.label309.cbor import CborMap
from anchor.label309.record import SigEntry, body_without_sigs, with_sigs
from anchor.label309.validate import validate_record
from tests.conformance._primitive_vectors import hx
from tests.conftest import FETCH_HINT, l309_data_dir

WALLET_DIR = ("wallet-cose", "*.json")


def _files() -> list[Any]:
    root = l309_data_dir()
    if root is None:
        reason = f"Label 309 vectors not found ({FETCH_HINT})"
        return [pytest.param(None, id="vectors-absent", marks=pytest.mark.skip(reason=reason))]
    files = sorted((root / "conformance" / WALLET_DIR[0]).glob(WALLET_DIR[1]))
    return [pytest.param(p, id=p.stem) for p in files]


FILES = _files()


def test_wallet_vector_count() -> None:
    if FILES and FILES[0].values[0] is None:
        pytest.skip("Label 309 vectors not found")
    assert len(FILES) == 24


@pytest.mark.parametrize("path", FILES)
def test_wallet_cose(path: Path) -> None:
    vector = json.loads(path.read_text(encoding="utf-8"))
    network = vector["cardano_network"]
    body = hx(vector["record_body_cbor_hex"])
    signed = body_without_sigs(body)
    assert cose.to_sign(signed).hex() == vector["to_sign_bytes_hex"]
    sign1, key = hx(vector["cose_sign1_bytes_hex"]), hx(vector["cose_key_bytes_hex"])
    entry = CborMap({"cose_sign1": sign1, "cose_key": key})
    expected = vector["expected_normalized_verdict"]
    result = cose_verify.verify_sig_entry(entry, signed, index=expected["index"], network=network)
    assert result.normalized() == expected
    # Embedded in the record: structurally valid (path 2 is shape-correct in every
    # variant), and whole-record verification gives the same verdict.
    record = with_sigs(body, [SigEntry(sign1, key)], check=False)
    assert validate_record(record).valid
    assert [r.normalized() for r in cose_verify.verify_signatures(record, network=network)] == [
        expected
    ]
