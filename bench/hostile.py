"""`make bench BENCH=hostile`: peak memory and wall time of `anchor verify` on hostile inputs.

Issue 16 item 7: a hostile bundle of any size should cost at most about twice the memory
of its largest legitimate file. Each case runs `anchor verify ... --json` once as a
fresh process; its peak RSS comes from ``os.wait4`` (the kernel's ``ru_maxrss`` of that
child alone), its wall time from the clock around it. The verdict, exit code and first
code (or the one error line, for exit 4) are printed beside them. Nothing is asserted:
tests/e2e/test_lying_providers.py asserts the outcomes on the real devnet.

The bundles are built offline with the test kit (a signed record in a synthetic preprod
transaction, chain facts): a small release, and the same release re-anchored by its
"publisher" with a record claiming 600,000 leaves, so that a 20 MB leaves.cbor is within
the cap the on-chain leaf_count allows and is actually read and decoded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BIG = 600_000  # leaves: leaves.cbor of 20.4 MB
TARGET = "dist/app-1.0.0.tar.gz"


def _anchor(bundle: Path, record: bytes) -> str:
    from tests.unit.verify.kit import chain_facts, make_tx, observation

    tx_hash, tx = make_tx(record)
    (bundle / "tx.cbor").write_bytes(tx)
    (bundle / "anchor.json").write_text(json.dumps({"network": "preprod", "tx_hash": tx_hash}))
    (bundle / "chain-facts.json").write_bytes(chain_facts(tx_hash, observation()))
    return tx_hash


def _big_bundle(origin: Path, out: Path, *, true_root: bool) -> tuple[Path, bytes]:
    """A copy of ``origin`` anchored with a record claiming :data:`BIG` leaves."""
    from anchor.merkle.leaves import encode_leaves_list
    from anchor.merkle.tree import MerkleTree
    from tests.unit.verify.kit import release_record

    shutil.copytree(origin, out)
    leaves = [i.to_bytes(32, "big") for i in range(BIG)]
    root = MerkleTree(leaves).root if true_root else bytes(32)
    doc = encode_leaves_list(leaves, root=root)
    _anchor(out, release_record((out / "manifest.json").read_bytes(), root, BIG))
    return out, doc


def _nested_keys(total: int, depth: int) -> bytes:
    from anchor.label309 import cbor

    keys: list[bytes] = []
    size = 0
    while size < total:
        key = b"\xa1" * depth + cbor.encode(len(keys)) + b"\x00" * depth + b"\x00"
        keys.append(key)
        size += len(key)
    head = cbor.encode(len(keys))
    return bytes([head[0] | 0xA0]) + head[1:] + b"".join(keys)


# Run by a small launcher process: Linux keeps ru_maxrss across fork and exec, so a
# child forked from this (large) process would report this process's peak, not its own.
_LAUNCHER = """
import os, sys, time
started = time.perf_counter()
pid = os.spawnv(os.P_NOWAIT, sys.executable, [sys.executable, *sys.argv[1:]])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, time.perf_counter() - started,
      file=sys.stderr)
"""


def _run(args: list[str]) -> tuple[int, str, str, float, float]:
    """(exit, verdict, code or error line, peak RSS MiB, seconds) of one fresh verify."""
    cmd = [sys.executable, "-c", _LAUNCHER, "-m", "anchor", "verify", *args, "--json", "-q"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    *lines, figures = done.stderr.strip().splitlines()
    code_text, maxrss, wall = figures.split()
    code, rss, seconds = int(code_text), int(maxrss) / 1024, float(wall)  # KiB on Linux
    stdout, stderr = done.stdout, "\n".join(lines)
    doc = json.loads(stdout) if stdout.strip() else {}
    if "verdict" in doc:
        codes = [i["code"] for i in doc["issues"]] + [f["code"] for f in doc["findings"]]
        codes += [f["code"] for f in doc["files"] if f.get("code")]
        return code, doc["verdict"], (codes or ["-"])[0], rss, seconds
    line = stderr.strip().splitlines()[-1] if stderr.strip() else "-"
    return code, "-", line, rss, seconds


def main() -> None:
    """Build the bundles, run each case, print the table."""
    from tests.unit.verify.kit import SAMPLE_FILES, publish_bundle

    tmp = Path(tempfile.mkdtemp(prefix="anchor-bench-hostile-"))
    try:
        small = publish_bundle(tmp / "small", SAMPLE_FILES)
        target = str(small.file(TARGET))
        cases: list[tuple[str, Path, list[str]]] = []

        def bundle_case(label: str, change: str, data: bytes | None = None) -> None:
            b = tmp / f"case{len(cases)}"
            shutil.copytree(small.bundle, b)
            if data is None:
                (b / change).unlink()
                (b / change).symlink_to("/dev/zero")
            else:
                (b / change).write_bytes(data)
            cases.append((label, b, [target, "--bundle", str(b)]))

        cases.append(
            ("legitimate small bundle", small.bundle, [target, "--bundle", str(small.bundle)])
        )
        bundle_case("tx.cbor: 20 MB of empty maps", "tx.cbor", b"\xa0" * 20_000_000)
        cases[-1][2].extend(["--tx-hash", small.tx_hash])
        for member in ("tx.cbor", "leaves.cbor", "manifest.json", "chain-facts.json"):
            bundle_case(f"{member} -> /dev/zero", member)
        cases.append(
            ("FILE = /dev/zero", small.bundle, ["/dev/zero", "--bundle", str(small.bundle)])
        )
        bundle_case("manifest.json: 20 MB nested arrays", "manifest.json", b"[" * 20_000_000)
        legit, legit_doc = _big_bundle(small.bundle, tmp / "big-legit", true_root=True)
        (legit / "leaves.cbor").write_bytes(legit_doc)
        cases.append(
            ("leaves.cbor: 20 MB, 600k leaves, root ok", legit, [target, "--bundle", str(legit)])
        )
        wrong, wrong_doc = _big_bundle(small.bundle, tmp / "big-wrong", true_root=False)
        (wrong / "leaves.cbor").write_bytes(wrong_doc)
        cases.append(
            ("leaves.cbor: 20 MB, 600k leaves, root wrong", wrong, [target, "--bundle", str(wrong)])
        )
        nested, _ = _big_bundle(small.bundle, tmp / "big-nested", true_root=False)
        (nested / "leaves.cbor").write_bytes(_nested_keys(4_000_000, 250))
        cases.append(
            ("leaves.cbor: 4 MB map keys 250 deep", nested, [target, "--bundle", str(nested)])
        )

        print(
            f"hostile verify bench (python {sys.version.split()[0]}, {os.cpu_count()} cpu, "
            f"load {os.getloadavg()[0]:.2f}; one fresh process each)"
        )
        print(f"  {'case':<44} {'verdict':<13} exit  {'peak RSS':>9}  {'time':>6}  code")
        base_rss = 0.0
        for label, b, args in cases:
            code, verdict, first, rss, seconds = _run(args)
            base_rss = base_rss or rss  # the legitimate small bundle runs first
            first = first.replace(str(tmp) + "/", "")  # the temporary folder, not the case
            print(
                f"  {label:<44} {verdict:<13} {code:>4}  {rss:>6.0f} MiB  {seconds:>5.2f}s  {first}"
            )
            if label.startswith("leaves.cbor: 20 MB"):
                # memory regression line: the target is at most 2x the file (issue 16)
                size = (b / "leaves.cbor").stat().st_size / 2**20
                print(
                    f"    memory: peak/file {rss / size:.2f}x, "
                    f"(peak - small bundle)/file {(rss - base_rss) / size:.2f}x (target <= 2x)"
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
