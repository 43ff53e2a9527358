"""`make bench BENCH=spool`: `anchor spool` against bare-driver baselines, each ratio in one run.

Issue 11's must-show, on SQLite and (when Debian's PostgreSQL binaries are present, as
.ci/run installs them) on a throwaway PostgreSQL cluster from tests/pgcluster.py:

* 8 processes adding single items through the store API (one item per transaction), in
  items/s, against 8 processes running bare ``BEGIN [IMMEDIATE]; INSERT; COMMIT`` on an
  identical schema with the same durability settings (target: ≥ 0.5×);
* a fresh-process `anchor spool add --sha256` minus a fresh ``python -c pass`` (≤ 0.25 s);
* `anchor spool add --from-file` of N JSONL digests (the whole process) against one bare
  ``executemany`` of the same N rows into an identical schema (≤ 2×);
* `anchor spool seal` of that N-item window (the whole process: the rows read, the root,
  ``manifest.json``, ``leaves.cbor`` and the block tops written; proof files are written
  by `spool proof` one at a time and by `spool export` all at once) against a bare
  hashlib RFC 9162 root loop over its digests (≤ 5×), peak RSS < 1 GB (``os.wait4`` of
  the seal process, through a launcher);
* `anchor spool export` of the sealed window, every proof file included (not a target:
  it shows what a seal that wrote N proof files would cost on this file system; once,
  on the first backend; ``--no-export`` skips it);
* the window is then published on a local devnet (`spool publish --wait`), and one item's
  `anchor spool proof` in a fresh process minus ``python -c pass`` (≤ 0.3 s);
* PostgreSQL's seal time against SQLite's (≤ 1.5×);
* the fee of the N-item window's transaction against that of a 3-item window: equal but
  for the CBOR width of ``merkle[0].leaf_count`` (1 byte for 3, 5 bytes from 65,536 on;
  canonical CBOR allows no other width), i.e. the fee per byte times that difference.

N is ``--items`` (default 1,000,000; env ``ANCHOR_BENCH_SPOOL_ITEMS`` under ``make``).
Printed, never asserted. Run: ``make bench BENCH=spool`` or
``.venv/bin/python -m bench.spool --items 100000``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.merkle import baseline_root

REPO = Path(__file__).resolve().parent.parent
PROCS = 8
ADDS = 150  # per process
ROUNDS = 5  # fresh-process timings: best of

# Run by a small launcher: Linux keeps ru_maxrss across fork and exec, so a child forked
# from this (large) process would report this process's peak, not its own.
_LAUNCHER = """
import os, sys, time
started = time.perf_counter()
out = os.open(os.devnull, os.O_WRONLY)
os.dup2(out, 1)
pid = os.spawnv(os.P_NOWAIT, sys.executable, [sys.executable, *sys.argv[1:]])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, time.perf_counter() - started,
      file=sys.stderr)
"""

# One adder process: waits for the start time, then adds ADDS items one per transaction.
_ADDER = """
import sys, time, hashlib
kind, db, start, n, tag = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
if kind == "store":
    from anchor.publish.spool.api import open_store
    from anchor.publish.spool.store import NewItem
    store = open_store(db)
    sp = store.spool("default")
    def add(i):
        d = hashlib.sha256(f"{tag}/{i}".encode()).digest()
        store.add(sp, [NewItem("bench/" + tag, f"item-{i}", d)])
