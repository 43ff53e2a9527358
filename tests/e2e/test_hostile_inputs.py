"""Issue 15, outside the verifier: each case as a user or a hostile tester would meet it.

Every test states the exact exit code and the exact line (or error code) and fails on
the code before the fix (see the closing note of issue 15 for the table).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult, one_error_line
from tests.unit.verify.kit import SAMPLE_FILES, publish_bundle, write_files

with warnings.catch_warnings():  # see tests/cli/test_keys_cli.py
    warnings.filterwarnings(
        "ignore", r"'click\.utils\.get_\w+_stream' is deprecated", DeprecationWarning
    )
    import anchor.cli.main  # noqa: F401

Run = Callable[..., CliResult]
PUBLISH_FILES = ["anchor.json", "chain-facts.json", "record.cbor", "tx.cbor"]


# -- 2. collect --force over a published bundle ----------------------------------------


def _published(tmp_path: Path) -> tuple[Path, Path]:
    pub = publish_bundle(tmp_path, SAMPLE_FILES)
    changed = tmp_path / "changed"
    write_files(changed, {**SAMPLE_FILES, "README.txt": b"other notes\n"})
    return pub.bundle, changed


def test_force_once_refuses_a_published_bundle(run_cli: Run, tmp_path: Path) -> None:
    bundle, changed = _published(tmp_path)
    before = sorted(p.name for p in bundle.iterdir())
    r = run_cli(["collect", changed, "--root", changed, "-o", bundle, "--force"])
    assert one_error_line(r) == (
        f"error: {bundle} holds a published bundle: replacing it would discard its anchor "
        "(anchor.json, chain-facts.json, record.cbor, tx.cbor) and the anchor in its proof "
        "files; give --force twice or --discard-anchor to replace it anyway"
    )
    assert sorted(p.name for p in bundle.iterdir()) == before


@pytest.mark.parametrize("flags", [["--force", "--force"], ["--discard-anchor"]])
def test_force_twice_replaces_and_says_what_is_discarded(
    run_cli: Run, tmp_path: Path, flags: list[str]
) -> None:
    bundle, changed = _published(tmp_path)
    r = run_cli(["collect", changed, "--root", changed, "-o", bundle, *flags, "--json"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["discarded"] == PUBLISH_FILES
    assert r.stderr.splitlines()[-1] == (
        "discarded the old bundle's anchor: anchor.json, chain-facts.json, record.cbor, tx.cbor"
    )
    assert not any((bundle / name).exists() for name in PUBLISH_FILES)


# -- 6. a same-size overwrite while collect hashes a file ------------------------------


@pytest.mark.parametrize("dual", [False, True], ids=["sha256", "dual-hash"])
def test_same_size_overwrite_during_hashing_fails_the_file(tmp_path: Path, dual: bool) -> None:
    from anchor.errors import EXIT_INPUT
    from anchor.evidence.digests import FileChangedError, HashJob, hash_files

    size = 16 << 20
    path = tmp_path / "big.img"
    path.write_bytes(bytes(size))
    # A file last written long ago (as a release artifact is): the writer below moves its
    # mtime to now, whatever the clock's granularity.
    os.utime(path, ns=(946_684_800 * 10**9, 946_684_800 * 10**9))
    written: list[int] = []

    def writer(_n: int) -> None:  # progress runs on the hashing thread, mid-file
        if not written:
            fd = os.open(path, os.O_WRONLY)
            try:  # dd conv=notrunc: one byte at offset 0 and one near the end
                written.append(os.pwrite(fd, b"\x01", 0) + os.pwrite(fd, b"\x01", size - 7))
            finally:
                os.close(fd)

    with pytest.raises(FileChangedError) as info:
        hash_files([HashJob(str(path), "big.img", size)], dual=dual, workers=1, progress=writer)
    assert written == [2]
    assert os.path.getsize(path) == size
    assert info.value.exit_code == EXIT_INPUT
    assert info.value.diagnostics() == "big.img changed while it was being read"


# -- 7. a path whose '..' follows a symlink --------------------------------------------


@pytest.fixture
def up_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """names/sub/up -> .. (so names/sub/up/.. is the folder above names), a decoy at
    names/sub/outside.txt (what the text names/sub/up/../outside.txt normalises to)."""
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path, {"outside.txt": b"the file the OS opens\n"})
    write_files(tmp_path / "names", {"sub/outside.txt": b"decoy\n", "real.txt": b"real\n"})
    os.symlink("..", tmp_path / "names" / "sub" / "up")
    return tmp_path


def test_dotdot_after_a_symlink_outside_the_root_is_refused(run_cli: Run, up_tree: Path) -> None:
    r = run_cli(["collect", "names/sub/up/../outside.txt", "--root", "names", "-o", "ev"])
    assert one_error_line(r) == (
        f"error: names/sub/up/../outside.txt is outside the root {up_tree / 'names'} "
        "(set --root to a common parent)"
    )
    assert not (up_tree / "ev").exists()


def test_dotdot_after_a_symlink_is_named_by_its_real_place(run_cli: Run, up_tree: Path) -> None:
    r = run_cli(["collect", "names/sub/up/../names/real.txt", "--root", "names", "-o", "ev"])
    assert r.exit_code == 0, r.stderr
    [item] = json.loads((up_tree / "ev" / "manifest.json").read_bytes())["items"]
    assert (item["name"], item["size"]) == ("real.txt", 5)


# -- 9. a secret passed as a flag value is never echoed --------------------------------

SECRET_LINE = (
    "the value given is not a file path "
    "(it looks like a secret: pass the file or the environment variable)"
)


@pytest.fixture(scope="module")
def key_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from anchor.chain.keys import PaymentKey, create_key_set

    out = tmp_path_factory.mktemp("keys") / "keys"
    create_key_set(out, seed=bytes(range(32)), payment=PaymentKey.from_seed(bytes(32)))
    return out


def _secret_values(key_dir: Path) -> dict[str, str]:
    skey = (key_dir / "payment.skey").read_text()
    return {
        "seed-string": (key_dir / "identity.seed").read_text().strip(),
        "seed-upper": (key_dir / "identity.seed").read_text().strip().upper(),
        "envelope": skey,
        "cbor-hex": json.loads(skey)["cborHex"],
        "hex-64": bytes(range(32)).hex(),
        "bech32-sk": "ed25519_sk1" + "q" * 52,
    }


@pytest.mark.parametrize("verbose", [[], ["-v"]], ids=["plain", "verbose"])
@pytest.mark.parametrize("flag", ["--identity-seed", "--payment-key"])
@pytest.mark.parametrize(
    "kind", ["seed-string", "seed-upper", "envelope", "cbor-hex", "hex-64", "bech32-sk"]
)
def test_a_secret_as_a_flag_value_is_never_echoed(
    run_cli: Run, key_dir: Path, verbose: list[str], flag: str, kind: str
) -> None:
    value = _secret_values(key_dir)[kind]
    r = run_cli([*verbose, "keys", "show", flag, value, "--network", "devnet"])
    assert r.exit_code == 4
    assert r.stdout == ""
    assert r.stderr.splitlines()[-1] == f"error: {flag}: {SECRET_LINE}"
    core = value.strip()[-50:]  # the seed string's data, the key's hex, the bech32 data
    assert core.lower() not in r.stderr.lower()


def test_a_secret_as_key_dir_or_publish_flag_is_never_echoed(run_cli: Run, key_dir: Path) -> None:
    seed = (key_dir / "identity.seed").read_text().strip()
    r = run_cli(["keys", "show", seed, "--network", "devnet"])
    assert one_error_line(r) == f"error: KEY_DIR: {SECRET_LINE}"
    bundle = Path(__file__).parent  # any folder; the keys are read before the bundle is used
    r = run_cli(["publish", str(bundle), "--identity-seed", seed, "--network", "devnet"])
    assert seed not in r.stderr and r.exit_code == 4


def test_a_path_that_is_no_secret_is_still_named(run_cli: Run, tmp_path: Path) -> None:
    r = run_cli(["keys", "show", "--identity-seed", tmp_path / "nope.seed", "--network", "devnet"])
    assert one_error_line(r) == (
        f"error: cannot read identity seed {tmp_path / 'nope.seed'}: No such file or directory"
    )


# -- 12. deeply nested JSON in a payment key file --------------------------------------


@pytest.mark.parametrize(
    ("depth", "line"),
    [
        (
            200_000,
            "error: payment signing key {path} is larger than 65536 bytes: not a key file",
        ),
        (
            20_000,
            "error: {path}: not a cardano-cli text envelope (JSON nested too deeply or too large)",
        ),
    ],
)
def test_deep_json_in_a_payment_key_is_one_line_exit_4(
    run_cli: Run, tmp_path: Path, depth: int, line: str
) -> None:
    path = tmp_path / "deep.skey"
    path.write_text("[" * depth + "]" * depth)
    r = run_cli(["keys", "show", "--payment-key", path, "--network", "devnet"])
    assert one_error_line(r) == line.format(path=path)


# -- 14. --json gives an error object on stdout for every failure ----------------------


def _error_doc(r: CliResult) -> dict[str, object]:
    [line] = r.stdout.splitlines()
    doc = json.loads(line)
    assert list(doc) == ["error"]
    error: dict[str, object] = doc["error"]
    assert list(error) == ["code", "message", "exitCode"]
    assert str(error["message"]) in r.stderr.splitlines()[-1]
    return error


def test_json_error_on_input_errors(run_cli: Run, tmp_path: Path) -> None:
    r = run_cli(["collect", tmp_path / "absent", "-o", tmp_path / "ev", "--json"])
    assert r.exit_code == 4
    assert _error_doc(r) == {
        "code": "missing-input-error",
        "message": f"no such file or directory: {tmp_path / 'absent'}",
        "exitCode": 4,
    }
    r = run_cli(["keys", "show", "--json"])
    assert _error_doc(r)["exitCode"] == 4
    r = run_cli(["merkle", "root", "--json", "--bogus"])
    assert r.exit_code == 4
    assert _error_doc(r) == {
        "code": "usage-error",
        "message": "No such option '--bogus'.",
        "exitCode": 4,
    }


def test_json_error_on_a_standard_code(run_cli: Run, tmp_path: Path) -> None:
    seed = tmp_path / "bad.seed"
    seed.write_text("l309-seed-1qqqqqqqqqqqqqqqqqqqqqq\n")
    r = run_cli(["keys", "show", "--identity-seed", seed, "--network", "devnet", "--json"])
    assert (r.exit_code, _error_doc(r)["code"]) == (4, "SEED_STRING_BAD_CHECKSUM")


def test_json_error_on_an_environment_failure(run_cli: Run) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = run_cli(["devnet", "--port", port, "--json"])
    assert r.exit_code == 5
    assert _error_doc(r) == {
        "code": "environment-failure",
        "message": f"cannot listen on 127.0.0.1:{port}: Address already in use",
        "exitCode": 5,
    }


def test_json_error_on_an_internal_error(run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    import anchor.chain.keys

    def broken(*_args: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(anchor.chain.keys, "configured_key_set", broken)
    r = run_cli(["keys", "show", "--network", "devnet", "--json"])
    assert r.exit_code == 70
    assert _error_doc(r) == {
        "code": "internal-error",
        "message": "ZeroDivisionError: boom",
        "exitCode": 70,
    }


# -- 11. control characters in names never forge a line --------------------------------

FORGED = "line\n       0  ok                        fake.tgz\x1b[2K\u202e"
FORGED_SHOWN = "line\\n       0  ok                        fake.tgz\\x1b[2K\\u202e"


def test_collect_warning_escapes_control_characters(run_cli: Run, tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_files(src, {f"{FORGED}.cdx.json": b"not json"})
    r = run_cli(["collect", src, "--root", src, "-o", tmp_path / "ev"])
    assert r.exit_code == 0, r.stderr
    warning, summary = r.stderr.splitlines()
    assert warning == (f"warning: {FORGED_SHOWN}.cdx.json: sbom: not valid JSON (line 1, column 1)")
    assert summary.startswith(f"created {tmp_path / 'ev'}: 1 items, 8 bytes, root ")


def test_verify_summary_rows_escape_control_characters(run_cli: Run, tmp_path: Path) -> None:
    pub = publish_bundle(tmp_path, {**SAMPLE_FILES, FORGED: b"forged row\n"})
    r = run_cli(["verify", pub.source / FORGED, "--bundle", pub.bundle])
    assert r.exit_code == 0, r.stderr
    rows = [line for line in r.stderr.splitlines() if "fake.tgz" in line]
    assert len(rows) == 1
    assert rows[0].endswith(
        f"ok                        {pub.source}/{FORGED_SHOWN} (item {FORGED_SHOWN}, artifact)"
    )
    assert "\x1b" not in r.stderr and "\u202e" not in r.stderr


def test_error_lines_escape_control_characters(run_cli: Run, tmp_path: Path) -> None:
    r = run_cli(["collect", tmp_path / "a\nerror: b\rc\x1bd\u202ee", "-o", tmp_path / "ev"])
    assert one_error_line(r) == (
        f"error: no such file or directory: {tmp_path}/a\\nerror: b\\rc\\x1bd\\u202ee"
    )


# -- 13. names of 245-255 bytes ---------------------------------------------------------


@pytest.mark.parametrize("length", [244, 245, 250, 255])
def test_long_names_are_collected_and_their_proofs_found(
    run_cli: Run, tmp_path: Path, length: int
) -> None:
    from anchor.evidence.proofnames import proof_path

    name = "dist/" + "n" * (length - 4) + ".tgz"
    assert len(name.rpartition("/")[2].encode()) == length
    pub = publish_bundle(tmp_path, {**SAMPLE_FILES, name: b"long name\n"})
    proof = pub.bundle / proof_path(name)
    assert proof.is_file()
    assert len(proof.name.encode()) <= 255
    hashed = length + len(".proof.json") > 255
    assert (proof.name == name[5:] + ".proof.json") is not hashed
    (pub.bundle / "leaves.cbor").unlink()  # the proof must come from proofs/, by digest
    r = run_cli(["verify", pub.source / name, "--bundle", pub.bundle, "--json"])
    assert r.exit_code == 0, r.stderr
    [row] = json.loads(r.stdout)["files"]
    assert (row["inclusion_ok"], row["leaf_index"]) == (True, pub.names.index(name))


def test_long_name_collect_cli(run_cli: Run, tmp_path: Path) -> None:
    src = tmp_path / "src"
    write_files(src, {"é" * 122 + ".tgz": b"two-byte letters: 248 bytes\n"})
    r = run_cli(["collect", src, "--root", src, "-o", tmp_path / "ev", "--json"])
    assert r.exit_code == 0, r.stderr
    [proof] = (tmp_path / "ev" / "proofs").iterdir()
    assert proof.name == hashlib.sha256(("é" * 122 + ".tgz").encode()).hexdigest() + ".proof.json"


def test_an_item_named_like_another_items_hashed_proof_is_refused(
    run_cli: Run, tmp_path: Path
) -> None:
    long = "n" * 250
    short = hashlib.sha256(long.encode()).hexdigest()
    src = tmp_path / "src"
    write_files(src, {long: b"a", short: b"b"})
    r = run_cli(["collect", src, "--root", src, "-o", tmp_path / "ev"])
    assert one_error_line(r) == (
        f"error: items {short} and {long} would have the same proof file proofs/{short}.proof.json"
    )


def test_deep_json_read_by_publish_is_one_line_exit_4(run_cli: Run, tmp_path: Path) -> None:
    from anchor.chain.keys import create_key_set

    src = tmp_path / "src"
    write_files(src, {"a.txt": b"a\n"})
    bundle = tmp_path / "ev"
    assert run_cli(["collect", src, "--root", src, "-o", bundle, "-q"]).exit_code == 0
    keys = create_key_set(tmp_path / "keys")
    (bundle / "manifest.json").write_text("[" * 200_000 + "]" * 200_000)
    r = run_cli(
        [
            "publish", bundle, "--network", "devnet", "--provider-url", "http://127.0.0.1:9/api/v0",
            "--identity-seed", keys.identity_seed_path, "--payment-key", keys.payment_skey_path,
        ]
    )  # fmt: skip
    # the strict loader refuses the depth itself (no RecursionError reaches main)
    assert one_error_line(r) == f"error: {bundle / 'manifest.json'}: JSON nested too deeply"
    assert r.exit_code == 4


def test_memory_error_is_one_line_exit_4(run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    import anchor.chain.keys

    def exhausted(*_args: object) -> None:
        raise MemoryError

    monkeypatch.setattr(anchor.chain.keys, "configured_key_set", exhausted)
    r = run_cli(["keys", "show", "--network", "devnet"])
    assert one_error_line(r) == "error: an input file is too large to read (MemoryError)"


# -- 16. waiting for confirmations while the provider is down ----------------------------


def test_backoff_schedule_is_exponential_with_a_cap() -> None:
    from anchor.publish.confirm import BACKOFF_CAP, poll_delay

    assert BACKOFF_CAP == 30.0
    assert [poll_delay(0.2, n) for n in range(10)] == [
        0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0,
    ]  # fmt: skip
    assert [poll_delay(5.0, n) for n in range(5)] == [5.0, 10.0, 20.0, 30.0, 30.0]
    assert poll_delay(60.0, 3) == 60.0  # never shorter than the interval itself
    assert poll_delay(0.2, 10_000) == 30.0


def test_a_stopped_devnet_is_polled_with_backoff_and_one_line_per_state(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from anchor.chain.readers import BlockfrostReader, HttpxClient
    from anchor.cli.publish import _Display
    from anchor.devnet.server import start_devnet
    from anchor.publish.confirm import ConfirmationTimeout, wait_for_confirmations

    with start_devnet(port=0) as net:
        url = net.url
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(round(seconds, 6))
        now[0] += seconds

    display = _Display(enabled=True, tty=False, quiet=False)
    client = HttpxClient(timeout=5.0)
    try:
        with pytest.raises(ConfirmationTimeout) as info:
            wait_for_confirmations(
                [BlockfrostReader(url, client=client)],
                "ab" * 32,
                target=1,
                timeout=60.0,
                poll_interval=0.2,  # the devnet's
                on_progress=display,
                clock=lambda: now[0],
                sleep=sleep,
            )
    finally:
        client.close()
    assert sleeps == [0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 9.2]  # 9 polls, not 300
    assert info.value.exit_code == 5
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(";")[0] for line in lines] == [
        "confirmations 0/1 (not in a block yet, 0 s)",
        "confirmations 0/1 (not in a block yet, 51 s)",
    ]
    assert lines[0].endswith("(next try in 0.4 s)")
    assert "; provider error, retrying: " in lines[0]


def test_the_status_line_is_rewritten_in_place_on_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from anchor.cli.publish import _Display
    from anchor.publish.confirm import WaitProgress

    display = _Display(enabled=True, tty=True, quiet=False)
    for second in range(5):
        display(WaitProgress("ab" * 32, 0, 1, float(second), 60.0, None))
    display(WaitProgress("ab" * 32, 1, 1, 5.0, 60.0, 7))
    display.close()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith("\n")
    assert err.count("\r") == 6
    last = "confirmations 1/1 (block 7, 5 s)"
    assert (
        err.rsplit("\r", 1)[1] == last + " " * (len("not in a block yet") - len("block 7")) + "\n"
    )


# -- 17. a provider URL without /api/v0 --------------------------------------------------


def test_a_provider_url_without_the_version_path_gets_a_hint(run_cli: Run, tmp_path: Path) -> None:
    from anchor.chain.keys import create_key_set
    from anchor.devnet.server import start_devnet

    src = tmp_path / "src"
    write_files(src, {"a.txt": b"a\n"})
    bundle = tmp_path / "ev"
    assert run_cli(["collect", src, "--root", src, "-o", bundle, "-q"]).exit_code == 0
    keys = create_key_set(tmp_path / "keys")
    with start_devnet(port=0) as net:
        root = net.url.removesuffix("/api/v0")
        r = run_cli(
            [
                "publish", bundle, "--network", "devnet", "--provider-url", root, "-q",
                "--identity-seed", keys.identity_seed_path, "--payment-key", keys.payment_skey_path,
            ]
        )  # fmt: skip
    assert one_error_line(r, exit_code=5) == (
        "error: blockfrost: protocol parameters: HTTP 404: The requested component has not "
        f"been found. (--provider-url is the API root including its version path, e.g. "
        f"{root}/api/v0; {root} does not serve the Blockfrost API)"
    )


def test_version_path_hint() -> None:
    from anchor.chain.blockfrost import version_path_hint

    assert version_path_hint("http://127.0.0.1:8090/api/v0") is None
    assert version_path_hint("http://u:p@127.0.0.1:8090/api/v0/?x=1") is None
    assert version_path_hint("http://127.0.0.1:8090/api/") == (
        "--provider-url is the API root including its version path, e.g. "
        "http://127.0.0.1:8090/api/v0; http://127.0.0.1:8090/api does not serve the Blockfrost API"
    )
    assert version_path_hint("https://u:p@example.test/?q=1") == (
        "--provider-url is the API root including its version path, e.g. "
        "https://example.test/api/v0; https://example.test does not serve the Blockfrost API"
    )


# -- 18. the README's collect example on the shipped sample release -----------------------


def test_the_readme_collect_example_works_on_the_sample_release(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shlex

    from tests.conftest import REPO

    [command] = [
        line
        for line in (REPO / "README.md").read_text().splitlines()
        if line.startswith("anchor collect ")
    ]
    shutil.copytree(REPO / "fixtures" / "sample-release", tmp_path / "release")
    monkeypatch.chdir(tmp_path / "release")
    r = run_cli([*shlex.split(command)[1:], "--no-env", "--json"])
    assert r.exit_code == 0, r.stderr
    manifest = json.loads((tmp_path / "release" / "evidence" / "manifest.json").read_bytes())
    assert [(i["name"], i["kind"]) for i in manifest["items"]] == [
        ("attestations/provenance.intoto.json", "attestation"),
        ("attestations/release.intoto.jsonl", "attestation"),
        ("attestations/test-result.dsse.json", "attestation"),
        ("dist/SHA256SUMS", "manifest"),
        ("dist/evidence-demo-1.0.0.tar.gz", "artifact"),
        ("dist/evidence-demo-1.0.0.tar.gz.sigstore.json", "attestation"),
        ("logs/build.log", "log"),
        ("sbom/evidence-demo.cdx.json", "sbom"),
        ("sbom/evidence-demo.cdx.xml", "sbom"),
        ("sbom/evidence-demo.spdx", "sbom"),
        ("sbom/evidence-demo.spdx.json", "sbom"),
    ]
