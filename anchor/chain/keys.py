"""Cardano payment keys and the key files `anchor` reads and writes.

* The payment key is a cardano-cli ``PaymentSigningKeyShelley_ed25519`` text
  envelope (``cborHex`` = ``5820`` + the 32-byte Ed25519 secret seed), so keys made
  by cardano-cli or wallets work as they are. BIP32 extended keys are refused with
  a clear :class:`InputError` (signing with them needs raw-scalar Ed25519).
* The address is the CIP-19 enterprise address: header ``0x60 | network id``
  followed by blake2b-224 of the verification key, bech32 under ``addr`` (mainnet)
  or ``addr_test`` (every testnet).
* Secrets come from files or environment variables (``ANCHOR_IDENTITY_SEED`` holds
  the seed string itself, ``ANCHOR_PAYMENT_SKEY`` the envelope JSON or bare
  ``cborHex``), never from arguments; no message ever contains secret content.
* Secret files are created with ``O_CREAT | O_EXCL`` and mode 0600 from the first
  byte, and existing files are never overwritten.

Pure Python plus PyNaCl: this module does not import pycardano.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nacl.signing import SigningKey

from anchor.errors import InputError
from anchor.label309 import bech32, cbor
from anchor.label309.hashes import blake2b_224
from anchor.label309.keys import (
    KeyDerivationError,
    derive_identity,
    encode_seed_string,
    parse_seed_string,
)
from anchor.text import SECRET_VALUE, looks_secret, shown_value

IDENTITY_SEED_ENV = "ANCHOR_IDENTITY_SEED"
PAYMENT_SKEY_ENV = "ANCHOR_PAYMENT_SKEY"
IDENTITY_SEED_FLAG = "--identity-seed"
PAYMENT_SKEY_FLAG = "--payment-key"

IDENTITY_SEED_FILE = "identity.seed"
PAYMENT_SKEY_FILE = "payment.skey"
PAYMENT_VKEY_FILE = "payment.vkey"

SKEY_TYPE = "PaymentSigningKeyShelley_ed25519"
VKEY_TYPE = "PaymentVerificationKeyShelley_ed25519"
EXTENDED_SKEY_TYPE = "PaymentExtendedSigningKeyShelley_ed25519_bip32"
SKEY_DESCRIPTION = "Payment Signing Key"
VKEY_DESCRIPTION = "Payment Verification Key"
ENTERPRISE_HEADER = 0x60
SECRET_MODE = 0o600
PUBLIC_MODE = 0o644


@dataclass(frozen=True)
class PaymentKey:
    """An Ed25519 payment key; the secret seed never shows in ``repr``."""

    verification_key: bytes
    signing_seed: bytes = field(repr=False)

    @classmethod
    def from_seed(cls, seed: bytes) -> PaymentKey:
        """The payment key whose 32-byte Ed25519 secret seed is ``seed``."""
        if len(seed) != 32:
            raise InputError("a payment signing key must be 32 bytes")
        return cls(bytes(SigningKey(bytes(seed)).verify_key), bytes(seed))

    @classmethod
    def generate(cls) -> PaymentKey:
        """A fresh key from the operating system's CSPRNG."""
        return cls.from_seed(os.urandom(32))

    @property
    def key_hash(self) -> bytes:
        """blake2b-224 of the verification key (the payment credential)."""
        return blake2b_224(self.verification_key)

    def address(self, network_id: int) -> str:
        """The bech32 enterprise address of this key on ``network_id``."""
        return enterprise_address(self.verification_key, network_id)

    def __repr__(self) -> str:
        return f"PaymentKey(verification_key={self.verification_key.hex()}, secret=<hidden>)"


