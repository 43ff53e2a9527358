"""The Label 309 error-code registry as typed constants, and the Issue that carries a code.

Every code name, its part (A, B or carriage), its default severity and whether it has
a dual severity are facts of the standard (``registries/error-codes.json`` at the pinned
commit); they are written here as data so nothing reads the standard's files at run
time. The registry order is normative: it breaks ties when issues are sorted
(:func:`issue_sort_key`). A conformance test checks this module against the registry.

Construction-API codes (seed strings, sealed construction) are not registry codes; they
are defined by the vectors and listed in :data:`CONSTRUCTION_CODES`. They never appear
in a verifier report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Part = Literal["A", "B", "carriage"]
Severity = Literal["error", "warning", "info"]
PathSegment = str | int

# --- registry codes, in registry order (the order is the sort tie-break) ---
MALFORMED_CBOR: Final = "MALFORMED_CBOR"
SCHEMA_TYPE_MISMATCH: Final = "SCHEMA_TYPE_MISMATCH"
SCHEMA_MISSING_REQUIRED: Final = "SCHEMA_MISSING_REQUIRED"
SCHEMA_UNKNOWN_FIELD: Final = "SCHEMA_UNKNOWN_FIELD"
SCHEMA_INVALID_LITERAL: Final = "SCHEMA_INVALID_LITERAL"
SCHEMA_EMPTY_RECORD: Final = "SCHEMA_EMPTY_RECORD"
HASH_DIGEST_LENGTH_MISMATCH: Final = "HASH_DIGEST_LENGTH_MISMATCH"
UNSUPPORTED_HASH_ALG: Final = "UNSUPPORTED_HASH_ALG"
UNSUPPORTED_MERKLE_COMMIT_ALG: Final = "UNSUPPORTED_MERKLE_COMMIT_ALG"
SCHEMA_MERKLE_LEAF_COUNT_INVALID: Final = "SCHEMA_MERKLE_LEAF_COUNT_INVALID"
INVALID_URI: Final = "INVALID_URI"
CHUNK_TOO_LARGE: Final = "CHUNK_TOO_LARGE"
UNAUTHENTICATED_CIPHER_FORBIDDEN: Final = "UNAUTHENTICATED_CIPHER_FORBIDDEN"
UNSUPPORTED_AEAD_ALG: Final = "UNSUPPORTED_AEAD_ALG"
NONCE_LENGTH_MISMATCH: Final = "NONCE_LENGTH_MISMATCH"
UNSUPPORTED_ENVELOPE_SCHEME: Final = "UNSUPPORTED_ENVELOPE_SCHEME"
ENC_UNSUPPORTED: Final = "ENC_UNSUPPORTED"
ENC_SLOTS_EMPTY: Final = "ENC_SLOTS_EMPTY"
ENC_SLOT_INVALID_SHAPE: Final = "ENC_SLOT_INVALID_SHAPE"
UNSUPPORTED_KEM_ALG: Final = "UNSUPPORTED_KEM_ALG"
ENC_KEM_REQUIRED: Final = "ENC_KEM_REQUIRED"
KEM_EPK_LENGTH_MISMATCH: Final = "KEM_EPK_LENGTH_MISMATCH"
KEM_CT_LENGTH_MISMATCH: Final = "KEM_CT_LENGTH_MISMATCH"
WRAP_LENGTH_MISMATCH: Final = "WRAP_LENGTH_MISMATCH"
ENC_SLOTS_MAC_INVALID_LENGTH: Final = "ENC_SLOTS_MAC_INVALID_LENGTH"
ENC_SLOTS_MAC_REQUIRED: Final = "ENC_SLOTS_MAC_REQUIRED"
ENC_SLOTS_REQUIRED: Final = "ENC_SLOTS_REQUIRED"
ENC_SLOTS_DUPLICATE_KEM_MATERIAL: Final = "ENC_SLOTS_DUPLICATE_KEM_MATERIAL"
ENC_SLOTS_TOO_MANY: Final = "ENC_SLOTS_TOO_MANY"
ENC_ENVELOPE_TOO_LARGE: Final = "ENC_ENVELOPE_TOO_LARGE"
ENC_EXCLUSIVITY_VIOLATION: Final = "ENC_EXCLUSIVITY_VIOLATION"
ENC_NO_KEY_PATH: Final = "ENC_NO_KEY_PATH"
ENC_REQUIRES_CONTENT_HASH: Final = "ENC_REQUIRES_CONTENT_HASH"
ENC_PASSPHRASE_ALG_UNSUPPORTED: Final = "ENC_PASSPHRASE_ALG_UNSUPPORTED"
ENC_PASSPHRASE_SALT_TOO_SHORT: Final = "ENC_PASSPHRASE_SALT_TOO_SHORT"
ENC_PASSPHRASE_SALT_TOO_LONG: Final = "ENC_PASSPHRASE_SALT_TOO_LONG"
ENC_PASSPHRASE_ARGON2_PARAMS_TOO_LOW: Final = "ENC_PASSPHRASE_ARGON2_PARAMS_TOO_LOW"
ENC_PASSPHRASE_PARAMS_EXCEED_POLICY: Final = "ENC_PASSPHRASE_PARAMS_EXCEED_POLICY"
MALFORMED_SIG_COSE_SIGN1: Final = "MALFORMED_SIG_COSE_SIGN1"
SIGNATURE_UNSUPPORTED: Final = "SIGNATURE_UNSUPPORTED"
SIG_ENTRY_INVALID_SHAPE: Final = "SIG_ENTRY_INVALID_SHAPE"
SIG_ENTRY_KID_COSE_KEY_CONFLICT: Final = "SIG_ENTRY_KID_COSE_KEY_CONFLICT"
SIG_PRIVATE_KEY_LEAKED: Final = "SIG_PRIVATE_KEY_LEAKED"
SUPERSEDES_TX_INVALID_LENGTH: Final = "SUPERSEDES_TX_INVALID_LENGTH"
EXTENSION_UNSUPPORTED_CRITICAL: Final = "EXTENSION_UNSUPPORTED_CRITICAL"
CRIT_SHAPE_INVALID: Final = "CRIT_SHAPE_INVALID"
TX_NOT_FOUND: Final = "TX_NOT_FOUND"
PROVIDER_UNAVAILABLE: Final = "PROVIDER_UNAVAILABLE"
TX_INTEGRITY_MISMATCH: Final = "TX_INTEGRITY_MISMATCH"
METADATA_NOT_FOUND: Final = "METADATA_NOT_FOUND"
INSUFFICIENT_CONFIRMATIONS: Final = "INSUFFICIENT_CONFIRMATIONS"
SIGNATURE_INVALID: Final = "SIGNATURE_INVALID"
SIGNER_KEY_UNRESOLVED: Final = "SIGNER_KEY_UNRESOLVED"
WALLET_ADDRESS_MISMATCH: Final = "WALLET_ADDRESS_MISMATCH"
URI_TARGET_FORBIDDEN: Final = "URI_TARGET_FORBIDDEN"
URI_INTEGRITY_MISMATCH: Final = "URI_INTEGRITY_MISMATCH"
URI_PROVIDER_INTEGRITY_MISMATCH: Final = "URI_PROVIDER_INTEGRITY_MISMATCH"
URI_FETCH_FAILED: Final = "URI_FETCH_FAILED"
CONTENT_UNAVAILABLE: Final = "CONTENT_UNAVAILABLE"
CONTENT_FETCH_LIMIT_EXCEEDED: Final = "CONTENT_FETCH_LIMIT_EXCEEDED"
CIPHERTEXT_UNAVAILABLE: Final = "CIPHERTEXT_UNAVAILABLE"
SERVICE_INDEPENDENCE_VIOLATION: Final = "SERVICE_INDEPENDENCE_VIOLATION"
WRONG_DECRYPTION_INPUT_SHAPE: Final = "WRONG_DECRYPTION_INPUT_SHAPE"
WRONG_RECIPIENT_KEY: Final = "WRONG_RECIPIENT_KEY"
TAMPERED_HEADER: Final = "TAMPERED_HEADER"
TAMPERED_CIPHERTEXT: Final = "TAMPERED_CIPHERTEXT"
KDF_DERIVATION_FAILED: Final = "KDF_DERIVATION_FAILED"
ENC_PASSPHRASE_UNNORMALIZABLE: Final = "ENC_PASSPHRASE_UNNORMALIZABLE"
ENC_PASSPHRASE_EMPTY: Final = "ENC_PASSPHRASE_EMPTY"
SCHEMA_MERKLE_LEAF_COUNT_MISMATCH: Final = "SCHEMA_MERKLE_LEAF_COUNT_MISMATCH"
SCHEMA_MERKLE_LEAVES_FORMAT_UNSUPPORTED: Final = "SCHEMA_MERKLE_LEAVES_FORMAT_UNSUPPORTED"
SCHEMA_MERKLE_LEAVES_MALFORMED: Final = "SCHEMA_MERKLE_LEAVES_MALFORMED"
MERKLE_ROOT_MISMATCH: Final = "MERKLE_ROOT_MISMATCH"
MERKLE_LEAVES_UNAVAILABLE: Final = "MERKLE_LEAVES_UNAVAILABLE"
MERKLE_UNSUPPORTED: Final = "MERKLE_UNSUPPORTED"
OUT_OF_PROFILE_SKIPPED: Final = "OUT_OF_PROFILE_SKIPPED"

_REGISTRY_ROWS: Final[tuple[tuple[str, Part, Severity, bool], ...]] = (
    (MALFORMED_CBOR, "A", "error", False),
    (SCHEMA_TYPE_MISMATCH, "A", "error", False),
    (SCHEMA_MISSING_REQUIRED, "A", "error", False),
    (SCHEMA_UNKNOWN_FIELD, "A", "error", False),
    (SCHEMA_INVALID_LITERAL, "A", "error", False),
    (SCHEMA_EMPTY_RECORD, "A", "error", False),
    (HASH_DIGEST_LENGTH_MISMATCH, "A", "error", False),
    (UNSUPPORTED_HASH_ALG, "A", "error", False),
    (UNSUPPORTED_MERKLE_COMMIT_ALG, "A", "error", False),
    (SCHEMA_MERKLE_LEAF_COUNT_INVALID, "A", "error", False),
    (INVALID_URI, "A", "error", False),
    (CHUNK_TOO_LARGE, "carriage", "error", False),
    (UNAUTHENTICATED_CIPHER_FORBIDDEN, "A", "error", False),
    (UNSUPPORTED_AEAD_ALG, "A", "error", False),
    (NONCE_LENGTH_MISMATCH, "A", "error", False),
    (UNSUPPORTED_ENVELOPE_SCHEME, "A", "error", False),
    (ENC_UNSUPPORTED, "A", "info", True),
    (ENC_SLOTS_EMPTY, "A", "error", False),
    (ENC_SLOT_INVALID_SHAPE, "A", "error", False),
    (UNSUPPORTED_KEM_ALG, "A", "error", False),
    (ENC_KEM_REQUIRED, "A", "error", False),
    (KEM_EPK_LENGTH_MISMATCH, "A", "error", False),
    (KEM_CT_LENGTH_MISMATCH, "A", "error", False),
    (WRAP_LENGTH_MISMATCH, "A", "error", False),
    (ENC_SLOTS_MAC_INVALID_LENGTH, "A", "error", False),
    (ENC_SLOTS_MAC_REQUIRED, "A", "error", False),
    (ENC_SLOTS_REQUIRED, "A", "error", False),
    (ENC_SLOTS_DUPLICATE_KEM_MATERIAL, "A", "error", False),
    (ENC_SLOTS_TOO_MANY, "A", "error", False),
    (ENC_ENVELOPE_TOO_LARGE, "A", "error", False),
    (ENC_EXCLUSIVITY_VIOLATION, "A", "error", False),
    (ENC_NO_KEY_PATH, "A", "error", False),
    (ENC_REQUIRES_CONTENT_HASH, "A", "error", False),
    (ENC_PASSPHRASE_ALG_UNSUPPORTED, "A", "error", False),
    (ENC_PASSPHRASE_SALT_TOO_SHORT, "A", "error", False),
    (ENC_PASSPHRASE_SALT_TOO_LONG, "A", "error", False),
    (ENC_PASSPHRASE_ARGON2_PARAMS_TOO_LOW, "A", "error", False),
    (ENC_PASSPHRASE_PARAMS_EXCEED_POLICY, "A", "error", False),
    (MALFORMED_SIG_COSE_SIGN1, "A", "error", False),
    (SIGNATURE_UNSUPPORTED, "A", "info", False),
    (SIG_ENTRY_INVALID_SHAPE, "A", "error", False),
    (SIG_ENTRY_KID_COSE_KEY_CONFLICT, "A", "error", False),
    (SIG_PRIVATE_KEY_LEAKED, "A", "error", False),
    (SUPERSEDES_TX_INVALID_LENGTH, "A", "error", False),
    (EXTENSION_UNSUPPORTED_CRITICAL, "A", "error", False),
    (CRIT_SHAPE_INVALID, "A", "error", False),
    (TX_NOT_FOUND, "B", "error", False),
    (PROVIDER_UNAVAILABLE, "B", "error", False),
    (TX_INTEGRITY_MISMATCH, "B", "error", False),
    (METADATA_NOT_FOUND, "B", "error", False),
    (INSUFFICIENT_CONFIRMATIONS, "B", "info", False),
    (SIGNATURE_INVALID, "B", "error", False),
    (SIGNER_KEY_UNRESOLVED, "B", "error", False),
    (WALLET_ADDRESS_MISMATCH, "B", "error", False),
    (URI_TARGET_FORBIDDEN, "B", "error", False),
    (URI_INTEGRITY_MISMATCH, "B", "error", False),
    (URI_PROVIDER_INTEGRITY_MISMATCH, "B", "warning", False),
    (URI_FETCH_FAILED, "B", "warning", False),
    (CONTENT_UNAVAILABLE, "B", "error", False),
    (CONTENT_FETCH_LIMIT_EXCEEDED, "B", "error", False),
    (CIPHERTEXT_UNAVAILABLE, "B", "error", False),
    (SERVICE_INDEPENDENCE_VIOLATION, "B", "error", False),
    (WRONG_DECRYPTION_INPUT_SHAPE, "B", "error", False),
    (WRONG_RECIPIENT_KEY, "B", "error", False),
    (TAMPERED_HEADER, "B", "error", False),
    (TAMPERED_CIPHERTEXT, "B", "error", False),
    (KDF_DERIVATION_FAILED, "B", "error", False),
    (ENC_PASSPHRASE_UNNORMALIZABLE, "B", "error", False),
    (ENC_PASSPHRASE_EMPTY, "B", "error", False),
    (SCHEMA_MERKLE_LEAF_COUNT_MISMATCH, "B", "error", False),
    (SCHEMA_MERKLE_LEAVES_FORMAT_UNSUPPORTED, "B", "error", False),
    (SCHEMA_MERKLE_LEAVES_MALFORMED, "B", "error", False),
    (MERKLE_ROOT_MISMATCH, "B", "error", False),
    (MERKLE_LEAVES_UNAVAILABLE, "B", "warning", True),
    (MERKLE_UNSUPPORTED, "B", "info", True),
    (OUT_OF_PROFILE_SKIPPED, "B", "info", True),
)


@dataclass(frozen=True)
class CodeInfo:
    """One registry row: the code, its part, default severity, dual flag and registry position."""

    code: str
    part: Part
    severity: Severity
    dual_severity: bool
    index: int


REGISTRY: Final[tuple[CodeInfo, ...]] = tuple(
    CodeInfo(code, part, severity, dual, index)
    for index, (code, part, severity, dual) in enumerate(_REGISTRY_ROWS)
)
BY_CODE: Final[dict[str, CodeInfo]] = {info.code: info for info in REGISTRY}
REGISTRY_INDEX: Final[dict[str, int]] = {info.code: info.index for info in REGISTRY}

# --- construction-API codes (defined by the vectors, not by the wire registry) ---
INVALID_SEED_LENGTH: Final = "INVALID_SEED_LENGTH"
SEED_STRING_UNRECOGNIZED: Final = "SEED_STRING_UNRECOGNIZED"
SEED_STRING_BAD_CHECKSUM: Final = "SEED_STRING_BAD_CHECKSUM"
SEED_STRING_MIXED_CASE: Final = "SEED_STRING_MIXED_CASE"
SEED_STRING_WRONG_HRP: Final = "SEED_STRING_WRONG_HRP"
SEED_STRING_WRONG_LENGTH: Final = "SEED_STRING_WRONG_LENGTH"
INVALID_CEK_LENGTH: Final = "INVALID_CEK_LENGTH"
INVALID_EPHEMERAL_SECRET_LENGTH: Final = "INVALID_EPHEMERAL_SECRET_LENGTH"
EPHEMERAL_SECRETS_COUNT_MISMATCH: Final = "EPHEMERAL_SECRETS_COUNT_MISMATCH"
INVALID_RECIPIENT_KEY: Final = "INVALID_RECIPIENT_KEY"
INVALID_PASSPHRASE_PARAMS: Final = "INVALID_PASSPHRASE_PARAMS"
PASSPHRASE_INPUT_TOO_LONG: Final = "PASSPHRASE_INPUT_TOO_LONG"

CONSTRUCTION_CODES: Final[frozenset[str]] = frozenset(
    {
        INVALID_SEED_LENGTH,
        SEED_STRING_UNRECOGNIZED,
        SEED_STRING_BAD_CHECKSUM,
        SEED_STRING_MIXED_CASE,
        SEED_STRING_WRONG_HRP,
        SEED_STRING_WRONG_LENGTH,
        INVALID_CEK_LENGTH,
        INVALID_EPHEMERAL_SECRET_LENGTH,
        EPHEMERAL_SECRETS_COUNT_MISMATCH,
        INVALID_RECIPIENT_KEY,
        INVALID_PASSPHRASE_PARAMS,
        PASSPHRASE_INPUT_TOO_LONG,
    }
)


def default_severity(code: str) -> Severity:
    """The registry's default severity for ``code`` (KeyError for a non-registry code)."""
    return BY_CODE[code].severity


