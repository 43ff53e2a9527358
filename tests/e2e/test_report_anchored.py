"""`anchor report --evidence`: the page judges an anchored attestation at the block time.

One real flow, an hour in the past: the OIDC test issuer and the devnet both run on a clock
3,600 s behind, so the (GitLab-style, time-bound, 600 s) token has long expired by now, while
the block that anchors its bundle came a few seconds after it was minted. `anchor attest`,
`anchor collect`, `anchor publish` to the devnet; then `anchor report` with and without
``--evidence``, each page run by headless chromium. The CLI's verdicts at the same times are
the reference: `anchor verify --trust-root` (T = block time) and `verify-attestation` (T = now).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from anchor.devnet.oidc import RunningOidc, start_oidc
from tests.conftest import CliResult
from tests.e2e.test_report_browser import CHROMIUM, chromium, parse, serve
from tests.unit.attest.kit import job_env

__all__ = ["serve"]  # the fixture, used by name

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
)

Run = Callable[..., CliResult]
BEHIND_S = 3600
_CI_PREFIXES = ("GITHUB_", "ACTIONS_", "CI_", "GITLAB", "ANCHOR_ID_TOKEN", "RUNNER_")


def _past() -> float:
    return time.time() - BEHIND_S


@dataclass(frozen=True)
class Anchored:
    src: Path
    attestations: Path
    bundle: Path
    issuer: RunningOidc
    root: Path


def _cli(args: list[object]) -> int:
    from anchor.cli.main import main

    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def anchored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Anchored]:
    from anchor.chain.keys import create_key_set, read_key_set
    from anchor.devnet import start_devnet

    tmp = tmp_path_factory.mktemp("anchored-report")
    keys = tmp / "keys"
    create_key_set(keys, seed=bytes(range(32)), payment=None)
    address = read_key_set(keys).address(0)
    assert address is not None
    src = tmp / "src"
    att = src / "att"
    att.mkdir(parents=True)
    (src / "app.tgz").write_bytes(b"release artifact\n")
    saved = dict(os.environ)
    with (
        start_oidc(gitlab=True, clock=_past) as issuer,
        start_devnet(port=0, funds={address: 20_000_000}, block_time=0.2, clock=_past) as net,
    ):
        try:
            for name in list(os.environ):
                if name.startswith(_CI_PREFIXES):
                    del os.environ[name]
            os.environ.update(job_env(issuer.issuer))
            os.environ["ANCHOR_ID_TOKEN"] = issuer.issuer.mint("evidence-anchor")
            assert _cli(["attest", "--subject-path", src / "app.tgz", "-o", att]) == 0
        finally:
            os.environ.clear()
            os.environ.update(saved)
        bundle = tmp / "evidence"
        assert _cli(["collect", src, "--root", src, "-o", bundle, "--no-env", "-q"]) == 0
        code = _cli(
            ["publish", bundle, "--network", "devnet", "--provider-url", net.url,
             "--identity-seed", keys / "identity.seed", "--payment-key", keys / "payment.skey",
             "--confirmations", "2", "-q"]
        )  # fmt: skip
        assert code == 0
        root = tmp / "root.json"
        root.write_text(json.dumps({"issuer": issuer.url, "jwks": issuer.issuer.jwks()}))
        yield Anchored(src, att, bundle, issuer, root)


def _page(run_cli: Run, a: Anchored, out: Path, *extra: object) -> CliResult:
    r = run_cli(["report", a.attestations, "-o", out, "--trust-root", a.root, *extra])
    assert r.exit_code == 0, r.stderr
    return r


def test_the_cli_judges_the_anchored_token_at_the_block_time_and_now(
    run_cli: Run, anchored: Anchored
) -> None:
    (bundle,) = anchored.attestations.iterdir()
    now = run_cli(
        ["verify-attestation", "--bundle", bundle, "--trust-root", anchored.root, "--json"]
    )
    assert (now.exit_code, json.loads(now.stdout)["code"]) == (1, "token-expired")
    r = run_cli(
        ["verify", anchored.src / "app.tgz", bundle, "--bundle", anchored.bundle,
         "--trust-root", anchored.root, "--network", "devnet", "--json"]
    )  # fmt: skip
    doc = json.loads(r.stdout)
    assert r.exit_code == 0, r.stderr
    assert [(a["verdict"], a["referenceSource"]) for a in doc["attestations"]] == [
        ("verified", "block-time")
    ]


def test_with_evidence_the_browser_judges_at_the_block_time(
    run_cli: Run, tmp_path: Path, anchored: Anchored, serve: Callable[[Path], str]
) -> None:
    (bundle,) = anchored.attestations.iterdir()
    r = _page(
        run_cli, anchored, tmp_path / "out", "--evidence", anchored.bundle, "--network", "devnet"
    )
    assert f"{bundle.name}: anchored, judged at the block time " in r.stderr
    dom = parse(chromium(serve(tmp_path / "out"), tmp_path / "profile"))
    assert (dom.done, dom.badges) == ("1", {bundle.name: ("verified", "")})
    html = (tmp_path / "out" / "index.html").read_text()
    data = json.loads(html.split('id="anchor-data">', 1)[1].split("</script>", 1)[0])
    (row,) = data["rows"]
    assert isinstance(row["referenceTime"], int)
    assert abs(row["referenceTime"] - (time.time() - BEHIND_S)) < 600


def test_without_evidence_the_browser_clock_finds_it_expired(
    run_cli: Run, tmp_path: Path, anchored: Anchored, serve: Callable[[Path], str]
) -> None:
    (bundle,) = anchored.attestations.iterdir()
    _page(run_cli, anchored, tmp_path / "out")
    dom = parse(chromium(serve(tmp_path / "out"), tmp_path / "profile"))
    assert (dom.done, dom.badges) == ("1", {bundle.name: ("failed", "token-expired")})


def test_a_bundle_the_evidence_does_not_anchor_keeps_the_browser_clock(
    run_cli: Run, tmp_path: Path, anchored: Anchored, serve: Callable[[Path], str]
) -> None:
    """The same attestation re-serialised (other bytes, same signed payload) is not what the
    anchor holds: no trusted time for it, so it is judged now, and has expired."""
    (bundle,) = anchored.attestations.iterdir()
    copy = tmp_path / "in" / bundle.name
    copy.parent.mkdir()
    copy.write_text(json.dumps(json.loads(bundle.read_bytes()), indent=2))
    r = run_cli(
        ["report", copy.parent, "-o", tmp_path / "out", "--trust-root", anchored.root,
         "--evidence", anchored.bundle, "--network", "devnet"]
    )  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert f"{bundle.name}: not anchored by {anchored.bundle} (failed)" in r.stderr
    dom = parse(chromium(serve(tmp_path / "out"), tmp_path / "profile"))
    assert (dom.done, dom.badges) == ("1", {bundle.name: ("failed", "token-expired")})


def test_an_unpublished_evidence_bundle_is_one_line_exit_4(
    run_cli: Run, tmp_path: Path, anchored: Anchored
) -> None:
    other = tmp_path / "other-src"
    other.mkdir()
    (other / "x.txt").write_bytes(b"x\n")
    assert _cli(["collect", other, "--root", other, "-o", tmp_path / "ev2", "--no-env", "-q"]) == 0
    r = run_cli(
        ["report", anchored.attestations, "-o", tmp_path / "out", "--evidence", tmp_path / "ev2"]
    )
    assert (r.exit_code, r.stdout, r.stderr) == (
        4, "", f"error: --evidence {tmp_path / 'ev2'}: no anchor.json (not a published evidence bundle)\n"
    )  # fmt: skip
    assert not (tmp_path / "out").exists()


def test_a_devnet_receipt_without_network_is_not_deep_enough_to_give_a_clock(
    run_cli: Run, tmp_path: Path, anchored: Anchored
) -> None:
    """The receipt's own "devnet" is the bundle's word, not the auditor's: at the default depth
    the anchor is pending, its files are not checked, and no block time is used."""
    (bundle,) = anchored.attestations.iterdir()
    r = _page(run_cli, anchored, tmp_path / "out", "--evidence", anchored.bundle)
    assert f"{bundle.name}: not anchored by {anchored.bundle} (pending)" in r.stderr
    html = (tmp_path / "out" / "index.html").read_text()
    data = json.loads(html.split('id="anchor-data">', 1)[1].split("</script>", 1)[0])
    assert [row["referenceTime"] for row in data["rows"]] == [None]
