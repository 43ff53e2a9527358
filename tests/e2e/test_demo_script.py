"""`make demo` (scripts/demo.sh) runs the whole loop on a fresh devnet and ends as the
README says: attest → collect → publish → verify (provenance at the block time) → online
cross-check → a tampered copy fails with exit 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def test_demo_script_runs_the_whole_loop(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    bindir = Path(sys.executable).parent
    env = {
        **os.environ,
        "DEMO_OUT": str(out),
        "ANCHOR": str(bindir / "anchor"),
        "PY": sys.executable,
    }
    r = subprocess.run(
        ["bash", str(REPO / "scripts" / "demo.sh")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "exit code: 1 (1 = failed, as expected)" in r.stdout
    report = json.loads((out / "report.json").read_bytes())
    assert report["verdict"] == "valid"
    assert report["signer"]["pinMatched"] is True
    verified = [a for a in report["attestations"] if a["verdict"] == "verified"]
    assert [(Path(a["file"]).name, a["referenceSource"]) for a in verified] == [
        ("evidence-demo-1.0.0.tar.gz.sigstore.json", "block-time")
    ]
    tarball = [f for f in report["files"] if f["name"].endswith("dist/evidence-demo-1.0.0.tar.gz")]
    assert [f["provenance"] for f in tarball] == ["verified"]