def is_registry_code(code: str) -> bool:
    """True when ``code`` is one of the wire registry's codes."""
    return code in BY_CODE


@dataclass(frozen=True)
class Issue:
    """One finding at a record location.

    ``path`` runs from the record root: text map keys and integer array indices, e.g.
    ``("items", 0, "hashes", "sha2-256")``; ``()`` is the root. ``code`` is always a
    registry code; ``severity`` is the severity in force for this reading (a dual code
    may be escalated from its default).
    """

    path: tuple[PathSegment, ...]
    code: str
    severity: Severity
    message: str

    def dotted_path(self) -> str:
        """Display-only rendering (keys may contain dots): ``items[0].hashes.sha2-256``."""
        out = ""
        for seg in self.path:
            if isinstance(seg, int):
                out += f"[{seg}]"
            else:
                out += f".{seg}" if out else seg
        return out or "(record)"


def make_issue(
    path: tuple[PathSegment, ...], code: str, message: str, severity: Severity | None = None
) -> Issue:
    """An :class:`Issue` for a registry code, at its default severity unless one is given."""
    return Issue(path, code, severity or BY_CODE[code].severity, message)


def issue_sort_key(issue: Issue) -> tuple[tuple[tuple[int, bytes | int], ...], int]:
    """The mandatory order: path segment by segment (int before text, ints numerically,
    text by UTF-8 bytes, a prefix first), then the code's registry position."""
    segments = tuple(
        (0, seg) if isinstance(seg, int) else (1, seg.encode("utf-8", "surrogatepass"))
        for seg in issue.path
    )
    return segments, REGISTRY_INDEX.get(issue.code, len(REGISTRY_INDEX))


def sort_issues(issues: list[Issue] | tuple[Issue, ...]) -> tuple[Issue, ...]:
    """Issues in the standard's order (stable for equal keys)."""
    return tuple(sorted(issues, key=issue_sort_key))
