"""Identity keys beyond the vectors: HKDF bounds, parse-order corners, secret hygiene."""

from __future__ import annotations

import pytest

from anchor.label309 import bech32
from anchor.label309.keys import (
    SEED_HRP,
    KeyDerivationError,
    derive_identity,
    encode_seed_string,
    hkdf_expand,
    hkdf_sha256,
    parse_seed_string,
)

SEED = bytes(range(32))
SEED_STRING = encode_seed_string(SEED)


def _code(text: str) -> str:
    with pytest.raises(KeyDerivationError) as info:
        parse_seed_string(text)
    assert text.strip() == "" or text.strip() not in info.value.message
    return info.value.code


def test_hkdf_lengths() -> None:
    prk = bytes(32)
    assert hkdf_expand(prk, b"", 0) == b""
    assert len(hkdf_expand(prk, b"x", 255 * 32)) == 255 * 32
    assert hkdf_expand(prk, b"x", 33)[:32] == hkdf_expand(prk, b"x", 32)
    with pytest.raises(ValueError):
        hkdf_expand(prk, b"x", 255 * 32 + 1)
    assert (
        hkdf_sha256(SEED, b"", b"cardano-poe-ed25519-v1", 32)
        == derive_identity(SEED).ed25519_secret
    )


def test_encode_shape() -> None:
    assert len(SEED_STRING) == 69
    assert SEED_STRING.startswith("L309-SEED-1")
    assert SEED_STRING.upper() == SEED_STRING
    with pytest.raises(KeyDerivationError) as info:
        encode_seed_string(SEED[:31])
    assert info.value.code == "INVALID_SEED_LENGTH"


def test_parse_accepts_surrounding_whitespace_and_both_cases() -> None:
    assert parse_seed_string(f"\n  {SEED_STRING}\t\n") == SEED
    assert parse_seed_string(SEED_STRING.lower()) == SEED
    assert parse_seed_string("0X" + SEED.hex().upper()) == SEED


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("   \n", "SEED_STRING_UNRECOGNIZED"),
        ("0x", "SEED_STRING_UNRECOGNIZED"),
        ("0x" + "00" * 33, "SEED_STRING_WRONG_LENGTH"),
        ("ab", "SEED_STRING_WRONG_LENGTH"),  # hex form is tried first
        ("l309-seed-1qqqqq", "SEED_STRING_UNRECOGNIZED"),  # data part shorter than 6
        ("l309-seed-1qqqqqqb", "SEED_STRING_UNRECOGNIZED"),  # 'b' outside the charset
        ("l309-séed-1qqqqqqq", "SEED_STRING_UNRECOGNIZED"),  # non-ASCII
        ("1qqqqqqq", "SEED_STRING_UNRECOGNIZED"),  # empty HRP
        ("L309-SEED-1" + SEED_STRING[11:].lower(), "SEED_STRING_MIXED_CASE"),
        (SEED_STRING[:-1] + ("Q" if SEED_STRING[-1] != "Q" else "P"), "SEED_STRING_BAD_CHECKSUM"),
    ],
)
def test_parse_corners(text: str, code: str) -> None:
    assert _code(text) == code


def test_wrong_hrp_with_valid_checksum() -> None:
    assert _code(bech32.encode("age", SEED)) == "SEED_STRING_WRONG_HRP"
    assert _code(bech32.encode("l309-seed", SEED)) == "SEED_STRING_WRONG_HRP"


def test_non_zero_padding_is_wrong_length() -> None:
    data = bech32.convert_bits(SEED, 8, 5, pad=True)
    data[-1] |= 1  # the last group carries 4 pad bits; make one non-zero
    text = (
        SEED_HRP
        + "1"
        + "".join(bech32.CHARSET[d] for d in data + bech32.create_checksum(SEED_HRP, data))
    )
    assert _code(text) == "SEED_STRING_WRONG_LENGTH"


def test_secrets_hidden_from_repr_and_errors() -> None:
    keys = derive_identity(SEED)
    text = repr(keys)
    for secret in (keys.ed25519_secret, keys.x25519_secret, keys.xwing_seed, SEED):
        assert secret.hex() not in text
    assert keys.ed25519_public.hex() in text
    flipped = SEED_STRING[:20] + ("Q" if SEED_STRING[20] != "Q" else "P") + SEED_STRING[21:]
    with pytest.raises(KeyDerivationError) as info:
        parse_seed_string(flipped)
    assert SEED_STRING[11:30] not in str(info.value)
    assert flipped[11:30] not in str(info.value)


def test_signing_key_is_the_derived_secret() -> None:
    keys = derive_identity(bytes(32))
    assert bytes(keys.signing_key().verify_key) == keys.ed25519_public
    assert derive_identity(bytes(32)) == keys  # byte-equal seeds give byte-equal keys
