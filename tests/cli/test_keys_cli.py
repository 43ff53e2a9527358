"""`anchor keys new` and `anchor keys show`: modes, refusal to overwrite, exact output, no secrets."""

from __future__ import annotations

import json
import stat
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from anchor.label309.keys import encode_seed_string
from tests.conftest import one_error_line

# typer 0.23 imports click.utils.get_binary_stream/get_text_stream, which click 8.5 marks
# deprecated; with warnings as errors that import would fail inside run_cli. Import the CLI
# once here with only that warning silenced (a central filter in pyproject would be better).
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", r"'click\.utils\.get_\w+_stream' is deprecated", DeprecationWarning
    )
    import anchor.cli.main  # noqa: F401

PAYMENT_SEED = bytes(range(32))
CLI_SKEY = (
    "{\n"
    '    "type": "PaymentSigningKeyShelley_ed25519",\n'
    '    "description": "Payment Signing Key",\n'
    f'    "cborHex": "5820{PAYMENT_SEED.hex()}"\n'
    "}\n"
)
ZERO_SEED_STRING = encode_seed_string(bytes(32))


def _secrets_absent(result: Any, *secrets: str) -> None:
    for secret in secrets:
        for variant in (secret, secret.lower(), secret.upper()):
            assert variant not in result.stdout
            assert variant not in result.stderr


def _zero_seed_public(l309_data: Path) -> str:
    doc = json.loads((l309_data / "conformance/seed-derive/seed-from-zero.json").read_text())
    vector = doc["vectors"][0]
    assert vector["seed_hex"] == "00" * 32
    public: str = vector["expected_ed25519_public_hex"]
    return public


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    """A directory as a user would assemble it: the zero identity seed and a cardano-cli skey."""
    directory = tmp_path / "keys"
    directory.mkdir()
    (directory / "identity.seed").write_text(ZERO_SEED_STRING + "\n")
    (directory / "payment.skey").write_text(CLI_SKEY)
    return directory


def _expected_address(network: str) -> tuple[str, str, str]:
    from pycardano import Address, Network, PaymentSigningKey, PaymentVerificationKey

    vkey = PaymentVerificationKey.from_signing_key(PaymentSigningKey.from_json(CLI_SKEY))
    net = Network.MAINNET if network == "mainnet" else Network.TESTNET
    address = str(Address(payment_part=vkey.hash(), network=net))
    return vkey.payload.hex(), vkey.hash().payload.hex(), address


