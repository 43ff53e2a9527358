"""BIP-173 bech32 (checksum constant 1, not bech32m) with no length cap.

Shared by the ``l309-seed-`` identity-seed string and Cardano addresses. BIP-173
caps strings at 90 characters for Bitcoin; the Label 309 vectors (seed strings,
``age1pqc1…`` recipients of 1216 bytes) and CIP-19 addresses do not, so there is
no cap here.

The building blocks (:func:`split`, :func:`verify_checksum`, :func:`convert_bits`)
are public because the seed-string parser must report *which* step failed, in a
pinned order; :func:`encode` and :func:`decode` are the whole-string helpers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from anchor.errors import InputError

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_CHARSET_INDEX = {c: i for i, c in enumerate(CHARSET)}
BECH32_CONST = 1
CHECKSUM_LEN = 6
_GENERATORS = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


class Bech32Error(InputError):
    """A string is not valid bech32; ``reason`` names the failed step (never echoes the input)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Bech32Parts:
    """A bech32 string split at its last ``1``: lower-cased HRP and the 5-bit data incl. checksum."""

    hrp: str
    data: tuple[int, ...]


def _polymod(values: Iterable[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ value
        for i, gen in enumerate(_GENERATORS):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def verify_checksum(hrp: str, data: Sequence[int]) -> bool:
    """True when ``data`` (5-bit groups incl. the 6 checksum groups) checks under ``hrp``."""
    return _polymod([*_hrp_expand(hrp), *data]) == BECH32_CONST


def create_checksum(hrp: str, data: Sequence[int]) -> list[int]:
    """The six 5-bit checksum groups for ``data`` under ``hrp``."""
    pm = _polymod([*_hrp_expand(hrp), *data, 0, 0, 0, 0, 0, 0]) ^ BECH32_CONST
    return [(pm >> 5 * (5 - i)) & 31 for i in range(CHECKSUM_LEN)]


def convert_bits(data: Iterable[int], from_bits: int, to_bits: int, *, pad: bool) -> list[int]:
    """Regroup ``data`` from ``from_bits`` to ``to_bits`` per BIP-173.

    With ``pad`` the tail is zero-padded (encoding). Without it, leftover bits must
    number fewer than ``from_bits`` and be zero (strict decoding), else ValueError.
    """
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        if value < 0 or value >> from_bits:
            raise ValueError("value out of range for the source group width")
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or ((acc << (to_bits - bits)) & maxv):
        raise ValueError("invalid padding")
    return out


def split(text: str) -> Bech32Parts:
    """Split ``text`` at its last ``1`` and map the data part to 5-bit groups.

    Raises :class:`Bech32Error` (reason ``shape``) when there is no separator, the
    HRP is empty, the data part is shorter than the checksum or uses characters
    outside the charset, or any character is outside printable ASCII (33-126);
    reason ``mixed-case`` when upper- and lower-case letters are mixed. The
    checksum is *not* verified here.
    """
    pos = text.rfind("1")
    if pos < 1 or len(text) - pos - 1 < CHECKSUM_LEN:
        raise Bech32Error("shape", "not a bech32 string (no separator or data part too short)")
    if any(not 33 <= ord(c) <= 126 for c in text):
        raise Bech32Error("shape", "not a bech32 string (characters outside printable ASCII)")
    lowered = text.lower()
    data_part = lowered[pos + 1 :]
    if any(c not in _CHARSET_INDEX for c in data_part):
        raise Bech32Error("shape", "not a bech32 string (character outside the bech32 charset)")
    if lowered != text and text.upper() != text:
        raise Bech32Error("mixed-case", "bech32 string mixes upper and lower case")
    return Bech32Parts(lowered[:pos], tuple(_CHARSET_INDEX[c] for c in data_part))


def encode(hrp: str, payload: bytes) -> str:
    """Encode ``payload`` bytes under ``hrp`` as a lower-case bech32 string."""
    if not hrp or any(not 33 <= ord(c) <= 126 for c in hrp) or hrp.lower() != hrp:
        raise Bech32Error("hrp", "bech32 HRP must be non-empty lower-case printable ASCII")
    data = convert_bits(payload, 8, 5, pad=True)
    checksum = create_checksum(hrp, data)
    return hrp + "1" + "".join(CHARSET[d] for d in (*data, *checksum))


def decode(text: str) -> tuple[str, bytes]:
    """Decode a bech32 string to ``(hrp, payload bytes)``; either case, not mixed.

    Raises :class:`Bech32Error` with reason ``shape``, ``mixed-case``, ``checksum``
    or ``padding``.
    """
    parts = split(text)
    if not verify_checksum(parts.hrp, parts.data):
        raise Bech32Error("checksum", "bech32 checksum does not verify")
    try:
        payload = bytes(convert_bits(parts.data[:-CHECKSUM_LEN], 5, 8, pad=False))
    except ValueError:
        raise Bech32Error("padding", "bech32 data part has invalid padding") from None
    return parts.hrp, payload
