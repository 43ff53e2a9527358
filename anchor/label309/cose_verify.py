"""Record-signature verification (Part B step 6): key resolution, wallet binding, strict Ed25519.

Per ``sigs[i]``:

1. the Part A structural result (:func:`~anchor.label309.cose.check_sig_entry`): a shape
   or COSE error is reported as that code; ``SIGNATURE_UNSUPPORTED`` entries are skipped;
2. signer key: a 32-byte protected ``kid`` *is* the key (path 1, ``in-signature-kid``);
   otherwise the inline ``cose_key``'s ``x`` (path 2, ``wallet-inline-key``); otherwise
   ``SIGNER_KEY_UNRESOLVED``. An unprotected kid is never used;
3. path 2: the protected ``address`` must equal, over all 29 bytes, the CONTAINING
   transaction's network header (``e1`` mainnet / ``e0`` testnet) followed by
   Blake2b-224 of the key, else ``WALLET_ADDRESS_MISMATCH``;
4. ``Sig_structure`` with the protected bytes exactly as published and the payload
   ``"cardano-poe-record-sig-v1" || body-without-sigs`` (re-derived canonically, never
   taken from the COSE payload), Blake2b-224 of it in CIP-8 ``hashed`` mode; strict
   (non-cofactored, small-order-rejecting) Ed25519, else ``SIGNATURE_INVALID``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from anchor.label309 import cbor, ed25519, hashes
from anchor.label309 import codes as C
from anchor.label309.cbor import CborMap
from anchor.label309.cose import (
    PUBLIC_KEY_LEN,
    CoseError,
    Sign1,
    alg_supported,
    check_sig_entry,
    parse_cose_key,
    parse_sign1,
    sig_structure,
    to_sign,
)
from anchor.label309.record import SigEntry, body_without_sigs

Network = Literal["mainnet", "testnet"]
SignerType = Literal["in-signature-kid", "wallet-inline-key"]
NETWORK_HEADER: dict[str, int] = {"mainnet": 0xE1, "testnet": 0xE0}


@dataclass(frozen=True)
class SignatureResult:
    """Outcome for one ``sigs[i]``: who (the verified key, hex) and whether it verified.

    ``code`` is None when ``ok``; otherwise the registry code (``SIGNATURE_UNSUPPORTED``
    is info and means "not verified", not "invalid").
    """

    index: int
    signer_type: SignerType | None
    signer_public_key: str | None
    alg: int | None
    ok: bool
    code: str | None

    def normalized(self) -> dict[str, Any]:
        """The vectors' normalised verdict shape."""
        return {
            "index": self.index,
            "signer_pub_hex": self.signer_public_key,
            "signer_type": self.signer_type,
            "ok": self.ok,
            "reason": self.code,
        }


@dataclass(frozen=True)
class CoseVerifyResult:
    """Outcome of a generic COSE_Sign1 verification (outside a record)."""

    ok: bool
    signer_key: str | None
    alg: Any
    code: str | None


def wallet_address(public_key: bytes, network: Network) -> bytes:
    """The 29-byte CIP-19 stake address a wallet key must present on ``network``."""
    return bytes((NETWORK_HEADER[network],)) + hashes.blake2b_224(public_key)


def _entry_value(entry: Any) -> Any:
    return entry.to_cbor_value() if isinstance(entry, SigEntry) else entry


def _int_alg(alg: Any) -> int | None:
    return alg if isinstance(alg, int) and not isinstance(alg, bool) else None


def _resolve_key(kid: Any, key_raw: Any) -> tuple[SignerType, bytes] | None:
    if isinstance(kid, bytes) and len(kid) == PUBLIC_KEY_LEN:
        return "in-signature-kid", kid
    if isinstance(key_raw, bytes):
        x, _findings = parse_cose_key(key_raw)
        if x is not None:
            return "wallet-inline-key", x
    return None


def _parsed(entry: Any) -> tuple[CborMap, Sign1] | None:
    value = _entry_value(entry)
    if not isinstance(value, CborMap) or not isinstance(value.get("cose_sign1"), bytes):
        return None
    try:
        return value, parse_sign1(value["cose_sign1"])
    except CoseError:
        return None


def resolve_signer(entry: Any) -> tuple[SignerType, bytes] | None:
    """Wire-level signer resolution of one sig entry, for display: (type, public key) or
    None. Nothing is verified."""
    parsed = _parsed(entry)
    return None if parsed is None else _resolve_key(parsed[1].kid, parsed[0].get("cose_key"))


def entry_alg(entry: Any) -> int | None:
    """The protected ``alg`` of one sig entry when it is an integer, for display."""
    parsed = _parsed(entry)
    return None if parsed is None else _int_alg(parsed[1].alg)


