"""Collect benchmark for issue 3 ("Must show"): `anchor collect` vs `openssl dgst -sha256`.

Generates a 1 GiB set of mixed files under a temporary directory (4 large files, 64 files
of 4 MiB, 2048 files of 64 KiB), warms the page cache, then times round-robin, each as a
subprocess of the real command, median and best of ``ANCHOR_BENCH_ROUNDS`` (default 5):

* baseline: ``openssl dgst -sha256 <every file>`` (one process, one core, OpenSSL's
  hardware SHA-256);
* ``.venv/bin/anchor collect . --root . -o <fresh dir> --quiet --no-env`` (the bundle is
  written next to the set, on the same file system);
* the same with ``--dual-hash``;
* diagnostic only: the SHA-256 run with the bundle written to tmpfs (``/dev/shm``), to
  show how much of the time is the file system creating one proof file per item.

Then one in-process run of the library prints where the time goes (plan, hash, assemble,
proof encoding, write). The machine's CPU pressure (``/proc/pressure/cpu``) is printed
before and after: on a shared machine, other processes on the same cores inflate every
number, and parallel hashing cannot beat one core if the second core is busy.

Targets: SHA-256 only <= 0.75 x baseline; ``--dual-hash`` <= 1.3 x baseline (median wall
times). Printed, never asserted. Run: ``make bench`` or ``.venv/bin/python -m bench.collect``.
Set ``ANCHOR_BENCH_COLLECT_MIB`` to scale the set (default 1024).
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

TARGET_SHA = 0.75
TARGET_DUAL = 1.3
MIB = 1 << 20
REPO = Path(__file__).resolve().parent.parent
BASELINE = "openssl dgst -sha256"


def _layout(total_mib: int) -> list[tuple[str, int]]:
    """(relative name, size) for a mixed set of ``total_mib`` MiB.

    62.5 % in 4 large files (40/30/20/10 % of that share), 25 % in 4 MiB files,
    12.5 % in 64 KiB files (2048 of them at 1 GiB).
    """
    files: list[tuple[str, int]] = []
    large = total_mib * 5 // 8
    for n, share in enumerate((40, 30, 20, 10)):
        files.append((f"dist/large-{n}.tar.gz", large * share // 100 * MIB))
    medium = total_mib // 4
    for n in range(medium // 4):
        files.append((f"dist/pkg/medium-{n:03d}.whl", 4 * MIB))
    small_bytes = total_mib * MIB - sum(size for _, size in files)
    for n in range(small_bytes // (64 << 10)):
        files.append((f"misc/d{n % 16:02d}/small-{n:05d}.bin", 64 << 10))
    return files


def _generate(root: Path, layout: list[tuple[str, int]]) -> None:
    chunk = os.urandom(8 * MIB)
    for rel, size in layout:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        salt = rel.encode()  # every file distinct
        with open(path, "wb") as f:
            left = size
            first = True
            while left:
                piece = chunk[: min(left, len(chunk))]
                f.write(salt + piece[len(salt) :] if first else piece)
                first = False
                left -= len(piece)


def _warm(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                while f.read(8 * MIB):
                    pass


def _time(cmd: list[str], *, cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"command failed ({done.returncode}): {' '.join(cmd[:4])} ...\n"
            f"{done.stderr.decode(errors='replace')}"
        )
    return elapsed


def _pressure() -> str:
    try:
        line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return f"loadavg {os.getloadavg()[0]:.2f}"
    return "cpu pressure " + line.replace("some ", "")


def _phases(out: Path) -> str:
    """One in-process SHA-256 run of the library, timed phase by phase."""
    from anchor.evidence.bundle import write_bundle
    from anchor.evidence.collect import build_bundle, plan
    from anchor.evidence.metadata import Metadata

    t0 = time.perf_counter()
    the_plan = plan(["."], root=".")
    t1 = time.perf_counter()
    bundle = build_bundle(the_plan, metadata=Metadata())
    t2 = time.perf_counter()
    proofs = sum(1 for _ in bundle.proof_files())
    t3 = time.perf_counter()
    write_bundle(bundle, str(out))
    t4 = time.perf_counter()
    return (
        f"phases (in-process): plan {t1 - t0:.3f} s, hash+classify+manifest {t2 - t1:.3f} s, "
        f"encode {proofs} proofs {t3 - t2:.3f} s, write bundle (encodes proofs again) "
        f"{t4 - t3:.3f} s"
    )


def main() -> None:
    """Generate the set, time openssl and anchor, print the ratios against the targets."""
    rounds = int(os.environ.get("ANCHOR_BENCH_ROUNDS", "5"))
    total_mib = int(os.environ.get("ANCHOR_BENCH_COLLECT_MIB", "1024"))
    anchor = REPO / ".venv" / "bin" / "anchor"
    openssl = shutil.which("openssl")
    if openssl is None or not anchor.exists():
        print("collect bench: needs openssl on PATH and .venv/bin/anchor (make install)")
        return
    layout = _layout(total_mib)
    total = sum(size for _, size in layout)
    shm = Path("/dev/shm")
    with (
        tempfile.TemporaryDirectory(prefix="anchor-bench-collect-") as tmp,
        tempfile.TemporaryDirectory(
            prefix="anchor-bench-collect-", dir=shm if shm.is_dir() else None
        ) as tmp_fast,
    ):
        data = Path(tmp) / "set"
        out = Path(tmp) / "evidence"
        _generate(data, layout)
        names = sorted(rel for rel, _ in layout)
        version = subprocess.run([openssl, "version"], capture_output=True, text=True)
        print(
            f"set: {len(layout)} files, {total / MIB:.0f} MiB "
            f"(4 large, {sum(1 for r, _ in layout if 'medium' in r)} x 4 MiB, "
            f"{sum(1 for r, _ in layout if 'small' in r)} x 64 KiB); "
            f"{os.cpu_count()} cores; Python {platform.python_version()}; "
            f"{version.stdout.strip()}"
        )
        collect = [str(anchor), "collect", ".", "--root", ".", "--quiet", "--no-env"]
        commands = {
            BASELINE: [openssl, "dgst", "-sha256", *names],
            "anchor collect": collect,
            "anchor collect --dual-hash": [*collect, "--dual-hash"],
            "(diag) output on tmpfs": collect,
        }
        _warm(data)
        print(f"before: {_pressure()}", flush=True)
        times: dict[str, list[float]] = {key: [] for key in commands}
        runs = 0
        for n in range(rounds + 1):  # round 0 is untimed: caches, .pyc files
            for key, cmd in commands.items():
                runs += 1
                if key.startswith("anchor"):
                    # A fresh output directory every run: deleting the previous bundle
                    # right before a run would bill the file system's clean-up (e.g.
                    # ext4's recently-deleted inode scan) to the next run.
                    cmd = [*cmd, "-o", str(out / f"run-{runs}")]
                elif key.startswith("(diag)"):
                    cmd = [*cmd, "-o", str(Path(tmp_fast) / f"run-{runs}")]
                elapsed = _time(cmd, cwd=data)
                if n:
                    times[key].append(elapsed)
        print(f"after:  {_pressure()}", flush=True)
        cwd = os.getcwd()
        try:
            os.chdir(data)
            phases = _phases(out / "in-process")
        finally:
            os.chdir(cwd)
    base = statistics.median(times[BASELINE])
    for key, values in times.items():
        med = statistics.median(values)
        line = (
            f"{key:28s} median {med:6.3f} s  best {min(values):6.3f} s  "
            f"({total / MIB / med:6.0f} MiB/s)"
        )
        if key != BASELINE:
            ratio = med / base
            line += f"  ratio {ratio:.2f}"
            if not key.startswith("(diag)"):
                target = TARGET_DUAL if "dual" in key else TARGET_SHA
                verdict = "meets" if ratio <= target else "MISSES"
                line += f" (target <= {target}: {verdict})"
        print(line, flush=True)
    print(phases, flush=True)


if __name__ == "__main__":
    main()
