"""URI shape rules and the CID profile of Label 309 (offline checks only).

A record URI is ``ar://<43 base64url>`` or ``ipfs://<cid>[/<path>]``. Only the scheme is
case-folded; everything after it is matched verbatim. The CID must stay inside the
profile: CIDv0 (``Qm`` + 44 base58btc characters decoding to ``12 20`` + 32 bytes) or a
CIDv1 with multibase prefix ``b B f F z``, version 1, codec raw/dag-pb/dag-cbor and a
sha2-256 or blake2b-256 multihash of exactly 32 bytes.

Decoding is strict (ADR 0004): base32 bodies must have an RFC 4648 unpadded length with
zero leftover bits, base16 bodies an even length, varints minimal encodings, and the
multihash digest must be exactly the declared 32 bytes with nothing after it. The
``uri-long-single-tstr`` positive vector is a well-formed CIDv1 under these rules.

:func:`uri_problem` returns ``None`` for a valid URI or a short reason string, which the
validator puts in the ``INVALID_URI`` message. :func:`cidv1_raw_sha256` is the producer
helper for the form the tool emits.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Final

SCHEMES: Final = ("ar", "ipfs")
CODECS: Final = {0x55: "raw", 0x70: "dag-pb", 0x71: "dag-cbor"}
MULTIHASHES: Final = {0x12: "sha2-256", 0xB220: "blake2b-256"}
DIGEST_LENGTH: Final = 32

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_B32_LOWER = "abcdefghijklmnopqrstuvwxyz234567"
_B32_UPPER = _B32_LOWER.upper()
_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_HEX_LOWER = frozenset("0123456789abcdef")
_HEX_UPPER = frozenset("0123456789ABCDEF")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")
# RFC 3986 characters allowed in a URI outside percent-encoding ('#' excluded: no fragments).
_URI_CHARS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?[]@!$&'()*+,;="
)
_VALID_B32_REMAINDERS = frozenset({0, 2, 4, 5, 7})


class CidError(ValueError):
    """The text is not a CID inside the Label 309 profile (the message says why)."""


@dataclass(frozen=True)
class Cid:
    """A parsed in-profile CID: version, codec, multihash code and the 32-byte digest."""

    version: int
    codec: int
    multihash: int
    digest: bytes

    @property
    def hash_alg(self) -> str:
        """The Label 309 hash id of the multihash (``sha2-256`` or ``blake2b-256``)."""
        return MULTIHASHES[self.multihash]


def _b58decode(text: str) -> bytes:
    if not text:
        raise CidError("empty base58btc body")
    number = 0
    for ch in text:
        value = _B58_INDEX.get(ch)
        if value is None:
            raise CidError(f"character {ch!r} is outside the base58btc alphabet")
        number = number * 58 + value
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * zeros + body


def _b32decode(text: str, alphabet: str) -> bytes:
    allowed = frozenset(alphabet)
    for ch in text:
        if ch not in allowed:
            raise CidError(f"character {ch!r} is outside the base32 alphabet of the prefix")
    if len(text) % 8 not in _VALID_B32_REMAINDERS:
        raise CidError(f"base32 body length {len(text)} is not a valid unpadded length")
    padded = text.upper() + "=" * (-len(text) % 8)
    try:
        data = base64.b32decode(padded)
    except ValueError as exc:
        raise CidError("base32 body does not decode") from exc
    bits = len(text) * 5
    leftover = bits - 8 * len(data)
    last = _B32_UPPER.index(text[-1].upper()) if text else 0
    if leftover and last & ((1 << leftover) - 1):
        raise CidError("base32 body has non-zero trailing bits")
    return data


def _b16decode(text: str, allowed: frozenset[str]) -> bytes:
    for ch in text:
        if ch not in allowed:
            raise CidError(f"character {ch!r} is outside the base16 alphabet of the prefix")
    if len(text) % 2:
        raise CidError("base16 body has an odd length")
    return bytes.fromhex(text)


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    """Read a minimal unsigned varint (at most 9 bytes); return (value, next offset)."""
    value = 0
    for i in range(9):
        pos = offset + i
        if pos >= len(data):
            raise CidError("truncated varint")
        byte = data[pos]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            if byte == 0 and i > 0:
                raise CidError("non-minimal varint")
            return value, pos + 1
    raise CidError("varint longer than 9 bytes")


def _parse_cidv1_bytes(payload: bytes) -> Cid:
    version, pos = _varint(payload, 0)
    if version != 1:
        raise CidError(f"CID version {version} is not 1")
    codec, pos = _varint(payload, pos)
    if codec not in CODECS:
        raise CidError(f"codec 0x{codec:x} is outside the profile")
    code, pos = _varint(payload, pos)
    if code not in MULTIHASHES:
        raise CidError(f"multihash 0x{code:x} is outside the profile")
    length, pos = _varint(payload, pos)
    if length != DIGEST_LENGTH:
        raise CidError(f"multihash length {length} is not 32")
    digest = payload[pos:]
    if len(digest) != DIGEST_LENGTH:
        raise CidError(f"multihash digest has {len(digest)} bytes, declared 32")
    return Cid(1, codec, code, digest)


def parse_cid(text: str) -> Cid:
    """Parse a CID inside the profile; raise :class:`CidError` otherwise."""
    if text.startswith("Qm"):
        if len(text) != 46:
            raise CidError(f"CIDv0 must have 46 characters, not {len(text)}")
        raw = _b58decode(text)
        if len(raw) != 34 or raw[:2] != b"\x12\x20":
            raise CidError("CIDv0 does not decode to a sha2-256 multihash (12 20 + 32 bytes)")
        return Cid(0, 0x70, 0x12, raw[2:])
    if len(text) < 2:
        raise CidError("CID too short")
    prefix, body = text[0], text[1:]
    if prefix == "b":
        payload = _b32decode(body, _B32_LOWER)
    elif prefix == "B":
        payload = _b32decode(body, _B32_UPPER)
    elif prefix == "f":
        payload = _b16decode(body, _HEX_LOWER)
    elif prefix == "F":
        payload = _b16decode(body, _HEX_UPPER)
    elif prefix == "z":
        payload = _b58decode(body)
    else:
        raise CidError(f"multibase prefix {prefix!r} is outside the profile")
    return _parse_cidv1_bytes(payload)


def _syntax_problem(uri: str) -> str | None:
    colon = uri.find(":")
    if colon <= 0:
        return "not_absolute_uri"
    scheme = uri[:colon]
    if not scheme[0].isascii() or not scheme[0].isalpha():
        return "not_absolute_uri"
    if any(ch not in _SCHEME_CHARS for ch in scheme):
        return "not_absolute_uri"
    if "#" in uri:
        return "fragment_forbidden"
    i = colon + 1
    while i < len(uri):
        ch = uri[i]
        if ch == "%":
            if len(uri) < i + 3 or any(
                c not in _HEX_LOWER | _HEX_UPPER for c in uri[i + 1 : i + 3]
            ):
                return "bad_percent_encoding"
            i += 3
            continue
        if ch not in _URI_CHARS:
            return "invalid_uri_character"
        i += 1
    return None


def uri_problem(uri: str) -> str | None:
    """``None`` when ``uri`` passes every offline rule, else a short reason.

    Reasons: ``not_absolute_uri``, ``fragment_forbidden``, ``invalid_uri_character``,
    ``bad_percent_encoding``, ``scheme_forbidden``, ``ar_txid_shape``,
    ``ipfs_cid_unsupported: <detail>``.
    """
    problem = _syntax_problem(uri)
    if problem is not None:
        return problem
    colon = uri.index(":")
    scheme = uri[:colon].lower()
    rest = uri[colon + 1 :]
    if scheme not in SCHEMES or not rest.startswith("//"):
        return "scheme_forbidden"
    authority = rest[2:]
    if scheme == "ar":
        if len(authority) != 43 or any(ch not in _B64URL for ch in authority):
            return "ar_txid_shape"
        return None
    cid_text = authority.split("/", 1)[0]
    try:
        parse_cid(cid_text)
    except CidError as exc:
        return f"ipfs_cid_unsupported: {exc}"
    return None


def ipfs_cid(uri: str) -> Cid | None:
    """The parsed CID of a valid ``ipfs://`` URI, else ``None`` (for content-address binding)."""
    if uri_problem(uri) is not None or uri[: uri.index(":")].lower() != "ipfs":
        return None
    return parse_cid(uri[uri.index(":") + 3 :].split("/", 1)[0])


def _b32encode_lower(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def cidv1_raw_sha256(digest: bytes) -> str:
    """The CIDv1 the tool emits for one artifact: ``b`` + base32 lower of
    ``01 55 12 20 || digest`` (codec raw, multihash sha2-256). Its digest equals the
    item's ``sha2-256``, which makes content-address binding a byte comparison."""
    if len(digest) != DIGEST_LENGTH:
        raise ValueError(f"sha2-256 digest must be 32 bytes, got {len(digest)}")
    return "b" + _b32encode_lower(b"\x01\x55\x12\x20" + bytes(digest))
