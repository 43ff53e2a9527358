"""`anchor verify --trust-root`: build provenance checked inside the anchor's verification.

One real flow per module: a GitLab-style (time-bound) token from the OIDC test issuer on
127.0.0.1, `anchor attest` of an artifact, `anchor collect` of the artifact, its bundle and
an unattested file, `anchor publish` to the devnet. The verifier then checks the anchored
attestation bundle with the block time as the clock.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from anchor.devnet.oidc import RunningOidc, start_oidc
from tests.unit.attest.kit import job_env

ART = b"release artifact\n"
_CI_PREFIXES = ("GITHUB_", "ACTIONS_", "CI_", "GITLAB", "ANCHOR_ID_TOKEN", "RUNNER_")


@dataclass(frozen=True)
class Flow:
    src: Path
    bundle: Path
    attestation: Path
    issuer: RunningOidc
    other: RunningOidc


def _cli(args: list[Any]) -> int:
    from anchor.cli.main import main

    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    from anchor.chain.keys import create_key_set, read_key_set
    from anchor.devnet import start_devnet

    tmp = tmp_path_factory.mktemp("provenance")
    keys = tmp / "keys"
    create_key_set(keys, seed=bytes(range(32)), payment=None)
    address = read_key_set(keys).address(0)
    assert address is not None
    src = tmp / "src"
    (src / "att").mkdir(parents=True)
    (src / "app.tgz").write_bytes(ART)
    (src / "notes.txt").write_bytes(b"not attested\n")
    readme = b"attested by a plain statement\n"
    (src / "readme.txt").write_bytes(readme)
    plain = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "readme.txt", "digest": {"sha256": hashlib.sha256(readme).hexdigest()}}],
        "predicateType": "https://example.test/review/v1",
        "predicate": {},
    }  # fmt: skip
    (src / "plain.intoto.json").write_text(json.dumps(plain))
    saved = dict(os.environ)
    with (
        start_oidc(gitlab=True) as issuer,
        start_oidc(gitlab=True) as other,
        start_devnet(port=0, funds={address: 20_000_000}, block_time=0.2) as net,
    ):
        try:
            for name in list(os.environ):
                if name.startswith(_CI_PREFIXES):
                    del os.environ[name]
            os.environ.update(job_env(issuer.issuer))
            os.environ["ANCHOR_ID_TOKEN"] = issuer.issuer.mint("evidence-anchor")
            assert _cli(["attest", "--subject-path", src / "app.tgz", "-o", src / "att"]) == 0
        finally:
            os.environ.clear()
            os.environ.update(saved)
        (attestation,) = (src / "att").iterdir()  # before collect: only the bundle is there
        bundle = tmp / "evidence"
        assert _cli(["collect", src, "--root", src, "-o", bundle, "--no-env", "-q"]) == 0
        code = _cli(
            ["publish", bundle, "--network", "devnet", "--provider-url", net.url,
             "--identity-seed", keys / "identity.seed", "--payment-key", keys / "payment.skey",
             "--confirmations", "2", "-q"]
        )  # fmt: skip
        assert code == 0
        yield Flow(src, bundle, attestation, issuer, other)


def _verify(run_cli: Any, flow: Flow, *args: Any) -> tuple[int, dict[str, Any], str]:
    r = run_cli(
        ["verify", *[str(a) for a in args], "--bundle", flow.bundle, "--network", "devnet",
         "--json"]
    )  # fmt: skip
    assert r.stdout, r.stderr
    return r.exit_code, json.loads(r.stdout), r.stderr


def _provenance(doc: dict[str, Any]) -> dict[str, str]:
    return {Path(f["name"]).name: f["provenance"] for f in doc["files"]}


def test_manifest_links_the_artifact_to_its_bundle(flow: Flow) -> None:
    items = {
        i["name"]: i for i in json.loads((flow.bundle / "manifest.json").read_bytes())["items"]
    }
    name = f"att/{flow.attestation.name}"
    assert items["app.tgz"]["attestedBy"] == [name]
    identity = items[name]["attestation"]["statements"][0]["identity"]
    assert identity["issuer"] == flow.issuer.url and identity["repository"] == "acme/app"


def test_anchored_bundle_verifies_at_the_block_time(run_cli: Any, flow: Flow) -> None:
    code, doc, stderr = _verify(
        run_cli, flow, flow.src / "app.tgz", flow.attestation, "--trust-root", flow.issuer.url
    )
    assert code == 0, stderr
    assert doc["verdict"] == "valid"
    (row,) = doc["attestations"]
    assert (row["verdict"], row["code"], row["referenceSource"]) == ("verified", None, "block-time")
    assert row["referenceTime"] == doc["block_time"]
    assert _provenance(doc) == {"app.tgz": "verified", flow.attestation.name: "attestation"}
    assert "provenance:   1/1 files" in stderr.splitlines()


def test_require_provenance_fails_an_unattested_file(run_cli: Any, flow: Flow) -> None:
    code, doc, stderr = _verify(
        run_cli, flow, flow.src / "app.tgz", flow.src / "notes.txt", flow.attestation,
        "--trust-root", flow.issuer.url, "--require-provenance",
    )  # fmt: skip
    assert code == 1
    assert doc["verdict"] == "failed"
    assert [f["code"] for f in doc["findings"]] == ["PROVENANCE_NOT_VERIFIED"]
    assert _provenance(doc)["notes.txt"] == "none"
    assert "provenance:   1/2 files" in stderr.splitlines()


def test_another_issuer_fails_the_artifacts_provenance(run_cli: Any, flow: Flow) -> None:
    code, doc, _ = _verify(
        run_cli, flow, flow.src / "app.tgz", flow.attestation, "--trust-root", flow.other.url
    )
    assert code == 0  # the anchor holds; provenance is reported per file
    (row,) = doc["attestations"]
    assert row["verdict"] == "failed"
    assert _provenance(doc)["app.tgz"] == f"failed:{row['code']}"
    assert row["code"] in ("token-kid", "token-issuer")
    code, doc, _ = _verify(
        run_cli, flow, flow.src / "app.tgz", flow.attestation,
        "--trust-root", flow.other.url, "--require-provenance",
    )  # fmt: skip
    assert code == 1


def test_without_the_bundle_file_there_is_no_provenance(run_cli: Any, flow: Flow) -> None:
    code, doc, _ = _verify(run_cli, flow, flow.src / "app.tgz", "--trust-root", flow.issuer.url)
    assert (code, doc["attestations"], _provenance(doc)) == (0, [], {"app.tgz": "none"})


def test_require_provenance_needs_a_trust_root(run_cli: Any, flow: Flow) -> None:
    r = run_cli(["verify", flow.src / "app.tgz", "--bundle", flow.bundle, "--require-provenance"])
    assert (r.exit_code, r.stderr.strip()) == (4, "error: --require-provenance needs --trust-root")


def test_the_block_time_is_the_clock_for_a_time_bound_token(flow: Flow) -> None:
    """A day later the token has expired; judged at the block time it has not. An anchor
    that did not hold gives no trusted time: then T is now, and the token is expired."""
    from anchor.attest.sources import root_source
    from anchor.verify.egress import Egress
    from anchor.verify.provenance import add_provenance
    from anchor.verify.run import VerifyRequest, expand_files, run_verify

    files = (str(flow.src / "app.tgz"), str(flow.attestation))
    request = VerifyRequest(files=files, bundle=str(flow.bundle), network="devnet")
    report = run_verify(request)
    assert report.verdict == "valid"
    root = root_source(flow.issuer.url, Egress())
    assert report.block_time is not None
    later = float(report.block_time + 86_400)
    held = add_provenance(report, expand_files(files), root, now=lambda: later)
    assert held.attestations is not None
    assert [a["verdict"] for a in held.attestations] == ["verified"]
    broken = add_provenance(
        replace(report, verdict="unverifiable"), expand_files(files), root, now=lambda: later
    )
    assert broken.attestations is not None
    assert [(a["verdict"], a["code"], a["referenceSource"]) for a in broken.attestations] == [
        ("failed", "token-expired", "now")
    ]


def test_other_attestation_formats_are_unverifiable_here(run_cli: Any, flow: Flow) -> None:
    """A plain in-toto statement is anchored as a file; its signature (if any) is for its
    own tools: here it is ``unverifiable`` (never ``verified``) and vouches for nothing."""
    code, doc, _ = _verify(
        run_cli, flow, flow.src / "readme.txt", flow.src / "plain.intoto.json",
        "--trust-root", flow.issuer.url,
    )  # fmt: skip
    assert code == 0
    assert [(a["verdict"], a["code"]) for a in doc["attestations"]] == [
        ("unverifiable", "unsupported-attestation")
    ]
    assert _provenance(doc) == {"readme.txt": "none", "plain.intoto.json": "attestation"}
