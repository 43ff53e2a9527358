"""The verifier pipeline end to end over fake providers: order, fallback, verdict precedence."""

from __future__ import annotations

from typing import Any

import pytest

from anchor.chain.readers import BlockfrostReader, ChainReader, KoiosReader
from anchor.label309 import cbor
from anchor.label309.cbor import CborMap
from anchor.label309.hashes import sha256
from anchor.verify.egress import Egress
from anchor.verify.pipeline import BlockInfo, VerifyConfig, verify_record_bytes, verify_tx
from anchor.verify.report import VerifyReport
from tests.unit.verify.fakes import BF, KOIOS, FakeChain
from tests.unit.verify.kit import aux_data, make_tx, make_tx_from_aux, sign_body

PREPROD = VerifyConfig(network="preprod")


def simple_record(*, sign: bool = True) -> bytes:
    body = cbor.encode(
        CborMap(
            [("v", 1), ("items", [CborMap([("hashes", CborMap([("sha2-256", sha256(b"x"))]))])])]
        )
    )
    return sign_body(body) if sign else body


def _online(
    tx_hash: str, chain: FakeChain, *, order: tuple[str, ...] = ("blockfrost", "koios"), **kw: Any
) -> tuple[VerifyReport, Egress]:
    egress = Egress(inner=chain, deny_hosts=kw.pop("deny", ()))
    readers: list[ChainReader] = []
    for name in order:
        readers.append(
            BlockfrostReader(BF, client=egress)
            if name == "blockfrost"
            else KoiosReader(KOIOS, client=egress)
        )
    config = kw.pop("config", PREPROD)
    report = verify_tx(tx_hash, readers, config=config, audit_trail=egress.audit_trail)
    return report, egress


def codes(report: VerifyReport) -> list[tuple[str, str]]:
    return [(i.code, i.severity) for i in report.issues]


def test_online_valid_with_audit_trail_of_raw_cbor_and_block_facts() -> None:
    tx_hash, tx = make_tx(simple_record())
    report, _ = _online(tx_hash, FakeChain(txs={tx_hash: tx}), order=("blockfrost",))
    assert (report.verdict, report.exit_code) == ("valid", 0)
    assert report.confirmation_depth == 100 and report.block_time == 1_767_225_600
    assert [(e["method"], e["url"][len(BF) :]) for e in report.audit_trail] == [
        ("GET", f"/txs/{tx_hash}/cbor"),
        ("GET", f"/txs/{tx_hash}"),
        ("GET", "/blocks/latest"),
    ]
    assert all(e["purpose"] == "cardano" and e["status"] == 200 for e in report.audit_trail)
    assert report.signatures[0].ok and report.signatures[0].signer_type == "in-signature-kid"


def test_altered_bytes_then_good_provider_recovers() -> None:
    tx_hash, tx = make_tx(simple_record())
    chain = FakeChain(txs={tx_hash: tx}, behaviour={BF: "tamper"})
    report, _ = _online(tx_hash, chain)
    assert report.verdict == "valid" and report.issues == ()
    fetches = [a for a in report.attempts if a["step"] == "fetch"]
    assert [(a["provider"], a["outcome"]) for a in fetches] == [
        ("blockfrost", "integrity-mismatch"),
        ("koios", "bound"),
    ]
    urls = [e["url"] for e in report.audit_trail]
    assert urls[0] == f"{BF}/txs/{tx_hash}/cbor" and urls[1] == f"{KOIOS}/tx_cbor"


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        ({BF: "down", KOIOS: "down"}, "PROVIDER_UNAVAILABLE"),
        ({BF: "500", KOIOS: "302"}, "PROVIDER_UNAVAILABLE"),
        ({BF: "404", KOIOS: "down"}, "TX_NOT_FOUND"),
        ({BF: "tamper", KOIOS: "tamper"}, "TX_INTEGRITY_MISMATCH"),
    ],
)
def test_resolution_failures_are_unverifiable(behaviour: dict[str, str], code: str) -> None:
    tx_hash, tx = make_tx(simple_record())
    report, egress = _online(tx_hash, FakeChain(txs={tx_hash: tx}, behaviour=behaviour))
    assert (report.verdict, report.exit_code) == ("unverifiable", 2)
    assert codes(report) == [(code, "error")]
    assert len(egress.trail) == 2  # both providers were tried, both recorded


def test_unknown_everywhere_is_tx_not_found() -> None:
    report, _ = _online("ee" * 32, FakeChain())
    assert codes(report) == [("TX_NOT_FOUND", "error")] and report.verdict == "unverifiable"


