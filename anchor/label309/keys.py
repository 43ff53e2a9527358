"""Identity seed → keys (HKDF-SHA-256) and the ``l309-seed-`` seed-string codec.

The master seed is exactly 32 opaque bytes; every 32-byte value is valid,
including all zeros. Keys are derived with RFC 5869 HKDF-SHA-256, empty salt,
length 32, and the exact ASCII ``info`` strings below. The Ed25519 output *is* the
RFC 8032 secret seed (handed to libsodium as is: no clamping, no hashing here).

The seed string is BIP-173 bech32 under HRP ``l309-seed-`` (the hyphen belongs to
the HRP), emitted upper-case. :func:`parse_seed_string` follows the parse order
pinned by ``seed-derive/seed-encoding-kat.json`` and raises the construction-API
codes ``SEED_STRING_*``; :func:`derive_identity` raises ``INVALID_SEED_LENGTH``.
These codes never appear in a verifier report.

Secret hygiene: no secret byte ever enters an exception message or a ``repr``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import string
from dataclasses import dataclass, field

from nacl.bindings import crypto_scalarmult_base
from nacl.signing import SigningKey

from anchor.errors import Label309Error
from anchor.label309 import bech32
from anchor.label309.codes import (
    INVALID_SEED_LENGTH,
    SEED_STRING_BAD_CHECKSUM,
    SEED_STRING_MIXED_CASE,
    SEED_STRING_UNRECOGNIZED,
    SEED_STRING_WRONG_HRP,
    SEED_STRING_WRONG_LENGTH,
)

SEED_LEN = 32
HASH_LEN = 32
INFO_ED25519 = b"cardano-poe-ed25519-v1"
INFO_X25519 = b"cardano-poe-x25519-v1"
INFO_XWING = b"cardano-poe-mlkem768x25519-v1"
SEED_HRP = "l309-seed-"


_HEX_DIGITS = frozenset(string.hexdigits)
_WHITESPACE = re.compile(r"\s+")


class KeyDerivationError(Label309Error):
    """Seed or seed-string rejected; ``code`` is a construction-API code. Never carries secrets."""


# --------------------------------------------------------------------------- HKDF


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    """RFC 5869 HKDF-Extract with SHA-256 (an empty salt acts as 32 zero bytes)."""
    return hmac.new(salt or bytes(HASH_LEN), ikm, hashlib.sha256).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 HKDF-Expand with SHA-256; ``length`` at most 255 * 32."""
    if not 0 <= length <= 255 * HASH_LEN:
        raise ValueError("HKDF-SHA-256 output length must be 0..8160 bytes")
    out = bytearray()
    block = b""
    counter = 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes((counter,)), hashlib.sha256).digest()
        out += block
        counter += 1
    return bytes(out[:length])


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA-256 (RFC 5869): Extract then Expand."""
    return hkdf_expand(hkdf_extract(salt, ikm), info, length)


# --------------------------------------------------------------------------- derivation


@dataclass(frozen=True)
class IdentityKeys:
    """Keys derived from one identity seed. Secret fields are hidden from ``repr``.

    ``ed25519_secret`` is the RFC 8032 secret seed; ``ed25519_public`` the 32-byte
    key published as the COSE ``kid``. The X25519 secret/public and the X-Wing
    decapsulation seed are derived now because the vectors pin them; they are used
    only once sealed PoE exists.
    """

    ed25519_public: bytes
    x25519_public: bytes
    ed25519_secret: bytes = field(repr=False)
    x25519_secret: bytes = field(repr=False)
    xwing_seed: bytes = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"IdentityKeys(ed25519_public={self.ed25519_public.hex()}, "
            f"x25519_public={self.x25519_public.hex()}, secrets=<hidden>)"
        )

    def signing_key(self) -> SigningKey:
        """The PyNaCl signing key for the record-signing identity (deterministic Ed25519)."""
        return SigningKey(self.ed25519_secret)


def check_seed_length(seed: bytes) -> None:
    """Raise ``INVALID_SEED_LENGTH`` unless ``seed`` is exactly 32 bytes."""
    if len(seed) != SEED_LEN:
        raise KeyDerivationError(
            INVALID_SEED_LENGTH, f"identity seed must be {SEED_LEN} bytes, got {len(seed)}"
        )


def derive_identity(seed: bytes) -> IdentityKeys:
    """Derive every key of an identity from its 32-byte seed (byte-equal seeds → equal keys)."""
    check_seed_length(seed)
    prk = hkdf_extract(b"", bytes(seed))
    ed_secret = hkdf_expand(prk, INFO_ED25519, 32)
    x_secret = hkdf_expand(prk, INFO_X25519, 32)
    xwing_seed = hkdf_expand(prk, INFO_XWING, 32)
    ed_public = bytes(SigningKey(ed_secret).verify_key)
    x_public = crypto_scalarmult_base(x_secret)
    return IdentityKeys(
        ed25519_public=ed_public,
        x25519_public=x_public,
        ed25519_secret=ed_secret,
        x25519_secret=x_secret,
        xwing_seed=xwing_seed,
    )


# --------------------------------------------------------------------------- seed string


def encode_seed_string(seed: bytes) -> str:
    """The upper-case display form ``L309-SEED-1…`` (69 characters) of a 32-byte seed."""
    check_seed_length(seed)
    return bech32.encode(SEED_HRP, bytes(seed)).upper()


def parse_seed_string(text: str) -> bytes:
    """Parse a seed string (bech32 in one case, or 64 hex digits) to the 32-byte seed.

    Order (pinned by the vectors): strip → empty is UNRECOGNIZED; hex form (optional
    ``0x``, all whitespace removed, only hex digits) must be 64 digits else
    WRONG_LENGTH; bech32 shape (last ``1``, ≥ 6 charset characters, printable ASCII)
    else UNRECOGNIZED; MIXED_CASE; checksum under the string's own HRP else
    BAD_CHECKSUM; HRP ``l309-seed-`` else WRONG_HRP; strict 5→8 regrouping to exactly
    32 bytes else WRONG_LENGTH.
    """
    stripped = text.strip()
    if not stripped:
        raise KeyDerivationError(SEED_STRING_UNRECOGNIZED, "seed string is empty")
    compact = stripped[2:] if stripped[:2] in ("0x", "0X") else stripped
    compact = _WHITESPACE.sub("", compact)
    if compact and all(c in _HEX_DIGITS for c in compact):
        if len(compact) != 2 * SEED_LEN:
            raise KeyDerivationError(
                SEED_STRING_WRONG_LENGTH,
                f"hex seed must be {2 * SEED_LEN} hex digits, got {len(compact)}",
            )
        return bytes.fromhex(compact)
    try:
        parts = bech32.split(stripped)
    except bech32.Bech32Error as exc:
        if exc.reason == "mixed-case":
            raise KeyDerivationError(
                SEED_STRING_MIXED_CASE, "seed string mixes upper and lower case"
            ) from None
        raise KeyDerivationError(
            SEED_STRING_UNRECOGNIZED, "not a seed string (neither 64 hex digits nor bech32)"
        ) from None
    if not bech32.verify_checksum(parts.hrp, parts.data):
        raise KeyDerivationError(
            SEED_STRING_BAD_CHECKSUM, "seed string checksum does not verify (typo or truncation)"
        )
    if parts.hrp != SEED_HRP:
        raise KeyDerivationError(
            SEED_STRING_WRONG_HRP,
            f"bech32 string is not an identity seed (prefix is not {SEED_HRP!r})",
        )
    try:
        seed = bytes(bech32.convert_bits(parts.data[: -bech32.CHECKSUM_LEN], 5, 8, pad=False))
    except ValueError:
        raise KeyDerivationError(
            SEED_STRING_WRONG_LENGTH, "seed string payload is not a whole number of bytes"
        ) from None
    if len(seed) != SEED_LEN:
        raise KeyDerivationError(
            SEED_STRING_WRONG_LENGTH, f"seed string payload is {len(seed)} bytes, not {SEED_LEN}"
        )
    return seed
