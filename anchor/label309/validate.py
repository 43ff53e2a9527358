"""The Label 309 structural validator (Part A): bytes in, typed issues out.

:func:`validate_record` is pure (no I/O, no global state, no cryptography) and
deterministic. It decodes the reassembled body strictly (any failure: one
``MALFORMED_CBOR``), then walks the whole v1 grammar collecting every issue. Foreclosure
is local: a shape failure at a node suppresses that node's own domain rules and its
subtree, never its siblings. Issues come back sorted as the standard requires (path
segment by segment, int before text, then registry position).

The result is :class:`ValidateOk` (no error issue; warnings and info surfaced) or
:class:`ValidateFail` (all issues, all severities). Extension keys are surfaced on both as
``extension_keys`` (the registry has no code for them, so they are not issues). The
decisions this module takes where the standard is silent are in
``docs/adr/0004-validator-ambiguities.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from anchor.label309 import cbor
from anchor.label309 import codes as C
from anchor.label309.cbor import CborError, CborMap
from anchor.label309.codes import Issue, PathSegment, make_issue, sort_issues
from anchor.label309.cose import check_sig_entry
from anchor.label309.record import BASE_KEYS, Record
from anchor.label309.uri import uri_problem
from anchor.label309.validate_enc import DEFAULT_CEILING, EncOptions, Role, check_enc

Path = tuple[PathSegment, ...]
HASH_ALGS: Final = {"sha2-256": 32, "blake2b-256": 32}
MERKLE_ALGS: Final = {"rfc9162-sha256": 32}
LEAF_COUNT_MAX: Final = 2**32 - 1
ITEM_KEYS: Final = frozenset({"hashes", "uris", "enc"})
MERKLE_KEYS: Final = frozenset({"alg", "root", "leaf_count", "uris"})
SUPERSEDES_LENGTH: Final = 32


@dataclass(frozen=True)
class ValidateOk:
    """The record has no error issue. ``warnings`` and ``info`` MUST be surfaced."""

    record: Record
    warnings: tuple[Issue, ...]
    info: tuple[Issue, ...]
    extension_keys: tuple[str, ...]

    @property
    def valid(self) -> Literal[True]:
        return True

    @property
    def issues(self) -> tuple[Issue, ...]:
        """Every (non-error) issue, in the standard's order."""
        return sort_issues(self.warnings + self.info)


@dataclass(frozen=True)
class ValidateFail:
    """The record has at least one error issue; ``issues`` holds all severities, sorted."""

    issues: tuple[Issue, ...]
    extension_keys: tuple[str, ...]

    @property
    def valid(self) -> Literal[False]:
        return False

    @property
    def error_codes(self) -> tuple[str, ...]:
        """Sorted distinct codes of error severity (the conformance comparison)."""
        return tuple(sorted({i.code for i in self.issues if i.severity == "error"}))


ValidateResult = ValidateOk | ValidateFail


def is_extension_key(key: str) -> bool:
    """``^x-.+`` or ``^[a-z]+-.+`` over the whole key (``.`` matching any character), with
    no control character U+0000-U+001F or U+007F-U+009F anywhere."""
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in key):
        return False
    i = 0
    while i < len(key) and "a" <= key[i] <= "z":
        i += 1
    return 0 < i < len(key) - 1 and key[i] == "-"


def validate_record(
    body: bytes | bytearray | memoryview,
    *,
    supported_critical_extensions: frozenset[str] = frozenset(),
    role: Role = "public",
    max_slots: int = 1024,
    max_enc_envelope_bytes: int = 65536,
    passphrase_params_ceiling: Mapping[str, int] | None = DEFAULT_CEILING,
) -> ValidateResult:
    """Validate one reassembled record body exactly as BRIEF §2 / Part A requires."""
    if role not in ("public", "recipient_or_strict"):
        raise ValueError(f"role must be 'public' or 'recipient_or_strict', not {role!r}")
    try:
        value = cbor.decode(bytes(body))
    except CborError as exc:
        issue = make_issue((), C.MALFORMED_CBOR, exc.detail)
        return ValidateFail((issue,), ())
    ceiling = None if passphrase_params_ceiling is None else dict(passphrase_params_ceiling)
    walker = _Walker(
        frozenset(supported_critical_extensions),
        EncOptions(role, max_slots, max_enc_envelope_bytes, ceiling),
    )
    walker.record(value)
    issues = sort_issues(walker.out)
    ext = walker.extension_keys
    if any(i.severity == "error" for i in issues):
        return ValidateFail(issues, ext)
    return ValidateOk(
        record=Record.from_value(value),
        warnings=tuple(i for i in issues if i.severity == "warning"),
        info=tuple(i for i in issues if i.severity == "info"),
        extension_keys=ext,
    )


