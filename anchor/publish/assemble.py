"""Assemble the Label 309 record for an evidence bundle, sign it, and validate it.

:func:`assemble_record` reads ``manifest.json`` *as bytes* (a regular file inside the
bundle, capped like verify's reads) and hashes exactly those bytes (SHA-256 and
BLAKE2b-256) for ``items[0]``. The manifest must parse strictly (duplicate member
names refused) and follow docs/manifest.schema.json (:mod:`anchor.evidence.manifest_rules`);
``leaves.cbor`` (parsed by the leaves-list parser, which checks the document's own
root) must hold every item's digest at its leaf index and agree with ``tree``, whose
root and leaf count then go in ``merkle[0]``. Anything else is exit 4, one line. With an identity seed the body gets one COSE_Sign1 (path 1) over
the standard's signing input. Before the plan is returned, the exact body bytes go
through the project's structural validator; any error, and ``SIG_PRIVATE_KEY_LEAKED``
at any severity, refuses the record, and the fresh signature must verify.

Nothing here touches the network; it is the publish preflight and is also what
``--dry-run`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anchor.errors import InputError
from anchor.publish.state import LEAVES, MANIFEST
from anchor.safeio import real
from anchor.verify.bundle import LEAVES_DEFAULT_CAP, MANIFEST_CAP

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


def _read(bundle: Path, path: Path, cap: int) -> bytes:
    """A bundle member: a regular file inside the bundle of at most ``cap`` bytes."""
    from anchor.verify.bundle import read_member

    try:
        data = read_member(real(bundle), path, cap=cap)
    except InputError as exc:
        raise BundleError(exc.message) from exc
    if data is None:
        raise BundleError(f"{path.parent} is not an evidence bundle: {path.name} is missing")
    return data


def _check_manifest(bundle: Path, manifest: bytes, path: Path) -> Any:
    """The manifest, strictly parsed and held to docs/manifest.schema.json and leaves.cbor.

    ``leaves.cbor`` is parsed by the leaves-list parser (which checks its own root); then
    every manifest item's digest must be its leaf and ``tree`` the list's root and count.
    """
    from anchor.errors import AnchorError
    from anchor.evidence.manifest_rules import ManifestRuleError, check_manifest, check_schema
    from anchor.merkle.leaves import parse_leaves_list

    try:
        check_schema(manifest)
    except ManifestRuleError as exc:
        raise BundleError(f"{path}: {exc.detail}") from exc
    except InputError as exc:  # not JSON, duplicate names, too deep
        raise BundleError(f"{path}: {exc.message.removeprefix('manifest.json: ')}") from exc
    leaves_path = bundle / LEAVES
    leaves_raw = _read(bundle, leaves_path, LEAVES_DEFAULT_CAP)
    try:
        doc = parse_leaves_list(leaves_raw)
    except AnchorError as exc:
        raise BundleError(f"{leaves_path} is not a valid leaves list: {exc.diagnostics()}") from exc
    try:
        checked = check_manifest(manifest, doc.leaves, doc.root)
    except ManifestRuleError as exc:
        raise BundleError(f"{path} disagrees with {leaves_path.name}: {exc.detail}") from exc
    from anchor.evidence.proof_rules import check_proofs

    try:
        check_proofs(bundle / "proofs", checked["items"], doc.root, require_all=True)
    except InputError as exc:
        raise BundleError(f"{path} disagrees with its proof files: {exc.message}") from exc
    return checked


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
    from anchor.label309.hashes import blake2b_256, sha256

    bundle = Path(bundle_dir)
    if not bundle.is_dir():
        raise BundleError(f"{bundle} is not a folder")
    if supersedes is not None and len(supersedes) != 32:
        raise InputError(
            f"--supersedes must be a 32-byte transaction id, got {len(supersedes)} bytes"
        )
    manifest_path = bundle / MANIFEST
    manifest = _read(bundle, manifest_path, MANIFEST_CAP)
    doc = _check_manifest(bundle, manifest, manifest_path)
    root, count = bytes.fromhex(doc["tree"]["root"]), int(doc["tree"]["leaf_count"])
    return record_plan(
        manifest_sha256=sha256(manifest),
        manifest_blake2b_256=blake2b_256(manifest),
        root=root,
        leaf_count=count,
        identity_seed=identity_seed,
        supersedes=supersedes,
    )


def record_plan(
    *,
    manifest_sha256: bytes,
    manifest_blake2b_256: bytes,
    root: bytes,
    leaf_count: int,
    identity_seed: bytes | None,
    supersedes: bytes | None = None,
) -> RecordPlan:
    """The record for a manifest with these hashes and its tree: built, signed, validated.

    The last step of :func:`assemble_record`, for a caller that wrote the manifest
    itself and checked it against its tree (`anchor spool`, whose manifests can be
    larger than a bundle read allows); the same inputs give the same body.
    """
    from anchor.label309.cbor import CborMap
    from anchor.label309.cose import verify_signatures
    from anchor.label309.record import Item, MerkleCommit, build_record_body

    unsigned = build_record_body(
        items=[
            Item(hashes=CborMap({"sha2-256": manifest_sha256, "blake2b-256": manifest_blake2b_256}))
        ],
        merkle=[MerkleCommit(alg=MERKLE_ALG, root=root, leaf_count=leaf_count)],
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
        manifest_sha256=manifest_sha256,
        manifest_blake2b_256=manifest_blake2b_256,
        root=root,
        leaf_count=leaf_count,
        supersedes=supersedes,
        signer=signer,
    )
