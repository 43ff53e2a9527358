"""`anchor merkle build` over 1M hex leaves as a whole process vs a bare in-process root loop.

Issue 14: the command (interpreter start, reading the text, parsing the hex, the root, the
leaves-list document, the atomic write) must take at most ``TARGET_RATIO`` times the bare
hashlib root loop of :func:`bench.merkle.baseline_root` over the same leaves, measured in
this run, alternately, best of ``ANCHOR_BENCH_ROUNDS`` (default 3) rounds. The leaves file
is ``N`` random 64-hex lines (``ANCHOR_BENCH_MERKLE_LEAVES``, default 1,000,000). Printed,
never asserted. Run: ``make bench BENCH=merkle_build`` or ``.venv/bin/python -m
bench.merkle_build``.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.merkle import SEED, baseline_root

TARGET_RATIO = 2.0


def main() -> None:
    """Run the benchmark and print one line per result."""
    n = int(os.environ.get("ANCHOR_BENCH_MERKLE_LEAVES", "1000000"))
    rounds = int(os.environ.get("ANCHOR_BENCH_ROUNDS", "3"))
    blob = random.Random(SEED).randbytes(32 * n)
    leaves = [blob[i : i + 32] for i in range(0, len(blob), 32)]
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp) / "leaves.txt"
        text.write_bytes(b"".join(leaf.hex().encode() + b"\n" for leaf in leaves))
        out = Path(tmp) / "leaves.cbor"
        command = [sys.executable, "-m", "anchor", "merkle", "build", str(text), "-o", str(out)]
        base: list[float] = []
        whole: list[float] = []
        root = b""
        for _ in range(rounds):
            t0 = time.perf_counter()
            root = baseline_root(leaves)
            base.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            r = subprocess.run(command, capture_output=True, text=True, cwd=repo, check=True)
            whole.append(time.perf_counter() - t0)
        if root.hex() not in r.stdout:
            raise SystemExit(f"merkle build gave another root: {r.stdout!r}")
    ratio = min(whole) / min(base)
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"merkle build bench: {n} hex leaves, best of {rounds} rounds")
    print(f"  baseline (in-process hashlib root loop): {min(base):.3f} s")
    print(f"  anchor merkle build (whole process):     {min(whole):.3f} s")
    print(f"  ratio: {ratio:.2f} (target <= {TARGET_RATIO}: {verdict})")


if __name__ == "__main__":
    main()
