"""`make bench BENCH=verify`: wall time of `anchor verify` as a fresh process.

Measured in the same run, each as a median over fresh processes:

* ``python -c pass`` — the interpreter's own start-up, the baseline;
* ``anchor verify FILE --bundle B`` for one file (target: under 0.25 s above the baseline);
* ``anchor verify`` with 1,000 files in one call against a 1,000-item bundle.

Each command runs once untimed first, with bytecode caching on (in a private
``PYTHONPYCACHEPREFIX``), as an installed tool would run; wall and CPU (user + sys)
medians are both printed, since wall time on a loaded machine mostly measures the load.

Each command runs once untimed first, with bytecode caching on (in a private
``PYTHONPYCACHEPREFIX``), as an installed tool would run; wall and CPU (user + sys)
medians are both printed, since wall time on a loaded machine mostly measures the load.

The bundles are built in a temporary directory with the test kit (evidence layer +
a signed record in a transaction + chain facts), so the verify path is the real one:
binding, carriage, validation, signature, manifest and leaves-list checks, per-file proofs.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 15
RUNS_MANY = 5
MANY = 1000
TARGET_OVERHEAD_S = 0.25


def _anchor_cmd() -> list[str]:
    script = Path(sys.executable).with_name("anchor")
    return [str(script)] if script.exists() else [sys.executable, "-m", "anchor"]


def _env(pycache: Path) -> dict[str, str]:
    """The environment of an installed tool: bytecode cached (in a private prefix, not the repo)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def _median(cmd: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    """Median wall time and median CPU time (user + sys of the child), in seconds."""
    walls, cpus = [], []
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False
        )
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            tail = done.stderr[-300:]
            raise SystemExit(f"{' '.join(cmd[:3])}... exited {done.returncode}: {tail!r}")
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    """Build the bundles, time the commands, print the figures."""
    from tests.unit.verify.kit import SAMPLE_FILES, publish_bundle

    tmp = Path(tempfile.mkdtemp(prefix="anchor-bench-verify-"))
    env_note = f"python {sys.version.split()[0]}, {os.cpu_count()} cpu"
    try:
        small = publish_bundle(tmp / "small", SAMPLE_FILES)
        many_files = {f"files/f{i:04d}.bin": f"item {i}\n".encode() * 50 for i in range(MANY)}
        many = publish_bundle(tmp / "many", many_files)
        anchor = _anchor_cmd()
        one = [
            *anchor,
            "verify",
            str(small.file("dist/app-1.0.0.tar.gz")),
            "--bundle",
            str(small.bundle),
            "-q",
        ]
        all_files = [str(many.file(n)) for n in many.names]
        thousand = [*anchor, "verify", *all_files, "--bundle", str(many.bundle), "-q"]

        env = _env(tmp / "pycache")
        baseline, baseline_cpu = _median([sys.executable, "-c", "pass"], RUNS, env)
        single, single_cpu = _median(one, RUNS, env)
        bulk, bulk_cpu = _median(thousand, RUNS_MANY, env)
        overhead = single - baseline
        verdict = "meets" if overhead < TARGET_OVERHEAD_S else "MISSES"
        load = os.getloadavg()[0]
        print(f"verify bench ({env_note}, load average {load:.2f}; medians, wall / cpu)")
        rows = [
            ("python -c pass", baseline, baseline_cpu, RUNS),
            ("anchor verify FILE --bundle B", single, single_cpu, RUNS),
            (f"anchor verify {MANY} FILEs --bundle B", bulk, bulk_cpu, RUNS_MANY),
        ]
        for label, wall, cpu, runs in rows:
            print(f"  {label:<38} {wall * 1000:7.1f} ms / {cpu * 1000:7.1f} ms  ({runs} runs)")
        print(
            f"  -> one file: {overhead * 1000:.1f} ms above python -c pass "
            f"({verdict} the < {TARGET_OVERHEAD_S * 1000:.0f} ms target; "
            f"cpu {(single_cpu - baseline_cpu) * 1000:.1f} ms above)"
        )
        print(f"  -> {MANY} files: {(bulk - single) / (MANY - 1) * 1000:.2f} ms per extra file")
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            cold, cold_cpu = _median(one, RUNS, dict(os.environ))
            print(
                f"  (this shell sets PYTHONDONTWRITEBYTECODE: without any bytecode cache one file "
                f"takes {cold * 1000:.1f} ms / {cold_cpu * 1000:.1f} ms, every module compiled)"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
