"""BIP-173 bech32: reference strings, strict padding, no 90-character cap, mixed case."""

from __future__ import annotations

import pytest

from anchor.label309 import bech32

# Checksum-valid strings from BIP-173's test vectors.
BIP173_VALID = [
    "A12UEL5L",
    "a12uel5l",
    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
    "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
    "?1ezyfcl",
]

# (string, reason) from BIP-173's invalid list: HRP/charset/shape failures and a checksum
# computed over an upper-case HRP.
BIP173_SHAPE_INVALID = [
    "\x201nwldj5",
    "\x7f1axkwrx",
    "pzry9x0s0muk",
    "1pzry9x0s0muk",
    "x1b4n0q5v",
    "li1dgmt3",
    "de1lg7wt\xff",
    "10a06t8",
    "1qzzfhee",
]


@pytest.mark.parametrize("text", BIP173_VALID)
def test_bip173_valid_checksums(text: str) -> None:
    parts = bech32.split(text)
    assert parts.hrp == text[: text.rfind("1")].lower()
    assert bech32.verify_checksum(parts.hrp, parts.data)


@pytest.mark.parametrize("text", BIP173_SHAPE_INVALID)
def test_bip173_invalid_shapes(text: str) -> None:
    with pytest.raises(bech32.Bech32Error) as info:
        bech32.decode(text)
    assert info.value.reason == "shape"


def test_checksum_over_upper_case_hrp_is_rejected() -> None:
    with pytest.raises(bech32.Bech32Error) as info:
        bech32.decode("A1G7SGD8")
    assert info.value.reason == "checksum"


def test_mixed_case_is_rejected() -> None:
    with pytest.raises(bech32.Bech32Error) as info:
        bech32.decode("a12UEL5L")
    assert info.value.reason == "mixed-case"


@pytest.mark.parametrize("size", [0, 1, 20, 29, 32, 33, 100, 1216])
def test_round_trip_without_length_cap(size: int) -> None:
    payload = bytes((i * 37 + 11) % 256 for i in range(size))
    text = bech32.encode("addr_test", payload)
    assert bech32.decode(text) == ("addr_test", payload)
    assert bech32.decode(text.upper()) == ("addr_test", payload)
    if size >= 60:
        assert len(text) > 90


def test_strict_padding() -> None:
    assert bech32.convert_bits([0b11111, 0b11100], 5, 8, pad=False) == [0xFF]
    with pytest.raises(ValueError):
        bech32.convert_bits([0b11111, 0b11101], 5, 8, pad=False)  # non-zero pad bits
    with pytest.raises(ValueError):
        bech32.convert_bits([0b11111, 0b11100, 0], 5, 8, pad=False)  # 7 leftover bits
    with pytest.raises(ValueError):
        bech32.convert_bits([32], 5, 8, pad=True)


def test_non_zero_padding_fails_decode() -> None:
    data = [31, 29]  # 10 bits: 0xff then the non-zero pad bits '01'
    text = "a1" + "".join(bech32.CHARSET[d] for d in data + bech32.create_checksum("a", data))
    with pytest.raises(bech32.Bech32Error) as info:
        bech32.decode(text)
    assert info.value.reason == "padding"


def test_encode_rejects_bad_hrp() -> None:
    for hrp in ["", "Addr", "a b"]:
        with pytest.raises(bech32.Bech32Error):
            bech32.encode(hrp, b"\x00")