def enterprise_address(verification_key: bytes, network_id: int) -> str:
    """CIP-19 enterprise address (header ``0x60 | id``), ``addr`` on id 1, else ``addr_test``."""
    if not 0 <= network_id <= 15:
        raise InputError(f"network id must be 0..15, got {network_id}")
    if len(verification_key) != 32:
        raise InputError("a payment verification key must be 32 bytes")
    raw = bytes((ENTERPRISE_HEADER | network_id,)) + blake2b_224(verification_key)
    return bech32.encode("addr" if network_id == 1 else "addr_test", raw)


# --------------------------------------------------------------------------- text envelopes


def _envelope(kind: str, description: str, key: bytes) -> str:
    doc = {"type": kind, "description": description, "cborHex": cbor.encode(key).hex()}
    return json.dumps(doc, indent=4) + "\n"


def signing_key_envelope(key: PaymentKey) -> str:
    """The cardano-cli text envelope of the signing key (secret: write it mode 0600)."""
    return _envelope(SKEY_TYPE, SKEY_DESCRIPTION, key.signing_seed)


def verification_key_envelope(key: PaymentKey) -> str:
    """The cardano-cli text envelope of the verification key."""
    return _envelope(VKEY_TYPE, VKEY_DESCRIPTION, key.verification_key)


def _key_bytes_from_cbor_hex(cbor_hex: Any, source: str) -> bytes:
    if not isinstance(cbor_hex, str):
        raise InputError(f"{source}: cborHex is missing or not a string")
    try:
        value = cbor.decode(bytes.fromhex(cbor_hex.strip()))
    except (ValueError, cbor.CborError):
        raise InputError(f"{source}: cborHex is not a CBOR byte string in hex") from None
    if not isinstance(value, bytes) or len(value) != 32:
        raise InputError(f"{source}: cborHex must hold a 32-byte key (5820 + 64 hex digits)")
    return value


def _load_envelope(text: str, source: str) -> tuple[str | None, bytes]:
    """``(type or None for bare cborHex, key bytes)`` from envelope JSON or bare cborHex."""
    stripped = text.strip()
    if not stripped:
        raise InputError(f"{source} is empty")
    if not stripped.startswith(("{", "[")):
        return None, _key_bytes_from_cbor_hex(stripped, source)
    try:
        doc = json.loads(stripped)
    except ValueError:
        raise InputError(f"{source}: not a cardano-cli text envelope (invalid JSON)") from None
    except (RecursionError, MemoryError):
        raise InputError(
            f"{source}: not a cardano-cli text envelope (JSON nested too deeply or too large)"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str):
        raise InputError(f"{source}: not a cardano-cli text envelope (no 'type')")
    kind: str = doc["type"]
    if kind == EXTENDED_SKEY_TYPE or "Extended" in kind:
        raise InputError(
            f"{source}: extended (BIP32) keys are not supported; "
            f"use a {SKEY_TYPE} key (cardano-cli address key-gen)"
        )
    return kind, _key_bytes_from_cbor_hex(doc.get("cborHex"), source)


def parse_signing_key(text: str, *, source: str) -> PaymentKey:
    """Parse a payment signing key: text-envelope JSON or bare ``cborHex``.

    ``source`` names where the text came from (a path or an environment variable)
    for error messages, which never contain the key material.
    """
    kind, key = _load_envelope(text, source)
    if kind is not None and kind != SKEY_TYPE:
        if kind == VKEY_TYPE:
            raise InputError(f"{source} is a verification key; a signing key is needed")
        raise InputError(f"{source}: envelope type is not {SKEY_TYPE}")
    return PaymentKey.from_seed(key)


def parse_verification_key(text: str, *, source: str) -> bytes:
    """Parse a ``PaymentVerificationKeyShelley_ed25519`` envelope (or bare cborHex)."""
    kind, key = _load_envelope(text, source)
    if kind is not None and kind != VKEY_TYPE:
        raise InputError(f"{source}: envelope type is not {VKEY_TYPE}")
    return key


# --------------------------------------------------------------------------- loaders


