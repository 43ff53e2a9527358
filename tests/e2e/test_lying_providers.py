"""Issue 16, "The verifier's trust boundary": each case against the real `anchor verify`.

One devnet per module; `anchor collect` + `anchor publish` anchor fixtures/sample-release
on it for real (signed, and a second time unsigned); a record with a forged signature
entry is anchored through the transaction builder. Online cases put one or two lying
providers (:mod:`tests.e2e.lying`, servers on 127.0.0.1 that take their honest answers
from the devnet and lie about one field) in front of the verifier, beside the honest
devnet. Offline cases edit the bundle. Cases that could hang or exhaust the machine
run the CLI as a subprocess with a timeout, so a regression fails instead of blocking.
Every case asserts the exit code, the verdict and the finding or issue code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from anchor.label309.txbind import split_tx
from tests.conftest import REPO, CliResult
from tests.e2e.lying import Liar

SAMPLE = REPO / "fixtures" / "sample-release"
TARGET = "dist/evidence-demo-1.0.0.tar.gz"
TARGET_PROOF = f"proofs/{TARGET}.proof.json"
MEMBERS = ("tx.cbor", "manifest.json", "leaves.cbor", "chain-facts.json", "anchor.json")
TIMEOUT = 60
Run = Callable[..., CliResult]


@dataclass(frozen=True)
class Chain:
    """The module's devnet and what was anchored on it."""

    url: str
    signed: Path  # bundle published with a signature
    unsigned: Path  # the same release published with --unsigned
    forged: Path  # collected bundle whose record (on chain) has a forged sig entry
    forged_tx: str
    tx_hash: str
    public_key: str
    big_tx: str  # a record claiming BIG_LEAF_COUNT leaves for the collected bundle's manifest


def _cli(args: list[Any]) -> int:
    from anchor.cli.main import main

    return main([str(a) for a in args])


def _publish(bundle: Path, keys: Path, url: str, *, signed: bool = True) -> None:
    assert _cli(["collect", SAMPLE, "--root", SAMPLE, "-o", bundle, "--no-env", "-q"]) == 0
    identity = ["--identity-seed", keys / "identity.seed"] if signed else ["--unsigned"]
    code = _cli(
        ["publish", bundle, "--network", "devnet", "--provider-url", url, *identity,
         "--payment-key", keys / "payment.skey", "--confirmations", "3", "-q"]
    )  # fmt: skip
    assert code == 0


def _forged_record(bundle: Path, public_key: bytes) -> bytes:
    """The release's record with one sig entry: the genuine key as kid, alg -7, zero signature."""
    from anchor.label309 import cbor
    from anchor.label309.cbor import CborMap
    from anchor.label309.cose import SigEntry, encode_sign1
    from anchor.label309.record import with_sigs
    from anchor.publish.assemble import assemble_record

    unsigned = assemble_record(bundle, identity_seed=None).body
    protected = cbor.encode(CborMap([(1, -7), (4, public_key)]))
    entry = SigEntry(encode_sign1(protected, CborMap(), None, bytes(64))).encode()
    return with_sigs(unsigned, [entry], check=False)


BIG_LEAF_COUNT = 600_000  # leaves.cbor of such a tree is 20.4 MB: the cap lets 20 MB in


def _big_record(bundle: Path) -> bytes:
    """A record naming the bundle's manifest and a 600,000-leaf tree (a zero root)."""
    from anchor.label309.cbor import CborMap
    from anchor.label309.hashes import blake2b_256, sha256
    from anchor.label309.record import Item, MerkleCommit, build_record_body

    manifest = (bundle / "manifest.json").read_bytes()
    item = Item(
        hashes=CborMap({"sha2-256": sha256(manifest), "blake2b-256": blake2b_256(manifest)})
    )
    return build_record_body(
        items=[item], merkle=[MerkleCommit("rfc9162-sha256", bytes(32), BIG_LEAF_COUNT)]
    )


