"""The ``rfc9162-sha256`` Merkle layer: tree, proofs, leaves-list document, proof files.

Pure and fast to import (hashlib only at this level): :mod:`anchor.merkle.tree` builds the
tree once and serves inclusion proofs and verification; :mod:`anchor.merkle.leaves` encodes
and strictly parses the Label 309 leaves-list document; :mod:`anchor.merkle.prooffile`
reads and writes the per-item proof files of the evidence bundle, in the canonical JSON of
:mod:`anchor.merkle.jcs`.
"""

from __future__ import annotations

from anchor.merkle.tree import (
    ALG,
    MerkleError,
    MerkleTree,
    leaf_hash,
    root_from_proof,
    root_of,
    verify_inclusion,
)

__all__ = [
    "ALG",
    "MerkleError",
    "MerkleTree",
    "leaf_hash",
    "root_from_proof",
    "root_of",
    "verify_inclusion",
]
