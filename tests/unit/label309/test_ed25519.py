"""Strict Ed25519 wrapper: never raises, rejects wrong lengths and small-order keys."""

from __future__ import annotations

import pytest

from anchor.label309.ed25519 import public_key, sign, strict_verify
from anchor.label309.keys import KeyDerivationError

SEED = bytes(range(32))


def test_sign_verify_round_trip() -> None:
    pk = public_key(SEED)
    sig = sign(SEED, b"message")
    assert strict_verify(pk, b"message", sig)
    assert not strict_verify(pk, b"messagf", sig)
    assert not strict_verify(public_key(bytes(32)), b"message", sig)


@pytest.mark.parametrize(
    ("pk_len", "sig_len"), [(0, 64), (31, 64), (33, 64), (32, 0), (32, 63), (32, 65)]
)
def test_wrong_lengths_are_false(pk_len: int, sig_len: int) -> None:
    assert strict_verify(b"\x01" * pk_len, b"m", b"\x02" * sig_len) is False


def test_identity_key_and_zero_signature_rejected() -> None:
    identity = bytes([1]) + bytes(31)  # encoding of the neutral element (small order)
    assert strict_verify(identity, b"", identity + bytes(32)) is False
    assert strict_verify(b"\xff" * 32, b"", b"\xff" * 64) is False


def test_bad_seed_length() -> None:
    with pytest.raises(KeyDerivationError):
        sign(SEED[:31], b"")
    with pytest.raises(KeyDerivationError):
        public_key(SEED + b"\x00")