def _key_path(path: Path, key: Any) -> Path:
    return (*path, key) if isinstance(key, str | int) and not isinstance(key, bool) else path


class _Walker:
    """One validation run: collects issues in ``out``."""

    def __init__(self, supported_crit: frozenset[str], enc_options: EncOptions) -> None:
        self.supported_crit = supported_crit
        self.enc_options = enc_options
        self.out: list[Issue] = []
        self.extension_keys: tuple[str, ...] = ()

    def add(self, path: Path, code: str, message: str) -> None:
        self.out.append(make_issue(path, code, message))

    def record(self, value: Any) -> None:
        if not isinstance(value, CborMap):
            self.add((), C.SCHEMA_TYPE_MISMATCH, "record body must be a text-keyed map")
            return
        ext: list[str] = []
        for key in value:
            if isinstance(key, str) and key in BASE_KEYS:
                continue
            if isinstance(key, str) and is_extension_key(key):
                ext.append(key)
                continue
            self.add(_key_path((), key), C.SCHEMA_UNKNOWN_FIELD, f"unknown top-level key {key!r}")
        self.extension_keys = tuple(ext)
        self.version(value)
        claims = [self.claim_array(value, "items"), self.claim_array(value, "merkle")]
        if "non-empty" not in claims and "wrong-type" not in claims:
            self.add((), C.SCHEMA_EMPTY_RECORD, "neither a non-empty items nor merkle")
        elif "non-empty" in claims:
            for key, state in zip(("items", "merkle"), claims, strict=True):
                if state == "empty":
                    self.add((key,), C.SCHEMA_TYPE_MISMATCH, f"{key} must not be empty")
        if isinstance(value.get("items"), list):
            for i, item in enumerate(value["items"]):
                self.item(item, ("items", i))
        if isinstance(value.get("merkle"), list):
            for i, entry in enumerate(value["merkle"]):
                self.merkle(entry, ("merkle", i))
        self.supersedes(value)
        self.sigs(value)
        self.crit(value, set(ext))

    def version(self, top: CborMap) -> None:
        if "v" not in top:
            self.add(("v",), C.SCHEMA_MISSING_REQUIRED, "v is required")
            return
        v = top["v"]
        if isinstance(v, bool) or not isinstance(v, int) or v != 1:
            self.add(("v",), C.SCHEMA_INVALID_LITERAL, f"v must be the integer 1, not {v!r}")

    def claim_array(self, top: CborMap, key: str) -> str:
        if key not in top:
            return "absent"
        if not isinstance(top[key], list):
            self.add((key,), C.SCHEMA_TYPE_MISMATCH, f"{key} must be an array")
            return "wrong-type"
        return "non-empty" if top[key] else "empty"

    def closed_keys(self, m: CborMap, allowed: frozenset[str], path: Path, what: str) -> None:
        for key in m:
            if not (isinstance(key, str) and key in allowed):
                self.add(
                    _key_path(path, key), C.SCHEMA_UNKNOWN_FIELD, f"unknown {what} key {key!r}"
                )

    def item(self, item: Any, path: Path) -> None:
        if not isinstance(item, CborMap):
            self.add(path, C.SCHEMA_TYPE_MISMATCH, "item must be a map")
            return
        self.closed_keys(item, ITEM_KEYS, path, "item")
        has_content_hash = False
        if "hashes" not in item:
            self.add((*path, "hashes"), C.SCHEMA_MISSING_REQUIRED, "hashes is required")
        else:
            has_content_hash = self.hashes(item["hashes"], (*path, "hashes"))
        if "uris" in item:
            self.uris(item["uris"], (*path, "uris"))
        if "enc" in item:
            check_enc(item["enc"], (*path, "enc"), self.enc_options, self.out)
            if not has_content_hash:
                self.add(
                    path,
                    C.ENC_REQUIRES_CONTENT_HASH,
                    "an enc-bearing item needs a registered content hash",
                )

    def hashes(self, hashes: Any, path: Path) -> bool:
        """Check a hashes map; return whether it holds a registered content-hash key."""
        if not isinstance(hashes, CborMap) or len(hashes) == 0:
            self.add(path, C.SCHEMA_TYPE_MISMATCH, "hashes must be a non-empty map")
            return False
        registered = False
        for alg, digest in hashes.items():
            if not isinstance(alg, str):
                self.add(path, C.SCHEMA_TYPE_MISMATCH, f"hash algorithm id {alg!r} is not text")
                continue
            if alg not in HASH_ALGS:
                self.add((*path, alg), C.UNSUPPORTED_HASH_ALG, f"unregistered hash {alg!r}")
                continue
            registered = True
            if not isinstance(digest, bytes):
                self.add((*path, alg), C.SCHEMA_TYPE_MISMATCH, "digest must be a byte string")
            elif len(digest) != HASH_ALGS[alg]:
                self.add(
                    (*path, alg),
                    C.HASH_DIGEST_LENGTH_MISMATCH,
                    f"{alg} digest is {len(digest)} bytes, not {HASH_ALGS[alg]}",
                )
        return registered

    def uris(self, uris: Any, path: Path) -> None:
        if not isinstance(uris, list) or not uris:
            self.add(path, C.SCHEMA_TYPE_MISMATCH, "uris must be a non-empty array of text")
            return
        for j, uri in enumerate(uris):
            if not isinstance(uri, str):
                self.add((*path, j), C.SCHEMA_TYPE_MISMATCH, "a URI must be text")
                continue
            problem = uri_problem(uri)
            if problem is not None:
                self.add((*path, j), C.INVALID_URI, problem)

    def merkle(self, entry: Any, path: Path) -> None:
        if not isinstance(entry, CborMap):
            self.add(path, C.SCHEMA_TYPE_MISMATCH, "merkle entry must be a map")
            return
        self.closed_keys(entry, MERKLE_KEYS, path, "merkle entry")
        for key in ("alg", "root", "leaf_count"):
            if key not in entry:
                self.add((*path, key), C.SCHEMA_MISSING_REQUIRED, f"{key} is required")
        alg = entry.get("alg")
        if "alg" in entry and not isinstance(alg, str):
            self.add((*path, "alg"), C.SCHEMA_TYPE_MISMATCH, "alg must be text")
        elif isinstance(alg, str) and alg not in MERKLE_ALGS:
            self.add((*path, "alg"), C.UNSUPPORTED_MERKLE_COMMIT_ALG, f"unregistered {alg!r}")
        root = entry.get("root")
        if "root" in entry and not isinstance(root, bytes):
            self.add((*path, "root"), C.SCHEMA_TYPE_MISMATCH, "root must be a byte string")
        elif isinstance(root, bytes) and len(root) != 32:
            self.add(
                (*path, "root"), C.HASH_DIGEST_LENGTH_MISMATCH, f"root is {len(root)} bytes, not 32"
            )
        count = entry.get("leaf_count")
        if "leaf_count" in entry and (isinstance(count, bool) or not isinstance(count, int)):
            self.add((*path, "leaf_count"), C.SCHEMA_TYPE_MISMATCH, "leaf_count must be a uint")
        elif isinstance(count, int) and not 1 <= count <= LEAF_COUNT_MAX:
            self.add(
                (*path, "leaf_count"),
                C.SCHEMA_MERKLE_LEAF_COUNT_INVALID,
                f"leaf_count {count} is outside 1..2^32-1",
            )
        if "uris" in entry:
            self.uris(entry["uris"], (*path, "uris"))

    def supersedes(self, top: CborMap) -> None:
        if "supersedes" not in top:
            return
        value = top["supersedes"]
        if not isinstance(value, bytes):
            self.add(("supersedes",), C.SCHEMA_TYPE_MISMATCH, "supersedes must be a byte string")
        elif len(value) != SUPERSEDES_LENGTH:
            self.add(
                ("supersedes",),
                C.SUPERSEDES_TX_INVALID_LENGTH,
                f"supersedes is {len(value)} bytes, not 32",
            )

    def sigs(self, top: CborMap) -> None:
        if "sigs" not in top:
            return
        sigs = top["sigs"]
        if not isinstance(sigs, list) or not sigs:
            self.add(("sigs",), C.SCHEMA_TYPE_MISMATCH, "sigs must be a non-empty array")
            return
        for i, entry in enumerate(sigs):
            for finding in check_sig_entry(entry):
                self.add(("sigs", i, *finding.path), finding.code, finding.message)

    def crit(self, top: CborMap, present_ext: set[str]) -> None:
        if "crit" not in top:
            return
        crit = top["crit"]
        if not isinstance(crit, list) or not crit:
            self.add(("crit",), C.SCHEMA_TYPE_MISMATCH, "crit must be a non-empty array")
            return
        seen: set[str] = set()
        for j, name in enumerate(crit):
            path = ("crit", j)
            if not isinstance(name, str) or not is_extension_key(name):
                self.add(path, C.CRIT_SHAPE_INVALID, f"{name!r} is not an extension key")
            elif name not in present_ext:
                self.add(path, C.CRIT_SHAPE_INVALID, f"{name!r} is not a key of this record")
            elif name in seen:
                self.add(path, C.CRIT_SHAPE_INVALID, f"{name!r} is listed twice")
            elif name not in self.supported_crit:
                self.add(
                    path,
                    C.EXTENSION_UNSUPPORTED_CRITICAL,
                    f"critical extension {name!r} is not supported",
                )
            if isinstance(name, str):
                seen.add(name)
