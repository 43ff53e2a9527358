"""Merkle benchmark for issue 3 ("Must show"): tree + every proof + leaves-list vs a bare root.

For N random leaves (default 1,000,000; set ``ANCHOR_BENCH_MERKLE_LEAVES`` to change) it times,
in this one process and alternately, best of ``ANCHOR_BENCH_ROUNDS`` (default 3) rounds:

* baseline: a bare hashlib loop that only computes the RFC 9162 root (leaf hashes, then
  pairwise node hashes level by level, lone last node promoted);
* anchor: ``MerkleTree(leaves)``, all N inclusion proofs from ``iter_proofs()`` (materialised
  as lists and counted), and ``encode_leaves_list(leaves, root=tree.root)``.

Targets: anchor <= 1.5 x baseline, peak RSS (``getrusage``, whole process, including the
leaves themselves) < 400 MB. Results are printed, never asserted. Run: ``make bench`` or
``.venv/bin/python -m bench.merkle``.
"""

from __future__ import annotations

import gc
import os
import platform
import random
import resource
import time
from hashlib import sha256

TARGET_RATIO = 1.5
TARGET_RSS_MB = 400.0
SEED = 309


def baseline_root(leaves: list[bytes]) -> bytes:
    """The bare loop: RFC 9162 root only, nothing stored beyond the current level."""
    level = [sha256(b"\x00" + d).digest() for d in leaves]
    while len(level) > 1:
        parents = [
            sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            parents.append(level[-1])
        level = parents
    return level[0]


def _peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _anchor_round(leaves: list[bytes]) -> tuple[float, float, float, bytes, int, int]:
    from anchor.merkle.leaves import encode_leaves_list
    from anchor.merkle.tree import MerkleTree

    t0 = time.perf_counter()
    tree = MerkleTree(leaves)
    t1 = time.perf_counter()
    hashes = sum(map(len, tree.iter_proofs()))
    t2 = time.perf_counter()
    document = encode_leaves_list(leaves, root=tree.root)
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, tree.root, hashes, len(document)


def main() -> None:
    """Run the benchmark and print one line per result."""
    n = int(os.environ.get("ANCHOR_BENCH_MERKLE_LEAVES", "1000000"))
    rounds = int(os.environ.get("ANCHOR_BENCH_ROUNDS", "3"))
    blob = random.Random(SEED).randbytes(32 * n)
    leaves = [blob[i : i + 32] for i in range(0, len(blob), 32)]
    del blob
    gc.collect()
    print(
        f"merkle bench: {n} random leaves (seed {SEED}), best of {rounds} rounds, "
        f"Python {platform.python_version()} on {platform.machine()}"
    )
    base_times: list[float] = []
    anchor_times: list[tuple[float, float, float]] = []
    base_root = b""
    result: tuple[float, float, float, bytes, int, int] | None = None
    for _ in range(rounds):
        t0 = time.perf_counter()
        base_root = baseline_root(leaves)
        base_times.append(time.perf_counter() - t0)
        gc.collect()
        result = _anchor_round(leaves)
        anchor_times.append(result[:3])
        gc.collect()
    assert result is not None
    root, hashes, doc_size = result[3], result[4], result[5]
    peak = _peak_rss_mb()
    best_base = min(base_times)
    totals = [sum(t) for t in anchor_times]
    best = anchor_times[totals.index(min(totals))]
    ratio = sum(best) / best_base
    print(f"roots agree: {root == base_root} ({root.hex()})")
    print(f"baseline (bare hashlib root only): {best_base:.3f} s  rounds {_fmt(base_times)}")
    print(
        f"anchor (tree + {n} proofs + leaves-list): {sum(best):.3f} s  rounds {_fmt(totals)}  "
        f"[tree {best[0]:.3f} s, proofs {best[1]:.3f} s ({hashes} hashes), "
        f"leaves-list {best[2]:.3f} s ({doc_size} bytes)]"
    )
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    paired = sorted(a / b for a, b in zip(totals, base_times, strict=True))
    print(
        f"ratio: {ratio:.2f} best/best (target <= {TARGET_RATIO}: {verdict}); "
        f"per-round ratios {_fmt(paired)}, median {paired[len(paired) // 2]:.2f}"
    )
    rss_verdict = "met" if peak < TARGET_RSS_MB else "NOT met"
    print(
        f"peak RSS: {peak:.1f} MB (whole process; target < {TARGET_RSS_MB:.0f} MB: {rss_verdict})"
    )
    _check_document(leaves, root)


def _check_document(leaves: list[bytes], root: bytes) -> None:
    """Not timed: the fast-path document equals the generic canonical encoding."""
    from anchor.label309 import cbor
    from anchor.merkle.leaves import FORMAT_V1, encode_leaves_list

    t0 = time.perf_counter()
    generic = cbor.encode(
        {
            "format": FORMAT_V1,
            "tree_alg": "rfc9162-sha256",
            "root": root,
            "leaves": leaves,
            "leaf_alg": "sha2-256",
            "leaf_count": len(leaves),
        }
    )
    same = generic == encode_leaves_list(leaves, root=root)
    print(f"leaves-list byte-identical to cbor.encode: {same} ({time.perf_counter() - t0:.1f} s)")


def _fmt(values: list[float]) -> str:
    return "[" + " ".join(f"{v:.3f}" for v in values) + "]"


if __name__ == "__main__":
    main()
