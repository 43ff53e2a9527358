"""The attestation bundle: the Sigstore bundle v0.3 shape, written and read strictly.

::

    {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
     "verificationMaterial": {"publicKey": {"hint": "<b64 DER SPKI>"}, "tlogEntries": []},
     "dsseEnvelope": {"payloadType": "application/vnd.in-toto+json", "payload": "<b64>",
                      "signatures": [{"sig": "<b64 DER>", "keyid": "<same as hint>"}]}}

:func:`parse_bundle` accepts exactly this shape (no extra or missing field, one
signature, keyid equal to the hint, a canonical P-256 key) and raises
:class:`~anchor.attest.codes.CheckFailed` with ``bundle-malformed`` otherwise. It does
not look inside the payload: that waits until the DSSE signature holds.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from anchor.attest import strictjson
from anchor.attest.codes import BUNDLE_MALFORMED, CheckFailed
from anchor.attest.dsse import key_sha256, load_p256_spki

BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
BUNDLE_SUFFIX = ".sigstore.json"


def b64encode(data: bytes) -> str:
    """Standard base64 with padding (the Sigstore bundle's encoding of bytes)."""
    return base64.b64encode(data).decode("ascii")


def b64decode_strict(text: object, what: str) -> bytes:
    """Decode canonical standard base64 (padding required, no whitespace) or fail ``bundle-malformed``."""
    if not isinstance(text, str):
        raise CheckFailed(BUNDLE_MALFORMED, f"{what} is not a string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise CheckFailed(BUNDLE_MALFORMED, f"{what} is not base64") from None
    if b64encode(raw) != text:
        raise CheckFailed(BUNDLE_MALFORMED, f"{what} is not canonical base64")
    return raw


def build_bundle(*, spki_der: bytes, payload_type: str, payload: bytes, signature: bytes) -> bytes:
    """The bundle file's bytes for one DSSE envelope signed by the key ``spki_der``."""
    hint = b64encode(spki_der)
    doc = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {"publicKey": {"hint": hint}, "tlogEntries": []},
        "dsseEnvelope": {
            "payloadType": payload_type,
            "payload": b64encode(payload),
            "signatures": [{"sig": b64encode(signature), "keyid": hint}],
        },
    }
    return strictjson.dumps(doc) + b"\n"


@dataclass(frozen=True)
class ParsedBundle:
    """A bundle that has the right shape; nothing inside the payload is checked yet."""

    spki_der: bytes
    key: ec.EllipticCurvePublicKey
    payload_type: str
    payload: bytes
    signature: bytes

    @property
    def key_sha256(self) -> str:
        """Hex SHA-256 of the bundled key's DER SPKI (the keyid a key-bound token names)."""
        return key_sha256(self.spki_der)


def _object(value: Any, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CheckFailed(BUNDLE_MALFORMED, f"{what} is not an object")
    if set(value) != keys:
        extra = sorted(set(value) - keys)
        missing = sorted(keys - set(value))
        part = f"unknown field {extra[0]!r}" if extra else f"missing field {missing[0]!r}"
        raise CheckFailed(BUNDLE_MALFORMED, f"{what}: {part}")
    return value


def parse_bundle(data: bytes) -> ParsedBundle:
    """Check the bundle's shape strictly and return its parts (``bundle-malformed`` on any deviation)."""
    try:
        doc = strictjson.loads(data)
    except strictjson.StrictJSONError as exc:
        raise CheckFailed(BUNDLE_MALFORMED, f"not strict JSON: {exc}") from None
    top = _object(doc, {"mediaType", "verificationMaterial", "dsseEnvelope"}, "bundle")
    if top["mediaType"] != BUNDLE_MEDIA_TYPE:
        raise CheckFailed(BUNDLE_MALFORMED, "mediaType is not the Sigstore bundle v0.3")
    material = _object(
        top["verificationMaterial"], {"publicKey", "tlogEntries"}, "verificationMaterial"
    )
    if material["tlogEntries"] != []:
        raise CheckFailed(BUNDLE_MALFORMED, "tlogEntries must be empty")
    public = _object(material["publicKey"], {"hint"}, "publicKey")
    envelope = _object(
        top["dsseEnvelope"], {"payloadType", "payload", "signatures"}, "dsseEnvelope"
    )
    signatures = envelope["signatures"]
    if not isinstance(signatures, list) or len(signatures) != 1:
        raise CheckFailed(BUNDLE_MALFORMED, "exactly one signature is required")
    sig = _object(signatures[0], {"sig", "keyid"}, "signature")
    if not isinstance(envelope["payloadType"], str):
        raise CheckFailed(BUNDLE_MALFORMED, "payloadType is not a string")
    if sig["keyid"] != public["hint"]:
        raise CheckFailed(BUNDLE_MALFORMED, "signature keyid differs from the key hint")
    spki = b64decode_strict(public["hint"], "publicKey.hint")
    key = load_p256_spki(spki)
    if key is None:
        raise CheckFailed(BUNDLE_MALFORMED, "publicKey.hint is not a P-256 SubjectPublicKeyInfo")
    return ParsedBundle(
        spki_der=spki,
        key=key,
        payload_type=envelope["payloadType"],
        payload=b64decode_strict(envelope["payload"], "payload"),
        signature=b64decode_strict(sig["sig"], "signature"),
    )
