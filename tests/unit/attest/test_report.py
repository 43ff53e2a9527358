"""anchor.attest.report: the page is self-contained, its data cannot break out, names are safe."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

from anchor.attest.report import BundleInput, render_report
from anchor.attest.statement import Subject
from anchor.devnet.oidc import RunningOidc
from tests.conftest import CliResult
from tests.unit.attest.kit import ARTIFACT_SHA, make_bundle

HOSTILE = "</script><script>alert(1)</script>%SCRIPT%%DATA%<!--"


def _data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="anchor-data">(.*?)</script>', html, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_hostile_text_stays_inside_the_data(github: RunningOidc) -> None:
    bundle = make_bundle(github.issuer, subjects=[Subject(HOSTILE, ARTIFACT_SHA)]).data
    html = render_report([BundleInput("a/x.sigstore.json", bundle)]).files["index.html"].decode()
    assert html.count("<script") == 2 and html.count("</script>") == 2
    row = _data(html)["rows"][0]
    assert row["artifact"] == HOSTILE
    assert base64.b64decode(row["bundle"]) == bundle
    assert row["referenceTime"] is None


def test_csp_allows_exactly_the_inline_script_and_no_network() -> None:
    html = render_report([]).files["index.html"].decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html)
    assert csp is not None
    script = re.search(r"<script>(.*)</script>", html, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp.group(1)
    style = re.search(r"<style>(.*)</style>", html, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp.group(1) and "unsafe-inline" not in html
    assert "default-src 'none'" in csp.group(1) and "connect-src 'none'" in csp.group(1)
    assert "http://" not in html and "https://" not in html.replace(
        "https://in-toto.io/Statement/v1", ""
    ).replace("https://slsa.dev/provenance/v1", "")
    assert _data(html)["rows"] == [] and _data(html)["trustRoot"] is None


def test_copies_get_safe_unique_names(github: RunningOidc) -> None:
    data = make_bundle(github.issuer).data
    names = ["a/app.sigstore.json", "b/app.sigstore.json", "../../ev il.sigstore.json"]
    report = render_report([BundleInput(n, data) for n in names])
    copies = sorted(k for k in report.files if k != "index.html")
    assert copies == [
        "bundles/app-2.sigstore.json",
        "bundles/app.sigstore.json",
        "bundles/ev_il.sigstore.json",
    ]
    assert all(report.files[c] == data for c in copies)


def test_cli_refuses_a_missing_folder_and_skips_its_own_output(
    run_cli: Callable[..., CliResult], tmp_path: Path, github: RunningOidc
) -> None:
    r = run_cli(["report", tmp_path / "nope", "-o", tmp_path / "out"])
    assert (r.exit_code, r.stderr) == (4, f"error: {tmp_path / 'nope'} is not a folder\n")
    (tmp_path / "app.sigstore.json").write_bytes(make_bundle(github.issuer).data)
    for _ in range(2):  # the second run must not list the first run's copies
        r = run_cli(["report", tmp_path, "-o", tmp_path / "site"])
        assert (r.exit_code, r.stdout) == (0, f"{tmp_path / 'site' / 'index.html'}\n")
        html = (tmp_path / "site" / "index.html").read_text()
        assert len(_data(html)["rows"]) == 1
    assert r.stderr == "1 attestation(s), no issuer keys (badges unverifiable)\n"
