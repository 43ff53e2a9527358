"""BLAKE2b-256 throughput: hashlib against anchor._blake2b (ADR 0007), in one process.

Prints ms per MiB per message for hashlib, for libsodium (PyNaCl, already a dependency: the
alternative ADR 0007 weighed), and for each compression of the native module this CPU has,
on one message and on four at once (``update_many``), with ratios against hashlib.
SHA-256 (hashlib/OpenSSL) is printed as the other half of ``collect --dual-hash``.
Every variant runs once per round, round-robin, and the best of ``ROUNDS`` rounds counts,
so a noisy neighbour slows every variant alike instead of one baseline.
Run: ``make bench BENCH=blake2`` or ``.venv/bin/python -m bench.blake2``.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable

MIB = 1 << 20
ROUNDS = 7
SIZE_MIB = 64


def _variants() -> dict[str, Callable[[], None]]:
    """Name -> a run hashing SIZE_MIB MiB in all (split over four messages where named)."""
    from nacl.bindings import crypto_generichash_blake2b_init as sodium_init
    from nacl.bindings import crypto_generichash_blake2b_update as sodium_update

    block = os.urandom(MIB)
    blocks = [os.urandom(MIB) for _ in range(4)]

    def sha256() -> None:
        h = hashlib.sha256()
        for _ in range(SIZE_MIB):
            h.update(block)

    def hashlib_b2() -> None:
        h = hashlib.blake2b(digest_size=32)
        for _ in range(SIZE_MIB):
            h.update(block)

    def sodium() -> None:
        state = sodium_init(digest_size=32)
        for _ in range(SIZE_MIB):
            sodium_update(state, block)

    runs = {"sha256": sha256, "hashlib": hashlib_b2, "libsodium": sodium}
    try:
        from anchor import _blake2b
    except ImportError:
        return runs

    def native(name: str, four: bool) -> Callable[[], None]:
        def run() -> None:
            _blake2b.select(name)
            if four:
                hs = [_blake2b.blake2b_256() for _ in range(4)]
                for _ in range(SIZE_MIB // 4):
                    _blake2b.update_many(hs, blocks)
            else:
                h = _blake2b.blake2b_256()
                for _ in range(SIZE_MIB):
                    h.update(block)

        return run

    try:
        for name in ("portable", "avx2", "avx512"):
            if _blake2b.select(name) == name:
                runs[f"{name} one"] = native(name, False)
                runs[f"{name} four"] = native(name, True)
    finally:
        _blake2b.select(None)
    return runs


def main() -> None:
    runs = _variants()
    best = dict.fromkeys(runs, float("inf"))
    try:
        for _ in range(ROUNDS):
            for key, run in runs.items():
                started = time.perf_counter()
                run()
                best[key] = min(best[key], time.perf_counter() - started)
    finally:
        try:
            from anchor import _blake2b

            _blake2b.select(None)
        except ImportError:
            pass
    ms = {key: seconds * 1000 / SIZE_MIB for key, seconds in best.items()}
    base = ms["hashlib"]
    print(f"SHA-256 hashlib (OpenSSL)       {ms['sha256']:6.3f} ms/MiB")
    print(f"BLAKE2b-256 hashlib             {base:6.3f} ms/MiB  (baseline)")
    print(
        f"BLAKE2b-256 libsodium (PyNaCl)  {ms['libsodium']:6.3f} ms/MiB  ({base / ms['libsodium']:4.2f}x hashlib)"
    )
    for name in ("portable", "avx2", "avx512"):
        if f"{name} one" not in ms:
            continue
        one, four = ms[f"{name} one"], ms[f"{name} four"]
        print(
            f"BLAKE2b-256 native {name:9s}    {one:6.3f} ms/MiB one message "
            f"({base / one:4.2f}x hashlib); {four:6.3f} ms/MiB per message, four at once "
            f"({base / four:4.2f}x hashlib)"
        )
    from anchor import blake2

    print(f"in use: {blake2.IMPLEMENTATION}, {blake2.LANES} lane(s) per hashing thread")


if __name__ == "__main__":
    main()
