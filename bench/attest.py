"""`make bench BENCH=attest`: wall time of `anchor verify-attestation` of one bundle, fresh process.

Measured in the same run, each as a median over fresh processes (helpers of bench/verify.py:
one untimed run first, bytecode cached in a private ``PYTHONPYCACHEPREFIX``):

* ``python -c pass`` — the interpreter's own start-up, the baseline;
* ``anchor verify-attestation ARTIFACT --bundle B --trust-root F`` against a trust-root
  file, offline (target: at most 0.2 s above the baseline).

The bundle is signed for a served test issuer (tests/unit/attest/kit.py); the issuer is
stopped before timing, so the verification is the offline one a CI gate runs.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench.verify import RUNS, _anchor_cmd, _env, _median

TARGET_OVERHEAD_S = 0.2


def main() -> None:
    """Build a bundle and its trust root, time the commands, print the figures."""
    from anchor.devnet.oidc import start_oidc
    from tests.unit.attest.kit import ARTIFACT, make_bundle

    tmp = Path(tempfile.mkdtemp(prefix="anchor-bench-attest-"))
    try:
        with start_oidc() as issuer:
            made = make_bundle(issuer.issuer)
            root = {"issuer": issuer.url, "jwks": issuer.issuer.jwks()}
        (tmp / "app-1.0.tgz").write_bytes(ARTIFACT)
        (tmp / "app.sigstore.json").write_bytes(made.data)
        (tmp / "root.json").write_text(json.dumps(root))
        cmd = [
            *_anchor_cmd(),
            "verify-attestation",
            str(tmp / "app-1.0.tgz"),
            "--bundle",
            str(tmp / "app.sigstore.json"),
            "--trust-root",
            str(tmp / "root.json"),
        ]
        env = _env(tmp / "pycache")
        baseline, baseline_cpu = _median([sys.executable, "-c", "pass"], RUNS, env)
        single, single_cpu = _median(cmd, RUNS, env)
        overhead = single - baseline
        verdict = "meets" if overhead <= TARGET_OVERHEAD_S else "MISSES"
        load = os.getloadavg()[0]
        print(f"attest bench (python {sys.version.split()[0]}, load average {load:.2f}; medians)")
        for label, wall, cpu in (
            ("python -c pass", baseline, baseline_cpu),
            ("anchor verify-attestation (one bundle)", single, single_cpu),
        ):
            print(f"  {label:<40} {wall * 1000:7.1f} ms / {cpu * 1000:7.1f} ms  ({RUNS} runs)")
        print(
            f"  -> {overhead * 1000:.1f} ms above python -c pass ({verdict} the "
            f"<= {TARGET_OVERHEAD_S * 1000:.0f} ms target; cpu "
            f"{(single_cpu - baseline_cpu) * 1000:.1f} ms above)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
