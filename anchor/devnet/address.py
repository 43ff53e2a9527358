"""Shelley addresses for the devnet: bech32 text, raw bytes, and the payment credential.

The ledger needs three facts about an address: its network id, whether its payment
part is a key hash (spendable with a vkey witness) or a script hash, and that its
bytes are well formed. :func:`describe` gives those for raw bytes; :func:`parse_bech32`
and :func:`to_bech32` convert the text form (CIP-19 bech32 through
:mod:`anchor.label309.bech32`). Byron and reward addresses are not payment addresses.
"""

from __future__ import annotations

from dataclasses import dataclass

from anchor.errors import InputError
from anchor.label309.bech32 import Bech32Error
from anchor.label309.bech32 import decode as bech32_decode
from anchor.label309.bech32 import encode as bech32_encode

_HASH_SIZE = 28


class AddressError(InputError):
    """The text or bytes are not a Shelley payment address this devnet understands."""


@dataclass(frozen=True)
class AddressInfo:
    """What the ledger needs to know about a Shelley payment address."""

    raw: bytes
    network_id: int
    kind: str  # "base", "pointer" or "enterprise"
    payment_hash: bytes
    payment_is_script: bool

    @property
    def payment_key_hash(self) -> bytes | None:
        """The payment key hash, or None when the payment part is a script."""
        return None if self.payment_is_script else self.payment_hash


def _check_pointer(rest: bytes) -> None:
    # A pointer is three variable-length naturals (slot, tx index, cert index).
    count = 0
    pos = 0
    while pos < len(rest):
        while pos < len(rest) and rest[pos] & 0x80:
            pos += 1
        if pos >= len(rest):
            raise AddressError("pointer address has a truncated pointer")
        pos += 1
        count += 1
    if count != 3:
        raise AddressError("pointer address must carry exactly three pointer fields")


def describe(raw: bytes) -> AddressInfo:
    """Classify raw address bytes; raise :class:`AddressError` unless a Shelley payment address."""
    if not raw:
        raise AddressError("empty address")
    header = raw[0]
    kind_code = header >> 4
    network_id = header & 0x0F
    if kind_code in (0, 1, 2, 3):
        kind = "base"
        if len(raw) != 1 + 2 * _HASH_SIZE:
            raise AddressError(f"base address must be 57 bytes, got {len(raw)}")
    elif kind_code in (4, 5):
        kind = "pointer"
        if len(raw) < 1 + _HASH_SIZE + 3:
            raise AddressError("pointer address is too short")
        _check_pointer(raw[1 + _HASH_SIZE :])
    elif kind_code in (6, 7):
        kind = "enterprise"
        if len(raw) != 1 + _HASH_SIZE:
            raise AddressError(f"enterprise address must be 29 bytes, got {len(raw)}")
    elif kind_code == 8:
        raise AddressError("Byron addresses are not supported by the devnet")
    else:
        raise AddressError(f"address type {kind_code} is not a payment address")
    return AddressInfo(
        raw=bytes(raw),
        network_id=network_id,
        kind=kind,
        payment_hash=bytes(raw[1 : 1 + _HASH_SIZE]),
        payment_is_script=bool(kind_code & 1),
    )


def parse_bech32(text: str) -> AddressInfo:
    """Parse an ``addr``/``addr_test`` bech32 address; the prefix must match the network id."""
    try:
        hrp, raw = bech32_decode(text.strip())
    except Bech32Error as exc:
        raise AddressError(f"not a bech32 address: {exc.message}") from exc
    info = describe(raw)
    expected = "addr_test" if info.network_id == 0 else "addr"
    if hrp != expected:
        raise AddressError(f"address prefix {hrp!r} does not match network id {info.network_id}")
    return info


def to_bech32(raw: bytes) -> str:
    """Bech32 text of raw Shelley address bytes (``addr_test`` for network id 0)."""
    info = describe(raw)
    return bech32_encode("addr_test" if info.network_id == 0 else "addr", info.raw)
