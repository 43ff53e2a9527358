"""Payment keys, addresses, text envelopes, secret loaders and key-file creation."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from anchor.chain import keys as ck
from anchor.errors import InputError
from anchor.label309.keys import KeyDerivationError, encode_seed_string

SEED = bytes(range(32))
# Hand-written like cardano-cli's `address key-gen` output.
CLI_SKEY = (
    "{\n"
    '    "type": "PaymentSigningKeyShelley_ed25519",\n'
    '    "description": "Payment Signing Key",\n'
    '    "cborHex": "5820000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"\n'
    "}\n"
)
SKEY_HEX = SEED.hex()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ck.IDENTITY_SEED_ENV, raising=False)
    monkeypatch.delenv(ck.PAYMENT_SKEY_ENV, raising=False)


def test_cli_envelope_and_address_match_pycardano() -> None:
    from pycardano import Address, Network, PaymentSigningKey, PaymentVerificationKey

    key = ck.parse_signing_key(CLI_SKEY, source="test")
    theirs = PaymentSigningKey.from_json(CLI_SKEY)
    their_vkey = PaymentVerificationKey.from_signing_key(theirs)
    assert key.verification_key == their_vkey.payload
    assert key.key_hash == their_vkey.hash().payload
    for network_id, network in ((0, Network.TESTNET), (1, Network.MAINNET)):
        expected = str(Address(payment_part=their_vkey.hash(), network=network))
        assert key.address(network_id) == expected
        assert str(Address.from_primitive(key.address(network_id))) == expected
    assert key.address(1).startswith("addr1v")
    assert key.address(0).startswith("addr_test1v")
    # Our envelopes load in pycardano too.
    assert PaymentSigningKey.from_json(ck.signing_key_envelope(key)).payload == SEED
    assert (
        PaymentVerificationKey.from_json(ck.verification_key_envelope(key)).payload
        == key.verification_key
    )


def test_envelope_format() -> None:
    key = ck.PaymentKey.from_seed(SEED)
    doc = json.loads(ck.signing_key_envelope(key))
    assert doc == {
        "type": "PaymentSigningKeyShelley_ed25519",
        "description": "Payment Signing Key",
        "cborHex": "5820" + SKEY_HEX,
    }
    vdoc = json.loads(ck.verification_key_envelope(key))
    assert vdoc["type"] == "PaymentVerificationKeyShelley_ed25519"
    assert vdoc["cborHex"] == "5820" + key.verification_key.hex()
    assert ck.parse_verification_key(ck.verification_key_envelope(key), source="t") == (
        key.verification_key
    )
    assert SKEY_HEX not in repr(key)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            '{"type": "PaymentExtendedSigningKeyShelley_ed25519_bip32", "cborHex": "5880'
            + "00" * 128
            + '"}',
            "extended (BIP32) keys are not supported",
        ),
        (
            '{"type": "PaymentVerificationKeyShelley_ed25519", "cborHex": "5820' + "00" * 32 + '"}',
            "is a verification key",
        ),
        (
            '{"type": "StakeSigningKeyShelley_ed25519", "cborHex": "5820' + SKEY_HEX + '"}',
            "envelope type is not",
        ),
        (
            '{"type": "PaymentSigningKeyShelley_ed25519", "cborHex": "5821' + SKEY_HEX + '"}',
            "cborHex is not a CBOR byte string",
        ),
        (
            '{"type": "PaymentSigningKeyShelley_ed25519", "cborHex": "5819' + SKEY_HEX[:50] + '"}',
            "32-byte key",
        ),
        ('{"type": "PaymentSigningKeyShelley_ed25519"}', "cborHex is missing"),
        ('{"type": "PaymentSigningKeyShelley_ed25519", "cborHex": "' + SKEY_HEX, "invalid JSON"),
        ("[1, 2]", "not a cardano-cli text envelope"),
        ("zz" + SKEY_HEX, "cborHex is not a CBOR byte string"),
        ("", "is empty"),
    ],
)
def test_bad_signing_keys(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        ck.parse_signing_key(text, source="SRC")
    message = info.value.diagnostics()
    assert fragment in message
    assert message.startswith("SRC")
    assert SKEY_HEX not in message and SKEY_HEX[:50] not in message


def test_bare_cbor_hex_accepted() -> None:
    assert ck.parse_signing_key("5820" + SKEY_HEX.upper() + "\n", source="t").signing_seed == SEED


def test_load_identity_seed_file_then_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "identity.seed"
    path.write_text(encode_seed_string(SEED) + "\n")
    assert ck.load_identity_seed(str(path)) == SEED
    monkeypatch.setenv(ck.IDENTITY_SEED_ENV, encode_seed_string(bytes(32)).lower())
    assert ck.load_identity_seed(None) == bytes(32)
    assert ck.load_identity_seed(str(path)) == SEED  # an explicit file wins


def test_load_identity_seed_missing_and_bad(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError) as info:
        ck.load_identity_seed(None)
    assert "--identity-seed" in info.value.message and "ANCHOR_IDENTITY_SEED" in info.value.message
    assert info.value.exit_code == 4
    bad = encode_seed_string(SEED)[:-1] + "Q"
    monkeypatch.setenv(ck.IDENTITY_SEED_ENV, bad)
    with pytest.raises(KeyDerivationError) as kinfo:
        ck.load_identity_seed(None)
    assert kinfo.value.code == "SEED_STRING_BAD_CHECKSUM"
    assert "ANCHOR_IDENTITY_SEED" in kinfo.value.message
    assert bad[12:40] not in kinfo.value.message
    with pytest.raises(InputError) as info:
        ck.load_identity_seed("/nonexistent/identity.seed")
    assert "cannot read identity seed" in info.value.message


def test_load_payment_key_file_then_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError) as info:
        ck.load_payment_key(None)
    assert "--payment-key" in info.value.message and "ANCHOR_PAYMENT_SKEY" in info.value.message
    path = tmp_path / "payment.skey"
    path.write_text(CLI_SKEY)
    assert ck.load_payment_key(str(path)).signing_seed == SEED
    monkeypatch.setenv(ck.PAYMENT_SKEY_ENV, CLI_SKEY)
    assert ck.load_payment_key(None).signing_seed == SEED
    monkeypatch.setenv(ck.PAYMENT_SKEY_ENV, "5820" + "ff" * 32)
    assert ck.load_payment_key(None).signing_seed == b"\xff" * 32
    monkeypatch.setenv(ck.PAYMENT_SKEY_ENV, "   ")
    with pytest.raises(InputError):
        ck.load_payment_key(None)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_create_key_set_modes_and_contents(tmp_path: Path) -> None:
    old = os.umask(0)  # even a permissive umask must not widen the secrets
    try:
        created = ck.create_key_set(
            tmp_path / "keys", seed=SEED, payment=ck.PaymentKey.from_seed(SEED)
        )
    finally:
        os.umask(old)
    assert _mode(created.identity_seed_path) == 0o600
    assert _mode(created.payment_skey_path) == 0o600
    assert _mode(created.payment_vkey_path) == 0o644
    assert created.identity_seed_path.read_text() == encode_seed_string(SEED) + "\n"
    assert json.loads(created.payment_skey_path.read_text())["cborHex"] == "5820" + SKEY_HEX
    info = ck.read_key_set(tmp_path / "keys")
    assert info == created.info
    assert info.payment_key_hash == ck.PaymentKey.from_seed(SEED).key_hash


def test_create_key_set_is_random_by_default(tmp_path: Path) -> None:
    a = ck.create_key_set(tmp_path / "a").info
    b = ck.create_key_set(tmp_path / "b").info
    assert a.identity_public != b.identity_public
    assert a.payment_verification_key != b.payment_verification_key


def test_create_key_set_refuses_overwrite(tmp_path: Path) -> None:
    (tmp_path / "payment.vkey").write_text("keep me")
    with pytest.raises(InputError) as info:
        ck.create_key_set(tmp_path)
    assert "refusing to overwrite" in info.value.message
    assert not (tmp_path / "identity.seed").exists()  # nothing written before the refusal
    assert (tmp_path / "payment.vkey").read_text() == "keep me"
    (tmp_path / "payment.vkey").unlink()
    os.symlink(tmp_path / "elsewhere", tmp_path / "payment.skey")  # dangling symlink
    with pytest.raises(InputError):
        ck.create_key_set(tmp_path)
    assert not (tmp_path / "elsewhere").exists()


def test_read_key_set_partial_and_mismatch(tmp_path: Path) -> None:
    (tmp_path / "payment.skey").write_text(CLI_SKEY)
    info = ck.read_key_set(tmp_path)
    assert info.identity_public is None
    assert info.payment_verification_key == ck.PaymentKey.from_seed(SEED).verification_key
    other = ck.PaymentKey.from_seed(bytes(32))
    (tmp_path / "payment.vkey").write_text(ck.verification_key_envelope(other))
    with pytest.raises(InputError) as err:
        ck.read_key_set(tmp_path)
    assert "does not match" in err.value.message
    with pytest.raises(InputError):
        ck.read_key_set(tmp_path / "empty-missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError):
        ck.read_key_set(tmp_path / "empty")


def test_configured_key_set_reads_files_else_environment_and_skips_what_is_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = ck.create_key_set(tmp_path / "keys", seed=SEED, payment=ck.PaymentKey.from_seed(SEED))
    assert ck.configured_key_set(None, None) == ck.KeySetInfo(None, None)
    both = ck.configured_key_set(str(created.identity_seed_path), str(created.payment_skey_path))
    assert both == created.info == ck.key_set_info(SEED, ck.PaymentKey.from_seed(SEED))
    only_payment = ck.configured_key_set(None, str(created.payment_skey_path))
    assert only_payment == ck.KeySetInfo(None, created.info.payment_verification_key)
    monkeypatch.setenv(ck.IDENTITY_SEED_ENV, "  ")  # blank counts as unset
    assert ck.configured_key_set(None, None) == ck.KeySetInfo(None, None)
    monkeypatch.setenv(ck.IDENTITY_SEED_ENV, encode_seed_string(SEED))
    monkeypatch.setenv(ck.PAYMENT_SKEY_ENV, CLI_SKEY)
    assert ck.configured_key_set(None, None) == created.info
    with pytest.raises(InputError, match="cannot read identity seed"):
        ck.configured_key_set(str(tmp_path / "missing.seed"), None)


def test_enterprise_address_bounds() -> None:
    vkey = ck.PaymentKey.from_seed(SEED).verification_key
    with pytest.raises(InputError):
        ck.enterprise_address(vkey, 16)
    with pytest.raises(InputError):
        ck.enterprise_address(vkey[:31], 0)


def test_binary_key_file_is_a_clear_input_error(tmp_path: Path) -> None:
    from anchor.chain.keys import load_payment_key

    key = tmp_path / "payment.skey"
    key.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(InputError) as info:
        load_payment_key(str(key))
    assert info.value.message == (
        f"payment signing key {key} is not text: expected a cardano-cli text envelope, "
        "a cborHex string or an l309-seed string"
    )
