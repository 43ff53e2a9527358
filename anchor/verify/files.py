"""Per-file checks: is each given file one of the anchored items?

For every file: SHA-256 of its bytes (streamed), then a proof, looked up in this order:

1. ``--proof F`` (one file only);
2. the bundle's ``proofs/<name>.proof.json``, located by digest through the manifest's
   item list (or, without a manifest, by reading the proof files), else by file name;
3. a digest lookup in the verified leaves-list (``leaves.cbor``), with the proof read
   from the tree built once for all files;
4. a digest equal to an ``items[j].hashes["sha2-256"]`` of the record itself.

The proof must name the file's digest, have ``tree_size`` equal to the on-chain
``leaf_count``, state the on-chain root as its ``root`` and fold to it (a proof whose
path folds but whose stated root differs is not the published proof). Codes
(``files[].code``; docs/adr/0005):

* ``INCLUSION_PROOF_INVALID`` — a proof for this digest does not hold against the chain;
* ``FILE_DIGEST_MISMATCH`` — the proof found for this file (by name or ``--proof``)
  commits to different bytes;
* ``FILE_NOT_IN_TREE`` — the verified leaves-list does not contain the digest;
* ``FILE_PROOF_UNAVAILABLE`` — nothing could settle the question (→ ``unverifiable``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from anchor.errors import InputError
from anchor.evidence.proofnames import proof_file_name
from anchor.merkle.leaves import LeavesList
from anchor.merkle.prooffile import ProofFile, ProofFileError
from anchor.merkle.tree import MerkleTree, verify_inclusion
from anchor.safeio import inside, open_regular, read_regular, real
from anchor.verify.bundle import PROOF_CAP
from anchor.verify.content import Commitment
from anchor.verify.report import FileEntry
from anchor.verify.verdict import (
    FILE_DIGEST_MISMATCH,
    FILE_NOT_IN_TREE,
    FILE_PROOF_UNAVAILABLE,
    INCLUSION_PROOF_INVALID,
)

PROOF_SUFFIX = ".proof.json"


def sha256_file(path: Path) -> bytes:
    """SHA-256 of a regular file's bytes, streamed; InputError when it cannot be read.

    A FIFO, device or socket (also behind a symlink) is refused as "not a regular file"
    before a byte is read, so it can neither hang the run nor feed it without end.
    """
    try:
        fd = open_regular(path, follow=True)
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    try:
        with os.fdopen(fd, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").digest()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from exc


@dataclass
class ProofIndex:
    """Where proofs come from: explicit ``--proof``, a bundle's ``proofs/``, the leaves tree."""

    proofs_dir: Path | None = None
    manifest_names: Mapping[bytes, Sequence[str]] = field(default_factory=dict)
    explicit: ProofFile | None = None
    tree: tuple[LeavesList, MerkleTree] | None = None
    item_digests: Mapping[bytes, int] = field(default_factory=dict)
    bundle_real: Path | None = None
    _by_digest: dict[bytes, list[Path]] | None = None
    _proofs_root: Path | None = None

    def _confine(self) -> Path:
        """The real folder every proof read must stay in: the bundle's, else ``proofs/``'s."""
        if self._proofs_root is None:
            assert self.proofs_dir is not None
            self._proofs_root = self.bundle_real or real(self.proofs_dir)
        return self._proofs_root

    def proof_path(self, name: str) -> Path | None:
        """``proofs/<name>.proof.json`` (hash-named when too long, see
        :mod:`anchor.evidence.proofnames`) when it is a regular file inside the bundle.

        Names come from the untrusted manifest and from the command line; one that is
        absolute, not valid Unicode, climbs out (``..``), or reaches a symlink whose target lies outside the
        bundle's real location finds nothing.
        """
        if self.proofs_dir is None or "\x00" in name or os.path.isabs(name):
            return None
        try:  # a name that is not valid Unicode (a lone surrogate) has no proof file
            candidate = self.proofs_dir / proof_file_name(name)  # hash-named when too long
            if not real(candidate).is_relative_to(real(self.proofs_dir)):
                return None
            ok = inside(candidate, self._confine()) and candidate.is_file()
        except (OSError, RuntimeError, ValueError):
            return None
        return candidate if ok else None

    def paths_for_digest(self, digest: bytes) -> list[Path]:
        """Proof files that name ``digest`` (through the manifest, else by scanning)."""
        if self.manifest_names:
            names = self.manifest_names.get(digest, ())
            return [p for p in (self.proof_path(n) for n in names) if p is not None]
        if self.proofs_dir is None:
            return []
        if self._by_digest is None:
            self._by_digest = _scan(self.proofs_dir, self._confine())
        return self._by_digest.get(digest, [])

    def leaf_index(self, digest: bytes) -> int | None:
        """Index of ``digest`` in the verified leaves-list (first occurrence), if any."""
        if self.tree is None:
            return None
        try:  # a byte search of the packed leaves: no index of a million objects is built
            return self.tree[0].leaves.index(digest)
        except ValueError:
            return None


def read_proof(path: Path) -> bytes:
    """A proof file's bytes: a regular file of at most PROOF_CAP bytes (InputError otherwise)."""
    return read_regular(real(path), cap=PROOF_CAP)