def test_denied_host_is_terminal_on_the_resolve_path() -> None:
    tx_hash, tx = make_tx(simple_record())
    chain = FakeChain(txs={tx_hash: tx})
    report, _ = _online(tx_hash, chain, deny=["bf.test"])
    assert (report.verdict, report.exit_code) == ("failed", 1)
    assert codes(report) == [("SERVICE_INDEPENDENCE_VIOLATION", "error")]
    assert chain.log == []  # not even the fallback provider was contacted
    assert report.audit_trail[0]["status"] == "denied"


def test_block_fact_disagreement_is_reported_and_not_valid() -> None:
    tx_hash, tx = make_tx(simple_record())
    chain = FakeChain(txs={tx_hash: tx}, facts_override={KOIOS: {"time": 1_767_225_700}})
    report, _ = _online(tx_hash, chain)
    assert report.verdict == "unverifiable"
    assert report.chain_facts is not None
    assert report.chain_facts.disagreements == (
        {"field": "block_time", "values": {"blockfrost": 1_767_225_600, "koios": 1_767_225_700}},
    )
    assert len(report.chain_facts.observations) == 2


def test_pending_halts_before_signatures() -> None:
    tx_hash, tx = make_tx(simple_record())
    report, _ = _online(tx_hash, FakeChain(txs={tx_hash: tx}, tip=1013), order=("koios",))
    assert (report.verdict, report.exit_code) == ("pending", 3)
    assert report.confirmation_depth == 14
    assert codes(report) == [("INSUFFICIENT_CONFIRMATIONS", "info")]
    assert report.signatures == ()
    assert any("did not run" in n for n in report.notes)


def test_exactly_at_threshold_is_confirmed() -> None:
    tx_hash, tx = make_tx(simple_record())
    report, _ = _online(tx_hash, FakeChain(txs={tx_hash: tx}, tip=1014), order=("koios",))
    assert report.verdict == "valid" and report.confirmation_depth == 15


def test_structural_failure_in_a_fresh_block_is_failed_not_pending() -> None:
    body = cbor.encode(CborMap([("v", 2), ("items", [CborMap([("hashes", CborMap())])])]))
    tx_hash, tx = make_tx(body)
    report, _ = _online(tx_hash, FakeChain(txs={tx_hash: tx}, tip=1000), order=("koios",))
    assert report.verdict == "failed"
    assert "SCHEMA_INVALID_LITERAL" in [c for c, _ in codes(report)]
    assert "INSUFFICIENT_CONFIRMATIONS" not in [c for c, _ in codes(report)]


def test_bound_transaction_without_label_309_is_failed() -> None:
    aux = cbor.encode(CborMap([(674, CborMap([("msg", ["hello"])]))]))
    tx_hash, tx = make_tx_from_aux(aux)
    report, _ = _online(tx_hash, FakeChain(txs={tx_hash: tx}), order=("koios",))
    assert (report.verdict, codes(report)) == ("failed", [("METADATA_NOT_FOUND", "error")])


def test_oversized_chunk_is_a_carriage_failure() -> None:
    body = simple_record()
    value = b"\x81" + cbor.encode(body)  # one chunk longer than 64 bytes
    aux = b"\xd9\x01\x03" + cbor.encode(CborMap([(0, CborMap([(309, [body])]))]))
    assert aux.endswith(value[1:])
    tx_hash, tx = make_tx_from_aux(aux)
    report, _ = _online(tx_hash, FakeChain(txs={tx_hash: tx}), order=("koios",))
    assert (report.verdict, codes(report)) == ("failed", [("CHUNK_TOO_LARGE", "error")])


def test_invalid_signature_is_failed() -> None:
    good = simple_record()
    bad = bytearray(good)
    bad[-1] ^= 1  # last byte of the COSE signature
    tx_hash, tx = make_tx(bytes(bad))
    report, _ = _online(tx_hash, FakeChain(txs={tx_hash: tx}), order=("koios",))
    assert (report.verdict, codes(report)) == ("failed", [("SIGNATURE_INVALID", "error")])
    assert report.issues[0].path == ("sigs", 0)
    assert report.signatures[0].ok is False


def test_entry_point_b_accepts_label309_value_or_body() -> None:
    body = simple_record()
    info = BlockInfo(confirmation_depth=15, block_time=1_767_225_600, block_slot=5)
    value = aux_data(body, form="map")[4:]  # strip a1 19 01 35: the chunk array
    for data in (body, value):
        report = verify_record_bytes(data, info, config=PREPROD)
        assert report.verdict == "valid" and report.block_slot == 5
        assert report.items == ("not_checked",)
    low = BlockInfo(confirmation_depth=3, block_time=1)
    assert verify_record_bytes(body, low, config=PREPROD).verdict == "pending"
    broken = verify_record_bytes(b"\x81\x40", info, config=PREPROD)
    assert (broken.verdict, codes(broken)) == ("failed", [("MALFORMED_CBOR", "error")])