elif kind == "sqlite":
    import sqlite3
    conn = sqlite3.connect(db[len("sqlite:"):], isolation_level=None, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    def add(i):
        d = hashlib.sha256(f"{tag}/{i}".encode()).hexdigest()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(INSERT, (d[:32], 1, 1, "bench/" + tag, f"item-{i}", d, None, time.time()))
        conn.execute("COMMIT")
else:
    import psycopg
    conn = psycopg.connect(db, autocommit=True, prepare_threshold=None)
    def add(i):
        d = hashlib.sha256(f"{tag}/{i}".encode()).hexdigest()
        with conn.transaction():
            conn.execute(INSERT.replace("?", "%s"),
                         (d[:32], 1, 1, "bench/" + tag, f"item-{i}", d, None, time.time()))
while time.time() < start:
    time.sleep(0.001)
for i in range(n):
    add(i)
print(time.time())
"""
_INSERT = (
    "INSERT INTO items (item_id, spool_id, window_id, source, name, digest, size, state, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)"
)


@dataclass
class Row:
    """One line of the result table."""

    what: str
    measured: float
    baseline: float
    unit: str
    ratio: float
    target: str
    met: bool
    note: str = ""


@dataclass
class Results:
    """Every row, and the figures other rows compare against."""

    rows: list[Row] = field(default_factory=list)
    seal_seconds: dict[str, float] = field(default_factory=dict)
    fees: dict[str, tuple[int, int]] = field(default_factory=dict)
    exported: bool = False


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def _anchor(*args: str, db: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(
        [sys.executable, "-m", "anchor", "spool", *args, "--db", db],
        capture_output=True, text=True, cwd=cwd, env=_env(), check=False,
    )  # fmt: skip
    if check and r.returncode != 0:
        raise SystemExit(f"anchor spool {args[0]} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def _launched(args: list[str], cwd: Path) -> tuple[int, float, float, str]:
    """(exit, peak RSS MiB, seconds, stderr) of ``python ARGS`` as a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *args],
        capture_output=True, text=True, cwd=cwd, env=_env(), check=False,
    )  # fmt: skip
    *lines, figures = done.stderr.strip().splitlines()
    code, maxrss, wall = figures.split()
    return int(code), int(maxrss) / 1024, float(wall), "\n".join(lines)


def _best_fresh(command: list[str], cwd: Path) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        subprocess.run(command, capture_output=True, cwd=cwd, env=_env(), check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def _python_pass(cwd: Path) -> float:
    return _best_fresh([sys.executable, "-c", "pass"], cwd)


def _bare_db(backend: str, tmp: Path, make_db: Callable_, tag: str) -> str:
    """A fresh store with the spool schema and spool/window 1 (for the bare baselines)."""
    db = make_db(tag)
    _anchor("init", "--network", "devnet", db=db, cwd=tmp)
    return db


Callable_ = object  # the db factory: tag -> URL (kept loose: bench code)


def _adders(kind: str, db: str, tmp: Path) -> float:
    """Items per second of PROCS processes adding ADDS items each, one per transaction."""
    start = time.time() + 3.0  # every process has imported and connected by then
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"INSERT = {_INSERT!r}\n" + _ADDER,
                kind,
                db,
                str(start),
                str(ADDS),
                f"{kind}{p}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp,
            env=_env(),
        )
        for p in range(PROCS)
    ]
    ends = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        if p.returncode != 0:
            raise SystemExit(f"adder ({kind}) failed: {err.strip().splitlines()[-1:]}")
        ends.append(float(out.split()[-1]))
    return PROCS * ADDS / (max(ends) - start)


def _jsonl(n: int, path: Path) -> list[bytes]:
    digests = [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(n)]
    with path.open("w", encoding="utf-8") as fh:
        fh.writelines(
            f'{{"name": "dist/file-{i:07d}.bin", "sha256": "{d.hex()}"}}\n'
            for i, d in enumerate(digests)
        )
    return digests