def _scan(proofs_dir: Path, confine: Path) -> dict[bytes, list[Path]]:
    """Proof files under ``proofs_dir`` by digest; anything outside ``confine``, not regular,
    too large or malformed is skipped (this is only a search: every proof found is checked)."""
    found: dict[bytes, list[Path]] = {}
    for dirpath, dirs, names in os.walk(proofs_dir):
        dirs.sort()
        for name in sorted(names):
            if not name.endswith(PROOF_SUFFIX):
                continue
            path = Path(dirpath) / name
            if not inside(path, confine):
                continue
            try:
                proof = ProofFile.from_json_bytes(read_proof(path))
            except (OSError, InputError):
                continue
            found.setdefault(proof.digest, []).append(path)
    return found


def _load(path: Path) -> ProofFile | str:
    try:
        return ProofFile.from_json_bytes(read_proof(path))
    except FileNotFoundError:
        return f"cannot read {path.name}: it disappeared"
    except ProofFileError as exc:
        return exc.message
    except InputError as exc:
        return f"{path.name}: {exc.message.removeprefix(str(real(path)) + ': ')}"


def _holds(proof: ProofFile, digest: bytes, commitment: Commitment) -> str | None:
    """None when the proof holds for ``digest`` against the on-chain commitment, else why not."""
    if proof.digest != digest:
        return "the proof commits to a different digest"
    if proof.tree_size != commitment.leaf_count:
        return f"proof tree_size {proof.tree_size} != on-chain leaf_count {commitment.leaf_count}"
    if proof.root != commitment.root:
        return f"the proof states root {proof.root.hex()}, not the on-chain root"
    if not verify_inclusion(digest, proof.leaf_index, proof.tree_size, proof.path, commitment.root):
        return "the proof does not fold to the on-chain root"
    return None


def _entry(
    name: str, digest: bytes, index: int | None, code: str | None, source: str | None, msg: str
) -> FileEntry:
    return FileEntry(name, digest.hex(), index, code is None, code, source, msg)


def _membership(index: ProofIndex, digest: bytes) -> str:
    """Suffix for a failed proof: whether the verified leaves-list holds the digest anyway.

    The verdict stays with the proof as presented (docs/adr/0005); this only tells the
    auditor whether the file itself is an anchored item.
    """
    if index.tree is None:
        return ""
    leaf = index.leaf_index(digest)
    if leaf is None:
        return "; the digest is not a leaf of the verified leaves-list either"
    return (
        f"; the digest is leaf {leaf} of the verified leaves-list (the proof fails, not the file)"
    )


def check_file(
    name: str, digest: bytes, index: ProofIndex, commitment: Commitment | None
) -> FileEntry:
    """The verdict for one file with digest ``digest`` (see the module docstring)."""
    if commitment is not None:
        candidates: list[tuple[ProofFile | str, str]] = []
        if index.explicit is not None:
            candidates.append((index.explicit, "--proof"))
        else:
            paths = index.paths_for_digest(digest)  # equal leaves: the file's own name first
            own = os.path.basename(name) + PROOF_SUFFIX
            paths = sorted(paths, key=lambda p: p.name != own)
            candidates.extend((_load(p), "proofs/") for p in paths)
        for proof, source in candidates:
            if isinstance(proof, str):
                msg = proof + _membership(index, digest)
                return _entry(name, digest, None, INCLUSION_PROOF_INVALID, source, msg)
            if proof.digest != digest:
                msg = "the proof given commits to a different digest" + _membership(index, digest)
                return _entry(name, digest, None, FILE_DIGEST_MISMATCH, source, msg)
            why = _holds(proof, digest, commitment)
            if why is None:
                return _entry(name, digest, proof.leaf_index, None, source, "")
            msg = why + _membership(index, digest)
            return _entry(name, digest, proof.leaf_index, INCLUSION_PROOF_INVALID, source, msg)
        leaf = index.leaf_index(digest)
        if leaf is not None and index.tree is not None:
            tree = index.tree[1]
            ok = verify_inclusion(digest, leaf, tree.size, tree.proof(leaf), commitment.root)
            code = None if ok else INCLUSION_PROOF_INVALID
            return _entry(name, digest, leaf, code, "leaves.cbor", "")
    if digest in index.item_digests:
        return _entry(name, digest, None, None, f"items[{index.item_digests[digest]}]", "")
    if commitment is not None and index.tree is not None:
        msg = "the digest is not a leaf of the anchored tree"
        return _entry(name, digest, None, FILE_NOT_IN_TREE, "leaves.cbor", msg)
    by_name = index.proof_path(name) or index.proof_path(os.path.basename(name))
    if by_name is not None:
        loaded = _load(by_name)
        if isinstance(loaded, ProofFile) and loaded.digest != digest:
            msg = f"proofs/ names {loaded.name!r} with a different digest"
            return _entry(name, digest, None, FILE_DIGEST_MISMATCH, "proofs/", msg)
    msg = "no proof and no verified leaves-list for this file"
    return _entry(name, digest, None, FILE_PROOF_UNAVAILABLE, None, msg)


def check_files(
    files: Sequence[tuple[str, bytes]], index: ProofIndex, commitment: Commitment | None
) -> tuple[FileEntry, ...]:
    """Check every ``(name, digest)`` pair; one entry per file, in the order given."""
    return tuple(check_file(name, digest, index, commitment) for name, digest in files)
