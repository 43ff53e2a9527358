"""Assemble the Label 309 record for an evidence bundle, sign it, and validate it.

:func:`assemble_record` reads ``manifest.json`` *as bytes* and hashes exactly those
bytes (SHA-256 and BLAKE2b-256) for ``items[0]``; it takes the tree root and leaf
count from the manifest's ``tree`` and requires ``leaves.cbor`` (parsed by the
leaves-list parser, which checks the document's own root) to agree, then puts them
in ``merkle[0]``. With an identity seed the body gets one COSE_Sign1 (path 1) over
the standard's signing input. Before the plan is returned, the exact body bytes go
through the project's structural validator; any error, and ``SIG_PRIVATE_KEY_LEAKED``
at any severity, refuses the record, and the fresh signature must verify.

Nothing here touches the network; it is the publish preflight and is also what
``--dry-run`` prints.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anchor.errors import InputError
from anchor.publish.state import LEAVES, MANIFEST

MERKLE_ALG = "rfc9162-sha256"
LEAKED_KEY_CODE = "SIG_PRIVATE_KEY_LEAKED"


class BundleError(InputError):
    """The bundle is missing a file or its files disagree (exit 4)."""


class RecordRefused(InputError):
    """Our own validator rejected the assembled record; nothing was built or sent (exit 4)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class RecordPlan:
    """The record to publish for one bundle and the facts it was built from.

    ``body`` is the canonical record body (signed unless ``signer`` is None), exactly
    the bytes that go on chain and into ``record.cbor``.
    """

    body: bytes
    manifest_sha256: bytes
    manifest_blake2b_256: bytes
    root: bytes
    leaf_count: int
    supersedes: bytes | None
    signer: bytes | None

    @property
    def size(self) -> int:
        """Length of the record body in bytes."""
        return len(self.body)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise BundleError(
            f"{path.parent} is not an evidence bundle: {path.name} is missing"
        ) from exc
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _manifest_tree(raw: bytes, path: Path) -> tuple[bytes, int]:
    """``(root, leaf_count)`` from the manifest's ``tree`` member."""
    try:
        doc: Any = json.loads(raw)
    except ValueError as exc:
        raise BundleError(f"{path} is not JSON: {exc}") from exc
    tree = doc.get("tree") if isinstance(doc, dict) else None
    if not isinstance(tree, dict):
        raise BundleError(f"{path} has no 'tree' object")
    alg = tree.get("alg")
    if alg != MERKLE_ALG:
        raise BundleError(f"{path}: tree.alg is {alg!r}, expected {MERKLE_ALG!r}")
    count = tree.get("leaf_count")
    root_hex = tree.get("root")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise BundleError(f"{path}: tree.leaf_count is not a positive integer")
    try:
        root = bytes.fromhex(root_hex) if isinstance(root_hex, str) else b""
    except ValueError:
        root = b""
    if len(root) != 32:
        raise BundleError(f"{path}: tree.root is not 32 bytes of hex")
    return root, count


def _leaves_tree(raw: bytes, path: Path) -> tuple[bytes, int]:
    """``(root, leaf_count)`` of ``leaves.cbor``, checked by the leaves-list parser."""
    from anchor.errors import AnchorError
    from anchor.merkle.leaves import parse_leaves_list

    try:
        doc = parse_leaves_list(raw)
    except AnchorError as exc:
        raise BundleError(f"{path} is not a valid leaves list: {exc.diagnostics()}") from exc
    return bytes(doc.root), len(doc.leaves)


def _refuse_on_issues(body: bytes) -> None:
    from anchor.label309.validate import validate_record

    result = validate_record(body)
    issues = list(result.issues)
    for issue in issues:
        if issue.code == LEAKED_KEY_CODE:
            raise RecordRefused(LEAKED_KEY_CODE, "the record would publish a private key")
    if not result.valid:
        errors = [i for i in issues if i.severity == "error"] or issues
        first = errors[0]
        raise RecordRefused(first.code, f"the assembled record is invalid: {first.message}")


def sign_body(unsigned: bytes, identity_seed: bytes) -> tuple[bytes, bytes]:
    """``(signed body, signer public key)``: one path-1 COSE_Sign1 by the seed's identity key."""
    from anchor.label309.cose import sign_record_entry
    from anchor.label309.keys import derive_identity
    from anchor.label309.record import with_sigs

    keys = derive_identity(identity_seed)
    entry = sign_record_entry(unsigned, keys.ed25519_secret)
    return with_sigs(unsigned, [entry]), keys.ed25519_public


def assemble_record(
    bundle_dir: Path,
    *,
    identity_seed: bytes | None,
    supersedes: bytes | None = None,
) -> RecordPlan:
    """Build, sign (if ``identity_seed``) and validate the record for ``bundle_dir``.

    Raises :class:`BundleError` for a missing/inconsistent bundle and
    :class:`RecordRefused` when our validator rejects the record.
    """
    from anchor.label309.cbor import CborMap
    from anchor.label309.cose import verify_signatures
    from anchor.label309.hashes import blake2b_256, sha256
    from anchor.label309.record import Item, MerkleCommit, build_record_body

    bundle = Path(bundle_dir)
    if not bundle.is_dir():
        raise BundleError(f"{bundle} is not a folder")
    if supersedes is not None and len(supersedes) != 32:
        raise InputError(
            f"--supersedes must be a 32-byte transaction id, got {len(supersedes)} bytes"
        )
    manifest_path = bundle / MANIFEST
    manifest = _read(manifest_path)
    root, count = _manifest_tree(manifest, manifest_path)
    leaves_path = bundle / LEAVES
    leaves_root, leaves_count = _leaves_tree(_read(leaves_path), leaves_path)
    if (leaves_root, leaves_count) != (root, count):
        raise BundleError(
            f"{leaves_path} (root {leaves_root.hex()}, {leaves_count} leaves) disagrees with "
            f"{manifest_path.name} (root {root.hex()}, {count} leaves)"
        )
    digest_sha = sha256(manifest)
    digest_b2 = blake2b_256(manifest)
    unsigned = build_record_body(
        items=[Item(hashes=CborMap({"sha2-256": digest_sha, "blake2b-256": digest_b2}))],
        merkle=[MerkleCommit(alg=MERKLE_ALG, root=root, leaf_count=count)],
        supersedes=supersedes,
    )
    body, signer = unsigned, None
    if identity_seed is not None:
        body, signer = sign_body(unsigned, identity_seed)
    _refuse_on_issues(body)
    if signer is not None:
        results = verify_signatures(body, network="mainnet")
        if len(results) != 1 or not results[0].ok or results[0].signer_public_key != signer.hex():
            raise RecordRefused("SIG_INVALID", "the fresh record signature does not verify")
    return RecordPlan(
        body=body,
        manifest_sha256=digest_sha,
        manifest_blake2b_256=digest_b2,
        root=root,
        leaf_count=count,
        supersedes=supersedes,
        signer=signer,
    )