def _bare_executemany(db: str, n: int, digests: list[bytes]) -> float:
    """Seconds of one transaction inserting the n rows with executemany (rows pre-built)."""
    now = time.time()
    rows = [
        (f"{i:032x}", 1, 1, "bench/bare", f"dist/file-{i:07d}.bin", d.hex(), None, now)
        for i, d in enumerate(digests)
    ]
    if db.startswith("sqlite:"):
        conn = sqlite3.connect(db[len("sqlite:") :], isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(_INSERT, rows)
        conn.execute("COMMIT")
        seconds = time.perf_counter() - t0
        conn.close()
        return seconds
    import psycopg

    with psycopg.connect(db, autocommit=True) as pg:
        t0 = time.perf_counter()
        with pg.transaction(), pg.cursor() as cur:
            cur.executemany(_INSERT.replace("?", "%s"), rows)
        return time.perf_counter() - t0


def _row(res: Results, what: str, measured: float, baseline: float, unit: str, *,
         ratio: float | None = None, target: str, met: bool, note: str = "") -> None:  # fmt: skip
    r = measured / baseline if ratio is None else ratio
    res.rows.append(Row(what, measured, baseline, unit, r, target, met, note))
    print(f"  {what}: {measured:.3f} {unit} vs {baseline:.3f} {unit} -> {r:.2f} "
          f"(target {target}: {'met' if met else 'NOT met'}) {note}", flush=True)  # fmt: skip


def _publish(db: str, tmp: Path, keys: Path, url: str) -> None:
    _anchor(
        "publish", "--every", "release", "--wait", "--timeout", "3600", "--provider-url", url,
        "--identity-seed", str(keys / "identity.seed"), "--payment-key",
        str(keys / "payment.skey"), "--dir", str(tmp / "work"), "-q", db=db, cwd=tmp,
    )  # fmt: skip


def _fee(db: str) -> tuple[int, int]:
    """(fee, tx size) of the spool's last anchored window."""
    from anchor.publish.spool.api import open_store

    store = open_store(db)
    try:
        sp = store.spool("default")
        windows = [w for w in store.windows(sp) if w.tx_id]
        attempt = next(a for a in store.attempts(windows[-1].id) if a.tx_id == windows[-1].tx_id)
        return attempt.fee, len(attempt.tx_bytes)
    finally:
        store.close()


def _uint_width(n: int) -> int:
    """Bytes of the canonical CBOR head of the unsigned integer ``n``."""
    return 1 if n < 24 else 2 if n < 2**8 else 3 if n < 2**16 else 5 if n < 2**32 else 9


def run_backend(
    backend: str, make_db: object, n: int, tmp: Path, res: Results, *, export: bool = True
) -> None:
    """Every figure for one backend; ``make_db(tag)`` gives a fresh database URL."""
    from tests.publish_kit import funded_devnet

    assert callable(make_db)
    print(f"-- {backend}, {n} items", flush=True)

    # 1. 8 adders, one item per transaction.
    ours_db = _bare_db(backend, tmp, make_db, "adders")
    base_db = _bare_db(backend, tmp, make_db, "adders_bare")
    ours = _adders("store", ours_db, tmp)
    bare = _adders("sqlite" if backend == "sqlite" else "pg", base_db, tmp)
    _row(res, f"{backend}: {PROCS} adders, items/s", ours, bare, "items/s",
         target=">= 0.5x", met=ours / bare >= 0.5)  # fmt: skip

    # 2. fresh-process spool add.
    pass_s = _python_pass(tmp)
    single = _best_fresh(
        [sys.executable, "-m", "anchor", "spool", "add", "--sha256", "ab" * 32, "--name",
         "one.bin", "--source", "bench/single", "--db", ours_db],
        tmp,
    )  # fmt: skip
    _row(res, f"{backend}: fresh spool add", single, pass_s, "s", ratio=single - pass_s,
         target="<= +0.25 s", met=single - pass_s <= 0.25, note="(ratio column: seconds above)")  # fmt: skip

    # 3. --from-file with n digests, whole process, against a bare executemany.
    listing = tmp / f"items-{n}.jsonl"
    digests = _jsonl(n, listing) if not listing.exists() else _digests(n)
    big_db = _bare_db(backend, tmp, make_db, "big")
    bare_db = _bare_db(backend, tmp, make_db, "big_bare")
    code, add_rss, from_file, err = _launched(
        ["-m", "anchor", "spool", "add", "--from-file", str(listing), "--source", "bench/bulk",
         "--db", big_db],
        tmp,
    )  # fmt: skip
    if code != 0:
        raise SystemExit(f"spool add --from-file failed ({code}): {err}")
    bare_many = _bare_executemany(bare_db, n, digests)
    _row(res, f"{backend}: add --from-file {n}", from_file, bare_many, "s",
         target="<= 2x", met=from_file / bare_many <= 2.0,
         note=f"(peak RSS {add_rss:.0f} MiB)")  # fmt: skip

    # 4. seal the n-item window, whole process, peak RSS.
    t0 = time.perf_counter()
    root = baseline_root(digests)
    base_root = time.perf_counter() - t0
    code, rss, seal_s, err = _launched(
        ["-m", "anchor", "spool", "seal", "--db", big_db, "--dir", str(tmp / "work"), "--json"],
        tmp,
    )  # fmt: skip
    if code != 0:
        raise SystemExit(f"spool seal failed ({code}): {err}")
    status = json.loads(_anchor("status", "--json", db=big_db, cwd=tmp).stdout)
    sealed = next(w for w in status["windows"] if w["items"] == n)
    if sealed["root"] != root.hex():
        raise SystemExit(f"seal gave root {sealed['root']}, the bare loop {root.hex()}")
    res.seal_seconds[backend] = seal_s
    _row(res, f"{backend}: seal {n}", seal_s, base_root, "s", target="<= 5x",
         met=seal_s / base_root <= 5.0)  # fmt: skip
    _row(res, f"{backend}: seal {n} peak RSS", rss, 1024.0, "MiB", target="< 1 GiB",
         met=rss < 1024.0, note="(baseline column: the limit)")  # fmt: skip
    if export and not res.exported:
        res.exported = True
        code, ex_rss, ex_s, err = _launched(
            ["-m", "anchor", "spool", "export", "1", "-o", str(tmp / "export"), "--db", big_db],
            tmp,
        )  # fmt: skip
        if code != 0:
            raise SystemExit(f"spool export failed ({code}): {err}")
        print(f"  ({backend}: spool export of the {n}-item window, every proof file: "
              f"{ex_s:.1f} s, peak RSS {ex_rss:.0f} MiB; not a target)", flush=True)  # fmt: skip

    # 5. anchor it on a devnet, and a 3-item window on another spool; fees; one proof.
    from anchor.chain.keys import create_key_set

    keys = tmp / f"keys-{backend}"
    if not keys.exists():
        create_key_set(keys, seed=bytes(range(32)))
    small_db = _bare_db(backend, tmp, make_db, "small")
    for i in range(3):
        _anchor("add", "--sha256", hashlib.sha256(bytes([i])).hexdigest(), "--name", f"s{i}",
                "--source", "bench/small", db=small_db, cwd=tmp)  # fmt: skip
    _anchor("seal", "--dir", str(tmp / "work-small"), db=small_db, cwd=tmp)
    with funded_devnet(keys, block_time=0.2) as net:
        t0 = time.perf_counter()
        _publish(big_db, tmp, keys, net.url)
        print(f"  ({backend}: publish --wait of the {n}-item window: "
              f"{time.perf_counter() - t0:.1f} s, not a target)", flush=True)  # fmt: skip
        (tmp / "work-small").mkdir(exist_ok=True)
        _publish(small_db, tmp / "work-small", keys, net.url)
    (big_fee, big_size), (small_fee, small_size) = _fee(big_db), _fee(small_db)
    res.fees[backend] = (small_fee, big_fee)
    # The tx carries the root and leaf_count: only the canonical CBOR width of leaf_count
    # (1 byte up to 23, 2 to 255, 3 to 65,535, 5 to 2^32-1) differs, never per item.
    width = _uint_width(n) - _uint_width(3)
    per_byte = (big_fee - small_fee) / (big_size - small_size) if big_size != small_size else 0
    _row(res, f"{backend}: fee {n} items vs 3 items", big_fee, small_fee, "lovelace",
         target="= +width",  # 44: the devnet's (and mainnet's) minFeeA, lovelace a byte
         met=big_size - small_size == width and big_fee - small_fee == 44 * width,
         note=f"(+{big_fee - small_fee} lovelace = {per_byte:.0f}/B x {big_size - small_size} B; "
              f"leaf_count is {width} B wider)")  # fmt: skip
    item = hashlib.sha256((n // 2).to_bytes(8, "big")).hexdigest()
    command = [sys.executable, "-m", "anchor", "spool", "proof", "--sha256", item, "--json",
               "--db", big_db, "--dir", str(tmp / "work")]  # fmt: skip
    check = subprocess.run(command, capture_output=True, text=True, cwd=tmp, env=_env())
    if check.returncode != 0 or not Path(json.loads(check.stdout)["proof"]).is_file():
        raise SystemExit(f"spool proof failed ({check.returncode}): {check.stderr.strip()}")
    _verify_one(json.loads(check.stdout)["proof"], (n // 2).to_bytes(8, "big"), tmp)
    proof_s = _best_fresh(command, tmp)
    pass_s = _python_pass(tmp)
    _row(res, f"{backend}: fresh spool proof (of {n})", proof_s, pass_s, "s",
         ratio=proof_s - pass_s, target="<= +0.3 s", met=proof_s - pass_s <= 0.3,
         note="(ratio column: seconds above)")  # fmt: skip


def _verify_one(proof: str, content: bytes, tmp: Path) -> None:
    """`anchor verify FILE --proof F` of one item, offline against the window's tx and block
    facts (a million-item manifest is over the verifier's bundle limit; one proof is not)."""
    item = tmp / "item.bin"
    item.write_bytes(content)  # the bench's item i is the 8 bytes of i: its digest is the leaf
    window = tmp / "work" / Path(proof).relative_to(tmp / "work").parts[0]
    done = subprocess.run(
        [sys.executable, "-m", "anchor", "verify", str(item), "--proof", proof,
         "--tx", str(window / "tx.cbor"), "--chain-facts", str(window / "chain-facts.json"),
         "--network", "devnet", "--json"],
        capture_output=True, text=True, cwd=tmp, env=_env(), check=False,
    )  # fmt: skip
    verdict = json.loads(done.stdout)["verdict"] if done.stdout.strip() else None
    if verdict != "valid":
        raise SystemExit(f"anchor verify of one proof: {verdict} ({done.stderr.strip()})")
    print("  (one item verified with `anchor verify FILE --proof F`: valid)", flush=True)


def _digests(n: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(8, "big")).digest() for i in range(n)]


@contextlib.contextmanager
def _postgres() -> Iterator[object | None]:
    try:
        import psycopg  # noqa: F401

        from tests.pgcluster import pg_bindir, pg_cluster
    except ImportError:
        yield None
        return
    if pg_bindir() is None:
        yield None
        return
    with pg_cluster() as server:
        from tests.pgcluster import fresh_pg_dsn

        yield lambda tag: fresh_pg_dsn(server)


def _table(res: Results) -> None:
    print()
    head = f"{'what':44} {'measured':>14} {'baseline':>14} {'ratio':>8}  {'target':12} result"
    print(head)
    print("-" * len(head))
    for r in res.rows:
        print(f"{r.what:44} {r.measured:14.3f} {r.baseline:14.3f} {r.ratio:8.2f}  "
              f"{r.target:12} {'met' if r.met else 'NOT met'}")  # fmt: skip
    print("units: items/s, s, MiB, lovelace as in the row; 'ratio' for fresh-process rows is "
          "seconds above python -c pass")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark on SQLite, then PostgreSQL when available; print the table."""
    parser = argparse.ArgumentParser(prog="bench.spool")
    parser.add_argument(
        "--items", type=int, default=int(os.environ.get("ANCHOR_BENCH_SPOOL_ITEMS", "1000000"))
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--no-export", action="store_true", help="skip the export timing")
    args = parser.parse_args(argv or [])
    res = Results()
    with tempfile.TemporaryDirectory(prefix="bench-spool-") as folder:
        tmp = Path(folder)
        if args.backend in ("sqlite", "both"):
            run_backend(
                "sqlite",
                lambda tag: f"sqlite:{tmp / (tag + '.db')}",
                args.items,
                tmp,
                res,
                export=not args.no_export,
            )
        if args.backend in ("postgresql", "both"):
            with _postgres() as make_pg:
                if make_pg is None:
                    print("-- postgresql: binaries or psycopg not found, skipped")
                else:
                    run_backend(
                        "postgresql", make_pg, args.items, tmp, res, export=not args.no_export
                    )
    if "sqlite" in res.seal_seconds and "postgresql" in res.seal_seconds:
        pg, lite = res.seal_seconds["postgresql"], res.seal_seconds["sqlite"]
        _row(res, "postgresql seal vs sqlite seal", pg, lite, "s", target="<= 1.5x",
             met=pg / lite <= 1.5)  # fmt: skip
    _table(res)


if __name__ == "__main__":
    main(sys.argv[1:])
