"""`anchor spool` against an `anchor devnet --test-controls` process, driven over HTTP only.

The devnet runs as its own process with its block clock quiet (``--block-time 3600``): the
test cuts every block, rolls back, drops a submission and moves the clock through
``/control/*``, exactly as a user with curl would, and runs the spool CLI in subprocesses.
Single ``spool publish`` passes make each step deterministic; ``--wait`` runs while the
test cuts a block every 0.1 s. Every test ends on the chain as the Blockfrost API shows it:
one transaction per anchored window and nothing else, the wallet spent exactly those fees,
every item's proof verifies with ``anchor verify`` (offline and against the devnet), and
``spool status --json`` states what happened.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from anchor.publish.spool.api import open_store
from anchor.publish.spool.faults import FAULT_ENV, TRACE_ENV
from anchor.publish.spool.store import Attempt
from tests.publish_kit import FUNDS, address
from tests.publish_kit import keys_fixture as keys  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
CONFIRMATIONS = 3
TTL_SLOTS = 60


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in (FAULT_ENV, TRACE_ENV)}
    return {**base, "PYTHONPATH": str(REPO), **(extra or {})}


@dataclass
class Devnet:
    """An `anchor devnet --test-controls` process and a client for its HTTP API."""

    url: str
    controls: str
    proc: subprocess.Popen[str]
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))

    def control(self, name: str, body: dict[str, int] | None = None) -> dict[str, Any]:
        r = self.http.post(f"{self.controls}/{name}", json=body or {})
        assert r.status_code == 200, r.text
        doc: dict[str, Any] = r.json()
        return doc

    def advance(self, *, blocks: int = 1, slots: int = 0) -> dict[str, Any]:
        tip: dict[str, Any] = self.control("advance", {"slots": slots, "blocks": blocks})["tip"]
        return tip

    def get(self, path: str) -> httpx.Response:
        return self.http.get(self.url + path)

    def tip(self) -> dict[str, Any]:
        doc: dict[str, Any] = self.get("/blocks/latest").json()
        return doc

    def submit(self, raw: bytes) -> httpx.Response:
        return self.http.post(
            self.url + "/tx/submit", content=raw, headers={"Content-Type": "application/cbor"}
        )

    def on_chain(self, tx_id: str) -> bool:
        r = self.get(f"/txs/{tx_id}")
        assert r.status_code in (200, 404), r.text
        return r.status_code == 200

    def in_mempool(self, tx_id: str) -> bool:
        r = self.get(f"/mempool/{tx_id}")
        assert r.status_code in (200, 404), r.text
        return r.status_code == 200

    def chain_txs(self) -> dict[str, int]:
        """Every transaction in every block (tx id -> fee), walking the chain from genesis."""
        found: dict[str, int] = {}
        for height in range(1, int(self.tip()["height"]) + 1):
            if self.get(f"/blocks/{height}").json()["tx_count"]:
                for tx_id in self.get(f"/blocks/{height}/txs").json():
                    found[tx_id] = int(self.get(f"/txs/{tx_id}").json()["fees"])
        return found

    def balance(self, addr: str) -> int:
        rows = self.get(f"/addresses/{addr}/utxos").json()
        return sum(int(a["quantity"]) for r in rows for a in r["amount"] if a["unit"] == "lovelace")


@pytest.fixture
def devnet(keys: Path) -> Iterator[Devnet]:  # noqa: F811
    command = [sys.executable, "-m", "anchor", "devnet", "--port", "0", "--json", "-q",
               "--test-controls", "--block-time", "3600", "--fund", f"{address(keys)}=20"]  # fmt: skip
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )
    try:
        assert proc.stdout is not None
        doc = json.loads(proc.stdout.readline())
        assert doc["controls"] == f"http://127.0.0.1:{doc['port']}/control"
        assert doc["funded"] == [{"address": address(keys), "lovelace": FUNDS}]
        net = Devnet(doc["url"], doc["controls"], proc)
        yield net
        net.http.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and err == "", err


@dataclass
class Spool:
    """A SQLite spool in ``tmp`` publishing to ``net`` with ``keys``."""

    tmp: Path
    net: Devnet
    keys: Path

    @property
    def db(self) -> str:
        return f"sqlite:{self.tmp / 'spool.db'}"

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "anchor", "spool", *args, "--db", self.db]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args), capture_output=True, text=True, cwd=self.tmp, env=_env(),
            timeout=120,
        )  # fmt: skip

    def publish_args(self, *extra: str) -> list[str]:
        return [
            "publish", "--every", "release", "--provider-url", self.net.url,
            "--identity-seed", str(self.keys / "identity.seed"),
            "--payment-key", str(self.keys / "payment.skey"), "--dir", str(self.tmp / "work"),
            *extra,
        ]  # fmt: skip

    def publish(self) -> subprocess.CompletedProcess[str]:
        """One pass: seal nothing (release cadence), advance every unfinished window."""
        return self.run(*self.publish_args())

    def publish_wait(self) -> subprocess.CompletedProcess[str]:
        """`publish --wait` while the test cuts a block every 0.1 s (the devnet's clock)."""
        return pumped(self.net, self.argv(*self.publish_args("--wait", "--timeout", "60")))

    def add(self, name: str, data: bytes, source: str = "ci/run/1") -> dict[str, Any]:
        path = self.tmp / "files" / source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        r = self.run("add", str(path), "--source", source, "--json")
        assert r.returncode == 0, r.stderr
        doc: dict[str, Any] = json.loads(r.stdout)
        doc["path"] = str(path)
        return doc

    def seal(self) -> None:
        r = self.run("seal")
        assert r.returncode == 0, r.stderr

    def status(self) -> list[dict[str, Any]]:
        r = self.run("status", "--json")
        assert r.returncode == 0, r.stderr
        rows: list[dict[str, Any]] = json.loads(r.stdout)["windows"]
        return rows

    def attempts(self, window: int) -> list[Attempt]:
        store = open_store(self.db)
        try:
            found = store.window(store.spool("default"), window)
            assert found is not None
            return store.attempts(found.id)
        finally:
            store.close()


def pumped(net: Devnet, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` while cutting a block every 0.1 s over HTTP until it exits."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(), cwd=REPO)  # fmt: skip
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        net.advance()
        time.sleep(0.1)
    out, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


@pytest.fixture
def spool(tmp_path: Path, devnet: Devnet, keys: Path) -> Spool:  # noqa: F811
    s = Spool(tmp_path, devnet, keys)
    r = s.run("init", "--network", "devnet", "--confirmations", str(CONFIRMATIONS),
              "--ttl-slots", str(TTL_SLOTS), "--json")  # fmt: skip
    assert r.returncode == 0, r.stderr
    return s


def check_chain(s: Spool, *, foreign: int = 0) -> dict[str, int]:
    """One tx per anchored window and ``foreign`` others, nothing waiting, spend = Σ fees."""
    windows = s.status()
    landed = {str(w["tx_hash"]) for w in windows if w["state"] in ("anchored", "final")}
    txs = s.net.chain_txs()
    assert landed <= set(txs) and len(txs) == len(landed) + foreign
    assert FUNDS - s.net.balance(address(s.keys)) == sum(txs.values())
    for w in windows:
        for attempt in s.attempts(int(w["window"])) if w["state"] != "open" else []:
            assert not s.net.in_mempool(attempt.tx_id)
    return txs


def verify_item(s: Spool, item: dict[str, Any]) -> None:
    """`anchor verify` accepts the item's proof, offline from the export and on the devnet."""
    out = s.tmp / f"export-{item['window']}"
    r = s.run("export", str(item["window"]), "-o", str(out))
    assert r.returncode == 0, r.stderr
    base = [sys.executable, "-m", "anchor", "verify", item["path"], "--bundle", str(out),
            "--network", "devnet", "--json"]  # fmt: skip
    for extra in ([], ["--provider-url", s.net.url]):
        v = subprocess.run([*base, *extra], capture_output=True, text=True, env=_env(),
                           timeout=120)  # fmt: skip
        assert v.returncode == 0, v.stdout + v.stderr
        assert json.loads(v.stdout)["verdict"] == "valid"
    p = s.run("proof", str(item["item_id"]), "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["state"] in ("anchored", "final")


def drop_the_first_attempt(s: Spool, item: dict[str, Any]) -> Attempt:
    """Seal, drop the next submission, publish one pass: submitted, but never in a mempool."""
    s.seal()
    assert s.net.control("drop-next") == {"drop_next": 1}
    r = s.publish()
    assert r.returncode == 0, r.stderr
    assert "window 1: signed -> submitted" in r.stderr
    (first,) = s.attempts(1)
    row = s.status()[0]
    assert (row["state"], row["tx_hash"], row["items"]) == ("submitted", first.tx_id, 1)
    assert not s.net.on_chain(first.tx_id) and not s.net.in_mempool(first.tx_id)
    return first


def replace_the_dead_attempt(s: Spool, first: Attempt) -> Attempt:
    """Pass the first attempt's TTL, then make the TTL-passing block CONFIRMATIONS deep, one
    block and one pass at a time: the second attempt is made only then, on the same inputs."""
    tip = s.net.advance(slots=first.ttl - int(s.net.tip()["slot"]) + 1)
    assert tip["slot"] > first.ttl  # (the clock ran on since the tip: a few slots more)
    late = s.net.submit(first.tx_bytes)
    assert late.status_code == 400 and "OutsideValidityIntervalUTxO" in late.text
    for depth in range(1, CONFIRMATIONS):  # the block past the TTL is `depth` deep
        r = s.publish()
        assert r.returncode == 0, r.stderr
        assert len(s.attempts(1)) == 1, (depth, r.stderr)
        assert s.status()[0]["state"] == "submitted"
        s.net.advance()
    r = s.publish()
    assert r.returncode == 0, r.stderr
    assert "window 1: attempt 1 is dead; attempt 2 on the same inputs" in r.stderr
    old, second = s.attempts(1)
    assert old == first and second.tx_id != first.tx_id
    assert set(second.inputs) <= set(first.inputs)
    assert s.net.in_mempool(second.tx_id)
    return second


def test_shallow_rollback_lands_the_same_tx_id_again(spool: Spool) -> None:
    item = spool.add("r.txt", b"rollback")
    spool.seal()
    r = spool.publish()
    assert r.returncode == 0, r.stderr
    (attempt,) = spool.attempts(1)
    spool.net.advance(blocks=CONFIRMATIONS)
    r = spool.publish()
    assert r.returncode == 0, r.stderr
    row = spool.status()[0]
    assert (row["state"], row["tx_hash"], row["depth"]) == ("anchored", attempt.tx_id, 3)
    # roll back the anchoring block and the two on it; the tx is gone, not in the mempool
    height = int(spool.net.get(f"/txs/{attempt.tx_id}").json()["block_height"])
    back = spool.net.control("rollback", {"blocks": int(spool.net.tip()["height"]) - height + 1})
    assert back["tip"]["height"] == height - 1
    assert not spool.net.on_chain(attempt.tx_id) and not spool.net.in_mempool(attempt.tx_id)
    r = spool.publish()  # sees the rollback
    assert r.returncode == 0, r.stderr
    assert "window 1: anchored -> submitted" in r.stderr
    assert spool.status()[0]["state"] == "submitted"
    r = spool.publish_wait()  # resends the stored bytes while their TTL holds
    assert r.returncode == 0, r.stderr
    row = spool.status()[0]
    assert row["tx_hash"] == attempt.tx_id and row["state"] in ("anchored", "final")
    assert spool.attempts(1) == [attempt]  # no second attempt: the same bytes landed again
    assert check_chain(spool) == {attempt.tx_id: attempt.fee}
    verify_item(spool, item)


def test_a_dropped_tx_is_replaced_once_dead_and_its_bytes_are_refused(spool: Spool) -> None:
    item = spool.add("d.txt", b"dropped")
    first = drop_the_first_attempt(spool, item)
    second = replace_the_dead_attempt(spool, first)
    r = spool.publish_wait()
    assert r.returncode == 0, r.stderr
    row = spool.status()[0]
    assert row["tx_hash"] == second.tx_id and row["state"] in ("anchored", "final")
    assert check_chain(spool) == {second.tx_id: second.fee}
    refused = spool.net.submit(first.tx_bytes)
    assert refused.status_code == 400
    assert "BadInputsUTxO" in refused.text and "OutsideValidityIntervalUTxO" in refused.text
    assert not spool.net.on_chain(first.tx_id)
    verify_item(spool, item)


def test_both_attempts_offered_after_a_deep_rollback_exactly_one_lands(spool: Spool) -> None:
    item = spool.add("b.txt", b"both")
    first = drop_the_first_attempt(spool, item)
    before = int(spool.net.tip()["height"])  # attempt 1 was sent on top of this block
    second = replace_the_dead_attempt(spool, first)
    spool.net.advance(blocks=CONFIRMATIONS)
    r = spool.publish()
    assert r.returncode == 0, r.stderr
    assert spool.status()[0]["state"] == "anchored" and spool.net.on_chain(second.tx_id)
    # deeper than the confirmations: back past the TTL-passing block to where attempt 1 was sent
    depth = int(spool.net.tip()["height"]) - before
    assert depth > CONFIRMATIONS
    assert spool.net.control("rollback", {"blocks": depth})["tip"]["height"] == before
    assert not spool.net.on_chain(second.tx_id) and not spool.net.in_mempool(second.tx_id)
    # someone offers both attempts' bytes, the old one first
    old = spool.net.submit(first.tx_bytes)
    new = spool.net.submit(second.tx_bytes)
    assert old.status_code == 400 and "OutsideValidityIntervalUTxO" in old.text
    assert (new.status_code, new.json()) == (200, second.tx_id)
    again = spool.net.submit(first.tx_bytes)  # and once more, now that the inputs are taken
    assert again.status_code == 400 and "BadInputsUTxO" in again.text
    r = spool.publish_wait()
    assert r.returncode == 0, r.stderr
    assert "window 1: anchored -> submitted" in r.stderr
    row = spool.status()[0]
    assert row["tx_hash"] == second.tx_id and row["state"] in ("anchored", "final")
    txs = check_chain(spool)
    assert txs == {second.tx_id: second.fee}  # one tx for the window, the wallet paid one fee
    assert FUNDS - spool.net.balance(address(spool.keys)) == second.fee
    verify_item(spool, item)


def test_inputs_spent_by_a_foreign_tx_block_the_window(spool: Spool) -> None:
    item = spool.add("f.txt", b"foreign")
    first = drop_the_first_attempt(spool, item)
    # another user of the same payment key spends the inputs: a plain `anchor publish`
    src = spool.tmp / "other"
    src.mkdir()
    (src / "x.txt").write_bytes(b"other release")
    base = [sys.executable, "-m", "anchor"]
    subprocess.run([*base, "collect", str(src), "--root", str(src), "-o", str(spool.tmp / "ev"),
                    "--no-env", "-q"], check=True, env=_env(), capture_output=True)  # fmt: skip
    pub = pumped(spool.net, [
        *base, "publish", str(spool.tmp / "ev"), "--network", "devnet", "--provider-url",
        spool.net.url, "--identity-seed", str(spool.keys / "identity.seed"),
        "--payment-key", str(spool.keys / "payment.skey"), "--json",
    ])  # fmt: skip
    assert pub.returncode == 0, pub.stderr
    foreign = json.loads(pub.stdout)["tx_hash"]
    assert foreign != first.tx_id and spool.net.on_chain(foreign)
    blocked = spool.publish()
    assert blocked.returncode == 5, blocked.stderr
    lines = blocked.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == [
        f"error: window 1: the inputs of transaction {first.tx_id} were spent by a transaction "
        "that is not this spool's; the window is blocked (another wallet uses this payment "
        "key; give the spool its own key)"
    ], blocked.stderr
    assert "Traceback" not in blocked.stderr and blocked.stdout == ""
    row = spool.status()[0]
    assert (row["state"], row["tx_hash"], row["items"]) == ("blocked", first.tx_id, 1)
    assert row["reason"]
    pending = spool.run("proof", str(item["item_id"]), "--json")
    assert pending.returncode == 3, pending.stderr
    assert not spool.net.on_chain(first.tx_id)
    # the blocked window holds nothing up: the next one anchors alone, in one tx
    later = spool.add("g.txt", b"after the block")
    spool.seal()
    r = spool.publish_wait()
    assert r.returncode == 0, r.stderr
    rows = spool.status()
    assert [w["state"] for w in rows[:2]] == ["blocked", rows[1]["state"]]
    assert rows[1]["state"] in ("anchored", "final")
    (attempt,) = spool.attempts(2)
    txs = check_chain(spool, foreign=1)
    assert set(txs) == {foreign, attempt.tx_id}
    verify_item(spool, later)
