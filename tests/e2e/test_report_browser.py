"""`anchor report` in a real browser: every badge equals `anchor verify-attestation --json`.

The fixtures are real bundles signed for a served test issuer (tests/unit/attest/kit.py);
`anchor report` writes the page, a thread serves it on 127.0.0.1, and Debian's headless
chromium runs the page's WebCrypto verifier and dumps the DOM. Each badge's ``data-status``
and ``data-code`` must equal the CLI's ``verdict`` and ``code`` for the same bundle.
"""

from __future__ import annotations

import base64
import functools
import json
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from anchor.attest.dsse import EphemeralKey
from anchor.attest.statement import Subject
from anchor.devnet.oidc import RunningOidc, start_oidc
from tests.conftest import CliResult
from tests.unit.attest.kit import (
    ARTIFACT_SHA,
    make_bundle,
    resign,
    segments,
    sign_es256,
    unsigned,
)

CHROMIUM = "/usr/bin/chromium"
Run = Callable[..., CliResult]
pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def serve() -> Iterator[Callable[[Path], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(_Quiet, directory=str(folder))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/index.html"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def chromium(url: str, profile: Path, *extra: str) -> str:
    """Run headless chromium on ``url``; the dumped DOM (or nothing, with ``--screenshot``)."""
    args = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=10000",
        *extra,
        url,
    ]
    if not extra:
        args.insert(-1, "--dump-dom")
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class _Dom(HTMLParser):
    """Badges by download file name, plus what the test needs to see of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.badges: dict[str, tuple[str, str]] = {}
        self.done: str | None = None
        self.empty_hidden: bool | None = None
        self.tags: set[str] = set()
        self._badge: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "body":
            self.done = a.get("data-done")
        if a.get("id") == "empty":
            self.empty_hidden = "hidden" in a
        if tag == "span" and a.get("class") == "badge":
            self._badge = (a.get("data-status") or "", a.get("data-code") or "")
        if tag == "a" and self._badge is not None and a.get("href"):
            self.badges[str(a["href"]).rsplit("/", 1)[-1]] = self._badge
            self._badge = None


def parse(dom: str) -> _Dom:
    parser = _Dom()
    parser.feed(dom)
    return parser


def cli_verdict(run_cli: Run, bundle: Path, root: str) -> tuple[str, str]:
    r = run_cli(["verify-attestation", "--bundle", bundle, "--trust-root", root, "--json"])
    doc = json.loads(r.stdout)
    assert r.exit_code == (0 if doc["verdict"] == "verified" else 1)
    return doc["verdict"], doc["code"] or ""


@pytest.fixture(scope="module")
def github() -> Iterator[RunningOidc]:
    with start_oidc() as running:
        yield running


def _fixtures(gh: RunningOidc) -> dict[str, bytes]:
    """One bundle per case, named by the code the CLI gives it."""
    issuer = gh.issuer
    good = make_bundle(issuer)
    out = {"verified": good.data}
    # a hostile subject name: must reach the page as text, never as markup
    out["verified-markup-name"] = make_bundle(
        issuer, subjects=[Subject("<b id=x>bold</b><img src=x>", ARTIFACT_SHA)]
    ).data
    doc = good.doc()
    doc["dsseEnvelope"]["payload"] = base64.b64encode(
        good.payload.replace(b"app-1.0.tgz", b"app-6.6.tgz")
    ).decode()
    out["tampered-statement"] = json.dumps(doc).encode()
    doc = good.doc()
    sig = bytearray(base64.b64decode(doc["dsseEnvelope"]["signatures"][0]["sig"]))
    sig[-1] ^= 0x01
    doc["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    out["tampered-signature"] = json.dumps(doc).encode()
    out["wrong-audience"] = resign(good, good.payload, key=EphemeralKey())
    out["expired-time-bound"] = make_bundle(
        issuer,
        token=issuer.mint(
            "evidence-anchor", claims={"iat": 1_000_000, "nbf": 1_000_000, "exp": 1_000_600}
        ),
    ).data
    out["time-bound"] = make_bundle(issuer, token=issuer.mint("evidence-anchor")).data
    out["rs256"] = make_bundle(issuer, token_for=lambda aud: issuer.mint(aud, alg="RS256")).data

    def unknown_kid(aud: str) -> str:
        header, claims, _ = segments(issuer.mint(aud))
        return sign_es256(issuer.key("ES256").private_key, header | {"kid": "rotated-out"}, claims)

    out["unknown-kid"] = make_bundle(issuer, token_for=unknown_kid).data

    def alg_none(aud: str) -> str:
        _, claims, _ = segments(issuer.mint(aud))
        return unsigned({"alg": "none", "kid": str(issuer.key("ES256").kid)}, claims)

    out["alg-none"] = make_bundle(issuer, token_for=alg_none).data
    out["identity-mismatch"] = make_bundle(issuer, ctx_edit={"run_id": "999"}).data
    doc = good.doc()
    doc["dsseEnvelope"]["signatures"] *= 2
    out["two-signatures"] = json.dumps(doc).encode()
    return out


EXPECTED = {
    "verified": ("verified", ""),
    "verified-markup-name": ("verified", ""),
    "tampered-statement": ("failed", "dsse-signature"),
    "tampered-signature": ("failed", "dsse-signature"),
    "wrong-audience": ("failed", "token-audience"),
    "expired-time-bound": ("failed", "token-expired"),
    "time-bound": ("verified", ""),
    "rs256": ("verified", ""),
    "unknown-kid": ("failed", "token-kid"),
    "alg-none": ("failed", "token-alg"),
    "identity-mismatch": ("failed", "identity-mismatch:run_id"),
    "two-signatures": ("failed", "bundle-malformed"),
}


def _write(folder: Path, bundles: dict[str, bytes]) -> None:
    folder.mkdir()
    for name, data in bundles.items():
        (folder / f"{name}.sigstore.json").write_bytes(data)


def test_every_badge_equals_the_cli(
    run_cli: Run, tmp_path: Path, github: RunningOidc, serve: Callable[[Path], str]
) -> None:
    bundles = _fixtures(github)
    _write(tmp_path / "in", bundles)
    root = tmp_path / "root.json"
    root.write_text(json.dumps({"issuer": github.url, "jwks": github.issuer.jwks()}))
    r = run_cli(["report", tmp_path / "in", "-o", tmp_path / "out", "--trust-root", root])
    assert r.exit_code == 0, r.stderr
    dom = parse(chromium(serve(tmp_path / "out"), tmp_path / "profile"))
    assert dom.done == "1"
    cli = {
        n: cli_verdict(run_cli, tmp_path / "in" / f"{n}.sigstore.json", str(root)) for n in bundles
    }
    assert cli == EXPECTED
    assert {n.removesuffix(".sigstore.json"): v for n, v in dom.badges.items()} == cli
    assert "b" not in dom.tags and "img" not in dom.tags  # the hostile name stayed text
    for name, data in bundles.items():
        assert (tmp_path / "out" / "bundles" / f"{name}.sigstore.json").read_bytes() == data


def test_no_trust_root_is_unverifiable_as_the_cli_without_one(
    run_cli: Run, tmp_path: Path, github: RunningOidc, serve: Callable[[Path], str]
) -> None:
    bundles = {
        k: v for k, v in _fixtures(github).items() if k in ("verified", "tampered-signature")
    }
    _write(tmp_path / "in", bundles)
    r = run_cli(["report", tmp_path / "in", "-o", tmp_path / "out"])
    assert r.exit_code == 0, r.stderr
    dom = parse(chromium(serve(tmp_path / "out"), tmp_path / "profile"))
    # the CLI with a trust root it cannot obtain: a closed port on 127.0.0.1
    with start_oidc() as gone:
        closed = gone.url
    cli = {n: cli_verdict(run_cli, tmp_path / "in" / f"{n}.sigstore.json", closed) for n in bundles}
    assert cli == {
        "verified": ("unverifiable", "trust-root-unavailable"),
        "tampered-signature": ("failed", "dsse-signature"),
    }
    assert {n.removesuffix(".sigstore.json"): v for n, v in dom.badges.items()} == cli


def test_a_folder_without_bundles_shows_the_empty_state(
    run_cli: Run, tmp_path: Path, serve: Callable[[Path], str]
) -> None:
    (tmp_path / "in").mkdir()
    r = run_cli(["report", tmp_path / "in", "-o", tmp_path / "out"])
    assert r.exit_code == 0, r.stderr
    dom = parse(chromium(serve(tmp_path / "out"), tmp_path / "profile"))
    assert (dom.done, dom.empty_hidden, dom.badges) == ("1", False, {})
    assert "The badge does not re-hash the" in (tmp_path / "out" / "index.html").read_text()
