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
        ("GET", "/genesis"),
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
    assert urls[:2] == [f"{BF}/genesis", f"{KOIOS}/genesis"]
    assert urls[2] == f"{BF}/txs/{tx_hash}/cbor" and urls[3] == f"{KOIOS}/tx_cbor"


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
    assert len(egress.trail) == 4  # both providers were asked their network, then tried


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
    chain = FakeChain(txs={tx_hash: tx}, facts_override={KOIOS: {"height": 1001}})
    report, _ = _online(tx_hash, chain)
    assert report.verdict == "unverifiable"
    assert report.chain_facts is not None
    assert report.chain_facts.disagreements == (
        {
            "field": "block_height",
            "values": {f"blockfrost {BF}": 1000, f"koios {KOIOS}": 1001},
        },
    )
    assert [(f.code, f.effect) for f in report.findings] == [
        ("CHAIN_FACTS_DISAGREE", "unverifiable")
    ]
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


# --------------------------------------------------------------------------- review findings

LEAVES = [sha256(bytes([i])) for i in range(3)]


def merkle_only_record(*, uris: tuple[str, ...] = ()) -> bytes:
    from anchor.label309.record import MerkleCommit, build_record_body
    from anchor.merkle.tree import root_of

    commit = MerkleCommit("rfc9162-sha256", root_of(LEAVES), len(LEAVES), uris=uris)
    return sign_body(build_record_body(merkle=[commit]))


def test_provider_that_failed_the_binding_is_not_asked_for_block_facts() -> None:
    """§7.4 step 2: a response failing the binding is discarded, facts included (Koios
    serves CBOR and block facts in one response). Its (lying) block time must not turn a
    bound, agreed record into ``unverifiable``."""
    tx_hash, tx = make_tx(simple_record())
    chain = FakeChain(
        txs={tx_hash: tx},
        behaviour={KOIOS: "tamper"},
        facts_override={KOIOS: {"time": 1, "height": 990}},
    )
    report, _ = _online(tx_hash, chain, order=("koios", "blockfrost"))
    assert (report.verdict, report.issues) == ("valid", ())
    assert report.chain_facts is not None and report.chain_facts.disagreements == ()
    assert [o["provider"] for o in report.chain_facts.observations] == ["blockfrost"]
    assert report.confirmation_depth == 100
    koios = [(a["step"], a["outcome"]) for a in report.attempts if a["provider"] == "koios"]
    assert koios == [("fetch", "integrity-mismatch"), ("block-facts", "skipped")]


def test_structural_failure_is_failed_even_without_block_facts() -> None:
    """§7.4: validation (step 4) precedes depth (step 5), so a bound, malformed record is
    ``failed`` even when no provider can give the including block's facts."""
    body = cbor.encode(CborMap([("v", 2), ("items", [CborMap([("hashes", CborMap())])])]))
    tx_hash, tx = make_tx(body)
    chain = FakeChain(txs={tx_hash: tx}, behaviour={BF: "nofacts"})
    report, _ = _online(tx_hash, chain, order=("blockfrost",))
    assert report.verdict == "failed"
    assert [c for c, _ in codes(report)] == [
        "PROVIDER_UNAVAILABLE",  # path []
        "SCHEMA_TYPE_MISMATCH",  # path ["items", 0, "hashes"]
        "SCHEMA_INVALID_LITERAL",  # path ["v"]
    ]


def test_sound_record_without_block_facts_is_unverifiable_after_validation() -> None:
    tx_hash, tx = make_tx(simple_record())
    chain = FakeChain(txs={tx_hash: tx}, behaviour={BF: "nofacts"})
    report, _ = _online(tx_hash, chain, order=("blockfrost",))
    assert (report.verdict, codes(report)) == ("unverifiable", [("PROVIDER_UNAVAILABLE", "error")])
    assert report.steps["validate"] == "ok" and "signatures" not in report.steps
    assert report.confirmation_depth is None and report.signatures == ()