def _anchor_on_devnet(url: str, keys: Path, record: bytes) -> str:
    """Build, sign and submit a transaction carrying ``record``; wait until it is 3 deep."""
    from anchor.chain.blockfrost import BlockfrostProvider
    from anchor.chain.keys import load_payment_key
    from anchor.chain.network import network_by_name
    from anchor.chain.txbuild import build_transaction

    network = network_by_name("devnet")
    provider = BlockfrostProvider(url)
    key = load_payment_key(str(keys / "payment.skey"))
    tip = provider.tip()
    built = build_transaction(
        record,
        payment_key=key,
        params=provider.protocol_params(),
        utxos=provider.utxos(key.address(network.network_id)),
        network=network,
        ttl=tip.slot + 3600,
        tip_slot=tip.slot,
    )
    provider.submit(built.tx_bytes)
    for _ in range(200):
        try:
            height = _get(f"{url}/txs/{built.tx_id}")["block_height"]
            if _get(f"{url}/blocks/latest")["height"] - height >= 2:
                return built.tx_id
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("the forged-record transaction was never confirmed")


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    from anchor.chain.keys import create_key_set, read_key_set
    from anchor.devnet import start_devnet

    tmp = tmp_path_factory.mktemp("lying")
    keys = tmp / "keys"
    create_key_set(keys, seed=bytes(range(32)), payment=None)
    address = read_key_set(keys).address(0)
    assert address is not None
    with start_devnet(port=0, funds={address: 20_000_000}, block_time=0.2) as net:
        signed, unsigned, forged = tmp / "signed", tmp / "unsigned", tmp / "forged"
        _publish(signed, keys, net.url)
        _publish(unsigned, keys, net.url, signed=False)
        assert _cli(["collect", SAMPLE, "--root", SAMPLE, "-o", forged, "--no-env", "-q"]) == 0
        public_key = read_key_set(keys).identity_public
        assert public_key is not None
        forged_tx = _anchor_on_devnet(net.url, keys, _forged_record(forged, public_key))
        big_tx = _anchor_on_devnet(net.url, keys, _big_record(forged))
        receipt = json.loads((signed / "anchor.json").read_text())
        yield Chain(
            net.url,
            signed,
            unsigned,
            forged,
            forged_tx,
            receipt["tx_hash"],
            public_key.hex(),
            big_tx,
        )


@pytest.fixture
def bundle(chain: Chain, tmp_path: Path) -> Path:
    """A private copy of the signed bundle."""
    out = tmp_path / "evidence"
    shutil.copytree(chain.signed, out, symlinks=True)
    return out


def verify(
    run_cli: Run, *args: Any, network: str | None = "devnet"
) -> tuple[int, dict[str, Any], str]:
    """``anchor verify ARGS --json`` in-process: (exit, report, summary on stderr)."""
    extra = ["--network", network] if network else []
    r = run_cli(["verify", *[str(a) for a in args], *extra, "--json"])
    assert r.stdout, r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    assert doc["exitCode"] == r.exit_code
    return r.exit_code, doc, r.stderr


def online(chain: Chain, bundle: Path, *providers: str) -> list[Any]:
    """Arguments of an online run of TARGET against ``providers`` (NAME=URL each)."""
    args: list[Any] = [SAMPLE / TARGET, "--bundle", bundle, "--tx-hash", chain.tx_hash]
    for p in providers:
        args += ["--provider", p]
    return args


def finding_codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


def issue_codes(doc: dict[str, Any]) -> list[str]:
    return [i["code"] for i in doc["issues"]]