def verify_sig_entry(
    entry: Any, signed_body: bytes, *, index: int = 0, network: Network
) -> SignatureResult:
    """Verify one sig entry (a decoded map or :class:`SigEntry`) against ``signed_body``,
    the canonical record body WITHOUT ``sigs`` (see ``record.body_without_sigs``)."""
    if network not in NETWORK_HEADER:
        raise ValueError(f"network must be 'mainnet' or 'testnet', not {network!r}")
    value = _entry_value(entry)
    findings = check_sig_entry(value)
    errors = [f for f in findings if C.default_severity(f.code) == "error"]
    if errors:
        return SignatureResult(index, None, None, None, False, errors[0].code)
    assert isinstance(value, CborMap)
    sign1 = parse_sign1(value["cose_sign1"])
    alg = _int_alg(sign1.alg)
    resolved = _resolve_key(sign1.kid, value.get("cose_key"))
    if resolved is None:
        if not alg_supported(sign1.alg):
            return SignatureResult(index, None, None, alg, False, C.SIGNATURE_UNSUPPORTED)
        return SignatureResult(index, None, None, alg, False, C.SIGNER_KEY_UNRESOLVED)
    signer_type, public_key = resolved

    def result(ok: bool, code: str | None) -> SignatureResult:
        return SignatureResult(index, signer_type, public_key.hex(), alg, ok, code)

    if not alg_supported(sign1.alg):
        return result(False, C.SIGNATURE_UNSUPPORTED)
    if signer_type == "wallet-inline-key":
        address = sign1.protected.get("address")
        if not isinstance(address, bytes) or address != wallet_address(public_key, network):
            return result(False, C.WALLET_ADDRESS_MISMATCH)
    payload = to_sign(signed_body)
    if sign1.hashed:
        payload = hashes.blake2b_224(payload)
    message = sig_structure(sign1.protected_raw, payload)
    if not ed25519.strict_verify(public_key, message, sign1.signature):
        return result(False, C.SIGNATURE_INVALID)
    return result(True, None)


def verify_signatures(body: bytes, *, network: Network) -> list[SignatureResult]:
    """Verify every ``sigs[i]`` of the record ``body``; one result per entry, in order.

    ``network`` is the network the CONTAINING transaction was resolved on (it fixes the
    wallet-address header), never something read from the record. Raises ``CborError``
    when ``body`` is not canonical CBOR; an absent or non-array ``sigs`` gives ``[]``.
    """
    value = cbor.decode(body)
    sigs = value.get("sigs") if isinstance(value, CborMap) else None
    if not isinstance(sigs, list):
        return []
    signed = body_without_sigs(body)
    return [verify_sig_entry(e, signed, index=i, network=network) for i, e in enumerate(sigs)]


def verify_cose_sign1(
    message: bytes,
    *,
    external_aad: bytes = b"",
    public_key: bytes | None = None,
    detached_payload: bytes | None = None,
) -> CoseVerifyResult:
    """Generic COSE_Sign1 verification (RFC 9052) with strict Ed25519.

    The key is the 32-byte protected kid, else ``public_key``; the payload is the
    attached one unless ``detached_payload`` is given. Codes: ``MALFORMED_SIG_COSE_SIGN1``,
    ``SIGNATURE_UNSUPPORTED``, ``SIGNER_KEY_UNRESOLVED``, ``SIGNATURE_INVALID``.
    """
    try:
        sign1 = parse_sign1(message)
    except CoseError:
        return CoseVerifyResult(False, None, None, C.MALFORMED_SIG_COSE_SIGN1)
    kid = sign1.kid
    key = kid if isinstance(kid, bytes) and len(kid) == PUBLIC_KEY_LEN else public_key
    key_hex = None if key is None else bytes(key).hex()
    if not alg_supported(sign1.alg):
        return CoseVerifyResult(False, key_hex, sign1.alg, C.SIGNATURE_UNSUPPORTED)
    payload = sign1.payload if detached_payload is None else detached_payload
    if payload is None:
        return CoseVerifyResult(False, key_hex, sign1.alg, C.MALFORMED_SIG_COSE_SIGN1)
    if key is None:
        return CoseVerifyResult(False, None, sign1.alg, C.SIGNER_KEY_UNRESOLVED)
    structure = sig_structure(sign1.protected_raw, payload, external_aad)
    if not ed25519.strict_verify(bytes(key), structure, sign1.signature):
        return CoseVerifyResult(False, key_hex, sign1.alg, C.SIGNATURE_INVALID)
    return CoseVerifyResult(True, key_hex, sign1.alg, None)
