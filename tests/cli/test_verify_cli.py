"""`anchor verify` on the command line: modes, output, exit codes, input errors, import hygiene."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, one_error_line
from tests.unit.verify.fakes import BF, KOIOS, FakeChain
from tests.unit.verify.kit import (
    SAMPLE_FILES,
    Published,
    chain_facts,
    observation,
    publish_bundle,
)

Run = Callable[..., Any]


@pytest.fixture(scope="module")
def pub(tmp_path_factory: pytest.TempPathFactory) -> Published:
    return publish_bundle(tmp_path_factory.mktemp("cli"), SAMPLE_FILES)


def _readme_args(pub: Published, *extra: str) -> list[str]:
    """``verify README.txt --bundle DIR`` (a released file against its bundle), then ``extra``."""
    return ["verify", str(pub.file("README.txt")), "--bundle", str(pub.bundle), *extra]


def test_summary_on_stderr_names_everything_an_auditor_needs(run_cli: Run, pub: Published) -> None:
    target = pub.file("dist/app-1.0.0.tar.gz")
    r = run_cli(["verify", str(target), "--bundle", str(pub.bundle)])
    assert r.exit_code == 0 and r.stdout == ""
    err = r.stderr
    assert "verdict:      VALID (exit 0)" in err
    assert "network:      cardano:preprod" in err
    assert f"transaction:  {pub.tx_hash}" in err
    assert (
        "block time:   2026-01-01T00:00:00Z (1767225600; block time from the bundle, "
        "not authenticated)" in err
    )
    assert "depth:        100 (threshold 15)" in err
    assert "signer:       signed by " in err and "(verified; signature over record body)" in err
    assert "signer pin:   not pinned" in err
    assert f"root:         merkle[0] {pub.root.hex()}" in err
    assert f"       2  ok                        {target}" in err


def test_json_report_on_stdout(run_cli: Run, pub: Published) -> None:
    r = run_cli(_readme_args(pub, "--json", "-q"))
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["verdict"], doc["exitCode"], r.stderr) == (
        0,
        "valid",
        0,
        "",
    )
    assert doc["files"] == [
        {
            "name": str(pub.file("README.txt")),
            "sha2-256": doc["files"][0]["sha2-256"],
            "leaf_index": 0,
            "inclusion_ok": True,
            "code": None,
            "proofSource": "proofs/",
            "message": "",
            "item": {"name": "README.txt", "kind": "artifact"},
            "warnings": [],
        }
    ]


def test_many_files_directories_and_globs_in_one_call(
    run_cli: Run, pub: Published, tmp_path: Path
) -> None:
    stranger = tmp_path / "not-released.txt"
    stranger.write_bytes(b"never anchored")
    args = [
        str(pub.source / "dist"),
        str(pub.source / "*.txt"),
        str(pub.source / "sbom" / "*.json"),
        str(stranger),
    ]
    r = run_cli(["verify", *args, "--bundle", str(pub.bundle), "--json"])
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["verdict"]) == (1, "failed")
    results = {Path(f["name"]).name: (f["leaf_index"], f["code"]) for f in doc["files"]}
    assert results == {
        "app-1.0.0-py3-none-any.whl": (1, None),
        "app-1.0.0.tar.gz": (2, None),
        "README.txt": (0, None),
        "app.cdx.json": (4, None),
        "not-released.txt": (None, "FILE_NOT_IN_TREE"),
    }
    assert "4 of 5 file(s) anchored" in r.stderr


def test_manifest_only(run_cli: Run, pub: Published) -> None:
    r = run_cli(["verify", "--bundle", str(pub.bundle), "--manifest-only", "--json"])
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["items"], doc["merkle"], doc["files"]) == (
        0,
        [{"contentCheck": "checked"}],
        [{"contentCheck": "checked"}],
        [],
    )


def test_single_file_with_proof_tx_and_chain_facts_without_a_bundle(
    run_cli: Run, pub: Published
) -> None:
    name = "logs/build.log"
    r = run_cli(
        [
            "verify",
            str(pub.file(name)),
            "--proof",
            str(pub.bundle / "proofs" / f"{name}.proof.json"),
            "--tx",
            str(pub.bundle / "tx.cbor"),
            "--chain-facts",
            str(pub.bundle / "chain-facts.json"),
            "--network",
            "preprod",
            "--json",
        ]
    )
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["verdict"], doc["files"][0]["proofSource"]) == (
        0,
        "valid",
        "--proof",
    )
    assert doc["items"] == [{"contentCheck": "not_checked"}]


def test_proof_on_stdin(run_cli: Run, pub: Published) -> None:
    """``--proof -`` reads the proof once, from stdin (a second read used to find no file)."""
    name = "logs/build.log"
    r = run_cli(
        [
            "verify", str(pub.file(name)), "--proof", "-",
            "--tx", str(pub.bundle / "tx.cbor"),
            "--chain-facts", str(pub.bundle / "chain-facts.json"),
            "--network", "preprod", "--json",
        ],
        input=(pub.bundle / "proofs" / f"{name}.proof.json").read_bytes(),
    )  # fmt: skip
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["verdict"], doc["files"][0]["proofSource"]) == (
        0,
        "valid",
        "--proof",
    )


def test_proof_for_another_file_is_a_digest_mismatch(run_cli: Run, pub: Published) -> None:
    r = run_cli(
        [
            "verify",
            str(pub.file("README.txt")),
            "--proof",
            str(pub.bundle / "proofs" / "logs/build.log.proof.json"),
            "--tx",
            str(pub.bundle / "tx.cbor"),
            "--chain-facts",
            str(pub.bundle / "chain-facts.json"),
            "--network",
            "preprod",
            "--json",
        ]
    )
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["files"][0]["code"]) == (1, "FILE_DIGEST_MISMATCH")


def test_report_file_is_written(run_cli: Run, pub: Published, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    r = run_cli(_readme_args(pub, "--report", str(out), "-q"))
    assert r.exit_code == 0 and json.loads(out.read_bytes())["verdict"] == "valid"


def test_devnet_threshold_defaults_to_one(run_cli: Run, pub: Published, tmp_path: Path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_bytes(chain_facts(pub.tx_hash, observation(tip=1000), network="devnet"))
    base = [
        "verify", str(pub.file("README.txt")), "--proof",
        str(pub.bundle / "proofs" / "README.txt.proof.json"),
        "--tx", str(pub.bundle / "tx.cbor"), "--chain-facts", str(facts), "--json",
    ]  # fmt: skip
    doc = json.loads(run_cli([*base, "--network", "devnet"]).stdout)
    assert (doc["verdict"], doc["confirmationDepth"], doc["confirmationThreshold"]) == (
        "valid",
        1,
        1,
    )
    # the same depth on preprod is below the default threshold of 15
    facts.write_bytes(chain_facts(pub.tx_hash, observation(tip=1000), network="preprod"))
    r = run_cli([*base, "--network", "preprod"])
    assert (r.exit_code, json.loads(r.stdout)["verdict"]) == (3, "pending")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--min-confirmations", "0"], "min-confirmations"),
        (["--network", "moon"], "network"),
        (["--bogus"], "bogus"),
        (["--tx-hash", "xyz", "--online"], "--tx-hash"),
        (["--manifest-only"], "--manifest-only"),
    ],
)
def test_bad_input_exits_4_with_one_line(
    run_cli: Run, pub: Published, extra: list[str], message: str
) -> None:
    r = run_cli(_readme_args(pub, *extra))
    assert r.exit_code == 4
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


def test_missing_inputs_exit_4(run_cli: Run, pub: Published, tmp_path: Path) -> None:
    readme = str(pub.file("README.txt"))
    cases = [
        ["verify", readme, "--bundle", str(tmp_path / "nope")],
        ["verify", str(tmp_path / "missing.bin"), "--bundle", str(pub.bundle)],
        ["verify", "--bundle", str(pub.bundle)],
        ["verify", readme, "--tx", str(pub.bundle / "tx.cbor"), "--network", "preprod"],
        [
            "verify",
            readme,
            "readme-copy",
            "--proof",
            "x.json",
            "--bundle",
            str(pub.bundle),
        ],
    ]
    for args in cases:
        r = run_cli(args)
        assert r.exit_code == 4, (args, r.stderr)
        assert r.stderr.startswith("error: "), r.stderr


class _ChainHandler(BaseHTTPRequestHandler):
    chain: FakeChain

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        base, rest = (BF, self.path[3:]) if self.path.startswith("/bf") else (KOIOS, self.path[6:])
        response = self.chain.request(method, base + rest, purpose="cardano", json=body)
        self.send_response(response.status)
        self.send_header("Content-Length", str(len(response.content)))
        self.end_headers()
        self.wfile.write(response.content)

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def loopback_chain(pub: Published) -> Iterator[tuple[str, FakeChain]]:
    chain = FakeChain(txs={pub.tx_hash: pub.tx})
    handler = type("H", (_ChainHandler,), {"chain": chain})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", chain
    finally:
        server.shutdown()
        server.server_close()


def test_online_over_loopback_with_a_provider_chain(
    run_cli: Run, pub: Published, loopback_chain: tuple[str, FakeChain]
) -> None:
    url, _chain = loopback_chain
    r = run_cli(
        _readme_args(
            pub,
            "--online",
            "--tx-hash",
            pub.tx_hash.upper(),
            "--network",
            "preprod",
            "--provider",
            "blockfrost",
            "--provider",
            "koios",
            "--provider-url",
            f"{url}/bf",
            "--provider-url",
            f"{url}/koios",
            "--json",
        )
    )
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["verdict"], doc["mode"]) == (0, "valid", "online")
    assert [(e["method"], e["url"].removeprefix(url), e["status"]) for e in doc["auditTrail"]] == [
        ("GET", "/bf/genesis", 200),
        ("GET", "/koios/genesis", 200),
        ("GET", f"/bf/txs/{pub.tx_hash}/cbor", 200),
        ("GET", f"/bf/txs/{pub.tx_hash}", 200),
        ("GET", "/bf/blocks/latest", 200),
        ("POST", "/koios/tx_cbor", 200),
        ("GET", "/koios/tip", 200),
    ]
    assert [o["provider"] for o in doc["chainFacts"]["observations"]] == [
        "blockfrost",
        "koios",
    ]


def test_deny_host_refuses_before_connecting(
    run_cli: Run, pub: Published, loopback_chain: tuple[str, FakeChain]
) -> None:
    url, chain = loopback_chain
    r = run_cli(
        _readme_args(
            pub,
            "--online",
            "--network",
            "preprod",
            "--provider",
            f"koios={url}/koios",
            "--deny-host",
            "127.0.0.1",
            "--json",
        )
    )
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["verdict"], [i["code"] for i in doc["issues"]]) == (
        1,
        "failed",
        ["SERVICE_INDEPENDENCE_VIOLATION"],
    )
    assert chain.log == [] and doc["auditTrail"][0]["status"] == "denied"


def test_verify_path_never_imports_pycardano_httpx_or_blockfrost(
    pub: Published,
) -> None:
    """Simulates ``anchor verify`` in a fresh interpreter and inspects what got imported."""
    code = (
        "import sys\n"
        "from anchor.cli.main import main\n"
        f"rc = main(['verify', {str(pub.file('README.txt'))!r}, '--bundle', {str(pub.bundle)!r}, '-q'])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pycardano', 'httpx', 'blockfrost', 'rich'))\n"
        "assert rc == 0, rc\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_provider_flags_pair_by_position() -> None:
    from anchor.cli.verify import _providers
    from anchor.errors import InputError

    assert _providers(["koios", "blockfrost=http://b/api/v0"], ["http://k/api/v1"]) == (
        ("koios", "http://k/api/v1"),
        ("blockfrost", "http://b/api/v0"),
    )
    assert _providers([], ["http://local/api/v0"]) == (("blockfrost", "http://local/api/v0"),)
    assert _providers(["Koios"], []) == (("koios", None),)
    for values, urls in ((["koios"], ["a", "b"]), (["koios=http://x"], ["http://y"])):
        with pytest.raises(InputError):
            _providers(values, urls)


def test_unknown_provider_and_blockfrost_without_project_id_exit_4(
    run_cli: Run, pub: Published, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BLOCKFROST_PROJECT_ID", raising=False)
    base = _readme_args(pub, "--online", "--network", "preprod")
    for extra in (["--provider", "ogmios"], ["--provider", "blockfrost"]):
        r = run_cli([*base, *extra])
        assert r.exit_code == 4, r.stderr
    assert "BLOCKFROST_PROJECT_ID" in run_cli([*base, "--provider", "blockfrost"]).stderr


def test_help_lists_the_verify_options(run_cli: Run) -> None:
    r = run_cli(["verify", "--help"])
    assert r.exit_code == 0
    for flag in (
        "--bundle",
        "--proof",
        "--manifest-only",
        "--tx-hash",
        "--provider",
        "--deny-host",
        "--min-confirmations",
        "--json",
    ):
        assert flag in r.stdout


# --- input that cannot give a meaningful verdict is refused first (exit 4, one line) --------


NOTHING_TO_VERIFY = (
    "error: nothing to verify against: pass --bundle DIR (offline), --tx-hash HASH --network NET "
    "(online), or --tx FILE --chain-facts FILE --network NET"
)


def test_nothing_to_verify_against(run_cli: Run, pub: Published) -> None:
    assert one_error_line(run_cli(["verify"])) == NOTHING_TO_VERIFY
    assert one_error_line(run_cli(["verify", str(pub.file("README.txt"))])) == NOTHING_TO_VERIFY
    # used to be "which network? ..." whatever was actually missing
    assert (
        one_error_line(run_cli(["verify", str(pub.file("README.txt")), "--network", "preprod"]))
        == NOTHING_TO_VERIFY
    )


def test_a_folder_that_is_not_a_bundle(run_cli: Run, pub: Published, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run_cli(["verify", str(pub.file("README.txt")), "--bundle", str(empty)])
    assert one_error_line(r) == (
        f"error: {empty} is not an evidence bundle (none of manifest.json, leaves.cbor, proofs, "
        "tx.cbor, anchor.json) (make one with `anchor collect`)"
    )


def test_a_bundle_that_was_never_published(run_cli: Run, pub: Published, tmp_path: Path) -> None:
    collected = tmp_path / "collected"
    collected.mkdir()
    for name in ("manifest.json", "leaves.cbor"):
        (collected / name).write_bytes((pub.bundle / name).read_bytes())
    r = run_cli(["verify", str(pub.file("README.txt")), "--bundle", str(collected)])
    assert one_error_line(r) == (
        f"error: {collected} has not been published (no anchor.json or tx.cbor) "
        f"(run `anchor publish {collected}`, or pass --tx-hash HASH --network NET to check it "
        "against a transaction online)"
    )


def test_a_directory_with_no_files_is_not_a_valid_verification(
    run_cli: Run, pub: Published, tmp_path: Path
) -> None:
    """An empty directory argument used to give VALID (exit 0) with no file checked at all."""
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    r = run_cli(["verify", str(pub.file("README.txt")), str(empty), "--bundle", str(pub.bundle)])
    assert one_error_line(r) == f"error: {empty}: no files to verify in it"


def test_network_contradicting_the_block_facts(run_cli: Run, pub: Published) -> None:
    """Facts observed on preprod must not vouch for a 'mainnet' verdict (it used to say VALID)."""
    r = run_cli(_readme_args(pub, "--network", "mainnet"))
    facts = pub.bundle / "chain-facts.json"
    assert one_error_line(r) == (
        f"error: --network mainnet contradicts {facts}, which holds block facts from preprod "
        "(pass --network preprod, or verify online against mainnet providers)"
    )
    same = run_cli(_readme_args(pub, "--network", "preprod"))
    assert same.exit_code == 0, same.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--online", "--tx", "tx.cbor"],
            "error: --tx (offline transaction bytes) cannot be combined with online checks",
        ),
        (
            ["--provider", "koios", "--tx", "tx.cbor"],
            "error: --tx (offline transaction bytes) cannot be combined with online checks",
        ),
        (
            ["--provider-url", "http://127.0.0.1:9/api/v0", "--chain-facts", "f.json"],
            "error: --chain-facts (offline block facts) cannot be combined with online checks",
        ),
        (
            ["--provider", "koios=ftp://example.org/api/v1"],
            "error: provider koios: the URL must start with http:// or https:// "
            "(the full API root, e.g. http://127.0.0.1:8090/api/v0)",
        ),
        (
            ["--provider-url", "127.0.0.1:8090/api/v0"],
            "error: provider blockfrost: the URL must start with http:// or https:// "
            "(the full API root, e.g. http://127.0.0.1:8090/api/v0)",
        ),
    ],
)
def test_conflicting_or_malformed_provider_flags(
    run_cli: Run, pub: Published, extra: list[str], message: str
) -> None:
    r = run_cli(_readme_args(pub, *extra))
    assert one_error_line(r) == message


def test_provider_flags_imply_online(
    run_cli: Run, pub: Published, loopback_chain: tuple[str, FakeChain]
) -> None:
    """README's cross-check used to run offline silently, ignoring --provider."""
    url, chain = loopback_chain
    r = run_cli(_readme_args(pub, "--provider", f"blockfrost={url}/bf", "--json", "-q"))
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["verdict"], doc["mode"], r.stderr) == (0, "valid", "online", "")
    assert [e["status"] for e in doc["auditTrail"]] == [200, 200, 200, 200]
    assert len(chain.log) == 4  # /genesis, then the transaction, its block, the tip


