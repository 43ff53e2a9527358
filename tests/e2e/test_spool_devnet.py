"""`anchor spool` end to end on the real local devnet, in subprocesses that are killed.

Every check ends on the chain: exactly one transaction per non-empty window, no stray
transaction, the wallet spent exactly the fees, and every item that `spool add`
acknowledged has a proof that `anchor verify` accepts.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from anchor.devnet import RunningDevnet
from anchor.publish.spool.faults import FAULT_ENV, POINTS, TRACE_ENV
from tests.pgcluster import fresh_pg_dsn
from tests.pgcluster import pg_server_fixture as pg_server  # noqa: F401
from tests.publish_kit import FUNDS, funded_devnet
from tests.publish_kit import keys_fixture as keys  # noqa: F401

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Spool:
    """One spool under test: its store URL, work folder, devnet and keys."""

    db: str
    tmp: Path
    net: RunningDevnet
    keys: Path

    def run(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        base = {k: v for k, v in os.environ.items() if k not in (FAULT_ENV, TRACE_ENV)}
        full = {**base, "PYTHONPATH": str(REPO), **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "anchor", "spool", *args, "--db", self.db],
            capture_output=True, text=True, cwd=self.tmp, env=full, timeout=240,
        )  # fmt: skip

    def publish(
        self, *extra: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.run(
            "publish", "--every", "release", "--provider-url", self.net.url,
            "--identity-seed", str(self.keys / "identity.seed"),
            "--payment-key", str(self.keys / "payment.skey"), "--dir", str(self.tmp / "work"),
            *extra, env=env,
        )  # fmt: skip

    def add(self, name: str, data: bytes, source: str = "ci/run/1") -> dict[str, object]:
        path = self.tmp / "files" / source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        r = self.run("add", str(path), "--source", source, "--json")
        assert r.returncode == 0, r.stderr
        doc: dict[str, object] = json.loads(r.stdout)
        doc["path"] = str(path)
        return doc

    def status(self) -> list[dict[str, object]]:
        r = self.run("status", "--json")
        assert r.returncode == 0, r.stderr
        rows: list[dict[str, object]] = json.loads(r.stdout)["windows"]
        return rows


@pytest.fixture(params=["sqlite", "postgresql"])
def spool(request: pytest.FixtureRequest, tmp_path: Path, keys: Path) -> Iterator[Spool]:  # noqa: F811
    if request.param == "sqlite":
        db = f"sqlite:{tmp_path / 'spool.db'}"
    else:
        db = fresh_pg_dsn(request.getfixturevalue("pg_server"))
    with funded_devnet(keys, block_time=0.2) as net:
        s = Spool(db, tmp_path, net, keys)
        r = s.run("init", "--network", "devnet", "--json")
        assert r.returncode == 0, r.stderr
        yield s


def check_chain(s: Spool) -> None:
    """One tx per non-empty window, nothing else on chain or waiting, spend = Σ fees."""
    windows = s.status()
    landed = [w for w in windows if w["tx_hash"]]
    with s.net.state.lock:
        txs = dict(s.net.state.txs)
        mempool = list(s.net.state.mempool)
        balance = sum(u.out.coin for u in s.net.state.utxo.values())
    assert not mempool
    nonempty = [w for w in windows if w["items"] and w["state"] not in ("open", "empty")]
    assert len(txs) == len(nonempty) == len(landed)
    assert {bytes.fromhex(str(w["tx_hash"])) for w in landed} == set(txs)
    assert FUNDS - balance == sum(r.tx.fee for r in txs.values())


def verify_item(s: Spool, item: dict[str, object], window: int) -> None:
    out = s.tmp / f"export-{window}"
    r = s.run("export", str(window), "-o", str(out))
    assert r.returncode == 0, r.stderr
    v = subprocess.run(
        [sys.executable, "-m", "anchor", "verify", str(item["path"]), "--bundle", str(out),
         "--network", "devnet", "--json"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=120,
    )  # fmt: skip
    assert v.returncode == 0, v.stdout + v.stderr
    assert json.loads(v.stdout)["verdict"] == "valid"
    p = s.run("proof", str(item["item_id"]), "--json")
    assert p.returncode == 0, p.stderr
    proof = json.loads(p.stdout)
    assert proof["state"] in ("anchored", "final") and Path(proof["proof"]).is_file()


def test_two_windows_one_tx_each_and_every_item_verifies(spool: Spool) -> None:
    a = spool.add("a.txt", b"alpha")
    dup = spool.add("a.txt", b"alpha")
    assert dup["item_id"] == a["item_id"] and dup["duplicate"] is True
    b = spool.add("b.bin", b"beta", source="ci/run/2")
    pending = spool.run("proof", str(a["item_id"]))
    assert pending.returncode == 3, pending.stderr
    assert spool.run("seal", "--label", "v1").returncode == 0
    r = spool.publish("--wait")
    assert r.returncode == 0, r.stderr
    c = spool.add("c.txt", b"gamma")
    assert c["window"] == 2
    assert spool.run("seal").returncode == 0
    assert spool.publish("--wait").returncode == 0
    states = [w["state"] for w in spool.status()]
    assert states[2] == "open" and set(states[:2]) <= {"anchored", "final"}
    check_chain(spool)
    verify_item(spool, a, 1)
    verify_item(spool, b, 1)
    verify_item(spool, c, 2)
    # export twice: byte-identical bundle files
    spool.run("export", "1", "-o", str(spool.tmp / "again"))
    for name in ("manifest.json", "leaves.cbor", "anchor.json", "tx.cbor", "record.cbor"):
        assert (spool.tmp / "again" / name).read_bytes() == (
            spool.tmp / "export-1" / name
        ).read_bytes()


CRASH_POINTS = [p for p in POINTS if p not in ("add.commit", "final.commit")]


@pytest.mark.parametrize("point", CRASH_POINTS)
def test_a_kill_at_any_point_still_anchors_exactly_once(spool: Spool, point: str) -> None:
    items = [spool.add(f"f{i}.txt", f"item {i}".encode()) for i in range(3)]
    if not point.startswith("seal"):
        assert spool.run("seal").returncode == 0
        rows = spool.status()
        root = rows[0]["root"]
    killed = (
        spool.publish("--wait", env={FAULT_ENV: point})
        if not point.startswith("seal")
        else (spool.run("seal", env={FAULT_ENV: point}))
    )
    assert killed.returncode == -9, (point, killed.stdout, killed.stderr)
    if point.startswith("seal"):
        root = spool.status()[0]["root"]
    again = spool.publish("--wait")
    assert again.returncode == 0, again.stderr
    rows = spool.status()
    assert rows[0]["state"] in ("anchored", "final") and rows[0]["root"] == root
    check_chain(spool)
    verify_item(spool, items[1], 1)


def test_add_crash_after_commit_keeps_the_item(spool: Spool) -> None:
    path = spool.tmp / "x.txt"
    path.write_bytes(b"x")
    r = spool.run("add", str(path), "--json", env={FAULT_ENV: "add.commit"})
    assert r.returncode == -9
    again = spool.run("add", str(path), "--json")
    assert json.loads(again.stdout)["duplicate"] is True


def test_trace_lists_the_points_of_a_run(spool: Spool) -> None:
    spool.add("t.txt", b"t")
    trace = spool.tmp / "trace"
    assert spool.run("seal", env={TRACE_ENV: str(trace)}).returncode == 0
    assert spool.publish("--wait", env={TRACE_ENV: str(trace)}).returncode == 0
    seen = trace.read_text().split()
    for name in ("seal.commit", "seal.bundle", "sign.commit", "send.before", "send.after",
                 "submitted.commit", "included.commit", "anchored.commit"):  # fmt: skip
        assert name in seen
    assert set(seen) <= set(POINTS)


def test_parallel_adders_while_publishing(spool: Spool) -> None:
    script = (
        "import subprocess, sys, json, pathlib\n"
        "src, db, folder = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])\n"
        "for i in range(4):\n"
        "    f = folder / f'{src}-{i}.txt'; f.write_text(f'{src} {i}')\n"
        "    r = subprocess.run([sys.executable, '-m', 'anchor', 'spool', 'add', str(f), '--source', src,\n"
        "                        '--db', db, '--json'], capture_output=True, text=True)\n"
        "    assert r.returncode == 0, r.stderr\n"
        "    print(json.dumps({**json.loads(r.stdout), 'path': str(f)}), flush=True)\n"
    )
    folder = spool.tmp / "par"
    folder.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    adders = [
        subprocess.Popen([sys.executable, "-c", script, f"job{j}", spool.db, str(folder)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for j in range(3)
    ]  # fmt: skip
    spool.run("seal")
    spool.publish()
    spool.run("seal")
    outputs = [p.communicate(timeout=240) for p in adders]
    assert all(p.returncode == 0 for p in adders), [o[1] for o in outputs]
    assert spool.run("seal").returncode == 0
    r = spool.publish("--wait")
    assert r.returncode == 0, r.stderr
    added = [json.loads(line) for o in outputs for line in o[0].splitlines()]
    assert len(added) == 12
    check_chain(spool)
    for item in added:
        p = spool.run("proof", str(item["item_id"]), "--json")
        assert p.returncode == 0, (item, p.stdout, p.stderr)
    by_window: dict[int, dict[str, object]] = {int(str(i["window"])): i for i in added}
    for window, item in sorted(by_window.items())[:2]:
        verify_item(spool, item, window)


def test_lease_held_exit_5_and_skip_if_locked(spool: Spool) -> None:
    from anchor.publish.spool.api import open_store

    spool.add("l.txt", b"l")
    store = open_store(spool.db)
    try:
        sp = store.spool("default")
        store.acquire(sp, "someone-else", seconds=600)
        held = spool.publish()
        assert held.returncode == 5
        assert held.stderr.startswith(
            "error: spool 'default' is being published by another process"
        )
        skipped = spool.publish("--skip-if-locked")
        assert skipped.returncode == 0 and "skipped" in skipped.stderr
        assert spool.run("seal").returncode == 5
        assert "Traceback" not in held.stderr + skipped.stderr
    finally:
        store.close()


def test_bad_input_exit_4_adds_nothing(spool: Spool) -> None:
    good = "ab" * 32
    cases = [
        (["add", "--sha256", "xyz", "--name", "n"], "--sha256"),
        (["add", "--sha256", good, "--name", "/abs"], "--name"),
        (["add", "--sha256", good, "--name", "a/../b"], "--name"),
        (["add", "--sha256", good, "--name", ""], "--name"),
        (["add", str(spool.tmp / "missing.txt")], "cannot read"),
        (["add", "--sha256", good, "--name", "n", "--spool", "nope"], "no spool named"),
    ]
    jsonl = spool.tmp / "list.jsonl"
    jsonl.write_text(json.dumps({"name": "ok", "sha256": good}) + "\n{not json\n")
    cases.append((["add", "--from-file", str(jsonl)], "line 2"))
    for args, text in cases:
        r = spool.run(*args)
        assert r.returncode == 4, (args, r.stderr)
        assert text in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
    first = spool.run("add", "--sha256", good, "--name", "same", "--source", "s")
    assert first.returncode == 0
    other = spool.run("add", "--sha256", "cd" * 32, "--name", "same", "--source", "s")
    assert other.returncode == 4 and "another digest" in other.stderr
    assert spool.status()[0]["items"] == 1


def test_from_file_all_lines_and_stdin(spool: Spool) -> None:
    lines = "".join(
        json.dumps({"name": f"d/{i}", "sha256": hashlib.sha256(bytes([i])).hexdigest()}) + "\n"
        for i in range(5)
    )
    r = subprocess.run(
        [sys.executable, "-m", "anchor", "spool", "add", "--from-file", "-", "--db", spool.db, "--json"],
        input=lines, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert [row["duplicate"] for row in rows] == [False] * 5
    assert spool.status()[0]["items"] == 5


def test_inputs_spent_by_a_foreign_tx_block_the_window(spool: Spool) -> None:
    spool.add("f.txt", b"foreign")
    assert spool.run("seal").returncode == 0
    killed = spool.publish(env={FAULT_ENV: "sign.commit"})
    assert killed.returncode == -9
    # another user of the same payment key spends the inputs first: a plain `anchor publish`
    src = spool.tmp / "other"
    src.mkdir()
    (src / "x.txt").write_bytes(b"other release")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    base = [sys.executable, "-m", "anchor"]
    subprocess.run([*base, "collect", str(src), "--root", str(src), "-o", str(spool.tmp / "ev"),
                    "--no-env", "-q"], check=True, env=env, capture_output=True)  # fmt: skip
    pub = subprocess.run(
        [*base, "publish", str(spool.tmp / "ev"), "--network", "devnet", "--provider-url",
         spool.net.url, "--identity-seed", str(spool.keys / "identity.seed"),
         "--payment-key", str(spool.keys / "payment.skey")],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert pub.returncode == 0, pub.stderr
    blocked = spool.publish()
    assert blocked.returncode == 5, blocked.stderr
    assert "spent by a transaction that is not this spool's" in blocked.stderr
    assert "Traceback" not in blocked.stderr
    assert spool.status()[0]["state"] == "blocked"
    with spool.net.state.lock:
        assert len(spool.net.state.txs) == 1  # only the foreign one


def test_shallow_rollback_lands_the_same_tx_again(spool: Spool) -> None:
    item = spool.add("r.txt", b"rollback")
    assert spool.run("seal").returncode == 0
    assert spool.publish("--wait").returncode == 0
    first = spool.status()[0]
    tx = bytes.fromhex(str(first["tx_hash"]))
    with spool.net.state.lock:
        height = spool.net.state.txs[tx].block.height
        depth = spool.net.state.tip.height - height + 1
        spool.net.rollback(depth)  # the block holding the tx and everything after it
        assert tx not in spool.net.state.txs and not spool.net.state.mempool
    again = spool.publish("--wait")
    assert again.returncode == 0, again.stderr
    assert "anchored -> submitted" in again.stderr or "final -> submitted" in again.stderr
    rows = spool.status()
    assert rows[0]["tx_hash"] == first["tx_hash"] and rows[0]["state"] in ("anchored", "final")
    check_chain(spool)
    verify_item(spool, item, 1)


def test_a_dead_attempt_is_replaced_on_the_same_inputs(spool: Spool) -> None:
    import httpx

    from anchor.publish.spool.api import open_store

    r = spool.run("init", "--spool", "fast", "--ttl-slots", "60")
    assert r.returncode == 0, r.stderr
    path = spool.tmp / "d.txt"
    path.write_bytes(b"dead")
    assert spool.run("add", str(path), "--spool", "fast").returncode == 0
    assert spool.run("seal", "--spool", "fast").returncode == 0
    killed = spool.publish("--spool", "fast", env={FAULT_ENV: "sign.commit"})
    assert killed.returncode == -9  # signed and stored, never sent
    store = open_store(spool.db)
    try:
        sp = store.spool("fast")
        window = store.windows(sp)[0]
        (old,) = store.attempts(window.id)
        # Jump the devnet's clock past the TTL (its test control; the block clock then goes on
        # cutting a block every 0.2 s from there), rather than wait a minute of real slots.
        spool.net.advance_slots(max(1, old.ttl + 2 - spool.net.state.tip.slot))
        assert spool.net.state.tip.slot > old.ttl + 1
        again = spool.publish("--spool", "fast", "--wait")
        assert again.returncode == 0, again.stderr
        assert "attempt 1 is dead" in again.stderr
        first, second = store.attempts(window.id)
        assert first.tx_id == old.tx_id and second.tx_id != old.tx_id
        assert set(second.inputs) <= set(old.inputs)
    finally:
        store.close()
    with spool.net.state.lock:
        assert set(spool.net.state.txs) == {bytes.fromhex(second.tx_id)}
    refused = httpx.post(spool.net.url + "/tx/submit", content=old.tx_bytes,
                         headers={"Content-Type": "application/cbor"})  # fmt: skip
    assert refused.status_code == 400
