"""Small record builders for the label309 unit tests (plain values, canonical encoding)."""

from __future__ import annotations

from typing import Any

from anchor.label309 import cbor
from anchor.label309.validate import ValidateResult, validate_record

D32 = b"\x11" * 32
HASHES = {"sha2-256": D32}
UINT32_MAX = 2**32 - 1


def item(**extra: Any) -> dict[str, Any]:
    """An item with one registered hash, plus ``extra`` keys (``hashes=...`` overrides)."""
    return {"hashes": HASHES, **extra}


def record(**fields: Any) -> dict[str, Any]:
    """``{"v": 1, "items": [item()]}`` with ``fields`` added or overriding (None removes)."""
    base: dict[str, Any] = {"v": 1, "items": [item()]}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def x25519_enc(**extra: Any) -> dict[str, Any]:
    """A shape-valid scheme-1 x25519 envelope; ``extra`` overrides (None removes)."""
    enc: dict[str, Any] = {
        "scheme": 1,
        "aead": "chacha20-poly1305-stream64k",
        "kem": "x25519",
        "nonce": b"\x44" * 24,
        "slots": [{"epk": b"\x05" * 32, "wrap": b"\x06" * 48}],
        "slots_mac": b"\xaa" * 32,
    }
    enc.update(extra)
    return {k: v for k, v in enc.items() if v is not None}


def passphrase_enc(**block: Any) -> dict[str, Any]:
    """A shape-valid passphrase envelope; ``block`` overrides passphrase fields (None removes)."""
    pp: dict[str, Any] = {
        "alg": "argon2id",
        "salt": b"\x01" * 16,
        "params": {"m": 65536, "t": 3, "p": 1},
    }
    pp.update(block)
    return {
        "scheme": 1,
        "aead": "chacha20-poly1305-stream64k",
        "nonce": b"\x44" * 24,
        "passphrase": {k: v for k, v in pp.items() if v is not None},
    }


def run(value: Any, **options: Any) -> ValidateResult:
    """Validate the canonical encoding of ``value``."""
    return validate_record(cbor.encode(value), **options)


def errors(value: Any, **options: Any) -> list[str]:
    """Sorted distinct error codes for ``value``."""
    return sorted({i.code for i in run(value, **options).issues if i.severity == "error"})


def issues(value: Any, **options: Any) -> list[tuple[tuple[Any, ...], str, str]]:
    """(path, code, severity) of every issue, in the validator's order."""
    return [(i.path, i.code, i.severity) for i in run(value, **options).issues]
