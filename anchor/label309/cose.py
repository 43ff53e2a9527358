"""Record-level COSE_Sign1 for Label 309: structure, Sig_structure, signing, transforms.

* :func:`to_sign` and :func:`sig_structure` build the exact signing input
  (``"cardano-poe-record-sig-v1" || body-without-sigs``, RFC 9052 ``Sig_structure`` with
  an empty external AAD and the protected bytes exactly as published).
* :func:`sign_record` / :func:`sign_record_entry` produce the path-1 layout the tool emits:
  protected ``{1: -8, 4: pk}``, unprotected ``{}``, payload ``null``.
* :func:`check_sig_entry` is the structural (Part A) check the validator runs on each
  ``sigs[i]``; it never does cryptography.
* :func:`detach_payload` is the CIP-30 attached -> detached transform.

Verification (Part B) lives in :mod:`anchor.label309.cose_verify`; :func:`verify_signatures`
here forwards to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from anchor.errors import Label309Error
from anchor.label309 import cbor, ed25519
from anchor.label309 import codes as C
from anchor.label309.cbor import CborError, CborMap
from anchor.label309.codes import PathSegment
from anchor.label309.record import SigEntry, body_without_sigs

SIG_DOMAIN_PREFIX: Final = b"cardano-poe-record-sig-v1"
SIG_CONTEXT: Final = "Signature1"
ALG_EDDSA: Final = -8
ALG_ED25519: Final = -19
SUPPORTED_ALGS: Final = frozenset({ALG_EDDSA, ALG_ED25519})
LABEL_ALG: Final = 1
LABEL_KID: Final = 4
KEY_KTY, KEY_ALG, KEY_CRV, KEY_X, KEY_D = 1, 3, -1, -2, -4
KTY_OKP, CRV_ED25519 = 1, 6
SIGNATURE_LEN: Final = 64
PUBLIC_KEY_LEN: Final = 32
SIG_ENTRY_KEYS: Final = frozenset({"cose_sign1", "cose_key"})


class CoseError(Label309Error):
    """The bytes are not a COSE_Sign1 / COSE_Key of the required shape (MALFORMED_SIG_COSE_SIGN1)."""

    def __init__(self, message: str) -> None:
        super().__init__(C.MALFORMED_SIG_COSE_SIGN1, message)


@dataclass(frozen=True)
class Sign1:
    """A structurally decoded COSE_Sign1; ``protected_raw`` are the published bytes."""

    protected_raw: bytes
    protected: CborMap
    unprotected: CborMap
    payload: bytes | None
    signature: bytes

    @property
    def alg(self) -> Any:
        """The protected ``alg`` label value (None when absent)."""
        return self.protected.get(LABEL_ALG)

    @property
    def kid(self) -> Any:
        """The protected ``kid`` (label 4); an unprotected kid is never used."""
        return self.protected.get(LABEL_KID)

    @property
    def hashed(self) -> bool:
        """CIP-8 ``hashed`` mode: unprotected text key ``"hashed"`` is ``true``."""
        return self.unprotected.get("hashed") is True


@dataclass(frozen=True)
class Finding:
    """One structural finding inside ``sigs[i]``; ``path`` is relative to the entry."""

    path: tuple[PathSegment, ...]
    code: str
    message: str


def _has_duplicate_keys(m: CborMap) -> bool:
    seen: set[bytes] = set()
    for key in m:
        try:
            enc = cbor.encode(key)
        except cbor.CborEncodeError:
            enc = b"\xff" + repr(key).encode()
        if enc in seen:
            return True
        seen.add(enc)
    return False


def parse_sign1(data: bytes) -> Sign1:
    """Decode an untagged COSE_Sign1 ``[bstr protected, map, payload, bstr signature]``.

    The protected bytes must decode to a map (``h''`` is the empty map), header maps may
    not repeat a label, the payload is a bstr or null. Raises :class:`CoseError`.
    """
    try:
        value = cbor.decode_lenient(data)
    except CborError as exc:
        raise CoseError(f"cose_sign1 is not well-formed CBOR: {exc.detail}") from exc
    if isinstance(value, cbor.Tag):
        raise CoseError(f"cose_sign1 must be untagged (found tag {value.tag})")
    if not isinstance(value, list) or len(value) != 4:
        raise CoseError("cose_sign1 is not a 4-element array")
    protected_raw, unprotected, payload, signature = value
    if not isinstance(protected_raw, bytes):
        raise CoseError("protected header is not a byte string")
    if not isinstance(unprotected, CborMap):
        raise CoseError("unprotected header is not a map")
    if payload is not None and not isinstance(payload, bytes):
        raise CoseError("payload is neither a byte string nor null")
    if not isinstance(signature, bytes):
        raise CoseError("signature is not a byte string")
    if protected_raw:
        try:
            protected = cbor.decode_lenient(protected_raw)
        except CborError as exc:
            raise CoseError(f"protected header does not decode: {exc.detail}") from exc
        if not isinstance(protected, CborMap):
            raise CoseError("protected header is not a map")
    else:
        protected = CborMap()
    if _has_duplicate_keys(protected) or _has_duplicate_keys(unprotected):
        raise CoseError("a COSE header repeats a label")
    return Sign1(protected_raw, protected, unprotected, payload, signature)


def parse_cose_key(data: bytes) -> tuple[bytes | None, list[Finding]]:
    """Check an inline COSE_Key (OKP / Ed25519); return (x or None, findings).

    A private scalar (label -4) is ``SIG_PRIVATE_KEY_LEAKED`` whatever else the key holds.
    """
    where = ("cose_key",)
    try:
        key = cbor.decode_lenient(data)
    except CborError as exc:
        return None, [Finding(where, C.MALFORMED_SIG_COSE_SIGN1, f"cose_key: {exc.detail}")]
    if not isinstance(key, CborMap) or _has_duplicate_keys(key):
        return None, [Finding(where, C.MALFORMED_SIG_COSE_SIGN1, "cose_key is not a COSE_Key map")]
    findings: list[Finding] = []
    if KEY_D in key:
        findings.append(Finding(where, C.SIG_PRIVATE_KEY_LEAKED, "cose_key carries a private key"))
    x = key.get(KEY_X)
    problems = []
    if key.get(KEY_KTY) != KTY_OKP or isinstance(key.get(KEY_KTY), bool):
        problems.append("kty is not OKP (1)")
    if key.get(KEY_CRV) != CRV_ED25519 or isinstance(key.get(KEY_CRV), bool):
        problems.append("crv is not Ed25519 (6)")
    if not isinstance(x, bytes) or len(x) != PUBLIC_KEY_LEN:
        problems.append("x is not a 32-byte byte string")
    if KEY_ALG in key and (key[KEY_ALG] not in SUPPORTED_ALGS or isinstance(key[KEY_ALG], bool)):
        problems.append("alg is not EdDSA")
    if problems:
        findings.append(
            Finding(where, C.MALFORMED_SIG_COSE_SIGN1, "cose_key: " + "; ".join(problems))
        )
        return None, findings
    assert isinstance(x, bytes)
    return x, findings


def alg_supported(alg: Any) -> bool:
    """True for the implemented registered labels -8 (EdDSA) and -19 (Ed25519)."""
    return isinstance(alg, int) and not isinstance(alg, bool) and alg in SUPPORTED_ALGS


def check_sig_entry(entry: Any) -> list[Finding]:
    """Part A checks of one ``sigs[i]`` value: shape, COSE structure, kid/cose_key
    exclusivity, private-key leak, unsupported algorithm (info). No cryptography."""
    if not isinstance(entry, CborMap):
        return [Finding((), C.SIG_ENTRY_INVALID_SHAPE, "sig entry must be a map")]
    keys_ok = all(isinstance(k, str) and k in SIG_ENTRY_KEYS for k in entry)
    sign1_raw, key_raw = entry.get("cose_sign1"), entry.get("cose_key")
    if (
        not keys_ok
        or not isinstance(sign1_raw, bytes)
        or ("cose_key" in entry and not isinstance(key_raw, bytes))
    ):
        return [
            Finding(
                (),
                C.SIG_ENTRY_INVALID_SHAPE,
                "sig entry must be {cose_sign1: bstr, ?cose_key: bstr}",
            )
        ]
    findings: list[Finding] = []
    if isinstance(key_raw, bytes):
        findings.extend(parse_cose_key(key_raw)[1])
    try:
        sign1 = parse_sign1(sign1_raw)
    except CoseError as exc:
        findings.append(Finding(("cose_sign1",), C.MALFORMED_SIG_COSE_SIGN1, exc.detail))
        return findings
    if sign1.payload is not None:
        findings.append(
            Finding(("cose_sign1",), C.MALFORMED_SIG_COSE_SIGN1, "payload must be null (detached)")
        )
    if LABEL_ALG not in sign1.protected:
        findings.append(
            Finding(("cose_sign1",), C.MALFORMED_SIG_COSE_SIGN1, "protected header has no alg")
        )
    elif not alg_supported(sign1.alg):
        findings.append(
            Finding(
                (),
                C.SIGNATURE_UNSUPPORTED,
                f"signature alg {sign1.alg!r} is not implemented; not verified",
            )
        )
    elif len(sign1.signature) != SIGNATURE_LEN:
        findings.append(
            Finding(
                ("cose_sign1",),
                C.MALFORMED_SIG_COSE_SIGN1,
                f"Ed25519 signature is {len(sign1.signature)} bytes, not 64",
            )
        )
    kid = sign1.kid
    if isinstance(kid, bytes) and len(kid) == PUBLIC_KEY_LEN and isinstance(key_raw, bytes):
        findings.append(
            Finding(
                (),
                C.SIG_ENTRY_KID_COSE_KEY_CONFLICT,
                "a 32-byte protected kid and a cose_key are mutually exclusive",
            )
        )
    return findings


def to_sign(signed_body: bytes) -> bytes:
    """The signature payload: the 25-byte domain prefix then the body without ``sigs``."""
    return SIG_DOMAIN_PREFIX + bytes(signed_body)


def sig_structure(protected_raw: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    """Canonical ``["Signature1", protected (verbatim), external_aad, payload]``."""
    return cbor.encode([SIG_CONTEXT, bytes(protected_raw), bytes(external_aad), bytes(payload)])


def encode_sign1(
    protected_raw: bytes, unprotected: Any, payload: bytes | None, signature: bytes
) -> bytes:
    """Bytes of an untagged COSE_Sign1 (the protected header kept as given)."""
    return cbor.encode([bytes(protected_raw), unprotected, payload, bytes(signature)])


def sign1(
    secret_seed: bytes,
    protected: Any,
    payload: bytes,
    *,
    unprotected: Any = None,
    external_aad: bytes = b"",
    detached: bool = False,
) -> bytes:
    """Generic COSE_Sign1 signing with Ed25519 (deterministic): canonical protected header
    from ``protected`` (a map), the signature over ``Sig_structure``; payload attached
    unless ``detached``."""
    protected_raw = cbor.encode(protected) if len(protected) else b""
    signature = ed25519.sign(secret_seed, sig_structure(protected_raw, payload, external_aad))
    unprot = CborMap() if unprotected is None else unprotected
    return encode_sign1(protected_raw, unprot, None if detached else payload, signature)


def path1_protected(public_key: bytes) -> bytes:
    """The tool's protected header ``{1: -8, 4: pk}`` (38 bytes, canonical)."""
    return cbor.encode(CborMap([(LABEL_ALG, ALG_EDDSA), (LABEL_KID, bytes(public_key))]))


