"""A resend whose transaction moves from the mempool into a block between the publisher's looks.

CI once saw a window marked ``blocked`` ("spent by a transaction that is not this spool's")
although the spent inputs were spent by the window's own transaction: the publisher looked for
the tx on the chain (not yet there: it was in the mempool), then in the mempool (gone: a block
had just taken it), then saw its inputs spent. A tx only ever moves mempool -> block, so the
fix looks at the mempool and then the chain again after the spend is seen.

The interleaving depends on the block clock, so this test makes it deterministic: the devnet
(``--test-controls``, its clock quiet) really holds the tx in a block, and the publisher's reader
answers its first chain look as it would have a moment earlier, before that block (``None``).
Every other answer comes from the devnet over HTTP.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from anchor.publish.spool.api import open_store
from tests.e2e.test_spool_controls import Spool, check_chain
from tests.e2e.test_spool_controls import devnet as devnet
from tests.e2e.test_spool_controls import spool as spool
from tests.publish_kit import keys_fixture as keys  # noqa: F401


class EarlyReader:
    """The real reader, except that the first ``tx_block_facts`` answer predates the block."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.looks: list[tuple[str, bool]] = []

    def tx_block_facts(self, tx_id: str) -> Any:
        facts = self.real.tx_block_facts(tx_id)
        first = not any(kind == "chain" for kind, _ in self.looks)
        answer = None if first else facts
        self.looks.append(("chain", answer is not None))
        return answer

    def in_mempool(self, tx_id: str) -> bool:
        found: bool = self.real.in_mempool(tx_id)
        self.looks.append(("mempool", found))
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_a_resend_that_raced_its_own_block_is_included_not_blocked(
    spool: Spool,
    tmp_path: Path,
) -> None:
    from anchor.cli.spool import _publisher

    item = spool.add("a.txt", b"alpha\n")
    spool.seal()
    r = spool.publish()  # one pass: sign, then send window 1
    assert r.returncode == 0, r.stderr
    [row] = [w for w in spool.status() if w["state"] != "open"]
    assert (row["window"], row["state"]) == (1, "submitted")
    tx = str(row["tx_hash"])
    assert spool.net.in_mempool(tx)
    spool.net.advance()  # the block takes the tx
    assert spool.net.on_chain(tx) and not spool.net.in_mempool(tx)

    store = open_store(spool.db)
    try:
        sp = store.spool("default")
        pub = _publisher(
            store, sp, None, spool.net.url, str(spool.keys / "identity.seed"),
            str(spool.keys / "payment.skey"), False, spool.db, str(tmp_path / "work"), True,
        )  # fmt: skip
        reader = EarlyReader(pub.reader)
        pub.reader = reader
        pub.epoch = pub._acquire()
        try:
            window = store.window(sp, 1)
            assert window is not None and window.state == "submitted"
            after = pub._send(window)  # the resend: the devnet refuses it, inputs spent
        finally:
            store.release(sp, pub.holder, pub.epoch)
        assert (after.state, after.tx_id) == ("included", tx)
        # chain (early: none), mempool (gone), then after the spend: mempool, chain (found)
        assert reader.looks == [
            ("chain", False), ("mempool", False), ("mempool", False), ("chain", True)
        ]  # fmt: skip
        events = [e[2] for e in store.events(sp)]
        assert "blocked" not in events
    finally:
        store.close()

    spool.publish_wait()
    rows = spool.status()
    assert [(w["window"], w["state"], w["tx_hash"]) for w in rows if w["state"] != "open"] == [
        (1, "anchored", tx)
    ]
    assert set(check_chain(spool)) == {tx}
    proof = spool.run("proof", item["item_id"], "--json")
    assert proof.returncode == 0, proof.stderr
