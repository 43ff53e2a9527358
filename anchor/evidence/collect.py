"""Collect release files into an evidence bundle (in memory; :mod:`bundle` writes it).

Two steps so a caller can size a progress bar between them:

1. :func:`plan` expands the inputs (files, directories, glob patterns) into named files;
2. :func:`build_bundle` reads every file once (in parallel), classifies it, builds the
   manifest, the leaves-list document and one proof file per item.

Hashing starts as soon as the plan is known; each worker classifies a file and builds its
manifest item right after hashing it (from the bytes it already read), so the per-item
Python work overlaps the hashing of other files, and the calling thread loads what the
assembly needs meanwhile. After the last file only the tree, the manifest encoding and
the leaves-list remain; proof files are encoded in bulk while they are written.

Guarantee: the result depends only on the file names (relative to the root), their bytes,
the metadata and the options, never on time, order of arguments, thread timing or
machine, so collecting the same inputs twice gives byte-identical files.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from anchor.evidence.classify import classify, wants_content
from anchor.evidence.digests import FileDigest, HashJob, ProgressCallback, start_hashing
from anchor.evidence.inputs import InputFile, NameCollisionError, expand_inputs
from anchor.evidence.manifest import Item, Manifest
from anchor.evidence.metadata import Metadata
from anchor.evidence.proofnames import proof_path
from anchor.merkle.tree import MerkleTree

MANIFEST_FILE = "manifest.json"
LEAVES_FILE = "leaves.cbor"


@dataclass(frozen=True)
class Plan:
    """The files to collect, in manifest order, and their total size in bytes."""

    files: tuple[InputFile, ...]
    total_bytes: int


@dataclass(frozen=True)
class Bundle:
    """A complete evidence bundle in memory: the manifest, the leaves-list and the tree.

    Proof files are produced on demand by :meth:`proof_files` (deterministically, from the
    stored tree) so a writer can create files while later proofs are still being encoded.
    """

    manifest: Manifest
    manifest_bytes: bytes
    leaves_bytes: bytes
    tree: MerkleTree

    @property
    def root(self) -> bytes:
        """The rfc9162-sha256 tree head over the leaves."""
        return self.manifest.root

    @property
    def warnings(self) -> list[tuple[str, str]]:
        """``(item name, warning)`` pairs, in manifest order."""
        return [(item.name, w) for item in self.manifest.items for w in item.warnings]

    def proof_paths(self) -> list[str]:
        """Relative paths of the proof files, in manifest order."""
        return [proof_path(item.name) for item in self.manifest.items]

    def proof_files(self) -> Iterator[tuple[str, bytes]]:
        """Every proof file as ``(relative path, canonical JSON bytes)``, in manifest order."""
        from anchor.merkle.prooffile import encode_tree_proofs

        items = self.manifest.items
        paths = (proof_path(item.name) for item in items)
        entries = [(item.name, item.sha256) for item in items]
        return zip(paths, encode_tree_proofs(entries, self.tree), strict=True)

    def files(self) -> Iterator[tuple[str, bytes]]:
        """Every file of the bundle as ``(relative path with '/', bytes)``."""
        yield MANIFEST_FILE, self.manifest_bytes
        yield LEAVES_FILE, self.leaves_bytes
        yield from self.proof_files()


def plan(
    paths: Sequence[str],
    *,
    root: str,
    include_hidden: bool = False,
    exclude: Sequence[str] = (),
) -> Plan:
    """Expand ``paths`` (see :func:`anchor.evidence.inputs.expand_inputs`) into a plan."""
    files = expand_inputs(paths, root, include_hidden=include_hidden, exclude=exclude)
    _check_proof_paths(files)
    return Plan(tuple(files), sum(f.size for f in files))


def _check_proof_paths(files: Sequence[InputFile]) -> None:
    """Two items whose proof files would be one file (an item named like the hash that
    names another's proof file) are refused before any hashing."""
    seen: dict[str, str] = {}
    for f in files:
        path = proof_path(f.name).casefold()
        other = seen.setdefault(path, f.name)
        if other != f.name:
            raise NameCollisionError(
                f"items {other} and {f.name} would have the same proof file {proof_path(f.name)}"
            )


def build_bundle(
    the_plan: Plan,
    *,
    metadata: Metadata,
    dual_hash: bool = False,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
) -> Bundle:
    """Hash, classify and assemble the bundle for ``the_plan`` (each file read once)."""
    files = the_plan.files
    jobs = [HashJob(f.path, f.name, f.size, keep=wants_content(f.name, f.size)) for f in files]

    def finish(index: int, d: FileDigest) -> Item:  # on a hashing thread
        c = classify(files[index].name, d.content, size=d.size)
        item = Item(
            name=files[index].name,
            kind=c.kind,
            media_type=c.media_type,
            size=d.size,
            sha256=d.sha256,
            leaf_index=index,
            blake2b_256=d.blake2b_256,
            sbom=c.sbom,
            attestation=c.attestation,
            warnings=c.warnings,
        )
        _ = item.json_bytes  # its manifest entry, encoded while other files are hashed
        return item

    run = start_hashing(jobs, finish, dual=dual_hash, workers=workers, progress=progress)
    try:
        _preload()
    except BaseException:
        run.cancel()
        raise
    return assemble(metadata, run.wait())


def _preload() -> None:
    """Import what the assembly and the writer need while the workers hash."""
    import anchor.merkle.leaves
    import anchor.merkle.prooffile  # noqa: F401


def assemble(metadata: Metadata, items: Sequence[Item]) -> Bundle:
    """Tree, manifest and leaves-list for items already in manifest order."""
    from anchor.evidence.attestlinks import link_attestations
    from anchor.merkle.leaves import encode_leaves_list

    if any(item.attestation is not None for item in items):
        items = link_attestations(items, metadata)
    leaves = [item.sha256 for item in items]
    tree = MerkleTree(leaves)
    manifest = Manifest(metadata, tuple(items), tree.root)
    leaves_bytes = encode_leaves_list(leaves, root=tree.root, leaf_alg="sha2-256")
    return Bundle(manifest, manifest.to_bytes(), leaves_bytes, tree)
