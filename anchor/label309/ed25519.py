"""Strict Ed25519 (RFC 8032 §5.1.7, non-cofactored) through PyNaCl/libsodium.

The standard requires strict verification: canonical ``S`` and ``R``, and
rejection of small-order public keys and ``R`` values. libsodium's
``crypto_sign_verify_detached`` implements exactly that and agrees with all 914
C2SP CCTV torsion vectors; PyCA ``cryptography`` (OpenSSL) accepts 165 of them
that strict verification must reject, so it is not used for verification.

Signing is deterministic RFC 8032 Ed25519 from a 32-byte secret seed.
"""

from __future__ import annotations

from nacl.exceptions import CryptoError
from nacl.signing import SigningKey, VerifyKey

from anchor.label309.codes import INVALID_SEED_LENGTH
from anchor.label309.keys import KeyDerivationError

PUBLIC_KEY_LEN = 32
SIGNATURE_LEN = 64
SECRET_SEED_LEN = 32


def strict_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True only when ``signature`` is a strictly valid Ed25519 signature of ``message``.

    Wrong lengths, undecodable or small-order keys, non-canonical encodings and bad
    signatures all give False; this function never raises for any byte input.
    """
    if len(public_key) != PUBLIC_KEY_LEN or len(signature) != SIGNATURE_LEN:
        return False
    try:
        VerifyKey(bytes(public_key)).verify(bytes(message), bytes(signature))
    except (CryptoError, ValueError, TypeError):
        return False
    return True


def public_key(secret_seed: bytes) -> bytes:
    """The 32-byte Ed25519 public key of an RFC 8032 secret seed."""
    _check_seed(secret_seed)
    return bytes(SigningKey(bytes(secret_seed)).verify_key)


def sign(secret_seed: bytes, message: bytes) -> bytes:
    """The deterministic 64-byte Ed25519 signature of ``message`` under ``secret_seed``."""
    _check_seed(secret_seed)
    return bytes(SigningKey(bytes(secret_seed)).sign(bytes(message)).signature)


def _check_seed(secret_seed: bytes) -> None:
    if len(secret_seed) != SECRET_SEED_LEN:
        raise KeyDerivationError(
            INVALID_SEED_LENGTH, f"Ed25519 secret seed must be {SECRET_SEED_LEN} bytes"
        )
