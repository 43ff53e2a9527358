"""`make bench BENCH=spool_serve`: adds per second through `anchor spool serve` against direct adds.

Measured in the same run, on one SQLite spool each (WAL, ``synchronous=FULL``):

* **direct** — 8 threads, each with its own store connection, each adding
  :data:`PER_WORKER` single items with ``Store.add`` (one ``BEGIN IMMEDIATE`` commit
  each): the baseline;
* **served** — the same 8 × :data:`PER_WORKER` single items as ``POST
  /v1/spools/default/items`` from 8 client threads to an `anchor spool serve` process
  (its own interpreter, so it does not share this one's GIL), each request with an ES256
  token verified against the test issuer's JWKS;
* **token check** — ``Verifier.verify`` alone, per token, in this process.

Reported: each rate and the served/direct ratio. No target is set by the issue; the
figure says what the HTTP and token layers cost on top of the commit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

WORKERS = 8
PER_WORKER = 100
AUD = "https://spool.bench"


def _parallel(work: Callable[[int], None]) -> float:
    threads = [threading.Thread(target=work, args=(w,)) for w in range(WORKERS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def _init(db: str) -> None:
    from anchor.publish.spool.api import open_store

    store = open_store(db)
    try:
        store.create_spool("default", network="devnet", confirmations=1, ttl_slots=1800,
                           final_depth=10)  # fmt: skip
    finally:
        store.close()


def _direct(db: str) -> float:
    from anchor.publish.spool.api import open_store
    from anchor.publish.spool.store import NewItem

    def work(w: int) -> None:
        store = open_store(db)
        try:
            sp = store.spool("default")
            for i in range(PER_WORKER):
                store.add(sp, [NewItem(f"src{w}", f"n{i}", (w * 1000 + i).to_bytes(32, "big"))])
        finally:
            store.close()

    return _parallel(work)


def _served(url: str, token: str) -> float:
    import httpx

    failures: list[int] = []

    def work(w: int) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            for i in range(PER_WORKER):
                digest = (w * 1000 + i).to_bytes(32, "big").hex()
                r = client.post(f"{url}/v1/spools/default/items",
                                json={"name": f"w{w}/n{i}", "sha256": digest})  # fmt: skip
                if r.status_code != 201:
                    failures.append(r.status_code)

    elapsed = _parallel(work)
    if failures:
        raise SystemExit(f"spool_serve bench: {len(failures)} request(s) failed: {failures[:3]}")
    return elapsed


def _start_server(issuer: str, db: str, tmp: Path) -> tuple[subprocess.Popen[str], str]:
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "anchor", "spool", "serve", "--oidc-issuer", issuer,
         "--audience", AUD, "--allow", "github.com/acme/*", "--listen", "127.0.0.1:0", "--db", db, "-q"],
        stderr=subprocess.PIPE, text=True, cwd=tmp,
        env={**os.environ, "PYTHONPATH": str(repo)},
    )  # fmt: skip
    assert proc.stderr is not None
    line = proc.stderr.readline()
    if not line.startswith("spool server on "):
        proc.kill()
        raise SystemExit(f"spool_serve bench: the server did not start: {line.strip()}")
    return proc, line.split()[3]


def main() -> None:
    """Run the three measurements and print the rates and the ratio."""
    from anchor.attest.trustroot import fetch
    from anchor.chain.readers import HttpxClient
    from anchor.devnet.oidc import start_oidc
    from anchor.publish.spool.auth import Verifier

    tmp = Path(tempfile.mkdtemp(prefix="anchor-bench-spool-serve-"))
    total = WORKERS * PER_WORKER
    try:
        with start_oidc() as oidc:
            token = oidc.issuer.mint(AUD, lifetime=3600)
            direct_db, served_db = f"sqlite:{tmp / 'direct.db'}", f"sqlite:{tmp / 'served.db'}"
            _init(direct_db)
            _init(served_db)
            direct = _direct(direct_db)
            proc, url = _start_server(oidc.url, served_db, tmp)
            try:
                served = _served(url, token)
            finally:
                proc.terminate()
                proc.wait(timeout=30)
                if proc.stderr is not None:
                    proc.stderr.close()
            client = HttpxClient()
            verifier = Verifier(fetch(oidc.url, client), AUD)
            client.close()
            started = time.perf_counter()
            for _ in range(total):
                verifier.verify(token)
            check = (time.perf_counter() - started) / total
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()[0]
    print(f"spool_serve bench (python {sys.version.split()[0]}, load average {load:.2f}; "
          f"{WORKERS} workers x {PER_WORKER} single-item adds)")  # fmt: skip
    print(f"  direct Store.add       {total / direct:8.0f} adds/s  ({direct:.2f} s)")
    print(f"  POST via spool serve   {total / served:8.0f} adds/s  ({served:.2f} s)")
    print(f"  token check alone      {check * 1e3:8.2f} ms per token")
    print(f"  served / direct        {direct / served:8.2f}x of the direct rate")
