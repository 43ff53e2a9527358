"""`anchor spool serve` and `spool add --server`, against the real test OIDC issuer on 127.0.0.1.

The service runs in-process on a free loopback port; requests are real HTTP. Every bad
token is a real forgery (attacker key, HS256 with the public key, ``alg: none``,
altered claims), checked for its exact 401 code, with nothing added and the token
echoed nowhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from anchor.devnet.oidc import OidcIssuer, RunningOidc, start_oidc
from anchor.publish.spool import machine
from anchor.publish.spool.api import open_store
from anchor.publish.spool.service import RunningService, start_service
from tests.conftest import REPO, CliResult
from tests.pgcluster import fresh_pg_dsn
from tests.pgcluster import pg_server_fixture as pg_server  # noqa: F401
from tests.unit.attest.kit import (
    b64url_json,
    public_pem,
    segments,
    sign_es256,
    sign_hs256,
    unsigned,
)

Run = Callable[..., CliResult]
AUD = "https://spool.example"
DIGEST = "ab" * 32
GITHUB_SOURCE = "github.com/acme/app/run/4242"
ALLOW = ("github.com/acme/*",)


@dataclass
class Served:
    oidc: RunningOidc
    svc: RunningService
    db: str
    log: list[str]

    @property
    def issuer(self) -> OidcIssuer:
        return self.oidc.issuer

    def post(self, body: Any, token: str | None, spool: str = "default") -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.post(
            f"{self.svc.url}/v1/spools/{spool}/items", content=raw, headers=headers, timeout=30
        )

    def get(self, item_id: str, token: str | None) -> httpx.Response:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        return httpx.get(f"{self.svc.url}/v1/items/{item_id}", headers=headers, timeout=30)

    def items(self) -> list[tuple[str, str, str]]:
        store = open_store(self.db)
        try:
            sp = store.spool("default")
            return [
                (i.source, i.name, i.digest.hex())
                for w in store.windows(sp)
                for i in store.window_items(w.id)
            ]
        finally:
            store.close()


def _init(run_cli: Run, db: str) -> None:
    r = run_cli(["spool", "init", "--db", db, "--json"])
    assert r.exit_code == 0, r.stderr


@pytest.fixture
def served(run_cli: Run, tmp_path: Path) -> Iterator[Served]:
    db = f"sqlite:{tmp_path / 'spool' / 's.db'}"
    (tmp_path / "spool").mkdir()
    _init(run_cli, db)
    log: list[str] = []
    with (
        start_oidc() as oidc,
        start_service(allow=ALLOW, issuer=oidc.url, audience=AUD, db=db, log=log.append) as svc,
    ):
        yield Served(oidc, svc, db, log)


def test_a_good_token_adds_an_item_whose_source_is_the_tokens(served: Served) -> None:
    token = served.issuer.mint(AUD)
    r = served.post({"name": "nightly/build.log", "sha256": DIGEST, "size": 7}, token)
    iid = machine.item_id("default", GITHUB_SOURCE, "nightly/build.log", bytes.fromhex(DIGEST))
    assert r.status_code == 201, r.text
    assert r.json() == {"item_id": iid, "window": 1, "state": "pending", "duplicate": False}
    assert r.headers["content-type"] == "application/json"
    again = served.post({"name": "nightly/build.log", "sha256": DIGEST.upper()}, token)
    assert again.status_code == 200
    assert again.json() == {"item_id": iid, "window": 1, "state": "pending", "duplicate": True}
    assert served.items() == [(GITHUB_SOURCE, "nightly/build.log", DIGEST)]
    g = served.get(iid, token)
    assert g.status_code == 200, g.text
    doc = g.json()
    assert (doc["spool"], doc["item_id"], doc["source"], doc["name"]) == (
        "default", iid, GITHUB_SOURCE, "nightly/build.log",
    )  # fmt: skip
    assert (doc["state"], doc["window"], doc["window_state"], doc["leaf_index"]) == (
        "pending", 1, "open", 0,
    )  # fmt: skip
    assert doc["tx_hash"] is None and doc["root"] is None and "proof" not in doc
    assert served.log[0] == f"POST /v1/spools/default/items 201 source={GITHUB_SOURCE}"


def test_a_batch_is_all_or_none_and_the_body_cannot_name_a_source(served: Served) -> None:
    token = served.issuer.mint(AUD)
    batch = {"items": [{"name": "a", "sha256": "01" * 32}, {"name": "b", "sha256": "02" * 32}]}
    r = served.post(batch, token)
    assert r.status_code == 201 and [x["duplicate"] for x in r.json()["items"]] == [False, False]
    bad = {"items": [{"name": "c", "sha256": "03" * 32}, {"name": "d", "sha256": "xyz"}]}
    r = served.post(bad, token)
    assert r.status_code == 400 and r.json()["error"] == "bad-body"
    assert "items[1]: sha256" in r.json()["message"]
    r = served.post({"name": "e", "sha256": "04" * 32, "source": "someone/else"}, token)
    assert r.status_code == 400 and "unknown field 'source'" in r.json()["message"]
    assert [n for _, n, _ in served.items()] == ["a", "b"]
    assert {s for s, _, _ in served.items()} == {GITHUB_SOURCE}


def _attacker_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _bad_tokens(issuer: OidcIssuer) -> dict[str, tuple[str, str]]:
    """name → (token, expected 401 code)."""
    good = issuer.mint(AUD)
    header, claims, _sig = segments(good)
    p1, _p2, sig = good.split(".")
    tampered = dict(claims, repository="evil/app")

    other = start_oidc()
    try:
        foreign = other.issuer.mint(AUD, claims={"iss": issuer.url})
    finally:
        other.stop()
    now = int(time.time())
    return {
        "forged": (sign_es256(_attacker_key(), header, claims), "token-signature"),
        "tampered": (f"{p1}.{b64url_json(tampered)}.{sig}", "token-signature"),
        "foreign-key": (foreign, "token-kid"),
        "expired": (issuer.mint(AUD, lifetime=-120), "token-expired"),
        "not-yet-valid": (
            issuer.mint(AUD, claims={"nbf": now + 600, "exp": now + 1200}),
            "token-expired",
        ),
        "wrong-audience": (issuer.mint("https://other.example"), "token-audience"),
        "wrong-issuer": (issuer.mint(AUD, claims={"iss": "https://evil.example"}), "token-issuer"),
        "alg-none": (unsigned({"alg": "none", "kid": header["kid"]}, claims), "token-alg"),
        "hs256-public-key": (
            sign_hs256(public_pem(issuer), {"alg": "HS256", "kid": header["kid"]}, claims),
            "token-alg",
        ),
        "jku-header": (
            unsigned({"alg": "ES256", "kid": header["kid"], "jku": "http://x"}, claims),
            "token-alg",
        ),
        "garbage": ("not.a-token", "token-alg"),
    }


def test_every_bad_token_is_401_naming_the_check_and_adds_nothing(served: Served) -> None:
    for name, (token, code) in _bad_tokens(served.issuer).items():
        r = served.post({"name": f"x/{name}", "sha256": DIGEST}, token)
        assert r.status_code == 401, (name, r.text)
        assert r.json()["error"] == code, (name, r.text)
        assert set(r.json()) == {"error", "message"}
        assert r.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
        assert token not in r.text and token not in str(r.headers)
        g = served.get("0" * 32, token)
        assert (g.status_code, g.json()["error"]) == (401, code), name
    r = served.post({"name": "x", "sha256": DIGEST}, None)
    assert (r.status_code, r.json()["error"]) == (401, "token-missing")
    for header in ("Bearer", "Basic dXNlcjpwYXNz"):
        r = httpx.post(
            f"{served.svc.url}/v1/spools/default/items",
            content=b"{}",
            headers={"Authorization": header},
        )
        assert (r.status_code, r.json()["error"]) == (401, "token-missing")
    assert served.items() == []
    assert not any("eyJ" in line for line in served.log)


def test_a_missing_exp_claim_is_refused(served: Served) -> None:
    # A token the issuer signed but without exp: joserfc's registry requires it.
    from joserfc import jwt

    key = served.issuer.key("ES256")
    claims = {"iss": served.issuer.url, "aud": AUD, **served.issuer.claims}
    token = jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key, algorithms=["ES256"])
    r = served.post({"name": "x", "sha256": DIGEST}, token)
    assert (r.status_code, r.json()["error"]) == (401, "token-expired")


def test_a_rotated_key_is_picked_up_from_the_jwks(served: Served) -> None:
    served.issuer.rotate()
    r = served.post({"name": "after-rotation", "sha256": DIGEST}, served.issuer.mint(AUD))
    assert r.status_code == 201, r.text


def test_claims_without_a_repository_and_run_are_403(served: Served) -> None:
    token = served.issuer.mint(AUD, claims={"workflow_ref": None, "run_id": None})
    r = served.post({"name": "x", "sha256": DIGEST}, token)
    assert (r.status_code, r.json()["error"]) == (403, "token-claims")
    token = served.issuer.mint(AUD, claims={"repository": "acme/../app"})
    r = served.post({"name": "x", "sha256": DIGEST}, token)
    assert (r.status_code, r.json()["error"]) == (403, "token-claims")
    assert served.items() == []


def test_a_repository_outside_allow_is_403_and_adds_nothing(served: Served) -> None:
    for repo in ("acme-evil/app", "other/acme"):
        token = served.issuer.mint(AUD, claims={"repository": repo})
        r = served.post({"name": "x", "sha256": DIGEST}, token)
        assert (r.status_code, r.json()) == (403, {
            "error": "not-allowed",
            "message": f"repository github.com/{repo} is not allowed on this server",
        })  # fmt: skip
        g = served.get("0" * 32, token)
        assert (g.status_code, g.json()["error"]) == (403, "not-allowed")
    token = served.issuer.mint(AUD, claims={"repository": "acme/other"})
    assert served.post({"name": "x", "sha256": DIGEST}, token).status_code == 201
    assert served.items() == [("github.com/acme/other/run/4242", "x", DIGEST)]


def test_gitlab_claims_give_the_instance_project_and_pipeline(run_cli: Run, tmp_path: Path) -> None:
    db = f"sqlite:{tmp_path / 's.db'}"
    _init(run_cli, db)
    with (
        start_oidc(gitlab=True) as oidc,
        start_service(
            allow=(f"127.0.0.1:{oidc.port}/acme/*",), issuer=oidc.url, audience=AUD, db=db
        ) as svc,
    ):
        r = httpx.post(
            f"{svc.url}/v1/spools/default/items",
            json={"name": "n", "sha256": DIGEST},
            headers={"Authorization": f"Bearer {oidc.issuer.mint(AUD)}"},
        )
        source = f"127.0.0.1:{oidc.port}/acme/app/run/7001"
    assert r.status_code == 201, r.text
    assert r.json()["item_id"] == machine.item_id("default", source, "n", bytes.fromhex(DIGEST))


def test_bad_requests_400_404_409_413(served: Served) -> None:
    token = served.issuer.mint(AUD)
    cases: list[tuple[Any, int, str]] = [
        (b"{not json", 400, "bad-body"),
        (b'{"name": "a", "name": "b", "sha256": "' + DIGEST.encode() + b'"}', 400, "bad-body"),
        ({"name": "../x", "sha256": DIGEST}, 400, "bad-body"),
        ({"name": "/abs", "sha256": DIGEST}, 400, "bad-body"),
        ({"name": "x", "sha256": "ab" * 31}, 400, "bad-body"),
        ({"name": "x", "sha256": DIGEST, "size": -1}, 400, "bad-body"),
        ({"items": []}, 400, "bad-body"),
        ([1, 2], 400, "bad-body"),
        (b'{"name": "\\ud800", "sha256": "' + DIGEST.encode() + b'"}', 400, "bad-body"),
        (b"\xff", 400, "bad-body"),
    ]
    for body, status, code in cases:
        r = served.post(body, token)
        assert (r.status_code, r.json()["error"]) == (status, code), (body, r.text)
    r = served.post({"name": "x", "sha256": DIGEST}, token, spool="nope")
    assert (r.status_code, r.json()["error"]) == (404, "unknown-spool")
    assert served.post({"name": "x", "sha256": DIGEST}, token).status_code == 201
    r = served.post({"name": "x", "sha256": "cd" * 32}, token)
    assert (r.status_code, r.json()["error"]) == (409, "conflict")
    r = served.post(b" " * ((1 << 20) + 1), token)
    assert (r.status_code, r.json()["error"]) == (413, "too-large")
    r = httpx.get(f"{served.svc.url}/v1/other", headers={"Authorization": f"Bearer {token}"})
    assert (r.status_code, r.json()["error"]) == (404, "not-found")
    g = served.get("0" * 32, token)
    assert (g.status_code, g.json()["error"]) == (404, "unknown-item")
    assert served.items() == [(GITHUB_SOURCE, "x", DIGEST)]


def test_database_down_is_503(served: Served) -> None:
    folder = Path(served.db[len("sqlite:") :]).parent
    folder.rename(folder.with_name("moved"))
    r = served.post({"name": "x", "sha256": DIGEST}, served.issuer.mint(AUD))
    assert (r.status_code, r.json()["error"]) == (503, "store-unavailable")


# -- the CLI ------------------------------------------------------------------------------


def _github_env(monkeypatch: pytest.MonkeyPatch, issuer: OidcIssuer) -> None:
    for key in list(os.environ):
        if key.startswith(("GITHUB_", "ACTIONS_", "CI_", "GITLAB_", "ANCHOR_")):
            monkeypatch.delenv(key)
    for key, value in issuer.github_env().items():
        monkeypatch.setenv(key, value)


def test_add_server_prints_what_a_local_add_prints(
    served: Served, run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _github_env(monkeypatch, served.issuer)
    monkeypatch.setenv("ANCHOR_SPOOL_AUDIENCE", AUD)
    artefact = tmp_path / "app.tgz"
    artefact.write_bytes(b"release bytes\n")
    local_db = f"sqlite:{tmp_path / 'local.db'}"
    _init(run_cli, local_db)
    for extra in ([], ["--json"]):
        remote = run_cli(["spool", "add", str(artefact), "--server", served.svc.url, *extra])
        local = run_cli(["spool", "add", str(artefact), "--db", local_db, *extra])
        assert remote.exit_code == 0, remote.stderr
        assert (remote.stdout, remote.stderr) == (local.stdout, local.stderr)
    digest = hashlib.sha256(b"release bytes\n").hexdigest()
    iid = machine.item_id("default", GITHUB_SOURCE, "app.tgz", bytes.fromhex(digest))
    assert (
        remote.stdout
        == json.dumps(
            {"item_id": iid, "window": 1, "state": "pending", "duplicate": True},
            separators=(",", ":"),
        )
        + "\n"
    )
    assert served.items() == [(GITHUB_SOURCE, "app.tgz", digest)]
    lines = tmp_path / "list.jsonl"
    lines.write_text("".join(json.dumps({"name": f"f{i}", "sha256": f"{i:02x}" * 32}) + "\n"
                             for i in range(5)))  # fmt: skip
    r = run_cli(["spool", "add", "--from-file", str(lines), "--server", served.svc.url, "--json"])
    assert r.exit_code == 0, r.stderr
    assert [json.loads(x)["duplicate"] for x in r.stdout.splitlines()] == [False] * 5


def test_add_server_token_from_env_and_file(
    served: Served, run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith(("GITHUB_", "ACTIONS_", "CI_", "GITLAB_", "ANCHOR_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ANCHOR_ID_TOKEN", served.issuer.mint(AUD))
    r = run_cli(["spool", "add", "--sha256", DIGEST, "--name", "env", "--server", served.svc.url])
    assert r.exit_code == 0, r.stderr
    token_file = tmp_path / "token"
    token_file.write_text(served.issuer.mint(AUD) + "\n")
    r = run_cli(["spool", "add", "--sha256", DIGEST, "--name", "file", "--server",
                 served.svc.url, "--token-file", str(token_file)])  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert [n for _, n, _ in served.items()] == ["env", "file"]


def test_add_server_failures_exit_4_or_5_with_one_line(
    served: Served, run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _github_env(monkeypatch, served.issuer)
    url = served.svc.url
    base = ["spool", "add", "--sha256", DIGEST, "--name", "n", "--server"]
    # The GitHub endpoint mints for the server URL by default: the service wants AUD.
    r = run_cli([*base, url])
    assert r.exit_code == 5, r.stderr
    assert r.stderr == (
        "error: spool server answered HTTP 401: token-audience: "
        "the token's audience is not this service's\n"
    )
    ok = run_cli([*base, url, "--audience", AUD])
    assert ok.exit_code == 0, ok.stderr
    cases: list[tuple[list[str], int, str]] = [
        ([*base, url, "--audience", AUD, "--spool", "nope"], 4, "HTTP 404: unknown-spool"),
        (
            [
                "spool",
                "add",
                "--sha256",
                "cd" * 32,
                "--name",
                "n",
                "--server",
                url,
                "--audience",
                AUD,
            ],
            4,
            "HTTP 409: conflict",
        ),
        ([*base, url, "--source", "me"], 4, "--source does not go with --server"),
        ([*base, url, "--db", "sqlite:x.db"], 4, "--db does not go with --server"),
        ([*base, "http://spool.example"], 4, "https only"),
        (
            ["spool", "add", "--sha256", DIGEST, "--name", "n", "--token-file", "t"],
            4,
            "--token-file goes with --server",
        ),
        ([*base, "http://127.0.0.1:9", "--audience", AUD], 5, "spool server http://127.0.0.1:9"),
    ]
    for args, code, text in cases:
        r = run_cli(args)
        assert r.exit_code == code, (args, r.stderr)
        assert r.stdout == "" and len(r.stderr.splitlines()) == 1 and text in r.stderr, r.stderr
        assert "eyJ" not in r.stderr
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_URL")
    r = run_cli([*base, url, "--audience", AUD])
    assert r.exit_code == 5 and "no OIDC identity token" in r.stderr


def test_serve_command_runs_until_sigterm(run_cli: Run, tmp_path: Path) -> None:
    db = f"sqlite:{tmp_path / 's.db'}"
    _init(run_cli, db)
    with start_oidc() as oidc:
        proc = subprocess.Popen(
            [sys.executable, "-m", "anchor", "spool", "serve", "--oidc-issuer", oidc.url,
             "--audience", AUD, "--allow", "github.com/acme/*", "--listen", "127.0.0.1:0", "--db", db],
            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
        )  # fmt: skip
        try:
            assert proc.stderr is not None
            first = proc.stderr.readline()
            assert first.startswith("spool server on http://127.0.0.1:"), first
            url = first.split()[3]
            r = httpx.post(
                f"{url}/v1/spools/default/items",
                json={"name": "n", "sha256": DIGEST},
                headers={"Authorization": f"Bearer {oidc.issuer.mint(AUD)}"},
            )
            assert r.status_code == 201, r.text
            assert proc.stderr.readline() == (
                f"POST /v1/spools/default/items 201 source={GITHUB_SOURCE}\n"
            )
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=20)
            if proc.stderr is not None:
                proc.stderr.close()
        assert code == 0
        bad = subprocess.run(
            [sys.executable, "-m", "anchor", "spool", "serve", "--oidc-issuer",
             "http://127.0.0.1:9", "--audience", AUD, "--allow", "*", "--db", db],
            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=60,
        )  # fmt: skip
    assert bad.returncode == 5 and bad.stderr.startswith("error: --oidc-issuer: cannot fetch")
    assert len(bad.stderr.splitlines()) == 1


def test_client_batches_fit_the_body_limit_and_a_late_conflict_says_what_was_added(
    served: Served,
) -> None:
    from anchor.chain.readers import HttpxClient
    from anchor.errors import InputError
    from anchor.publish.spool.client import add_items, batches
    from anchor.publish.spool.service import MAX_BODY, MAX_ITEMS
    from anchor.publish.spool.store import NewItem

    long = [NewItem("", f"{i:04d}/" + "n" * 1000, bytes(32), 1) for i in range(2500)]
    chunks = list(batches(long))
    assert sum(len(c) for c in chunks) == 2500 and len(chunks) == 6
    assert all(len(json.dumps({"items": c}).encode()) <= MAX_BODY for c in chunks)
    short = [NewItem("", f"s{i}", bytes(32)) for i in range(MAX_ITEMS + 1)]
    assert [len(c) for c in batches(short)] == [MAX_ITEMS, 1]
    token = served.issuer.mint(AUD)
    assert served.post({"name": "c", "sha256": "cc" * 32}, token).status_code == 201
    items = [NewItem("", n, bytes([i]) * 32) for i, n in enumerate(["a", "b", "c"])]
    client = HttpxClient()
    try:
        with pytest.raises(InputError) as err:
            add_items(served.svc.url, "default", items, token=token, client=client, batch=2)
    finally:
        client.close()
    assert err.value.message == (
        "spool server answered HTTP 409: conflict: github.com/acme/app/run/4242: 'c' is "
        "already in the open window with another digest; nothing was added "
        "(2 item(s) before this batch were added)"
    )
    assert [n for _, n, _ in served.items()] == ["c", "a", "b"]


def test_source_from_claims_by_platform() -> None:
    from anchor.publish.spool.auth import HttpError, source_from_claims

    gh = dict(OidcIssuer.default_claims(gitlab=False))
    assert source_from_claims({**gh, "iss": "https://token.actions.githubusercontent.com"}) == (
        GITHUB_SOURCE
    )
    assert source_from_claims({**gh, "iss": "https://ghe.corp/_services/token", "run_id": 7}) == (
        "ghe.corp/acme/app/run/7"
    )
    gl = dict(OidcIssuer.default_claims(gitlab=True))
    assert source_from_claims({**gl, "iss": "https://gitlab.com"}) == "gitlab.com/acme/app/run/7001"
    assert source_from_claims({**gl, "iss": "https://git.corp/gl/"}) == (
        "git.corp/gl/acme/app/run/7001"
    )
    for bad in ({"sub": "x"}, {**gh, "repository": ""}, {**gl, "pipeline_id": True}):
        with pytest.raises(HttpError) as err:
            source_from_claims(bad)
        assert (err.value.status, err.value.code) == (403, "token-claims")


def test_an_unknown_kid_reloads_the_jwks_at_most_every_30_s(served: Served) -> None:
    from anchor.attest.codes import CheckFailed
    from anchor.attest.trustroot import TrustRoot
    from anchor.publish.spool.auth import Verifier

    fetched: list[int] = []

    def refetch() -> tuple[dict[str, Any], ...]:
        fetched.append(1)
        return tuple(served.issuer.jwks()["keys"])

    verifier = Verifier(TrustRoot(served.issuer.url, (), refetch=refetch), AUD)
    assert verifier.verify(served.issuer.mint(AUD))["repository"] == "acme/app"
    served.issuer.rotate()
    with pytest.raises(CheckFailed) as err:
        verifier.verify(served.issuer.mint(AUD))
    assert err.value.code == "token-kid" and len(fetched) == 1


def test_the_issuer_gone_while_reloading_keys_is_503(served: Served) -> None:
    served.issuer.rotate()
    token = served.issuer.mint(AUD)
    served.oidc.stop()
    r = served.post({"name": "x", "sha256": DIGEST}, token)
    assert (r.status_code, r.json()["error"]) == (503, "issuer-unavailable")


def test_requests_beyond_the_concurrency_bound_wait_for_a_slot(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from anchor.publish.spool import service

    monkeypatch.setattr(service, "MAX_CONCURRENT", 2)
    db = f"sqlite:{tmp_path / 's.db'}"
    _init(run_cli, db)
    with (
        start_oidc() as oidc,
        start_service(allow=ALLOW, issuer=oidc.url, audience=AUD, db=db) as svc,
    ):
        port = int(svc.url.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
        headers = {"Authorization": f"Bearer {oidc.issuer.mint(AUD)}"}
        try:
            with pytest.raises(httpx.ReadTimeout):
                httpx.get(f"{svc.url}/v1/items/{'0' * 32}", headers=headers, timeout=1.0)
            idle.pop().close()
            r = httpx.get(f"{svc.url}/v1/items/{'0' * 32}", headers=headers, timeout=30)
            assert r.status_code == 404
        finally:
            for sock in idle:
                sock.close()


def test_postgresql_store_behind_the_server(pg_server: str) -> None:  # noqa: F811
    db = fresh_pg_dsn(pg_server)
    store = open_store(db)  # not `spool init` in-process: the CLI leaves its connection open
    try:
        store.create_spool(
            "default", network="devnet", confirmations=1, ttl_slots=1800, final_depth=10
        )
    finally:
        store.close()
    with (
        start_oidc() as oidc,
        start_service(allow=ALLOW, issuer=oidc.url, audience=AUD, db=db) as svc,
    ):
        s = Served(oidc, svc, db, [])
        token = oidc.issuer.mint(AUD)
        assert s.post({"name": "pg", "sha256": DIGEST}, token).status_code == 201
        assert s.post({"name": "pg", "sha256": DIGEST}, token).json()["duplicate"] is True
        r = s.post({"name": "pg", "sha256": "cd" * 32}, token)
        assert (r.status_code, r.json()["error"]) == (409, "conflict")
        assert s.items() == [(GITHUB_SOURCE, "pg", DIGEST)]


def test_a_server_killed_after_the_commit_keeps_the_item_and_a_retry_is_a_duplicate(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"sqlite:{tmp_path / 's.db'}"
    _init(run_cli, db)
    with start_oidc() as oidc:
        _github_env(monkeypatch, oidc.issuer)
        monkeypatch.setenv("ANCHOR_SPOOL_AUDIENCE", AUD)

        def serve(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
            proc = subprocess.Popen(
                [sys.executable, "-m", "anchor", "spool", "serve", "--oidc-issuer", oidc.url,
                 "--audience", AUD, "--allow", "github.com/acme/*", "--listen", "127.0.0.1:0", "--db", db, "-q"],
                stderr=subprocess.PIPE, text=True,
                env={**os.environ, "PYTHONPATH": str(REPO), **env},
            )  # fmt: skip
            assert proc.stderr is not None
            first = proc.stderr.readline()
            assert first.startswith("spool server on "), first
            return proc, first.split()[3]

        add = ["spool", "add", "--sha256", DIGEST, "--name", "kept", "--json", "--server"]
        proc, url = serve({"ANCHOR_FAULTPOINT": "add.commit"})
        try:
            r = run_cli([*add, url])
            assert proc.wait(timeout=20) == -signal.SIGKILL
        finally:
            proc.kill()
            if proc.stderr is not None:
                proc.stderr.close()
        assert r.exit_code == 5 and r.stderr.startswith(f"error: spool server {url}: "), r.stderr
        store = open_store(db)
        try:
            kept = [i.name for w in store.windows(store.spool("default"))
                    for i in store.window_items(w.id)]  # fmt: skip
        finally:
            store.close()
        assert kept == ["kept"]
        proc, url = serve({})
        try:
            again = run_cli([*add, url])
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            if proc.stderr is not None:
                proc.stderr.close()
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["duplicate"] is True


def test_serve_start_errors(run_cli: Run, tmp_path: Path) -> None:
    from anchor.errors import EnvironmentFailure, InputError

    db = f"sqlite:{tmp_path / 's.db'}"
    with start_oidc() as oidc:
        with pytest.raises(InputError) as empty:
            start_service(allow=ALLOW, issuer=oidc.url, audience=AUD, db=db)
        assert empty.value.message == "the spool database is empty"
        _init(run_cli, db)
        for listen in ("8095", "127.0.0.1:", "127.0.0.1:99999", ":80"):
            with pytest.raises(InputError) as bad:
                start_service(allow=ALLOW, issuer=oidc.url, audience=AUD, db=db, listen=listen)
            assert bad.value.message.startswith(f"--listen {listen!r}: expected HOST:PORT")
        for allow in ((), ("",)):
            with pytest.raises(InputError) as none:
                start_service(allow=allow, issuer=oidc.url, audience=AUD, db=db)
            assert none.value.message.startswith("name the repositories to take items from")
        with pytest.raises(InputError) as http:
            start_service(allow=ALLOW, issuer="http://issuer.example", audience=AUD, db=db)
        assert "https only" in http.value.message
        with start_service(allow=ALLOW, issuer=oidc.url, audience=AUD, db=db) as svc:
            with pytest.raises(EnvironmentFailure) as busy:
                start_service(allow=ALLOW, issuer=oidc.url, audience=AUD, db=db, listen=svc.url[7:])
            assert busy.value.message.startswith(f"cannot listen on {svc.url[7:]}: ")
        oidc.issuer.discovery_issuer = "https://evil.example"
        with pytest.raises(InputError) as lying:
            start_service(allow=ALLOW, issuer=oidc.url, audience=AUD, db=db)
        assert lying.value.message == f"--oidc-issuer: discovery at {oidc.url} names another issuer"