MAX_KEY_FILE = 64 << 10
"""A key file is a few hundred bytes; anything larger than this is not one."""


def _is_file(path: str | Path) -> bool:
    try:
        return os.path.isfile(path)
    except (OSError, ValueError):
        return False


def refuse_secret_value(value: str | Path, *, flag: str) -> None:
    """Refuse (exit 4) a flag value that looks like a secret and names no file.

    The value is never echoed, and nothing is opened, so no error chain (``--verbose``)
    can carry it either.
    """
    if looks_secret(str(value)) and not _is_file(value):
        raise InputError(f"{flag}: {SECRET_VALUE}")


def _read_text(path: str | Path, what: str) -> str:
    shown = shown_value(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_KEY_FILE + 1)
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise InputError(f"cannot read {what} {shown}: {reason}") from None
    if len(raw) > MAX_KEY_FILE:
        raise InputError(f"{what} {shown} is larger than {MAX_KEY_FILE} bytes: not a key file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(
            f"{what} {shown} is not text: expected a cardano-cli text envelope, "
            "a cborHex string or an l309-seed string"
        ) from None


def _env_secret(env: str) -> str | None:
    """The value of the environment variable ``env``; None when it is unset or blank."""
    value = os.environ.get(env, "")
    return value if value.strip() else None


def _secret_text(path: str | None, *, env: str, flag: str, what: str) -> tuple[str, str]:
    """``(text, source)`` from ``path`` or else the environment variable ``env``."""
    if path is not None:
        refuse_secret_value(path, flag=flag)
        return _read_text(path, what), shown_value(path)
    value = _env_secret(env)
    if value is None:
        raise InputError(f"no {what}: pass {flag} FILE or set {env}")
    return value, env


def load_identity_seed(path: str | None) -> bytes:
    """The 32-byte identity seed from a seed-string file, else from ``ANCHOR_IDENTITY_SEED``."""
    text, source = _secret_text(
        path, env=IDENTITY_SEED_ENV, flag=IDENTITY_SEED_FLAG, what="identity seed"
    )
    try:
        return parse_seed_string(text)
    except KeyDerivationError as exc:
        raise KeyDerivationError(exc.code, f"identity seed from {source}: {exc.detail}") from None


def load_payment_key(path: str | None) -> PaymentKey:
    """The payment signing key from a file, else from ``ANCHOR_PAYMENT_SKEY`` (JSON or cborHex)."""
    text, source = _secret_text(
        path, env=PAYMENT_SKEY_ENV, flag=PAYMENT_SKEY_FLAG, what="payment signing key"
    )
    return parse_signing_key(text, source=source)


# --------------------------------------------------------------------------- key sets


@dataclass(frozen=True)
class KeySetInfo:
    """The public facts of a key directory; None where the file is absent."""

    identity_public: bytes | None
    payment_verification_key: bytes | None

    @property
    def payment_key_hash(self) -> bytes | None:
        """blake2b-224 of the payment verification key."""
        vkey = self.payment_verification_key
        return None if vkey is None else blake2b_224(vkey)

    def address(self, network_id: int) -> str | None:
        """The enterprise address of the payment key on ``network_id``."""
        vkey = self.payment_verification_key
        return None if vkey is None else enterprise_address(vkey, network_id)


def key_set_info(seed: bytes | None, payment: PaymentKey | None) -> KeySetInfo:
    """The public facts of an identity seed and a payment key (None where absent)."""
    identity_public = None if seed is None else derive_identity(seed).ed25519_public
    payment_vkey = None if payment is None else payment.verification_key
    return KeySetInfo(identity_public, payment_vkey)


def configured_key_set(identity_seed: str | None, payment_key: str | None) -> KeySetInfo:
    """The public facts of the keys `anchor publish` would load, each from its file, else its
    environment variable; None for a key that neither names (no error for a missing key).
    """
    seed = None
    if identity_seed is not None or _env_secret(IDENTITY_SEED_ENV) is not None:
        seed = load_identity_seed(identity_seed)
    payment = None
    if payment_key is not None or _env_secret(PAYMENT_SKEY_ENV) is not None:
        payment = load_payment_key(payment_key)
    return key_set_info(seed, payment)


