"""Pipeline step 7: content claims checked against out-of-band bytes (no gateway fetching).

This verifier never fetches ``ar://``/``ipfs://`` content; it checks the bytes the
caller supplies, which are attributable by definition (BRIEF §7.2):

* ``items[i]`` (without ``enc``) against supplied bytes — for a bundle, ``manifest.json``
  is the content of ``items[0]``. Every digest in ``hashes`` must match → ``checked``;
  any mismatch → ``mismatched`` with ``URI_INTEGRITY_MISMATCH`` (the registry's code for
  attributable bytes failing an item's commitment; see docs/adr/0005);
* ``merkle[i]`` against a supplied leaves-list (``leaves.cbor`` for ``merkle[0]``),
  parsed against the on-chain ``alg``, ``root`` and ``leaf_count``: its codes
  (``MERKLE_ROOT_MISMATCH``, ``SCHEMA_MERKLE_LEAF_COUNT_MISMATCH``, ...) are
  record-attributable errors and the claim is ``mismatched``.

For a bundle run (``item_bytes`` is a :class:`~anchor.verify.bundle.BundleContent`) the
manifest is also held to its own rules (:mod:`anchor.evidence.manifest_rules`: strict
JSON, docs/manifest.schema.json, every item's digest and leaf index against the
verified ``leaves.cbor``); a manifest that breaks them is ``mismatched`` with
``URI_INTEGRITY_MISMATCH`` at ``items[0]`` (docs/adr/0010): its bytes are anchored, but
what they say about the release contradicts the anchored tree. A supplied
``leaves.cbor`` larger than the on-chain ``leaf_count`` allows is not read past that
cap and is ``SCHEMA_MERKLE_LEAF_COUNT_MISMATCH``.

Claims without supplied bytes are ``not_checked``. Since a leaves-list is never fetched,
:func:`leaves_unavailable` gives ``MERKLE_LEAVES_UNAVAILABLE`` for each commitment
without a supplied one, in every run — a warning when another content commitment was
verified, an error (→ ``unverifiable``) when none was (BRIEF §3.3, §7.4 step 7, §10.10:
a merkle-only record without its leaves is never ``valid``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anchor.label309 import cbor
from anchor.label309 import codes as c
from anchor.label309.codes import Issue
from anchor.label309.hashes import blake2b_256, sha256
from anchor.merkle.leaves import LeavesList, LeavesListError, parse_leaves_list_tree
from anchor.merkle.tree import MerkleTree
from anchor.safeio import TooLarge
from anchor.verify.bundle import BundleContent, BundleLeaves, leaves_cap
from anchor.verify.verdict import make_issue

CHECKED = "checked"
MISMATCHED = "mismatched"
NOT_CHECKED = "not_checked"

_HASHERS = {"sha2-256": sha256, "blake2b-256": blake2b_256}


@dataclass(frozen=True)
class Commitment:
    """One on-chain ``merkle[i]``: alg, root and leaf count."""

    alg: str
    root: bytes
    leaf_count: int


@dataclass(frozen=True)
class ContentResult:
    """Per-claim statuses (aligned with the record), issues, and the verified trees."""

    items: tuple[str, ...]
    merkle: tuple[str, ...]
    issues: tuple[Issue, ...]
    trees: Mapping[int, tuple[LeavesList, MerkleTree]] = field(default_factory=dict)
    missing_leaves: tuple[int, ...] = ()

    @property
    def any_checked(self) -> bool:
        """True when at least one content commitment was verified."""
        return CHECKED in self.items or CHECKED in self.merkle


def record_items(record: Any) -> list[Any]:
    """The record's ``items`` array (``[]`` when absent)."""
    items = record.get("items") if isinstance(record, cbor.CborMap) else None
    return items if isinstance(items, list) else []


def record_commitments(record: Any) -> list[Commitment]:
    """The record's ``merkle[]`` commitments (the record has passed structural validation)."""
    merkle = record.get("merkle") if isinstance(record, cbor.CborMap) else None
    out: list[Commitment] = []
    for entry in merkle if isinstance(merkle, list) else []:
        out.append(Commitment(str(entry["alg"]), bytes(entry["root"]), int(entry["leaf_count"])))
    return out


def item_digests(item: Any) -> dict[str, bytes]:
    """``hashes`` of one item as ``{alg: digest}``."""
    hashes = item.get("hashes") if isinstance(item, cbor.CborMap) else None
    if not isinstance(hashes, cbor.CborMap):
        return {}
    return {str(k): bytes(v) for k, v in hashes.items() if isinstance(v, bytes)}


