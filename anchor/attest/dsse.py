"""DSSE over PAE with an ephemeral ECDSA P-256 key: the one source of the signed bytes.

* :func:`pae` — the DSSE v1 Pre-Authentication Encoding, over bytes;
* :class:`EphemeralKey` — a P-256 key that lives in memory only (never serialized privately);
* :func:`verify_der` — ECDSA-P256-SHA256 over the PAE with a DER signature, strictly encoded.

The keyid used in token audiences is :func:`key_sha256`: hex SHA-256 of the DER
SubjectPublicKeyInfo.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """``DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`` (lengths in ASCII decimal, of bytes)."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def key_sha256(spki_der: bytes) -> str:
    """The keyid of a public key: lower-case hex SHA-256 of its DER SubjectPublicKeyInfo."""
    return hashlib.sha256(spki_der).hexdigest()


def audience_for(spki_der: bytes) -> str:
    """The key-bound token audience naming this key: ``anchor:v1:sha256:<keyid>``."""
    return f"anchor:v1:sha256:{key_sha256(spki_der)}"


class EphemeralKey:
    """A fresh P-256 signing key held in memory for one attestation; never written anywhere."""

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.spki_der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def keyid(self) -> str:
        """Hex SHA-256 of the DER SubjectPublicKeyInfo."""
        return key_sha256(self.spki_der)

    def sign(self, payload_type: str, payload: bytes) -> bytes:
        """The DER ECDSA-P256-SHA256 signature over ``pae(payload_type, payload)``."""
        return self._key.sign(pae(payload_type, payload), ec.ECDSA(hashes.SHA256()))

    def __repr__(self) -> str:
        return f"EphemeralKey(keyid={self.keyid[:16]}…)"


def load_p256_spki(spki_der: bytes) -> ec.EllipticCurvePublicKey | None:
    """The P-256 public key in ``spki_der``, or ``None`` unless it is exactly a canonical P-256 SPKI."""
    try:
        key = serialization.load_der_public_key(spki_der)
    except (ValueError, TypeError):
        return None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        return None
    again = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key if again == spki_der else None


def verify_der(
    key: ec.EllipticCurvePublicKey, payload_type: str, payload: bytes, signature: bytes
) -> bool:
    """True when ``signature`` is a strict-DER ECDSA-SHA256 signature of the PAE by ``key``."""
    try:
        r, s = decode_dss_signature(signature)
    except ValueError:
        return False
    if encode_dss_signature(r, s) != signature:  # BER leniency would let two byte strings verify
        return False
    try:
        key.verify(signature, pae(payload_type, payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
