"""The fault-point matrix: every registered point × both stores, with 4 adders running.

For each point the process passing it SIGKILLs itself (``ANCHOR_FAULTPOINT``): an adder
for ``add.commit`` (then it adds the same file again), `spool seal` for ``seal.*``,
`spool publish` for the rest. Then `publish --wait` restarts, and the run ends on the
devnet (tests/crash_kit.py :func:`audit`): 0 double anchors, 0 lost items, sealed roots
unchanged. The suite runs a representative few; ``make crash-matrix`` runs all 20.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from anchor.publish.spool.faults import FAULT_ENV, POINTS
from tests.crash_kit import Added, Adders, Harness, audit
from tests.pgcluster import fresh_pg_dsn
from tests.pgcluster import pg_server_fixture as pg_server  # noqa: F401
from tests.publish_kit import FUNDS, funded_devnet
from tests.publish_kit import keys_fixture as keys  # noqa: F401

BACKENDS = ("sqlite", "postgresql")
IN_SUITE = {("sqlite", "add.commit"), ("postgresql", "send.after")}
CASES = [
    pytest.param(b, p, marks=() if (b, p) in IN_SUITE else pytest.mark.crash_matrix, id=f"{b}-{p}")
    for b in BACKENDS
    for p in POINTS
]


@pytest.fixture
def harness(request: pytest.FixtureRequest, tmp_path: Path, keys: Path) -> Iterator[Harness]:  # noqa: F811
    backend = request.node.callspec.params["backend"]
    if backend == "sqlite":
        db = f"sqlite:{tmp_path / 'spool.db'}"
    else:
        db = fresh_pg_dsn(request.getfixturevalue("pg_server"))
    with funded_devnet(keys, block_time=0.2) as net:
        h = Harness(db, tmp_path, net, keys, FUNDS)
        h.init()
        yield h


def _add(h: Harness, name: str) -> Added:
    import json

    path = h.tmp / name
    path.write_text(f"before {name}\n")
    r = h.run(h.argv("add", str(path), "--source", "pre", "--json"))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    return Added(str(doc["item_id"]), int(doc["window"]), str(path))


def _until_final(h: Harness, env: dict[str, str] | None) -> int:
    """`spool publish` passes until window 1 is final (or the fault kills one): the exit."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        r = h.run(h.publish_argv(), env)
        if r.returncode != 0:
            return r.returncode
        if h.windows()[0]["state"] == "final":
            return 0
        time.sleep(0.3)
    raise AssertionError("window 1 not final after 90 s")


def test_the_points_are_the_registered_ones() -> None:
    assert [c.values[1] for c in CASES[: len(POINTS)]] == list(POINTS)
    assert len(CASES) == 2 * len(POINTS) == 20


@pytest.mark.parametrize(("backend", "point"), CASES)
def test_kill_at_point_with_four_adders(harness: Harness, backend: str, point: str) -> None:
    h = harness
    pre = [_add(h, f"pre-{i}.txt") for i in range(2)]
    sealing = point.startswith("seal.")
    if not sealing:
        assert h.run(h.argv("seal")).returncode == 0
    adders = Adders(h, fault={0: point} if point == "add.commit" else {}).start()
    seen = [h.roots()]
    if sealing:
        killed = h.run(h.argv("seal"), {FAULT_ENV: point}).returncode
    elif point == "final.commit":
        assert h.run(h.publish_argv("--wait")).returncode == 0
        killed = _until_final(h, {FAULT_ENV: point})
    elif point == "add.commit":
        killed = -9  # the adder's own kill, checked below by its retry being a duplicate
    else:
        killed = h.run(h.publish_argv("--wait"), {FAULT_ENV: point}).returncode
    assert killed == -9, point
    seen.append(h.roots())
    again = h.run(h.publish_argv("--wait"))
    assert again.returncode == 0, again.stderr
    seen.append(h.roots())
    if point == "final.commit":
        assert _until_final(h, None) == 0
    adders.join()
    assert adders.failures == []
    assert h.run(h.argv("seal")).returncode == 0
    last = h.run(h.publish_argv("--wait"))
    assert last.returncode == 0, last.stderr
    result = audit(h, pre + adders.added, seen)
    assert result.violations == []
    assert (result.double_anchors, result.lost, result.roots_changed) == (0, 0, 0)
    assert result.added_ok == result.verified == 2 + 4 * 3
    assert result.txs == result.nonempty >= 2
    if point == "add.commit":
        ids = [a.item_id for a in adders.added if Path(a.path).name == "job0-0.txt"]
        assert len(ids) == 1  # the retry of the killed add: one exit-0 add, one item


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_audit_sees_a_stray_tx_a_lost_item_and_a_changed_root(
    harness: Harness, backend: str
) -> None:
    import subprocess
    import sys

    h = harness
    item = _add(h, "kept.txt")
    assert h.run(h.argv("seal")).returncode == 0
    assert h.run(h.publish_argv("--wait")).returncode == 0
    clean = audit(h, [item], [h.roots()])
    assert (clean.violations, clean.verified, clean.txs) == ([], 1, 1)
    # a plain `anchor publish` from the same payment address: a stray tx on chain
    src = h.tmp / "other"
    src.mkdir()
    (src / "x.txt").write_bytes(b"other release")
    base = [sys.executable, "-m", "anchor"]
    subprocess.run([*base, "collect", str(src), "--root", str(src), "-o", str(h.tmp / "ev"),
                    "--no-env", "-q"], check=True, capture_output=True)  # fmt: skip
    pub = h.run([*base, "publish", str(h.tmp / "ev"), "--network", "devnet", "--provider-url",
                 h.net.url, "--identity-seed", str(h.keys / "identity.seed"),
                 "--payment-key", str(h.keys / "payment.skey")])  # fmt: skip
    assert pub.returncode == 0, pub.stderr
    ghost = Added("0" * 8, 1, str(src / "x.txt"))  # acknowledged, never in the spool
    bad = audit(h, [item, ghost], [{1: "ab" * 32}])
    assert (bad.double_anchors, bad.lost, bad.roots_changed, bad.verified) == (1, 1, 1, 1)
    assert len(bad.violations) == 3
