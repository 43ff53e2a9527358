"""`make bench`: run every benchmark; each prints its own measured figures and ratios.

Benchmarks measure ratios against a baseline run in the same process or command;
nothing here is asserted by the test suite.
"""

from __future__ import annotations

import importlib
import sys
import time

BENCHMARKS = (
    "merkle",
    "merkle_build",
    "blake2",
    "collect",
    "devnet",
    "publish_sizes",
    "verify",
    "attest",
    "hostile",
    "spool_serve",
)
# `make bench BENCH=spool` (1M items by default; far from its targets yet, hours at 1M)
# is run by name only, not by a plain `make bench`.


def main(argv: list[str]) -> int:
    wanted = argv or list(BENCHMARKS)
    for name in wanted:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                print(f"== {name}: not present", flush=True)
                continue
            raise
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        module.main()
        print(f"== {name}: done in {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
