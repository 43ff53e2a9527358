"""What the spool crash matrix (tests/e2e/test_spool_crash_matrix.py) and `make crash` share.

A :class:`Harness` runs `anchor spool` subcommands in subprocesses against one store and
one real devnet; :class:`Adders` keeps four `spool add` processes running at once (each
item its own process, so any of them can be killed); :func:`audit` ends every run on the
chain and returns the figures and the list of violations (empty when the run is sound):
one transaction per non-empty window and no other, wallet spend = Σ fees, every add that
exited 0 has a proof and `anchor verify` accepts it from the window's exported bundle,
and every root seen sealed is the root at the end.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anchor.devnet import RunningDevnet
from anchor.publish.spool.faults import FAULT_ENV, TRACE_ENV

REPO = Path(__file__).resolve().parents[1]


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in (FAULT_ENV, TRACE_ENV)}
    return {**base, "PYTHONPATH": str(REPO), **(extra or {})}


@dataclass
class Harness:
    """One spool under test: its store URL, work folder, devnet and keys."""

    db: str
    tmp: Path
    net: RunningDevnet
    keys: Path
    funds: int

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "anchor", "spool", *args, "--db", self.db]

    def publish_argv(self, *extra: str) -> list[str]:
        return self.argv(
            "publish", "--every", "release", "--provider-url", self.net.url,
            "--identity-seed", str(self.keys / "identity.seed"),
            "--payment-key", str(self.keys / "payment.skey"), "--dir", str(self.tmp / "work"),
            *extra,
        )  # fmt: skip

    def run(
        self, argv: list[str], env: dict[str, str] | None = None, timeout: float = 240
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, capture_output=True, text=True, cwd=self.tmp, env=_env(env), timeout=timeout
        )

    def spawn(self, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=self.tmp,
            env=_env(env),
        )  # fmt: skip

    def init(self) -> None:
        r = self.run(self.argv("init", "--network", "devnet", "--json"))
        assert r.returncode == 0, r.stderr

    def windows(self) -> list[dict[str, Any]]:
        r = self.run(self.argv("status", "--json"))
        assert r.returncode == 0, r.stderr
        rows: list[dict[str, Any]] = json.loads(r.stdout)["windows"]
        return rows

    def roots(self) -> dict[int, str]:
        """The root of every window sealed so far, by window number."""
        return {int(w["window"]): str(w["root"]) for w in self.windows() if w["root"]}


@dataclass
class Added:
    """One `spool add` that exited 0: its JSON line and the file it added."""

    item_id: str
    window: int
    path: str


@dataclass
class Adders:
    """Four (``count``) threads, each running `spool add` processes one after another.

    ``per_adder`` items each (None: until :meth:`stop`). ``fault`` maps an adder number to
    an ``ANCHOR_FAULTPOINT`` value for its first process only; a killed add is retried
    once with the same file (the restart). ``kill_one`` SIGKILLs a running add from outside.
    """

    h: Harness
    count: int = 4
    per_adder: int | None = 3
    fault: dict[int, str] = field(default_factory=dict)
    pause: float = 0.0
    added: list[Added] = field(default_factory=list)
    killed: int = 0
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _running: dict[int, subprocess.Popen[str]] = field(default_factory=dict)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Adders:
        folder = self.h.tmp / "adds"
        folder.mkdir(exist_ok=True)
        for j in range(self.count):
            t = threading.Thread(target=self._loop, args=(j, folder), daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def _one(self, j: int, path: Path, env: dict[str, str] | None) -> int:
        p = self.h.spawn(self.h.argv("add", str(path), "--source", f"job{j}", "--json"), env)
        with self._lock:
            self._running[j] = p
        out, err = p.communicate(timeout=240)
        with self._lock:
            self._running.pop(j, None)
        if p.returncode == 0:
            doc = json.loads(out)
            with self._lock:
                self.added.append(Added(str(doc["item_id"]), int(doc["window"]), str(path)))
        elif p.returncode != -9:
            with self._lock:
                self.failures.append(f"add {path.name} exit {p.returncode}: {err.strip()}")
        return p.returncode

    def _loop(self, j: int, folder: Path) -> None:
        i = 0
        while not self._stop.is_set() and (self.per_adder is None or i < self.per_adder):
            path = folder / f"job{j}-{i}.txt"
            path.write_text(f"adder {j} item {i}\n")
            fault = self.fault.pop(j, None)
            rc = self._one(j, path, {FAULT_ENV: fault} if fault else None)
            if rc == -9 and fault:
                self._one(j, path, None)  # the restart: the same file again
            i += 1
            if self.pause:
                self._stop.wait(random.uniform(0, self.pause))

    def kill_one(self, pick: int) -> bool:
        """SIGKILL the running add of adder ``pick % count`` if any; True if one died of it."""
        with self._lock:
            running = sorted(self._running.items())
            if not running:
                return False
            _, p = running[pick % len(running)]
            if p.poll() is not None:
                return False
            p.kill()
        p.wait()
        if p.returncode == -9:
            with self._lock:
                self.killed += 1
            return True
        return False

    def stop(self) -> None:
        self._stop.set()
        self.join()

    def join(self) -> None:
        for t in self._threads:
            t.join(timeout=600)


@dataclass
class Audit:
    """The figures of one run and what went wrong (``violations`` empty = sound)."""

    windows: int = 0
    nonempty: int = 0
    txs: int = 0
    added_ok: int = 0
    verified: int = 0
    proofs_asked: int = 0
    double_anchors: int = 0
    lost: int = 0
    roots_changed: int = 0
    violations: list[str] = field(default_factory=list)


def audit(
    h: Harness, added: list[Added], seen_roots: list[dict[int, str]], proofs: int | None = None
) -> Audit:
    """End the run on the chain (the module text); every check counts, none raises.

    Every added item is checked by `anchor verify` against its window's exported bundle;
    `spool proof` is asked for every item, or for ``proofs`` items picked at random.
    """
    a = Audit()
    rows = h.windows()
    a.windows = len(rows)
    with h.net.state.lock:
        txs = dict(h.net.state.txs)
        mempool = list(h.net.state.mempool)
        balance = sum(u.out.coin for u in h.net.state.utxo.values())
    a.txs = len(txs)
    nonempty = [w for w in rows if w["items"] and w["state"] not in ("open", "empty")]
    a.nonempty = len(nonempty)
    window_txs = [bytes.fromhex(str(w["tx_hash"])) for w in nonempty if w["tx_hash"]]
    stray = set(txs) - set(window_txs)
    missing = [w["window"] for w in nonempty if not w["tx_hash"] or w["state"] not in
               ("anchored", "final") or bytes.fromhex(str(w["tx_hash"])) not in txs]  # fmt: skip
    a.double_anchors = len(stray) + (len(window_txs) - len(set(window_txs)))
    if stray:
        a.violations.append(f"{len(stray)} transaction(s) on chain that no window records")
    if missing:
        a.violations.append(f"window(s) {missing} not anchored by a transaction on chain")
    if mempool:
        a.violations.append(f"{len(mempool)} transaction(s) still in the mempool")
    spent, fees = h.funds - balance, sum(r.tx.fee for r in txs.values())
    if spent != fees:
        a.violations.append(f"wallet spent {spent} lovelace, the fees are {fees}")
    final = {int(w["window"]): str(w["root"]) for w in rows if w["root"]}
    for snap in seen_roots:
        for seq, root in snap.items():
            if final.get(seq) != root:
                a.roots_changed += 1
                a.violations.append(f"window {seq}: root {root} became {final.get(seq)}")
    a.added_ok = len(added)
    a.proofs_asked = len(added) if proofs is None else min(proofs, len(added))
    by_window: dict[int, list[Added]] = {}
    asked = set(range(len(added)) if proofs is None else
                random.sample(range(len(added)), min(proofs, len(added))))  # fmt: skip
    for n, item in enumerate(added):
        if n not in asked:
            by_window.setdefault(item.window, []).append(item)
            continue
        p = h.run(h.argv("proof", item.item_id, "--json"))
        doc = json.loads(p.stdout) if p.returncode == 0 else {}
        if doc.get("state") not in ("anchored", "final") or not Path(doc["proof"]).is_file():
            a.lost += 1
            a.violations.append(f"item {item.item_id}: no proof (exit {p.returncode})")
            continue
        by_window.setdefault(item.window, []).append(item)
    for seq, items in sorted(by_window.items()):
        out = h.tmp / f"export-{seq}"
        r = h.run(h.argv("export", str(seq), "-o", str(out)))
        if r.returncode != 0:
            a.lost += len(items)
            a.violations.append(f"window {seq}: export exit {r.returncode}: {r.stderr.strip()}")
            continue
        files = sorted({i.path for i in items})
        v = subprocess.run(
            [sys.executable, "-m", "anchor", "verify", *files, "--bundle", str(out),
             "--network", "devnet", "--json"],
            capture_output=True, text=True, env=_env(), timeout=240,
        )  # fmt: skip
        verdict = json.loads(v.stdout)["verdict"] if v.stdout.strip() else None
        if v.returncode == 0 and verdict == "valid":
            a.verified += len(items)
        else:
            a.lost += len(items)
            a.violations.append(f"window {seq}: anchor verify exit {v.returncode} {verdict}")
    return a