def _check_item(index: int, item: Any, data: bytes) -> tuple[str, Issue | None]:
    digests = {alg: d for alg, d in item_digests(item).items() if alg in _HASHERS}
    if not digests:
        return NOT_CHECKED, None
    wrong = [alg for alg, want in digests.items() if _HASHERS[alg](data) != want]
    if not wrong:
        return CHECKED, None
    issue = make_issue(
        c.URI_INTEGRITY_MISMATCH,
        f"supplied content of items[{index}] does not match its {', '.join(sorted(wrong))} digest",
        path=("items", index, "hashes"),
    )
    return MISMATCHED, issue


def check_content(
    record: Any,
    *,
    item_bytes: Mapping[int, bytes],
    leaves_bytes: Mapping[int, bytes],
) -> ContentResult:
    """Check the supplied out-of-band bytes against the record's claims (see module docstring)."""
    items = record_items(record)
    commitments = record_commitments(record)
    issues: list[Issue] = []
    item_status: list[str] = []
    for i, item in enumerate(items):
        enc = item.get("enc") if isinstance(item, cbor.CborMap) else None
        if enc is not None or i not in item_bytes:
            item_status.append(NOT_CHECKED)
            continue
        status, issue = _check_item(i, item, item_bytes[i])
        item_status.append(status)
        if issue is not None:
            issues.append(issue)
    merkle_status: list[str] = []
    trees: dict[int, tuple[LeavesList, MerkleTree]] = {}
    missing: list[int] = []
    for i, commitment in enumerate(commitments):
        if i not in leaves_bytes:
            merkle_status.append(NOT_CHECKED)
            missing.append(i)
            continue
        try:
            if isinstance(leaves_bytes, BundleLeaves):
                data = leaves_bytes.read(i, commitment.leaf_count)
            else:
                data = leaves_bytes[i]
        except TooLarge:
            merkle_status.append(MISMATCHED)
            why = (
                f"leaves-list larger than the {leaves_cap(commitment.leaf_count)} bytes "
                f"{commitment.leaf_count} leaves can take; not read further"
            )
            issues.append(make_issue(c.SCHEMA_MERKLE_LEAF_COUNT_MISMATCH, why, path=("merkle", i)))
            continue
        try:
            trees[i] = parse_leaves_list_tree(
                data,
                expected_alg=commitment.alg,
                expected_root=commitment.root,
                expected_leaf_count=commitment.leaf_count,
            )
        except LeavesListError as exc:
            if exc.code == c.MERKLE_UNSUPPORTED:
                severity: c.Severity = "error" if not items else "info"
                merkle_status.append(NOT_CHECKED)
                issues.append(
                    make_issue(exc.code, exc.detail, path=("merkle", i), severity=severity)
                )
            else:
                merkle_status.append(MISMATCHED)
                issues.append(make_issue(exc.code, exc.detail, path=("merkle", i)))
            continue
        merkle_status.append(CHECKED)
    if isinstance(item_bytes, BundleContent) and item_status[:1] == [CHECKED]:
        issue = _manifest_issue(item_bytes[0], trees.get(0), item_bytes.proofs_dir)
        if issue is not None:
            item_status[0] = MISMATCHED
            issues.append(issue)
    return ContentResult(
        tuple(item_status), tuple(merkle_status), tuple(issues), trees, tuple(missing)
    )


def _manifest_issue(
    manifest: bytes, tree: tuple[LeavesList, MerkleTree] | None, proofs_dir: Path | None
) -> Issue | None:
    """Why the anchored manifest contradicts its rules or the verified tree, or None.

    With a verified tree the bundle's proof files present are checked against the manifest
    too (:mod:`anchor.evidence.proof_rules`: a renamed item leaves its proof behind).
    Without a verified tree only the manifest's own rules are checked (when the
    leaves-list was supplied but failed, its own issue already fails the run).
    """
    from anchor.errors import InputError
    from anchor.evidence.manifest_rules import check_manifest, check_schema

    try:
        if tree is not None:
            doc = check_manifest(manifest, tree[0].leaves, tree[0].root)
            if proofs_dir is not None:
                from anchor.evidence.proof_rules import check_proofs

                check_proofs(proofs_dir, doc["items"], tree[0].root, require_all=False)
        else:
            check_schema(manifest)
    except InputError as exc:
        return make_issue(
            c.URI_INTEGRITY_MISMATCH,
            f"the anchored manifest (items[0]) is not a consistent manifest: {exc.message}",
            path=("items", 0),
        )
    return None


def leaves_unavailable(missing: tuple[int, ...], *, verified: bool) -> tuple[Issue, ...]:
    """``MERKLE_LEAVES_UNAVAILABLE`` for each commitment whose leaves-list was not
    supplied: a warning when another content commitment was verified, else an error."""
    severity: c.Severity = "warning" if verified else "error"
    return tuple(
        make_issue(
            c.MERKLE_LEAVES_UNAVAILABLE,
            f"no leaves-list for merkle[{i}] was supplied",
            path=("merkle", i),
            severity=severity,
        )
        for i in missing
    )