def test_carriage_failure_is_failed_even_without_block_facts() -> None:
    aux = cbor.encode(CborMap([(674, CborMap([("msg", ["hello"])]))]))
    tx_hash, tx = make_tx_from_aux(aux)
    chain = FakeChain(txs={tx_hash: tx}, behaviour={BF: "nofacts"})
    report, _ = _online(tx_hash, chain, order=("blockfrost",))
    assert (report.verdict, [c for c, _ in codes(report)]) == (
        "failed",
        ["PROVIDER_UNAVAILABLE", "METADATA_NOT_FOUND"],
    )


def test_merkle_only_record_without_leaves_is_unverifiable_online() -> None:
    """§3.3/§7.4 step 7/§10.10: no leaves-list for a merkle-only record →
    MERKLE_LEAVES_UNAVAILABLE escalated to error → unverifiable, never ``valid``."""
    tx_hash, tx = make_tx(merkle_only_record())
    report, _ = _online(tx_hash, FakeChain(txs={tx_hash: tx}), order=("koios",))
    assert (report.verdict, codes(report)) == (
        "unverifiable",
        [("MERKLE_LEAVES_UNAVAILABLE", "error")],
    )
    assert report.issues[0].path == ("merkle", 0)
    assert report.merkle == ("not_checked",) and report.signatures[0].ok


@pytest.mark.parametrize("uris", [(), ("ar://" + "a" * 43,)], ids=["no-uris", "with-uris"])
def test_merkle_only_record_through_entry_point_b(uris: tuple[str, ...]) -> None:
    from anchor.merkle.leaves import encode_leaves_list
    from anchor.verify.pipeline import Evidence

    info = BlockInfo(confirmation_depth=20, block_time=1_767_225_600)
    body = merkle_only_record(uris=uris)
    bare = verify_record_bytes(body, info, config=PREPROD)
    assert (bare.verdict, codes(bare)) == ("unverifiable", [("MERKLE_LEAVES_UNAVAILABLE", "error")])
    supplied = Evidence(leaves_bytes={0: encode_leaves_list(LEAVES)})
    ok = verify_record_bytes(body, info, config=PREPROD, evidence=supplied)
    assert (ok.verdict, ok.issues, ok.merkle) == ("valid", (), ("checked",))


def test_mixed_record_with_nothing_checked_is_unverifiable() -> None:
    """Our own record shape (items[0] + merkle[0]) verified with no bundle: no content
    commitment was verified, so MERKLE_LEAVES_UNAVAILABLE is an error (§7.4 step 7)."""
    from tests.unit.verify.kit import release_record

    tx_hash, tx = make_tx(release_record(b"{}", sha256(b"root"), 3))
    report, _ = _online(tx_hash, FakeChain(txs={tx_hash: tx}), order=("koios",))
    assert (report.verdict, codes(report)) == (
        "unverifiable",
        [("MERKLE_LEAVES_UNAVAILABLE", "error")],
    )


def test_malformed_provider_url_is_recorded_and_the_next_provider_used() -> None:
    tx_hash, tx = make_tx(simple_record())
    chain = FakeChain(txs={tx_hash: tx})
    egress = Egress(inner=chain)
    readers: list[ChainReader] = [
        BlockfrostReader("http://bf.test:notaport/api/v0", client=egress),
        KoiosReader(KOIOS, client=egress),
    ]
    report = verify_tx(tx_hash, readers, config=PREPROD, audit_trail=egress.audit_trail)
    assert (report.verdict, report.issues) == ("valid", ())
    first = report.audit_trail[0]
    assert (first["method"], first["status"], first["bytes"], first["purpose"]) == (
        "GET",
        "forbidden",
        0,
        "cardano",
    )
    assert [a["outcome"] for a in report.attempts if a["step"] == "fetch"] == [
        "refused",
        "bound",
    ]