def cli(*args: Any, timeout: float = TIMEOUT) -> tuple[subprocess.CompletedProcess[str], float]:
    """The real command in its own process with a timeout; (result, seconds taken)."""
    started = time.monotonic()
    r = subprocess.run(
        [sys.executable, "-m", "anchor", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    return r, time.monotonic() - started


def one_line(r: subprocess.CompletedProcess[str]) -> str:
    assert (r.returncode, r.stdout) == (4, ""), r.stderr
    [line] = r.stderr.splitlines()
    return line


def honest_facts(chain: Chain, tx_hash: str | None = None) -> dict[str, Any]:
    """What the devnet says about the transaction's block (Blockfrost field names)."""
    doc: dict[str, Any] = _get(f"{chain.url}/txs/{tx_hash or chain.tx_hash}")
    return doc


def disagreement(doc: dict[str, Any]) -> dict[str, Any]:
    """The one CHAIN_FACTS_DISAGREE finding's effect and the report's disagreements."""
    [finding] = [f for f in doc["findings"] if f["code"] == "CHAIN_FACTS_DISAGREE"]
    return {"effect": finding["effect"], "disagreements": doc["chainFacts"]["disagreements"]}


# -- case 1: two providers of one name disagree -----------------------------------------

LIES = {
    "block-hash": ({"block": "ee" * 32}, "block_hash", lambda f: "ee" * 32),
    # off by one from the honest height (a fixed value could be the honest one: a fresh devnet
    # may put the tx in block 1); still below the tip, so trusting the liar stays VALID
    "height": ("height", "block_height", lambda f: f["block_height"] + 1),
    # slot and time moved together: consistent with the slot clock, still in the validity
    # interval, so only the comparison with the honest provider can catch it
    "slot-and-time": (None, "block_slot", lambda f: f["slot"] + 1),
}


def _lie(chain: Chain, case: str) -> tuple[dict[str, Any], str, Any, Any]:
    facts = honest_facts(chain)
    lie, field, liar_value = LIES[case]
    if lie is None:
        lie = {"slot": facts["slot"] + 1, "block_time": facts["block_time"] + 1}
    elif lie == "height":
        lie = {"block_height": facts["block_height"] + 1}
    honest_value = {
        "block_hash": facts["block"],
        "block_height": facts["block_height"],
        "block_slot": facts["slot"],
    }[field]
    return lie, field, liar_value(facts), honest_value


@pytest.mark.parametrize("kind", ["blockfrost", "koios"])
@pytest.mark.parametrize("case", sorted(LIES))
def test_same_name_providers_disagreeing_are_unverifiable(
    run_cli: Run, chain: Chain, bundle: Path, case: str, kind: str
) -> None:
    lie, field, liar_value, honest_value = _lie(chain, case)
    with Liar(chain.url, kind=kind, tx=lie) as liar:
        providers = (f"{kind}={liar.url}", f"{kind}={chain.url}")
        if kind == "koios":  # one of each kind, both named as the auditor gave them
            providers = (f"koios={liar.url}", f"blockfrost={chain.url}")
        code, doc, err = verify(run_cli, *online(chain, bundle, *providers))
        assert (code, doc["verdict"]) == (2, "unverifiable"), err
        assert finding_codes(doc) == ["CHAIN_FACTS_DISAGREE"]
        found = disagreement(doc)
        assert found["effect"] == "unverifiable"
        first = next(d for d in found["disagreements"] if d["field"] == field)
        assert first["values"] == {
            f"{kind} {liar.url}": liar_value,
            f"blockfrost {chain.url}": honest_value,
        }
        assert (
            f"  {field}: {kind} {liar.url}={liar_value}, blockfrost {chain.url}={honest_value}"
            in err.splitlines()
        )
        assert len(doc["chainFacts"]["observations"]) == 2
        # the auditor names the endpoint to trust: its facts, VALID, the dispute kept as a warning
        code, doc, err = verify(
            run_cli, *online(chain, bundle, *providers), "--trust-provider", chain.url
        )
        assert (code, doc["verdict"]) == (0, "valid"), err
        assert disagreement(doc)["effect"] == "warning"
        facts = honest_facts(chain)
        assert (doc["block_height"], doc["block_time"]) == (
            facts["block_height"],
            facts["block_time"],
        )
        # trusting the liar by URL is the auditor's choice, and it is stated as such
        code, doc, _ = verify(
            run_cli, *online(chain, bundle, *providers), "--trust-provider", liar.url
        )
        assert code == 0 and doc["chainFacts"]["trusted"] == [f"{kind} {liar.url}"]


def test_a_lie_about_block_time_alone_is_refused_by_the_slot_clock(
    run_cli: Run, chain: Chain, bundle: Path
) -> None:
    facts = honest_facts(chain)
    with Liar(chain.url, tx={"block_time": 1_500_000_000}) as liar:
        code, doc, _err = verify(
            run_cli, *online(chain, bundle, f"blockfrost={liar.url}", f"blockfrost={chain.url}")
        )
    assert (code, doc["verdict"], finding_codes(doc)) == (0, "valid", ["BLOCK_TIME_SLOT_MISMATCH"])
    assert doc["findings"][0]["message"] == (
        f"blockfrost {liar.url}: block time 1500000000 is not the time of slot "
        f"{facts['slot']} ({facts['block_time']})"
    )
    assert doc["block_time"] == facts["block_time"]  # the liar's time is not used
    with Liar(chain.url, tx={"block_time": 1_500_000_000}) as liar:
        code, doc, _ = verify(run_cli, *online(chain, bundle, f"blockfrost={liar.url}"))
    # alone, the refused facts leave nothing established; the bundle's own statements
    # (anchor.json, the proof's anchor) are reported as differing from the provider's
    assert (code, doc["verdict"]) == (2, "unverifiable")
    assert [(f["code"], f["effect"]) for f in doc["findings"]] == [
        ("BLOCK_TIME_SLOT_MISMATCH", "unverifiable"),
        ("CHAIN_FACTS_DISAGREE", "warning"),
        ("CHAIN_FACTS_DISAGREE", "warning"),
    ]


def test_offline_chain_facts_rows_sharing_a_name(run_cli: Run, chain: Chain, bundle: Path) -> None:
    path = bundle / "chain-facts.json"
    doc = json.loads(path.read_text())
    [row] = doc["providers"]
    doc["providers"] = [row, {**row, "block_hash": "ee" * 32}]
    path.write_text(json.dumps(doc))
    code, report, err = verify(run_cli, SAMPLE / TARGET, "--bundle", bundle)
    assert (code, report["verdict"], finding_codes(report)) == (
        2,
        "unverifiable",
        ["CHAIN_FACTS_DISAGREE"],
    )
    [d] = report["chainFacts"]["disagreements"]
    assert d["field"] == "block_hash"
    assert d["values"] == {
        "blockfrost (chain-facts.json #0)": row["block_hash"],
        "blockfrost (chain-facts.json #1)": "ee" * 32,
        "anchor.json": row["block_hash"],
        f"{TARGET_PROOF}": row["block_hash"],
    }
    code, report, err = verify(
        run_cli,
        SAMPLE / TARGET, "--bundle", bundle, "--trust-provider", "blockfrost (chain-facts.json #0)",
    )  # fmt: skip
    assert (code, report["verdict"]) == (0, "valid"), err


# -- cases 2 and 3: the signer line -------------------------------------------------------


def test_forged_sig_entry_never_shows_its_key_as_signer(run_cli: Run, chain: Chain) -> None:
    code, doc, err = verify(
        run_cli, SAMPLE / TARGET, "--bundle", chain.forged, "--tx-hash", chain.forged_tx,
        "--provider-url", chain.url,
    )  # fmt: skip
    assert (code, doc["verdict"], issue_codes(doc)) == (0, "valid", ["SIGNATURE_UNSUPPORTED"])
    [sig] = doc["signatures"]
    assert (sig["ok"], sig["code"], sig["alg"]) == (False, "SIGNATURE_UNSUPPORTED", -7)
    assert (sig["signerPublicKey"], sig["claimedPublicKey"]) == (None, chain.public_key)
    assert doc["signer"]["status"] == "no-verified-signature"
    lines = err.splitlines()
    assert "signer:       no verified signature" in lines
    assert [line for line in lines if chain.public_key in line] == [
        f"  sigs[0] claims {chain.public_key}: SIGNATURE_UNSUPPORTED"
    ]
    assert "unverified signature entries (these keys did NOT sign):" in lines
    # pinned to the genuine key, the forged entry does not satisfy the pin
    code, doc, err = verify(
        run_cli, SAMPLE / TARGET, "--bundle", chain.forged, "--tx-hash", chain.forged_tx,
        "--provider-url", chain.url, "--signer", chain.public_key,
    )  # fmt: skip
    assert (code, doc["verdict"], finding_codes(doc)) == (1, "failed", ["SIGNER_NOT_EXPECTED"])
    assert doc["findings"][0]["message"] == "no signature verified, so none by a --signer key"


def test_signed_record_names_its_verified_signer(run_cli: Run, chain: Chain) -> None:
    code, doc, err = verify(run_cli, SAMPLE / TARGET, "--bundle", chain.signed)
    assert (code, doc["signer"]["status"]) == (0, "verified")
    assert doc["signatures"][0]["signerPublicKey"] == chain.public_key
    assert (
        f"signer:       signed by {chain.public_key} (verified; signature over record body)"
        in err.splitlines()
    )


def test_unsigned_record_says_not_signed(run_cli: Run, chain: Chain, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    code, doc, err = verify(
        run_cli, SAMPLE / TARGET, "--bundle", chain.unsigned, "--report", report
    )
    assert (code, doc["verdict"], doc["signatures"]) == (0, "valid", [])
    assert doc["signer"]["status"] == "unsigned"
    assert json.loads(report.read_text())["signer"]["status"] == "unsigned"
    assert "signer:       not signed (the record carries no signature)" in err.splitlines()


# -- case 4: offline chain facts are the bundle's word -----------------------------------

BUNDLE_NOTE = (
    "block time and depth from the bundle, not authenticated: anyone could have edited "
    "them (verify --online to confirm them with providers you choose)"
)


def _edit_facts(bundle: Path, **fields: int) -> None:
    """Set block facts in chain-facts.json, and the same in anchor.json and every proof
    anchor unless ``only_chain_facts`` (the attacker who edits everything consistently)."""
    path = bundle / "chain-facts.json"
    doc = json.loads(path.read_text())
    for row in doc["providers"]:
        row.update(fields)
    path.write_text(json.dumps(doc))


def _edit_everywhere(bundle: Path, **fields: int) -> None:
    _edit_facts(bundle, **fields)
    receipt_fields = {k: v for k, v in fields.items() if k != "tip_height"}
    path = bundle / "anchor.json"
    doc = json.loads(path.read_text())
    doc.update(receipt_fields)
    path.write_text(json.dumps(doc))
    for proof in (bundle / "proofs").rglob("*.proof.json"):
        doc = json.loads(proof.read_text())
        doc["anchor"].update(receipt_fields)
        proof.write_text(json.dumps(doc))


def test_offline_facts_are_marked_unauthenticated(run_cli: Run, bundle: Path) -> None:
    code, doc, err = verify(run_cli, SAMPLE / TARGET, "--bundle", bundle)
    assert (code, doc["verdict"], doc["notes"][:1]) == (0, "valid", [BUNDLE_NOTE])
    assert {o["source"] for o in doc["chainFacts"]["observations"]} == {"bundle"}
    [line] = [x for x in err.splitlines() if x.startswith("block time:")]
    assert line.endswith("; block time from the bundle, not authenticated)")


@pytest.mark.parametrize("block_time", [1, 1_500_000_000])
def test_edited_block_time_in_chain_facts_alone_disagrees_with_the_bundle(
    run_cli: Run, bundle: Path, block_time: int
) -> None:
    real = json.loads((bundle / "anchor.json").read_text())["block_time"]
    _edit_facts(bundle, block_time=block_time)
    code, doc, _ = verify(run_cli, SAMPLE / TARGET, "--bundle", bundle)
    assert (code, doc["verdict"], finding_codes(doc)) == (
        2,
        "unverifiable",
        ["CHAIN_FACTS_DISAGREE"],
    )
    [d] = doc["chainFacts"]["disagreements"]
    assert d == {
        "field": "block_time",
        "values": {
            "blockfrost (chain-facts.json #0)": block_time,
            "anchor.json": real,
            TARGET_PROOF: real,
        },
    }


@pytest.mark.parametrize(
    "fields",
    [{"block_time": 1}, {"block_time": 1_500_000_000}, {"tip_height": 10**6}],
    ids=["time-1", "time-2017", "tip-1e6"],
)
def test_consistently_edited_facts_stay_marked_unauthenticated(
    run_cli: Run, bundle: Path, fields: dict[str, int]
) -> None:
    """Edited everywhere in the bundle, nothing offline can refute them (the devnet's slot
    clock is known only online): VALID at any threshold, never without the note."""
    _edit_everywhere(bundle, **fields)
    code, doc, err = verify(
        run_cli, SAMPLE / TARGET, "--bundle", bundle, "--min-confirmations", "1000"
    )
    expected = (0, "valid") if "tip_height" in fields else (3, "pending")
    assert (code, doc["verdict"]) == expected
    assert BUNDLE_NOTE in doc["notes"]
    assert f"note: {BUNDLE_NOTE}" in err.splitlines()


def test_edited_facts_are_refuted_online_by_the_slot_clock(
    run_cli: Run, chain: Chain, bundle: Path
) -> None:
    _edit_everywhere(bundle, block_time=1_500_000_000)
    code, doc, _ = verify(run_cli, *online(chain, bundle, f"blockfrost={chain.url}"))
    assert (code, doc["verdict"], doc["notes"]) == (0, "valid", [doc["notes"][0]])
    assert BUNDLE_NOTE not in doc["notes"]
    assert doc["block_time"] == honest_facts(chain)["block_time"]
    assert [(f["code"], f["effect"]) for f in doc["findings"]] == [
        ("CHAIN_FACTS_DISAGREE", "warning"),
        ("CHAIN_FACTS_DISAGREE", "warning"),
    ]


def test_slot_beyond_the_ttl_is_refused(run_cli: Run, bundle: Path) -> None:
    ttl = json.loads((bundle / "anchor.json").read_text())["ttl"]
    _edit_everywhere(bundle, slot=ttl + 10)
    code, doc, _ = verify(run_cli, SAMPLE / TARGET, "--bundle", bundle)
    assert (code, doc["verdict"]) == (2, "unverifiable")
    assert set(finding_codes(doc)) == {"SLOT_OUTSIDE_VALIDITY"}
    assert {f["effect"] for f in doc["findings"]} == {"unverifiable"}
    assert doc["findings"][0]["message"] == (
        f"blockfrost (chain-facts.json #0): slot {ttl + 10} is outside the transaction's "
        f"validity interval [-inf, {ttl})"
    )


# -- case 5: the network is the transaction's ---------------------------------------------


def _relabel(bundle: Path, network: str) -> None:
    for name in ("anchor.json", "chain-facts.json"):
        doc = json.loads((bundle / name).read_text())
        doc["network"] = network
        (bundle / name).write_text(json.dumps(doc))


def test_devnet_tx_relabelled_mainnet_fails(run_cli: Run, bundle: Path) -> None:
    _relabel(bundle, "mainnet")
    code, doc, _ = verify(run_cli, SAMPLE / TARGET, "--bundle", bundle, network=None)
    # the mainnet slot clock also refutes the devnet block times (receipt, proof, facts)
    assert (code, doc["verdict"], finding_codes(doc)) == (
        1,
        "failed",
        ["TX_NETWORK_MISMATCH", *["BLOCK_TIME_SLOT_MISMATCH"] * 3],
    )
    assert doc["findings"][0]["message"] == (
        "not a mainnet tx: output addresses carry network id 0, mainnet addresses carry 1"
    )
    code, doc, _ = verify(run_cli, SAMPLE / TARGET, "--bundle", bundle, network="mainnet")
    assert (code, finding_codes(doc)[0]) == (1, "TX_NETWORK_MISMATCH")


def test_untrusted_devnet_receipt_online_is_said(run_cli: Run, bundle: Path) -> None:
    """The receipt says devnet; the auditor did not: no silent query of 127.0.0.1:8090."""
    r = run_cli(["verify", SAMPLE / TARGET, "--bundle", bundle, "--online"])
    assert (r.exit_code, r.stdout) == (4, "")
    assert r.stderr.splitlines()[0] == (
        "error: the bundle's receipt says devnet (untrusted): pass --network devnet and "
        "--provider-url URL to check it against a devnet you run"
    )


def test_devnet_threshold_is_said_in_the_summary(run_cli: Run, chain: Chain, bundle: Path) -> None:
    code, doc, err = verify(run_cli, *online(chain, bundle, f"blockfrost={chain.url}"))
    assert (code, doc["confirmationThreshold"]) == (0, 1)
    [line] = [x for x in err.splitlines() if x.startswith("depth:")]
    assert line.endswith("(threshold 1)")


# -- case 6: is_valid ---------------------------------------------------------------------


def _invalid(tx: bytes) -> bytes:
    """The transaction with is_valid = false (the flag is not covered by the tx hash)."""
    aux = split_tx(tx).aux
    assert aux is not None
    at = len(tx) - len(aux) - 1
    assert tx[at] == 0xF5
    return tx[:at] + b"\xf4" + tx[at + 1 :]


def test_tx_marked_invalid_fails_offline(run_cli: Run, bundle: Path) -> None:
    tx = bundle / "tx.cbor"
    tx.write_bytes(_invalid(tx.read_bytes()))
    code, doc, _ = verify(run_cli, SAMPLE / TARGET, "--bundle", bundle)
    assert (code, doc["verdict"], finding_codes(doc)) == (1, "failed", ["TX_MARKED_INVALID"])


@pytest.mark.parametrize("where", ["cbor", "valid_contract"])
def test_provider_flipping_is_valid_is_a_disagreement(
    run_cli: Run, chain: Chain, bundle: Path, where: str
) -> None:
    lie: dict[str, Any] = (
        {"cbor": _invalid} if where == "cbor" else {"tx": {"valid_contract": False}}
    )
    with Liar(chain.url, **lie) as liar:
        code, doc, err = verify(
            run_cli, *online(chain, bundle, f"blockfrost={liar.url}", f"blockfrost={chain.url}")
        )
    assert (code, doc["verdict"]) == (2, "unverifiable"), err
    assert finding_codes(doc) == ["CHAIN_FACTS_DISAGREE"]
    [d] = doc["chainFacts"]["disagreements"]
    served = f"transaction bytes (blockfrost {liar.url})"
    flipped = where == "cbor"  # the liar served the bytes; else it lied in /txs/{h}
    assert d == {
        "field": "is_valid",
        "values": {
            served: not flipped,
            f"blockfrost {liar.url}": flipped,
            f"blockfrost {chain.url}": True,
        },
    }
    with Liar(chain.url, **lie) as liar:
        code, doc, err = verify(
            run_cli,
            *online(chain, bundle, f"blockfrost={liar.url}", f"blockfrost={chain.url}"),
            "--trust-provider", chain.url,
        )  # fmt: skip
    # trusting the honest endpoint settles a lie about the flag, not bytes carrying it
    assert (code, doc["verdict"]) == ((2, "unverifiable") if flipped else (0, "valid"))
    assert [(f["code"], f["effect"]) for f in doc["findings"]] == [
        ("CHAIN_FACTS_DISAGREE", "unverifiable" if flipped else "warning")
    ]


# -- case 7: inputs that would exhaust the verifier ----------------------------------------


@pytest.mark.parametrize("member", MEMBERS)
@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_member_that_is_dev_zero_or_a_fifo(bundle: Path, member: str, kind: str) -> None:
    path = bundle / member
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    r, seconds = cli("verify", SAMPLE / TARGET, "--bundle", bundle, "--network", "devnet")
    why = "not a regular file (a FIFO)" if kind == "fifo" else "points outside the bundle; refused"
    assert one_line(r) == f"error: {path}: {why}"
    assert seconds < 15  # never read, never waited for (about 0.2 s alone)


def test_20_mb_tx_cbor_of_empty_maps_with_the_hash_pinned(chain: Chain, bundle: Path) -> None:
    (bundle / "tx.cbor").write_bytes(b"\xa0" * 20_000_000)
    r, seconds = cli(
        "verify", SAMPLE / TARGET, "--bundle", bundle, "--network", "devnet",
        "--tx-hash", chain.tx_hash,
    )  # fmt: skip
    assert one_line(r) == (
        f"error: {bundle / 'tx.cbor'}: larger than the 65536-byte limit for this file"
    )
    assert seconds < 15  # refused by its size, before any decoding


def nested_keys(total: int, depth: int) -> bytes:
    """A CBOR map of about ``total`` bytes whose keys are maps nested ``depth`` deep."""
    from anchor.label309 import cbor

    keys: list[bytes] = []
    size = 0
    while size < total:
        key = b"\xa1" * depth + cbor.encode(len(keys)) + b"\x00" * depth + b"\x00"
        keys.append(key)
        size += len(key)
    head = cbor.encode(len(keys))
    return bytes([head[0] | 0xA0]) + head[1:] + b"".join(keys)  # the map head, minimal


def big_leaves(count: int) -> bytes:
    """A well-formed leaves-list of ``count`` distinct leaves claiming the zero root."""
    from anchor.merkle.leaves import encode_leaves_list

    leaves = [i.to_bytes(32, "big") for i in range(count)]
    return encode_leaves_list(leaves, root=bytes(32))


def big_root() -> str:
    """The true root of :func:`big_leaves` (computed once)."""
    from anchor.merkle.tree import MerkleTree

    return MerkleTree([i.to_bytes(32, "big") for i in range(BIG_LEAF_COUNT)]).root.hex()


@pytest.mark.parametrize("content", ["20mb-leaves", "4mb-nested-keys"])
def test_large_leaves_cbor_within_the_cap_of_a_big_tree(
    chain: Chain, tmp_path: Path, content: str
) -> None:
    """The record claims 600,000 leaves, so a 20 MB leaves.cbor is within its cap: it is
    read and checked in bounded time (the decoder's depth and work are bounded)."""
    bundle = tmp_path / "big"
    shutil.copytree(chain.forged, bundle)
    data = big_leaves(BIG_LEAF_COUNT) if content == "20mb-leaves" else nested_keys(4_000_000, 250)
    (bundle / "leaves.cbor").write_bytes(data)
    r, seconds = cli(
        "verify", SAMPLE / TARGET, "--bundle", bundle, "--network", "devnet", "--json",
        "--tx-hash", chain.big_tx, "--provider-url", chain.url,
    )  # fmt: skip
    doc = json.loads(r.stdout)
    message = {
        "20mb-leaves": "leaves-list: recomputed root "
        f"{big_root()} differs from the stated root {'00' * 32}",
        "4mb-nested-keys": "leaves-list: not canonical CBOR (more data items than the "
        "decoder's budget at byte 117938)",
    }[content]
    code = "MERKLE_ROOT_MISMATCH" if content == "20mb-leaves" else "SCHEMA_MERKLE_LEAVES_MALFORMED"
    assert (r.returncode, doc["verdict"]) == (1, "failed")
    assert [(i["code"], i["message"]) for i in doc["issues"]] == [(code, message)]
    assert seconds < 45  # about 1 s alone on one core


# -- case 8: a provider that trickles -----------------------------------------------------


def test_trickling_provider_ends_within_its_timeout_and_the_next_one_answers(
    chain: Chain, bundle: Path
) -> None:
    with Liar(chain.url, mode="trickle", period=2.0) as slow:
        r, seconds = cli(
            "verify", *online(chain, bundle, f"blockfrost={slow.url}", f"blockfrost={chain.url}"),
            "--network", "devnet", "--timeout", "1", "--json", "-q",
        )  # fmt: skip
        assert slow.hits == 3  # /genesis, the transaction, its block facts: 1 s each
    doc = json.loads(r.stdout)
    assert (r.returncode, doc["verdict"]) == (0, "valid"), r.stderr
    assert [(a["provider"], a["step"], a["outcome"]) for a in doc["resolution"]] == [
        ("blockfrost", "fetch", "unavailable"),
        ("blockfrost", "fetch", "bound"),
        ("blockfrost", "block-facts", "unavailable"),
        ("blockfrost", "block-facts", "ok"),
    ]
    assert doc["resolution"][0]["detail"] == (
        f"blockfrost: deadline exceeded for GET {slow.url}/txs/{chain.tx_hash}/cbor"
    )
    assert seconds < 3 * 1 + 10  # three 1-second deadlines and the process itself


def test_trickling_provider_ends_within_the_run_deadline(chain: Chain, bundle: Path) -> None:
    with Liar(chain.url, mode="trickle", period=2.0) as slow:
        r, seconds = cli(
            "verify", *online(chain, bundle, f"blockfrost={slow.url}", f"blockfrost={chain.url}"),
            "--network", "devnet", "--timeout", "30", "--run-timeout", "3", "--json", "-q",
        )  # fmt: skip
    doc = json.loads(r.stdout)
    assert (r.returncode, doc["verdict"], issue_codes(doc)) == (
        2,
        "unverifiable",
        ["PROVIDER_UNAVAILABLE"],
    )
    details = [a["detail"] for a in doc["resolution"] if a["step"] == "fetch"]
    # the slow /genesis took the whole 3 s of the run; nothing is asked after that
    assert details == [
        f"blockfrost: run deadline passed before GET {slow.url}/txs/{chain.tx_hash}/cbor",
        f"blockfrost: run deadline passed before GET {chain.url}/txs/{chain.tx_hash}/cbor",
    ]
    assert seconds < 3 + 10


# -- case 9: nested JSON from one provider, block times outside the calendar ---------------


@pytest.mark.parametrize("kind", ["blockfrost", "koios"])
@pytest.mark.parametrize("shape", ["arrays", "objects"])
def test_deeply_nested_json_is_that_providers_failure(
    run_cli: Run, chain: Chain, bundle: Path, kind: str, shape: str
) -> None:
    with Liar(chain.url, kind=kind, mode="nested", shape=shape) as deep:
        code, doc, err = verify(
            run_cli, *online(chain, bundle, f"{kind}={deep.url}", f"blockfrost={chain.url}")
        )
        assert deep.hits >= 2
    assert (code, doc["verdict"], doc["issues"]) == (0, "valid", []), err
    first = doc["resolution"][0]
    assert (first["provider"], first["outcome"], first["detail"]) == (
        kind,
        "unavailable",
        f"{kind}: response is not usable JSON",
    )


def test_block_time_past_the_calendar_from_a_provider(
    run_cli: Run, chain: Chain, bundle: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    with Liar(chain.url, tx={"block_time": 10**15}) as liar:
        code, doc, err = verify(
            run_cli,
            *online(chain, bundle, f"blockfrost={liar.url}", f"blockfrost={chain.url}"),
            "--report", report,
        )  # fmt: skip
    assert (code, doc["verdict"]) == (0, "valid"), err
    assert json.loads(report.read_text())["exitCode"] == 0
    facts = [a for a in doc["resolution"] if a["step"] == "block-facts"]
    assert (facts[0]["outcome"], facts[0]["detail"]) == (
        "unavailable",
        "blockfrost: response lacks an integer 'block_time' between 0 and 253402300799",
    )


@pytest.mark.parametrize("where", ["chain-facts.json", "anchor.json", "proof"])
def test_block_time_past_the_calendar_in_the_bundle(
    bundle: Path, tmp_path: Path, where: str
) -> None:
    if where == "chain-facts.json":
        _edit_facts(bundle, block_time=10**15)
    elif where == "anchor.json":
        doc = json.loads((bundle / "anchor.json").read_text())
        doc["block_time"] = 10**15
        (bundle / "anchor.json").write_text(json.dumps(doc))
    else:
        proof = bundle / TARGET_PROOF
        doc = json.loads(proof.read_text())
        doc["anchor"]["block_time"] = 10**15
        proof.write_text(json.dumps(doc))
    report = tmp_path / "report.json"
    r, _ = cli(
        "verify", SAMPLE / TARGET, "--bundle", bundle, "--network", "devnet", "--report", report
    )
    why = {
        "chain-facts.json": "chain-facts.json: chain facts: 'block_time' must be an integer "
        "between 0 and 253402300799",
        "anchor.json": "anchor.json: 'block_time' must be an integer between 0 and 253402300799",
        "proof": f"{TARGET_PROOF}: anchor.block_time 1000000000000000 is out of range",
    }[where]
    assert one_line(r) == f"error: {why}"  # read and refused before any verdict
    assert not report.exists()  # no report that could disagree with the exit code


def test_last_second_of_the_calendar_is_shown(run_cli: Run, bundle: Path) -> None:
    _edit_everywhere(bundle, block_time=253_402_300_799)
    code, doc, err = verify(run_cli, SAMPLE / TARGET, "--bundle", bundle)
    assert (code, doc["block_time"]) == (0, 253_402_300_799)
    [line] = [x for x in err.splitlines() if x.startswith("block time:")]
    assert line.startswith("block time:   9999-12-31T23:59:59Z (253402300799;")


# -- case 10: reads stay inside the bundle -------------------------------------------------


@pytest.mark.parametrize("link", ["proofs", "proofs/dist"])
@pytest.mark.parametrize("manifest", ["with-manifest", "scan-without-manifest"])
def test_symlinked_proof_folders_out_of_the_bundle_are_not_read(
    bundle: Path, tmp_path: Path, link: str, manifest: str
) -> None:
    """The folder outside holds the real proofs and a FIFO named like one: were anything
    there opened, the proof would verify (or the run would hang on the FIFO)."""
    outside = tmp_path / "outside"
    shutil.move(bundle / link, outside)
    (bundle / link).symlink_to(outside)
    fifo_dir = outside / "dist" if link == "proofs" else outside
    os.mkfifo(fifo_dir / "evidence-demo-1.0.0.tar.gz.extra.proof.json")
    (bundle / "leaves.cbor").unlink()
    if manifest == "scan-without-manifest":
        (bundle / "manifest.json").unlink()
    r, seconds = cli(
        "verify", SAMPLE / TARGET, "--bundle", bundle, "--network", "devnet", "--json", "-q"
    )
    doc = json.loads(r.stdout)
    assert (r.returncode, doc["verdict"]) == (2, "unverifiable"), r.stderr
    assert [f["code"] for f in doc["files"]] == ["FILE_PROOF_UNAVAILABLE"]
    assert issue_codes(doc) == ["MERKLE_LEAVES_UNAVAILABLE"]
    checked = "checked" if manifest == "with-manifest" else "not_checked"
    assert doc["items"] == [{"contentCheck": checked}]
    assert seconds < 15