@dataclass(frozen=True)
class CreatedKeySet:
    """Paths written by :func:`create_key_set` and the public facts of the new keys."""

    identity_seed_path: Path
    payment_skey_path: Path
    payment_vkey_path: Path
    info: KeySetInfo


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` exclusively with ``mode`` from the first byte; never overwrite."""
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags, mode)
    except FileExistsError:
        raise InputError(f"refusing to overwrite existing file {path}") from None
    except OSError as exc:
        raise InputError(f"cannot create {path}: {exc.strerror or type(exc).__name__}") from exc
    try:
        if hasattr(os, "fchmod"):  # the umask can only narrow; make the mode exact
            os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    finally:
        os.close(fd)


def create_key_set(
    out_dir: str | Path, *, seed: bytes | None = None, payment: PaymentKey | None = None
) -> CreatedKeySet:
    """Write a new ``identity.seed``, ``payment.skey`` (both 0600) and ``payment.vkey``.

    Fresh random keys unless ``seed``/``payment`` are given (tests). Refuses, before
    writing anything, when any of the three files exists; removes what it wrote if a
    later write fails.
    """
    directory = Path(out_dir)
    paths = [directory / IDENTITY_SEED_FILE, directory / PAYMENT_SKEY_FILE]
    paths.append(directory / PAYMENT_VKEY_FILE)
    for path in paths:
        if path.exists() or path.is_symlink():
            raise InputError(f"refusing to overwrite existing file {path}")
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise InputError(f"cannot create {directory}: {exc.strerror or 'error'}") from exc
    identity_seed = os.urandom(32) if seed is None else seed
    payment_key = PaymentKey.generate() if payment is None else payment
    contents = [
        ((encode_seed_string(identity_seed) + "\n").encode("ascii"), SECRET_MODE),
        (signing_key_envelope(payment_key).encode("ascii"), SECRET_MODE),
        (verification_key_envelope(payment_key).encode("ascii"), PUBLIC_MODE),
    ]
    written: list[Path] = []
    try:
        for path, (data, mode) in zip(paths, contents, strict=True):
            _write_new(path, data, mode)
            written.append(path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    info = key_set_info(identity_seed, payment_key)
    return CreatedKeySet(paths[0], paths[1], paths[2], info)


def read_key_set(key_dir: str | Path) -> KeySetInfo:
    """The public facts of a key directory (``identity.seed`` and/or ``payment.skey``).

    ``payment.vkey``, when present, must match ``payment.skey``. At least one of the
    two secret files must exist.
    """
    refuse_secret_value(key_dir, flag="KEY_DIR")
    directory = Path(key_dir)
    if not directory.is_dir():
        raise InputError(f"{shown_value(directory)} is not a directory")
    seed_path = directory / IDENTITY_SEED_FILE
    skey_path = directory / PAYMENT_SKEY_FILE
    vkey_path = directory / PAYMENT_VKEY_FILE
    if not seed_path.exists() and not skey_path.exists():
        raise InputError(
            f"{shown_value(directory)} holds neither {IDENTITY_SEED_FILE} nor {PAYMENT_SKEY_FILE}"
        )
    seed = load_identity_seed(str(seed_path)) if seed_path.exists() else None
    payment = None
    if skey_path.exists():
        payment = load_payment_key(str(skey_path))
        if vkey_path.exists():
            stored = parse_verification_key(
                _read_text(vkey_path, "verification key"), source=str(vkey_path)
            )
            if stored != payment.verification_key:
                raise InputError(
                    f"{shown_value(vkey_path)} does not match {shown_value(skey_path)}"
                )
    return key_set_info(seed, payment)
