"""Two versions of the hashing scheduler on the same set, in one process, alternating.

``anchor.evidence.collect.build_bundle`` is timed with this tree's
``anchor/evidence/digests.py`` and with another version of that file (``ANCHOR_BENCH_AB``:
a path, for example one written by ``git show <commit>:anchor/evidence/digests.py``),
round after round, so both meet the same host conditions. Hashing is in-process: no
start-up, no writing; the set is one of the layouts of :mod:`bench.collect`.

Run, from the repository root: ``mkdir -p build && git show
1bbb1c0:anchor/evidence/digests.py > build/old-digests.py`` then
``ANCHOR_BENCH_AB=build/old-digests.py make bench BENCH=digests_ab``. Environment:
``ANCHOR_BENCH_COLLECT_LAYOUT`` (``mixed`` default, ``few-large``, ``one-image``),
``ANCHOR_BENCH_COLLECT_MIB`` (default 1024), ``ANCHOR_BENCH_ROUNDS`` (default 9),
``ANCHOR_BENCH_DUAL`` (``1`` default: ``--dual-hash``; ``0``: SHA-256 only).
Printed: median and best wall time and median CPU time of each, and the ratio of the
medians (this tree / the other). Not part of the default ``make bench`` (it needs a file).
"""

from __future__ import annotations

import importlib.util
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.collect import LAYOUTS, MIB, _describe, _generate, _layout, _warm


def _load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("anchor_bench_other_digests", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"digests_ab: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    other = os.environ.get("ANCHOR_BENCH_AB")
    kind = os.environ.get("ANCHOR_BENCH_COLLECT_LAYOUT", "mixed")
    if not other or not os.path.isfile(other) or kind not in LAYOUTS:
        print(
            "digests_ab: set ANCHOR_BENCH_AB to a digests.py file "
            f"(and ANCHOR_BENCH_COLLECT_LAYOUT to one of {', '.join(LAYOUTS)})"
        )
        return
    rounds = int(os.environ.get("ANCHOR_BENCH_ROUNDS", "9"))
    total_mib = int(os.environ.get("ANCHOR_BENCH_COLLECT_MIB", "1024"))
    dual = os.environ.get("ANCHOR_BENCH_DUAL", "1") != "0"

    from anchor import blake2
    from anchor.evidence import collect, digests
    from anchor.evidence.metadata import Metadata

    variants: dict[str, Callable[..., Any]] = {
        "this tree": digests.start_hashing,
        f"other ({Path(other).name})": _load(other).start_hashing,
    }
    layout = _layout(total_mib, kind)
    with tempfile.TemporaryDirectory(prefix="anchor-bench-ab-") as tmp:
        _generate(Path(tmp), layout)
        os.sync()
        _warm(Path(tmp))
        the_plan = collect.plan([tmp], root=tmp)
        print(
            f"set ({kind}): {len(layout)} files, {sum(s for _, s in layout) / MIB:.0f} MiB "
            f"({_describe(layout)}); {'--dual-hash' if dual else 'SHA-256 only'}; "
            f"BLAKE2b: {blake2.IMPLEMENTATION}; {rounds} rounds, alternating",
            flush=True,
        )
        walls: dict[str, list[float]] = {name: [] for name in variants}
        cpus: dict[str, list[float]] = {name: [] for name in variants}
        real = collect.start_hashing
        try:
            for _ in range(rounds):
                for name, start in variants.items():
                    collect.start_hashing = start
                    cpu, wall = _cpu(), time.perf_counter()
                    collect.build_bundle(the_plan, metadata=Metadata(), dual_hash=dual)
                    walls[name].append(time.perf_counter() - wall)
                    cpus[name].append(_cpu() - cpu)
        finally:
            collect.start_hashing = real
    for name in variants:
        print(
            f"{name:28s} median {statistics.median(walls[name]):.3f} s  "
            f"best {min(walls[name]):.3f} s  CPU median {statistics.median(cpus[name]):.3f} s"
        )
    mine, theirs = (statistics.median(walls[name]) for name in variants)
    print(f"ratio of medians (this tree / other): {mine / theirs:.2f}")


if __name__ == "__main__":
    main()
