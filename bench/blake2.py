"""BLAKE2b-256 throughput: hashlib against anchor._blake2b (ADR 0007), in one process.

Prints ms per MiB per message (best of 5) for hashlib, for each compression of the native
module this CPU has, on one message and on four at once (``update_many``), and the ratios
against hashlib measured in the same run. SHA-256 (hashlib/OpenSSL) is printed as the
other half of ``collect --dual-hash``. Run: ``make bench BENCH=blake2`` or
``.venv/bin/python -m bench.blake2``.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable

MIB = 1 << 20
ROUNDS = 5
SIZE_MIB = 64


def _best(run: Callable[[], None], mib: int) -> float:
    """Best-of-ROUNDS milliseconds per MiB for ``run`` hashing ``mib`` MiB."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best * 1000 / mib


def main() -> None:
    block = os.urandom(MIB)
    blocks = [os.urandom(MIB) for _ in range(4)]

    def hashlib_b2() -> None:
        h = hashlib.blake2b(digest_size=32)
        for _ in range(SIZE_MIB):
            h.update(block)

    def hashlib_sha() -> None:
        h = hashlib.sha256()
        for _ in range(SIZE_MIB):
            h.update(block)

    base = _best(hashlib_b2, SIZE_MIB)
    print(f"SHA-256 hashlib (OpenSSL)      {_best(hashlib_sha, SIZE_MIB):6.3f} ms/MiB")
    print(f"BLAKE2b-256 hashlib            {base:6.3f} ms/MiB  (baseline)")
    try:
        from anchor import _blake2b
    except ImportError:
        print("anchor._blake2b is not built here: `anchor collect --dual-hash` uses hashlib")
        return
    try:
        for name in ("portable", "avx2", "avx512"):
            if _blake2b.select(name) != name:
                continue

            def native_one() -> None:
                h = _blake2b.blake2b_256()
                for _ in range(SIZE_MIB):
                    h.update(block)

            def native_four() -> None:
                hs = [_blake2b.blake2b_256() for _ in range(4)]
                for _ in range(SIZE_MIB // 4):
                    _blake2b.update_many(hs, blocks)

            one = _best(native_one, SIZE_MIB)
            four = _best(native_four, SIZE_MIB)  # SIZE_MIB in total over four messages
            print(
                f"BLAKE2b-256 native {name:9s}   {one:6.3f} ms/MiB one message "
                f"({base / one:4.2f}x hashlib); {four:6.3f} ms/MiB per message, four at once "
                f"({base / four:4.2f}x hashlib)"
            )
    finally:
        chosen = _blake2b.select(None)
    from anchor import blake2

    print(f"in use: {blake2.IMPLEMENTATION} (compression {chosen}), {blake2.LANES} lane(s)")


if __name__ == "__main__":
    main()
