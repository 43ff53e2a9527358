"""Publish-size benchmark for issue 4 ("Must show"): record, transaction and fee for 3 and 1M items.

Publishes two bundles to an in-process devnet (127.0.0.1, blocks every 0.2 s) with the
real pipeline (assemble, sign, build, submit, confirm, receipts) and prints, for each:
record bytes, transaction bytes, fee, the ledger minimum ``44 * tx_bytes + 155381`` and
``fee - min`` (must be 0), all measured from the bytes the devnet holds.

* 3 items: three small files collected with the evidence library (a real bundle);
* 1,000,000 items: a synthetic bundle, ``leaves.cbor`` for 1,000,000 random leaves
  written with ``encode_leaves_list`` and a ``manifest.json`` that carries the tree head
  (format and ``tree`` only: the record commits to the manifest by hash, so the
  manifest's length does not change the record). Set ``ANCHOR_BENCH_PUBLISH_LEAVES``
  for another count.

Only the root and the leaf count go on chain, so the rows differ only by the width
of ``leaf_count`` as a CBOR integer (1 byte for 3, 5 bytes for 1,000,000) and at most
one chunk header. Results are printed, never asserted. Run: ``make bench`` or
``.venv/bin/python -m bench.publish_sizes``.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

SEED = 309
IDENTITY_SEED = bytes(range(32))


def three_item_bundle(root: Path) -> Path:
    """A real bundle of three small files, made by the evidence library."""
    from anchor.evidence.bundle import write_bundle
    from anchor.evidence.collect import build_bundle, plan
    from anchor.evidence.metadata import Metadata

    src = root / "three-src"
    src.mkdir()
    for name, data in (("app.tgz", b"app\n"), ("sbom.cdx.json", b"{}"), ("build.log", b"ok\n")):
        (src / name).write_bytes(data)
    bundle = build_bundle(plan([str(src)], root=str(src)), metadata=Metadata(name="bench"))
    out = root / "three"
    write_bundle(bundle, str(out))
    return out


def synthetic_bundle(root: Path, count: int) -> Path:
    """``manifest.json`` (tree head) and ``leaves.cbor`` for ``count`` random leaves."""
    from anchor.evidence.manifest import FORMAT
    from anchor.merkle.jcs import canonical_json
    from anchor.merkle.leaves import encode_leaves_list
    from anchor.merkle.tree import MerkleTree

    rng = random.Random(SEED)
    leaves = [rng.randbytes(32) for _ in range(count)]
    tree = MerkleTree(leaves)
    out = root / f"synthetic-{count}"
    out.mkdir()
    (out / "leaves.cbor").write_bytes(
        encode_leaves_list(leaves, root=tree.root, leaf_alg="sha2-256")
    )
    manifest = {
        "format": FORMAT,
        "tree": {"alg": "rfc9162-sha256", "leaf_count": count, "root": tree.root.hex()},
    }
    (out / "manifest.json").write_bytes(canonical_json(manifest))
    return out


def main() -> None:
    """Publish both bundles to a devnet and print the measured sizes and fees."""
    from anchor.chain.blockfrost import BlockfrostProvider
    from anchor.chain.keys import PaymentKey
    from anchor.chain.network import Network
    from anchor.chain.readers import BlockfrostReader, HttpxClient
    from anchor.devnet import start_devnet
    from anchor.label309 import carriage, txbind
    from anchor.publish.pipeline import PublishOptions, PublishOutcome, publish_bundle

    count = int(os.environ.get("ANCHOR_BENCH_PUBLISH_LEAVES", "1000000"))
    payment = PaymentKey.from_seed(bytes([5]) * 32)
    net_cfg = Network.devnet()
    options = PublishOptions(
        network=net_cfg, confirmations=1, timeout=60.0, ttl_slots=3600, poll_interval=0.1
    )
    rows = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_devnet(port=0, funds={payment.address(0): 100_000_000}, block_time=0.2) as devnet,
    ):
        root = Path(tmp)
        started = time.perf_counter()
        bundles = [
            ("3 items", three_item_bundle(root)),
            (f"{count:,} items", synthetic_bundle(root, count)),
        ]
        print(f"bundles ready in {time.perf_counter() - started:.1f} s", flush=True)
        client = HttpxClient()
        try:
            for label, bundle in bundles:
                result = publish_bundle(
                    bundle,
                    identity_seed=IDENTITY_SEED,
                    payment_key=payment,
                    provider=BlockfrostProvider(devnet.url),
                    readers=[BlockfrostReader(devnet.url, client=client)],
                    options=options,
                )
                assert isinstance(result, PublishOutcome)
                tx = (bundle / "tx.cbor").read_bytes()
                record = (bundle / "record.cbor").read_bytes()
                parts = txbind.split_tx(tx)
                assert parts.aux is not None
                carried = carriage.reassemble(carriage.unwrap_aux_data(parts.aux))
                minimum = 44 * len(tx) + 155_381
                fee = int(result.receipt["fee"])
                rows.append((label, len(record), len(tx), fee, minimum, carried == record))
        finally:
            client.close()
    print(
        f"{'bundle':>16} {'record B':>9} {'tx B':>6} {'fee':>8} {'min fee':>8} {'fee-min':>7} {'carried':>7}"
    )
    for label, rec, size, fee, minimum, ok in rows:
        print(f"{label:>16} {rec:>9} {size:>6} {fee:>8} {minimum:>8} {fee - minimum:>7} {ok!s:>7}")
    from anchor.label309 import cbor

    width = len(cbor.encode(count)) - len(cbor.encode(3))
    (_, rec_a, tx_a, fee_a, _, _), (_, rec_b, tx_b, fee_b, _, _) = rows
    print(
        f"difference: record {rec_b - rec_a:+d} B, tx {tx_b - tx_a:+d} B, fee {fee_b - fee_a:+d} "
        f"lovelace; leaf_count {count} is a CBOR uint {width:+d} B wider than 3, and the "
        "record's chunk count can change by one (1 B of header); nothing else grows"
    )


if __name__ == "__main__":
    main()