def test_report_destination_is_checked_before_verifying(
    run_cli: Run, pub: Published, tmp_path: Path
) -> None:
    missing = tmp_path / "no" / "report.json"
    r = run_cli(_readme_args(pub, "--report", str(missing)))
    assert one_error_line(r) == (
        f"error: cannot write {missing} (--report): folder {missing.parent} does not exist"
    )
    r = run_cli(_readme_args(pub, "--report", str(tmp_path)))
    assert one_error_line(r) == f"error: cannot write {tmp_path} (--report): it is a directory"


def test_report_replaces_an_old_one_atomically(
    run_cli: Run, pub: Published, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "audit"
    folder.mkdir()
    out = folder / "report.json"
    out.write_text("old report")
    r = run_cli(_readme_args(pub, "--report", str(out)))
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["report.json"]  # no temporary left
    text = out.read_text()
    assert text.endswith("}\n") and json.loads(text)["verdict"] == "valid"
    json_run = run_cli(_readme_args(pub, "--json"))
    assert json.loads(json_run.stdout)["files"] == json.loads(text)["files"]
    # the write itself fails (the rename of anchor.fsutil.replace_atomically): the report
    # there stays whole, the run is refused (exit 4) and its temporary file is removed
    before = out.read_bytes()

    def no_space(*_args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    r = run_cli(_readme_args(pub, "--report", str(out)))
    assert one_error_line(r) == f"error: cannot write {out}: No space left on device"
    assert out.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["report.json"]


def test_summary_hints_how_to_prove_a_file_without_a_proof(run_cli: Run, pub: Published) -> None:
    r = run_cli(
        [
            "verify",
            str(pub.file("README.txt")),
            "--tx",
            str(pub.bundle / "tx.cbor"),
            "--chain-facts",
            str(pub.bundle / "chain-facts.json"),
            "--network",
            "preprod",
        ]
    )
    assert r.exit_code == 2
    assert "FILE_PROOF_UNAVAILABLE" in r.stderr
    assert r.stderr.endswith(
        "hint: 1 file(s) had no inclusion proof; pass the release's bundle (--bundle DIR) "
        "or the file's proof (--proof FILE)\n"
    )


def test_help_shows_offline_and_online_examples(run_cli: Run) -> None:
    r = run_cli(["verify", "--help"])
    assert r.exit_code == 0
    assert "  Examples:\n" in r.stdout
    assert "    anchor verify dist/app-1.2.3.tar.gz --bundle evidence/\n" in r.stdout
    assert (
        "    anchor verify dist/app-1.2.3.tar.gz --bundle evidence/ --online --provider koios\n"
        in r.stdout
    )
    for metavar in ("--bundle DIR", "--tx-hash HASH", "--provider NAME[=URL]", "--report FILE"):
        assert metavar in r.stdout


# --- the small kits an auditor may keep instead of the whole bundle --------------------------


def test_kit_file_and_leaves_list_with_the_tx_hash(
    run_cli: Run, pub: Published, loopback_chain: tuple[str, FakeChain], tmp_path: Path
) -> None:
    url, _ = loopback_chain
    kit = tmp_path / "kit"
    kit.mkdir()
    (kit / "leaves.cbor").write_bytes((pub.bundle / "leaves.cbor").read_bytes())
    r = run_cli(
        [
            "verify", str(pub.file("README.txt")), "--bundle", str(kit),
            "--tx-hash", pub.tx_hash, "--network", "preprod",
            "--provider", f"blockfrost={url}/bf", "--json", "-q",
        ]
    )  # fmt: skip
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["verdict"], doc["mode"]) == (0, "valid", "online")
    assert (doc["merkle"], doc["items"]) == (
        [{"contentCheck": "checked"}],
        [{"contentCheck": "not_checked"}],
    )
    assert [(f["leaf_index"], f["inclusion_ok"]) for f in doc["files"]] == [(0, True)]


def test_kit_file_and_published_proof_alone(
    run_cli: Run, pub: Published, loopback_chain: tuple[str, FakeChain], tmp_path: Path
) -> None:
    """A published proof names its network and transaction, so nothing else is needed."""
    from anchor.merkle.prooffile import ProofFile

    url, _ = loopback_chain
    collected = pub.bundle / "proofs" / "README.txt.proof.json"
    anchored = ProofFile.from_json_bytes(collected.read_bytes()).with_anchor(
        network="preprod", tx_hash=bytes.fromhex(pub.tx_hash)
    )
    proof = tmp_path / "README.txt.proof.json"
    proof.write_bytes(anchored.to_json_bytes())
    readme = str(pub.file("README.txt"))
    r = run_cli(
        ["verify", readme, "--proof", str(proof), "--provider", f"koios={url}/koios", "--json"]
    )
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["verdict"], doc["network"], doc["tx_hash"]) == (
        0,
        "valid",
        "cardano:preprod",
        pub.tx_hash,
    )
    assert doc["files"][0]["proofSource"] == "--proof"
    # a collect-time proof names no transaction: say so instead of "nothing to verify against"
    r = run_cli(["verify", readme, "--proof", str(collected)])
    assert one_error_line(r) == (
        f"error: {collected} names no transaction (a proof from before publish): "
        "pass --tx-hash HASH --network NET, or the published bundle (--bundle DIR)"
    )


def test_unreadable_or_malformed_proof_is_named(
    run_cli: Run, pub: Published, tmp_path: Path
) -> None:
    readme = str(pub.file("README.txt"))
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff\x00 not json")
    r = run_cli(_readme_args(pub, "--proof", str(garbage)))
    assert one_error_line(r) == f"error: {garbage}: proof file: JSON is not UTF-8 (byte 0)"
    # a directory used to be reported as "names no transaction"
    r = run_cli(["verify", readme, "--proof", str(tmp_path)])
    assert one_error_line(r) == f"error: {tmp_path}: not a regular file (a directory)"