def test_keys_new_writes_private_files(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    out = tmp_path / "new"
    result = run_cli(["keys", "new", "-o", out])
    assert result.exit_code == 0, result.stderr
    for name, mode in (("identity.seed", 0o600), ("payment.skey", 0o600), ("payment.vkey", 0o644)):
        assert stat.S_IMODE((out / name).stat().st_mode) == mode
    seed_string = (out / "identity.seed").read_text()
    assert seed_string.endswith("\n") and seed_string.startswith("L309-SEED-1")
    skey = json.loads((out / "payment.skey").read_text())
    assert skey["type"] == "PaymentSigningKeyShelley_ed25519"
    assert skey["description"] == "Payment Signing Key"
    vkey = json.loads((out / "payment.vkey").read_text())
    assert vkey["type"] == "PaymentVerificationKeyShelley_ed25519"
    _secrets_absent(result, seed_string.strip(), skey["cborHex"], skey["cborHex"][4:])
    lines = result.stdout.splitlines()
    assert lines[0].startswith("identity public key: ") and len(lines[0]) == 21 + 64
    assert lines[1].startswith("payment key hash: ") and len(lines[1]) == 18 + 56

    shown = run_cli(["keys", "show", out, "--network", "preview", "--json"])
    assert shown.exit_code == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert doc["payment_verification_key"] == vkey["cborHex"][4:]
    assert f"identity public key: {doc['identity_public_key']}" == lines[0]
    _secrets_absent(shown, seed_string.strip(), skey["cborHex"][4:])


def test_keys_new_json(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    result = run_cli(["keys", "new", "--out-dir", tmp_path / "j", "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {
        "identity_seed_file",
        "payment_skey_file",
        "payment_vkey_file",
        "identity_public_key",
        "payment_key_hash",
    }
    seed_string = (tmp_path / "j" / "identity.seed").read_text().strip()
    _secrets_absent(result, seed_string)


def test_keys_new_refuses_to_overwrite(run_cli: Callable[..., Any], key_dir: Path) -> None:
    before = {p.name: p.read_bytes() for p in key_dir.iterdir()}
    result = run_cli(["keys", "new", "-o", key_dir])
    assert result.exit_code == 4
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert "refusing to overwrite" in result.stderr
    assert {p.name: p.read_bytes() for p in key_dir.iterdir()} == before
    _secrets_absent(result, ZERO_SEED_STRING, PAYMENT_SEED.hex())


@pytest.mark.parametrize("network", ["devnet", "preview", "preprod", "mainnet"])
def test_keys_show_exact_output(
    run_cli: Callable[..., Any], key_dir: Path, l309_data: Path, network: str
) -> None:
    vkey_hex, key_hash_hex, address = _expected_address(network)
    result = run_cli(["keys", "show", key_dir, "--network", network])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"identity public key: {_zero_seed_public(l309_data)}\n"
        f"payment verification key: {vkey_hex}\n"
        f"payment key hash: {key_hash_hex}\n"
        f"payment address ({network}): {address}\n"
    )
    assert address.startswith("addr1" if network == "mainnet" else "addr_test1")
    _secrets_absent(result, ZERO_SEED_STRING, PAYMENT_SEED.hex())


def test_keys_show_json(run_cli: Callable[..., Any], key_dir: Path, l309_data: Path) -> None:
    vkey_hex, key_hash_hex, address = _expected_address("mainnet")
    result = run_cli(["keys", "show", key_dir, "--network", "mainnet", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "network": "mainnet",
        "identity_public_key": _zero_seed_public(l309_data),
        "payment_verification_key": vkey_hex,
        "payment_key_hash": key_hash_hex,
        "payment_address": address,
    }
    _secrets_absent(result, ZERO_SEED_STRING, PAYMENT_SEED.hex())


@pytest.mark.parametrize(
    "args",
    [
        ["keys", "show", "{dir}"],  # --network is required
        ["keys", "show", "{dir}", "--network", "testnet"],
        ["keys", "show", "{dir}/missing", "--network", "preview"],
        ["keys", "new"],
    ],
)
def test_keys_usage_errors_exit_4(
    run_cli: Callable[..., Any], key_dir: Path, args: list[str]
) -> None:
    result = run_cli([a.replace("{dir}", str(key_dir)) for a in args])
    assert result.exit_code == 4
    assert "Traceback" not in result.stderr
    _secrets_absent(result, ZERO_SEED_STRING, PAYMENT_SEED.hex())


def test_keys_show_bad_seed_file_never_echoes_it(
    run_cli: Callable[..., Any], key_dir: Path
) -> None:
    broken = ZERO_SEED_STRING[:-1] + "Q"
    (key_dir / "identity.seed").write_text(broken + "\n")
    result = run_cli(["keys", "show", key_dir, "--network", "preview"])
    assert result.exit_code == 4
    assert "SEED_STRING_BAD_CHECKSUM" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    _secrets_absent(result, broken, broken[11:40], PAYMENT_SEED.hex())


# --- keys show reads the keys exactly as publish does; refusals are one line ----------------


_one_error = one_error_line


def test_keys_show_from_flags_and_environment_matches_the_directory(
    run_cli: Callable[..., Any], key_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANCHOR_IDENTITY_SEED", raising=False)
    monkeypatch.delenv("ANCHOR_PAYMENT_SKEY", raising=False)
    expected = run_cli(["keys", "show", key_dir, "--network", "preprod"])
    assert expected.exit_code == 0, expected.stderr
    seed, skey = key_dir / "identity.seed", key_dir / "payment.skey"
    from_flags = run_cli(
        ["keys", "show", "--network", "preprod", "--identity-seed", seed, "--payment-key", skey]
    )
    assert (from_flags.exit_code, from_flags.stdout, from_flags.stderr) == (
        0,
        expected.stdout,
        "",
    )
    monkeypatch.setenv("ANCHOR_IDENTITY_SEED", ZERO_SEED_STRING)
    monkeypatch.setenv("ANCHOR_PAYMENT_SKEY", CLI_SKEY)
    monkeypatch.setenv("ANCHOR_NETWORK", "preprod")
    from_env = run_cli(["keys", "show"])
    assert (from_env.exit_code, from_env.stdout, from_env.stderr) == (0, expected.stdout, "")
    _secrets_absent(from_env, ZERO_SEED_STRING, PAYMENT_SEED.hex())


def test_keys_show_payment_key_only_notes_the_missing_seed(
    run_cli: Callable[..., Any], key_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANCHOR_IDENTITY_SEED", raising=False)
    vkey_hex, key_hash_hex, address = _expected_address("preview")
    r = run_cli(["keys", "show", "--payment-key", key_dir / "payment.skey", "--network", "preview"])
    assert r.exit_code == 0
    assert r.stdout == (
        f"payment verification key: {vkey_hex}\n"
        f"payment key hash: {key_hash_hex}\n"
        f"payment address (preview): {address}\n"
    )
    assert r.stderr == "no identity seed: records would be published unsigned (--unsigned)\n"
    quiet = run_cli(
        ["keys", "show", "--payment-key", key_dir / "payment.skey", "--network", "preview", "-q"]
    )
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, r.stdout, "")


def test_keys_show_refusals(
    run_cli: Callable[..., Any], key_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ANCHOR_IDENTITY_SEED", "ANCHOR_PAYMENT_SKEY", "ANCHOR_NETWORK"):
        monkeypatch.delenv(name, raising=False)
    assert _one_error(run_cli(["keys", "show", key_dir])) == (
        "error: which network? pass --network devnet|preview|preprod|mainnet "
        "(or set ANCHOR_NETWORK)"
    )
    assert _one_error(run_cli(["keys", "show", "--network", "preview"])) == (
        "error: no keys to show: pass KEY_DIR, or --identity-seed FILE / --payment-key FILE, "
        "or set ANCHOR_IDENTITY_SEED / ANCHOR_PAYMENT_SKEY"
    )
    both = ["keys", "show", key_dir, "--payment-key", key_dir / "payment.skey"]
    assert _one_error(run_cli([*both, "--network", "preview"])) == (
        "error: give either KEY_DIR or --identity-seed/--payment-key, not both"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _one_error(run_cli(["keys", "show", empty, "--network", "preview"])) == (
        f"error: {empty} holds neither identity.seed nor payment.skey"
    )


def test_keys_show_corrupted_signing_key(run_cli: Callable[..., Any], key_dir: Path) -> None:
    skey = key_dir / "payment.skey"
    skey.write_text(CLI_SKEY.replace('"cborHex": "5820', '"cborHex": "58'))
    r = run_cli(["keys", "show", key_dir, "--network", "preview"])
    assert _one_error(r) == f"error: {skey}: cborHex is not a CBOR byte string in hex"
    _secrets_absent(r, PAYMENT_SEED.hex(), ZERO_SEED_STRING)
    skey.write_bytes(b"\xff\xfe garbage")
    r = run_cli(["keys", "show", key_dir, "--network", "preview"])
    assert r.exit_code == 4
    assert _one_error(r) == (
        f"error: payment signing key {skey} is not text: expected a cardano-cli text "
        "envelope, a cborHex string or an l309-seed string"
    )


def test_keys_new_refuses_when_any_file_exists_and_writes_nothing(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    out = tmp_path / "partial"
    out.mkdir()
    (out / "payment.vkey").write_text("left from an earlier run")
    r = run_cli(["keys", "new", "--output", out])
    assert _one_error(r) == f"error: refusing to overwrite existing file {out / 'payment.vkey'}"
    assert sorted(p.name for p in out.iterdir()) == ["payment.vkey"]


def test_keys_new_output_alias_and_quiet(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    r = run_cli(["keys", "new", "--output", tmp_path / "q", "-q"])
    assert r.exit_code == 0 and r.stderr == ""
    assert [line.split(": ")[0] for line in r.stdout.splitlines()] == [
        "identity public key",
        "payment key hash",
    ]
    assert sorted(p.name for p in (tmp_path / "q").iterdir()) == [
        "identity.seed",
        "payment.skey",
        "payment.vkey",
    ]


def test_keys_help_has_examples(run_cli: Callable[..., Any]) -> None:
    for command in ("new", "show"):
        r = run_cli(["keys", command, "--help"])
        assert r.exit_code == 0 and "  Examples:\n" in r.stdout
    assert "    anchor keys show --payment-key keys/payment.skey --network preview\n" in (
        run_cli(["keys", "show", "--help"]).stdout
    )