def _wallet_signed(header: int) -> tuple[bytes, str]:
    """``simple_record`` signed on path 2 (inline COSE_Key, protected ``address``)."""
    from anchor.label309.cose import sign1, to_sign
    from anchor.label309.ed25519 import public_key
    from anchor.label309.hashes import blake2b_224
    from anchor.label309.record import SigEntry, body_without_sigs, with_sigs

    seed = bytes(range(1, 33))
    pk = public_key(seed)
    body = simple_record(sign=False)
    protected = CborMap([(1, -8), ("address", bytes([header]) + blake2b_224(pk))])
    cose_sign1 = sign1(seed, protected, to_sign(body_without_sigs(body)), detached=True)
    cose_key = cbor.encode(CborMap([(1, 1), (3, -8), (-1, 6), (-2, pk)]))
    return with_sigs(body, [SigEntry(cose_sign1, cose_key=cose_key)]), pk.hex()


@pytest.mark.parametrize(
    ("network", "header", "verdict"),
    [
        ("mainnet", 0xE1, "valid"),
        ("mainnet", 0xE0, "failed"),
        ("preprod", 0xE0, "valid"),
        ("preview", 0xE0, "valid"),
        ("devnet", 0xE0, "valid"),
        ("devnet", 0xE1, "failed"),
    ],
)
def test_wallet_address_header_comes_from_the_containing_network(
    network: str, header: int, verdict: str
) -> None:
    """§5.8: expected address = header of the network the tx was resolved on (0xe1 mainnet,
    0xe0 for every test network, the local devnet included) ‖ Blake2b-224(key)."""
    body, pk = _wallet_signed(header)
    info = BlockInfo(confirmation_depth=20, block_time=1_767_225_600)
    report = verify_record_bytes(body, info, config=VerifyConfig(network=network))
    assert report.verdict == verdict
    [sig] = report.signatures
    assert (sig.signer_type, sig.signer_public_key) == ("wallet-inline-key", pk)
    expected = [] if verdict == "valid" else [("WALLET_ADDRESS_MISMATCH", "error")]
    assert codes(report) == expected


@pytest.mark.parametrize("shape", ["shelley", "alonzo", "indefinite"])
def test_ledger_encodings_are_bound_over_the_bytes_as_given(shape: str) -> None:
    """§8: tag-258 input set, keys out of canonical order and a non-minimal fee in the
    body; Shelley 3-element and Alonzo 4-element transactions. Hashing a re-encoding
    would change the tx id and fail the binding."""
    from anchor.label309.hashes import blake2b_256
    from anchor.verify.chainfacts import Observation
    from anchor.verify.pipeline import verify_tx_bytes

    aux = aux_data(simple_record())
    inputs = b"\xd9\x01\x02\x81\x82\x58\x20" + bytes(32) + b"\x00"
    body = b"\xa4\x02\x19\x00\x10\x00" + inputs + b"\x01\x80\x07\x58\x20" + blake2b_256(aux)
    assert cbor.decode_lenient(body)[2] == 16  # written non-minimally as 19 0010
    tx = {
        "shelley": b"\x83" + body + b"\xa0" + aux,
        "alonzo": b"\x84" + body + b"\xa0\xf5" + aux,
        "indefinite": b"\x9f" + body + b"\xa0\xf5" + aux + b"\xff",
    }[shape]
    facts = [Observation("t", 10, "ab" * 32, 111_542_400, 1_767_225_600, tip_height=100)]
    report = verify_tx_bytes(blake2b_256(body).hex(), tx, facts, config=PREPROD)
    assert (report.verdict, report.issues, report.tx_hash) == ("valid", (), blake2b_256(body).hex())


@pytest.mark.parametrize("network", ["Mainnet", "cardano:mainnet", "testnet", ""])
def test_unknown_network_name_is_refused_not_mapped_to_testnet(network: str) -> None:
    """The wallet-address header is derived from the network name (mainnet → 0xe1, every
    other known network → 0xe0); a name outside the closed set must not silently take the
    testnet header (nor produce ``cardano:cardano:mainnet`` in the report)."""
    from anchor.errors import InputError

    with pytest.raises(InputError, match="network"):
        VerifyConfig(network=network)
