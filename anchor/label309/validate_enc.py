"""Structural checks of ``items[i].enc`` (the sealed-PoE envelope), no cryptography.

The order is the one every vector is consistent with (BRIEF §2.9, ADR 0004):

1. ``enc`` not a map -> one ``SCHEMA_TYPE_MISMATCH``; stop.
2. ``aead`` naming an unauthenticated cipher family -> ``UNAUTHENTICATED_CIPHER_FORBIDDEN``
   in every role; stop (never opaque).
3. identifier fields of the wrong type (or absent) -> ``SCHEMA_TYPE_MISMATCH``; stop.
4. unknown ``scheme``/``kem``/``aead`` -> opaque: ``ENC_UNSUPPORTED`` (info in the public
   role; error plus the specific ``UNSUPPORTED_*`` code in the recipient/strict role); stop.
5. scheme-1 shape gate (closed maps, field types), then the resource bounds, then the
   per-slot shape gate (skipped once a bound trips). Any shape failure forecloses 6.
6. domain rules: key path, lengths, duplicate KEM material, passphrase policy.

The item-level ``ENC_REQUIRES_CONTENT_HASH`` rule is applied by the item walker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final, Literal

from anchor.label309 import cbor
from anchor.label309 import codes as C
from anchor.label309 import constants as K
from anchor.label309.cbor import CborMap
from anchor.label309.codes import Issue, PathSegment, Severity, make_issue

Role = Literal["public", "recipient_or_strict"]
Path = tuple[PathSegment, ...]

SUPPORTED_SCHEME: Final = 1
SUPPORTED_AEAD: Final = "chacha20-poly1305-stream64k"
SLOT_FIELDS: Final = {"x25519": ("epk", 32), "mlkem768x25519": ("kem_ct", 1120)}
ENC_KEYS: Final = frozenset({"scheme", "aead", "nonce", "kem", "slots", "slots_mac", "passphrase"})
PASSPHRASE_KEYS: Final = frozenset({"alg", "salt", "params"})
PARAM_KEYS: Final = ("m", "t", "p")
PARAM_FLOOR: Final = {"m": K.ARGON2ID_M_MIN_KIB, "t": K.ARGON2ID_T_MIN, "p": K.ARGON2ID_P_MIN}
DEFAULT_CEILING: Final = {"m": 2097152, "t": 16, "p": 8}
NONCE_LENGTH: Final = 24
SLOTS_MAC_LENGTH: Final = 32
WRAP_LENGTH: Final = 48
SALT_MIN: Final = K.ARGON2ID_SALT_MIN_BYTES
SALT_MAX: Final = K.ARGON2ID_SALT_MAX_BYTES
UINT32_MAX: Final = K.ARGON2ID_PARAM_VALUE_MAX

# fmt: off
_FORBIDDEN_TOKENS: Final = frozenset({
    "cbc", "ctr", "ecb", "cfb", "ofb", "rc4", "arc4", "arcfour",
    "des", "3des", "des3", "tripledes", "desede", "tdea",
})
# fmt: on
_STREAM_ONLY: Final = frozenset(
    {"chacha", "chacha20", "xchacha", "xchacha20", "salsa20", "xsalsa20"}
)


@dataclass(frozen=True)
class EncOptions:
    """Deployment options that affect envelope checks."""

    role: Role = "public"
    max_slots: int = 1024
    max_enc_envelope_bytes: int = 65536
    passphrase_params_ceiling: dict[str, int] | None = None


def is_unauthenticated_cipher(aead: str) -> bool:
    """True when ``aead`` names an unauthenticated cipher family (ADR 0004 §4).

    The value is lower-cased and split two ways (on non-alphanumerics, and into letter
    and digit runs); any token in the forbidden set condemns it, and so does a bare
    stream cipher (ChaCha20/XChaCha20/Salsa20) without ``poly1305``.
    """
    text = aead.lower()
    tokens = set(re.split(r"[^a-z0-9]+", text)) | set(re.findall(r"[a-z]+|[0-9]+", text))
    if tokens & _FORBIDDEN_TOKENS:
        return True
    return bool(tokens & _STREAM_ONLY) and "poly1305" not in text


def _add(
    out: list[Issue], path: Path, code: str, message: str, severity: Severity | None = None
) -> None:
    out.append(make_issue(path, code, message, severity))


def _is_uint(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_enc(enc: Any, path: Path, opts: EncOptions, out: list[Issue]) -> None:
    """Append every structural issue of one ``enc`` value at ``path`` to ``out``."""
    if not isinstance(enc, CborMap):
        _add(out, path, C.SCHEMA_TYPE_MISMATCH, "enc must be a map")
        return
    aead = enc.get("aead")
    if isinstance(aead, str) and is_unauthenticated_cipher(aead):
        _add(
            out,
            (*path, "aead"),
            C.UNAUTHENTICATED_CIPHER_FORBIDDEN,
            f"aead {aead!r} names an unauthenticated cipher",
        )
        return
    if not _identifiers_well_typed(enc, path, out):
        return
    if _opaque(enc, path, opts, out):
        return
    slots_checked = _shape_gate(enc, path, opts, out)
    if slots_checked is None:
        return
    _domain_rules(enc, path, opts, slots_checked, out)


def _identifiers_well_typed(enc: CborMap, path: Path, out: list[Issue]) -> bool:
    ok = True
    scheme = enc.get("scheme")
    if not _is_uint(scheme):
        _add(out, (*path, "scheme"), C.SCHEMA_TYPE_MISMATCH, "scheme must be a uint")
        return False
    if scheme != SUPPORTED_SCHEME:
        return True  # other fields are defined by the unknown scheme
    if not isinstance(enc.get("aead"), str):
        _add(out, (*path, "aead"), C.SCHEMA_TYPE_MISMATCH, "aead must be text")
        ok = False
    if "kem" in enc and not isinstance(enc.get("kem"), str):
        _add(out, (*path, "kem"), C.SCHEMA_TYPE_MISMATCH, "kem must be text")
        ok = False
    return ok


def _opaque(enc: CborMap, path: Path, opts: EncOptions, out: list[Issue]) -> bool:
    unknown: list[tuple[str, str, Any]] = []
    scheme = enc["scheme"]
    if scheme != SUPPORTED_SCHEME:
        unknown.append(("scheme", C.UNSUPPORTED_ENVELOPE_SCHEME, scheme))
    else:
        kem = enc.get("kem")
        if "kem" in enc and kem not in SLOT_FIELDS:
            unknown.append(("kem", C.UNSUPPORTED_KEM_ALG, kem))
        if enc["aead"] != SUPPORTED_AEAD:
            unknown.append(("aead", C.UNSUPPORTED_AEAD_ALG, enc["aead"]))
    if not unknown:
        return False
    names = ", ".join(f"{field}={value!r}" for field, _code, value in unknown)
    message = f"envelope is opaque: unsupported {names}"
    if opts.role == "public":
        _add(out, path, C.ENC_UNSUPPORTED, message, "info")
        return True
    _add(out, path, C.ENC_UNSUPPORTED, message, "error")
    for field, code, value in unknown:
        _add(out, (*path, field), code, f"unsupported {field} {value!r}")
    return True


def _shape_gate(enc: CborMap, path: Path, opts: EncOptions, out: list[Issue]) -> bool | None:
    """Run the scheme-1 shape gate; None when it failed, else whether slots were checked."""
    before = len(out)
    for key in enc:
        if key not in ENC_KEYS:
            where = (*path, key) if isinstance(key, str | int) else path
            _add(out, where, C.SCHEMA_UNKNOWN_FIELD, f"unknown enc field {key!r}")
    for key, kind, what in (
        ("nonce", bytes, "a byte string"),
        ("slots_mac", bytes, "a byte string"),
        ("slots", list, "an array"),
        ("passphrase", CborMap, "a map"),
    ):
        if key == "nonce" and key not in enc:
            _add(out, (*path, key), C.SCHEMA_TYPE_MISMATCH, "nonce is required")
        elif key in enc and not isinstance(enc[key], kind):
            _add(out, (*path, key), C.SCHEMA_TYPE_MISMATCH, f"{key} must be {what}")
    if isinstance(enc.get("passphrase"), CborMap):
        _passphrase_shape(enc["passphrase"], (*path, "passphrase"), out)
    slots = enc.get("slots")
    bounded = _bounds(enc, path, opts, out)
    checked = False
    if isinstance(slots, list) and isinstance(enc.get("kem"), str) and not bounded:
        checked = True
        field, _length = SLOT_FIELDS[enc["kem"]]
        for j, slot in enumerate(slots):
            problem = _slot_problem(slot, field)
            if problem:
                _add(out, (*path, "slots", j), C.ENC_SLOT_INVALID_SHAPE, problem)
    shape_failed = any(
        i.code != C.ENC_SLOTS_TOO_MANY and i.code != C.ENC_ENVELOPE_TOO_LARGE for i in out[before:]
    )
    return None if shape_failed else checked


def _slot_problem(slot: Any, field: str) -> str | None:
    if not isinstance(slot, CborMap):
        return "slot must be a map"
    keys = set(slot.keys()) if all(isinstance(k, str) for k in slot) else None
    if keys != {field, "wrap"}:
        return f"slot must be exactly {{{field}, wrap}}"
    if not isinstance(slot[field], bytes) or not isinstance(slot["wrap"], bytes):
        return "slot fields must be byte strings"
    return None


def _passphrase_shape(block: CborMap, path: Path, out: list[Issue]) -> None:
    for key in block:
        if key not in PASSPHRASE_KEYS:
            where = (*path, key) if isinstance(key, str | int) else path
            _add(out, where, C.SCHEMA_UNKNOWN_FIELD, f"unknown passphrase field {key!r}")
    for key, kind, what in (
        ("alg", str, "text"),
        ("salt", bytes, "a byte string"),
        ("params", CborMap, "a map"),
    ):
        if not isinstance(block.get(key), kind):
            _add(out, (*path, key), C.SCHEMA_TYPE_MISMATCH, f"{key} must be {what}")
    params = block.get("params")
    if not isinstance(params, CborMap):
        return
    for key in params:
        if key not in PARAM_KEYS:
            where = (*path, "params", key) if isinstance(key, str | int) else (*path, "params")
            _add(out, where, C.SCHEMA_UNKNOWN_FIELD, f"unknown params field {key!r}")
    for key in PARAM_KEYS:
        value = params.get(key)
        if not _is_uint(value) or value > UINT32_MAX:
            _add(
                out,
                (*path, "params", key),
                C.SCHEMA_TYPE_MISMATCH,
                f"params.{key} must be a uint in 0..2^32-1",
            )


def _bounds(enc: CborMap, path: Path, opts: EncOptions, out: list[Issue]) -> bool:
    tripped = False
    slots = enc.get("slots")
    if isinstance(slots, list) and len(slots) > opts.max_slots:
        _add(
            out,
            (*path, "slots"),
            C.ENC_SLOTS_TOO_MANY,
            f"{len(slots)} slots exceed maxSlots {opts.max_slots}",
        )
        tripped = True
    size = len(cbor.encode(enc))
    if size > opts.max_enc_envelope_bytes:
        _add(
            out,
            path,
            C.ENC_ENVELOPE_TOO_LARGE,
            f"envelope is {size} bytes, above maxEncEnvelopeBytes {opts.max_enc_envelope_bytes}",
        )
        tripped = True
    return tripped


def _domain_rules(
    enc: CborMap, path: Path, opts: EncOptions, slots_checked: bool, out: list[Issue]
) -> None:
    has = {key: key in enc for key in ("kem", "slots", "slots_mac", "passphrase")}
    if has["passphrase"] and (has["slots"] or has["kem"] or has["slots_mac"]):
        _add(
            out,
            path,
            C.ENC_EXCLUSIVITY_VIOLATION,
            "passphrase cannot be combined with kem/slots/slots_mac",
        )
    if not has["slots"] and not has["passphrase"]:
        _add(out, path, C.ENC_NO_KEY_PATH, "neither slots nor passphrase")
    if has["slots"] and not has["kem"]:
        _add(out, path, C.ENC_KEM_REQUIRED, "slots require kem")
    if has["slots"] and not has["slots_mac"]:
        _add(out, path, C.ENC_SLOTS_MAC_REQUIRED, "slots require slots_mac")
    if has["slots_mac"] and not has["slots"]:
        _add(out, path, C.ENC_SLOTS_REQUIRED, "slots_mac without slots")
    if has["slots"] and enc["slots"] == []:
        _add(out, (*path, "slots"), C.ENC_SLOTS_EMPTY, "slots is empty")
    nonce = enc["nonce"]
    if len(nonce) != NONCE_LENGTH:
        _add(
            out,
            (*path, "nonce"),
            C.NONCE_LENGTH_MISMATCH,
            f"nonce is {len(nonce)} bytes, not {NONCE_LENGTH}",
        )
    if has["slots_mac"] and len(enc["slots_mac"]) != SLOTS_MAC_LENGTH:
        _add(
            out,
            (*path, "slots_mac"),
            C.ENC_SLOTS_MAC_INVALID_LENGTH,
            f"slots_mac is {len(enc['slots_mac'])} bytes, not 32",
        )
    if slots_checked:
        _slot_rules(enc["slots"], enc["kem"], (*path, "slots"), out)
    if has["passphrase"]:
        _passphrase_rules(enc["passphrase"], (*path, "passphrase"), opts, out)


def _slot_rules(slots: list[CborMap], kem: str, path: Path, out: list[Issue]) -> None:
    field, length = SLOT_FIELDS[kem]
    code = C.KEM_EPK_LENGTH_MISMATCH if field == "epk" else C.KEM_CT_LENGTH_MISMATCH
    seen: set[bytes] = set()
    for j, slot in enumerate(slots):
        material, wrap = slot[field], slot["wrap"]
        if len(material) != length:
            _add(out, (*path, j, field), code, f"{field} is {len(material)} bytes, not {length}")
        if len(wrap) != WRAP_LENGTH:
            _add(
                out,
                (*path, j, "wrap"),
                C.WRAP_LENGTH_MISMATCH,
                f"wrap is {len(wrap)} bytes, not {WRAP_LENGTH}",
            )
        if material in seen:
            _add(
                out,
                (*path, j, field),
                C.ENC_SLOTS_DUPLICATE_KEM_MATERIAL,
                f"{field} repeats an earlier slot's",
            )
        seen.add(material)


def _passphrase_rules(block: CborMap, path: Path, opts: EncOptions, out: list[Issue]) -> None:
    alg = block["alg"]
    if alg != "argon2id":
        _add(
            out,
            (*path, "alg"),
            C.ENC_PASSPHRASE_ALG_UNSUPPORTED,
            f"passphrase alg {alg!r} is not argon2id",
        )
    salt = block["salt"]
    if len(salt) < SALT_MIN:
        _add(
            out,
            (*path, "salt"),
            C.ENC_PASSPHRASE_SALT_TOO_SHORT,
            f"salt is {len(salt)} bytes, below {SALT_MIN}",
        )
    elif len(salt) > SALT_MAX:
        _add(
            out,
            (*path, "salt"),
            C.ENC_PASSPHRASE_SALT_TOO_LONG,
            f"salt is {len(salt)} bytes, above {SALT_MAX}",
        )
    if alg != "argon2id":
        return  # the parameters' meaning is the unknown algorithm's
    params = block["params"]
    ceiling = opts.passphrase_params_ceiling
    for key in PARAM_KEYS:
        value = params[key]
        if value < PARAM_FLOOR[key]:
            _add(
                out,
                (*path, "params", key),
                C.ENC_PASSPHRASE_ARGON2_PARAMS_TOO_LOW,
                f"argon2id {key}={value} is below {PARAM_FLOOR[key]}",
            )
        elif ceiling is not None and key in ceiling and value > ceiling[key]:
            _add(
                out,
                (*path, "params", key),
                C.ENC_PASSPHRASE_PARAMS_EXCEED_POLICY,
                f"argon2id {key}={value} exceeds the policy ceiling {ceiling[key]}",
            )