def sign_record(body: bytes, secret_seed: bytes) -> bytes:
    """The path-1 COSE_Sign1 (109 bytes) over ``body`` with the identity key's seed.

    ``body`` may carry ``sigs``; they are dropped first (:func:`body_without_sigs`), so
    every co-signer signs the same bytes.
    """
    public_key = ed25519.public_key(secret_seed)
    protected_raw = path1_protected(public_key)
    payload = to_sign(body_without_sigs(body))
    signature = ed25519.sign(secret_seed, sig_structure(protected_raw, payload))
    return encode_sign1(protected_raw, CborMap(), None, signature)


def sign_record_entry(body: bytes, secret_seed: bytes) -> bytes:
    """The canonical sig-entry map ``{cose_sign1: <sign_record(...)>}`` (123 bytes)."""
    return SigEntry(sign_record(body, secret_seed)).encode()


def detach_payload(cose_sign1: bytes) -> bytes:
    """CIP-30 transform: replace element 2 of an (attached) COSE_Sign1 with ``null``.

    The other three elements are copied byte for byte (the protected bytes are signed
    verbatim); the result is untagged. Raises :class:`CoseError` if it is not a
    4-element COSE_Sign1 array.
    """
    data = bytes(cose_sign1)
    try:
        _tag, start = cbor.skip_tag(data, 0)
        spans = cbor.array_spans(data, start)
        if cbor.item_end(data, start) != len(data):
            raise CoseError("trailing bytes after the COSE_Sign1")
    except CborError as exc:
        raise CoseError(f"not a COSE_Sign1 array: {exc.detail}") from exc
    if len(spans) != 4:
        raise CoseError("cose_sign1 is not a 4-element array")
    parts = [data[s:e] for s, e in spans]
    return b"\x84" + parts[0] + parts[1] + b"\xf6" + parts[3]


def verify_signatures(body: bytes, *, network: Literal["mainnet", "testnet"]) -> list[Any]:
    """Verify every ``sigs[i]`` of ``body`` (see ``cose_verify.verify_signatures``);
    returns ``list[cose_verify.SignatureResult]``."""
    from anchor.label309 import cose_verify  # cose_verify builds on this module

    return list(cose_verify.verify_signatures(body, network=network))
