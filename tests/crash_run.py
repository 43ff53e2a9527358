"""`make crash`: random external ``kill -9`` of spool adders and publishers, then the audit.

Per store (sqlite, a throwaway PostgreSQL cluster, or both): a fresh devnet, 4 adder
threads each running `spool add` processes one after another, and a publisher thread
running `spool seal` then `spool publish --wait` in a loop (each restart after a kill is
the next process of its kind). A killer SIGKILLs a random running process after a random
delay until ``--kills`` processes died of it. Then adders stop, one last `seal` and
`publish --wait` run, and :func:`tests.crash_kit.audit` checks the chain: 0 double
anchors, 0 lost items, sealed roots unchanged. Prints a table; exit 1 on any violation.

    python -m tests.crash_run --kills 200 --backend both [--seed N]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from anchor.chain.keys import create_key_set
from anchor.devnet import start_devnet
from tests.crash_kit import Adders, Audit, Harness, audit
from tests.pgcluster import fresh_pg_dsn, pg_cluster
from tests.publish_kit import address

FUNDS = 2_000_000_000  # enough lovelace for a few hundred windows


class Publisher:
    """`seal` then `publish --wait`, again and again; a killed one is simply the next run."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.current: tuple[str, subprocess.Popen[str]] | None = None
        self.seen: list[dict[int, str]] = []
        self.failures: list[str] = []
        self.runs: Counter[str] = Counter()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _run(self, kind: str, argv: list[str]) -> int:
        p = self.h.spawn(argv)
        with self.lock:
            self.current = (kind, p)
        _, err = p.communicate(timeout=600)
        with self.lock:
            self.current = None
        self.runs[f"{kind} exit {p.returncode}"] += 1
        if p.returncode not in (0, -9):
            self.failures.append(f"{kind} exit {p.returncode}: {err.strip()[-300:]}")
        return p.returncode

    def _loop(self) -> None:
        while not self.stop.is_set():
            self.seen.append(self.h.roots())
            self._run("seal", self.h.argv("seal"))
            self._run("publish", self.h.publish_argv("--wait", "--timeout", "120"))
            self.stop.wait(random.uniform(0.5, 2.0))

    def kill(self) -> str | None:
        """SIGKILL the running seal/publish if any; its kind if it died of it."""
        with self.lock:
            if self.current is None or self.current[1].poll() is not None:
                return None
            kind, p = self.current
            p.kill()
        p.wait()
        return kind if p.returncode == -9 else None


def one_backend(backend: str, kills: int, tmp: Path, lo: float, hi: float) -> tuple[Audit, dict]:
    keys = tmp / "keys"
    create_key_set(keys, seed=bytes(range(32)))
    with ExitStack() as stack:
        if backend == "sqlite":
            db = f"sqlite:{tmp / 'spool.db'}"
        else:
            db = fresh_pg_dsn(stack.enter_context(pg_cluster()))
        net = stack.enter_context(
            start_devnet(port=0, funds={address(keys): FUNDS}, block_time=0.2)
        )
        h = Harness(db, tmp, net, keys, FUNDS)
        h.init()
        adders = Adders(h, per_adder=None, pause=0.5).start()
        pub = Publisher(h)
        pub.thread.start()
        by_kind: Counter[str] = Counter()
        started = time.monotonic()
        while sum(by_kind.values()) < kills:
            time.sleep(random.uniform(lo, hi))
            first_adder = random.random() < 0.5
            for adder in (first_adder, not first_adder):  # the other kind if none runs
                if adder and adders.kill_one(random.randrange(4)):
                    by_kind["adder"] += 1
                    break
                kind = None if adder else pub.kill()
                if kind is not None:
                    by_kind[kind] += 1
                    break
        adders.stop()
        pub.stop.set()
        pub.thread.join(timeout=600)
        pub.seen.append(h.roots())
        failures = adders.failures + pub.failures
        final = []
        for argv in (h.argv("seal"), h.publish_argv("--wait", "--timeout", "300")):
            r = h.run(argv, timeout=400)
            final.append(r.returncode)
            if r.returncode != 0:
                failures.append(f"final {argv[4]} exit {r.returncode}: {r.stderr.strip()[-300:]}")
        pub.seen.append(h.roots())
        result = audit(h, adders.added, pub.seen, proofs=100)
        result.violations[:0] = failures
        figures = {
            "kills adder": by_kind["adder"], "kills publish": by_kind["publish"],
            "kills seal": by_kind["seal"], "seconds": round(time.monotonic() - started),
            "runs": dict(pub.runs),
        }  # fmt: skip
        return result, figures


ROWS = (
    ("kills: adder", lambda a, f: f["kills adder"]),
    ("kills: publish", lambda a, f: f["kills publish"]),
    ("kills: seal", lambda a, f: f["kills seal"]),
    ("windows", lambda a, f: a.windows),
    ("non-empty windows", lambda a, f: a.nonempty),
    ("txs on chain", lambda a, f: a.txs),
    ("adds exit 0", lambda a, f: a.added_ok),
    ("verified (anchor verify)", lambda a, f: a.verified),
    ("spool proof asked (sample)", lambda a, f: a.proofs_asked),
    ("double anchors", lambda a, f: a.double_anchors),
    ("lost items", lambda a, f: a.lost),
    ("roots changed", lambda a, f: a.roots_changed),
    ("violations", lambda a, f: len(a.violations)),
    ("seconds", lambda a, f: f["seconds"]),
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="make crash", description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=200, help="kill -9 per store (200)")
    ap.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    ap.add_argument("--min-delay", type=float, default=0.05)
    ap.add_argument("--max-delay", type=float, default=0.8)
    args = ap.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    random.seed(seed)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    results = {}
    for b in backends:
        with tempfile.TemporaryDirectory(prefix=f"anchor-crash-{b}-") as tmp:
            print(f"crash: {b}: {args.kills} kill -9 ...", file=sys.stderr, flush=True)
            results[b] = one_backend(b, args.kills, Path(tmp), args.min_delay, args.max_delay)
    print(f"crash run, seed {seed}, {args.kills} kill -9 per store")
    print(f"{'':28}" + "".join(f"{b:>12}" for b in backends))
    for label, get in ROWS:
        print(f"{label:28}" + "".join(f"{get(*results[b])!s:>12}" for b in backends))
    bad = 0
    for b in backends:
        a, f = results[b]
        print(f"{b}: process exits {f['runs']}")
        for v in a.violations:
            print(f"VIOLATION {b}: {v}")
            bad += 1
    print("OK: 0 double anchors, 0 lost items" if not bad else f"FAILED: {bad} violation(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
