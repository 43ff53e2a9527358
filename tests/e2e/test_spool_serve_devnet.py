"""Items added through `anchor spool serve` are anchored by a normal `spool publish` on the devnet.

Real processes and real HTTP on 127.0.0.1 only: the test OIDC issuer, the spool server,
`spool add --server` as a GitHub job would run it (token from the issuer's token
endpoint), the devnet, `spool publish --wait`, and `anchor verify` of every item.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from anchor.devnet.oidc import RunningOidc, start_oidc
from anchor.publish.spool.service import RunningService, start_service
from tests.e2e.test_spool_devnet import REPO, Spool, check_chain, verify_item
from tests.publish_kit import funded_devnet
from tests.publish_kit import keys_fixture as keys  # noqa: F401

AUD = "https://spool.example"
SOURCE = "github.com/acme/app/run/4242"
ALLOW = ("github.com/acme/*",)


def test_items_added_over_http_are_anchored_and_verify(tmp_path: Path, keys: Path) -> None:  # noqa: F811
    db = f"sqlite:{tmp_path / 'spool.db'}"
    with funded_devnet(keys, block_time=0.2) as net, start_oidc() as oidc:
        s = Spool(db, tmp_path, net, keys)
        assert s.run("init", "--network", "devnet").returncode == 0
        svc = start_service(allow=ALLOW, issuer=oidc.url, audience=AUD, db=db)
        try:
            _round_trip(s, oidc, svc)
        finally:
            svc.stop()


def _round_trip(s: Spool, oidc: RunningOidc, svc: RunningService) -> None:
    tmp_path = s.tmp
    job = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "ACTIONS_", "CI_", "GITLAB_", "ANCHOR_"))
    }
    job.update(oidc.issuer.github_env(), PYTHONPATH=str(REPO), ANCHOR_SPOOL_AUDIENCE=AUD)
    added = []
    for name, data in (("app.tgz", b"release bytes\n"), ("sbom.json", b'{"sbom": 1}\n')):
        path = tmp_path / "files" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        r = subprocess.run(
            [sys.executable, "-m", "anchor", "spool", "add", str(path), "--json",
             "--server", svc.url],
            capture_output=True, text=True, env=job, cwd=tmp_path, timeout=120,
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        row = json.loads(r.stdout)
        assert (row["window"], row["state"], row["duplicate"]) == (1, "pending", False)
        added.append({**row, "path": str(path)})
    assert s.run("seal").returncode == 0
    r = s.publish("--wait")
    assert r.returncode == 0, r.stderr
    check_chain(s)
    window = s.status()[0]
    assert window["state"] in ("anchored", "final") and window["items"] == 2
    token = oidc.issuer.mint(AUD)
    for row in added:
        verify_item(s, row, 1)
        g = httpx.get(
            f"{svc.url}/v1/items/{row['item_id']}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert g.status_code == 200, g.text
        doc = g.json()
        assert doc["source"] == SOURCE and doc["state"] in ("anchored", "final")
        assert (doc["tx_hash"], doc["block_height"], doc["root"]) == (
            window["tx_hash"], window["block_height"], window["root"],
        )  # fmt: skip
    manifest = json.loads((tmp_path / "export-1" / "manifest.json").read_text())
    names = [i["name"] for i in manifest["items"]]
    assert names == [f"0000000000/{SOURCE}/app.tgz", f"0000000001/{SOURCE}/sbom.json"]
