"""The bundle's proof files against its manifest: each proof is the proof of its item.

``manifest.json`` names the items; ``proofs/`` holds one proof file per item, at the path
:func:`anchor.evidence.proofnames.proof_file_name` gives for the item's name. A proof file
at a path no item maps to (an item was renamed in the manifest), or one whose item name,
digest, leaf index, tree size or root differs from the manifest item it belongs to, means
the manifest contradicts its own tree. :func:`check_proofs` raises
:class:`ProofRuleError` (exit 4 for publish; the verifier turns it into a content
mismatch). With ``require_all`` (publish) every item must have its proof file, a regular
file inside the bundle that agrees with its item in every field. Without it (verify: an
auditor may keep only some proofs, and a tampered proof is the proof's failure, reported
per file, not the manifest's) only the names are compared: a proof file that belongs to
no item is the contradiction; nothing is read.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from anchor.errors import InputError
from anchor.evidence.proofnames import PROOF_SUFFIX, proof_file_name
from anchor.safeio import KIB, inside, read_regular, real

PROOF_FILE_CAP = 64 * KIB
"""A proof file: at most 32 siblings, a name and an anchor object (as the verifier's cap)."""


class ProofRuleError(InputError):
    """A proof file contradicts the manifest (see the module docstring)."""


def _expected(items: Sequence[dict[str, Any]]) -> dict[str, tuple[int, dict[str, Any]]]:
    out: dict[str, tuple[int, dict[str, Any]]] = {}
    for index, item in enumerate(items):
        try:
            out[proof_file_name(str(item["name"]))] = (index, item)
        except UnicodeEncodeError:
            continue  # the manifest rules refuse such a name
    return out


def _compare(
    rel: str, index: int, item: dict[str, Any], data: bytes, count: int, root: bytes
) -> None:
    from anchor.merkle.prooffile import ProofFile

    proof = ProofFile.from_json_bytes(data)
    name = item["name"]
    wrong = []
    if proof.name != name:
        wrong.append(f"names item {proof.name!r}")
    if proof.digest.hex() != str(item["digests"]["sha2-256"]):
        wrong.append("has another sha2-256")
    if proof.leaf_index != index:
        wrong.append(f"has leaf_index {proof.leaf_index}")
    if proof.tree_size != count:
        wrong.append(f"has tree_size {proof.tree_size}")
    if proof.root != root:
        wrong.append("states another root")
    if wrong:
        raise ProofRuleError(
            f"proofs/{rel} {', '.join(wrong)}, but it is the proof of items[{index}] ({name!r})"
        )


def check_proofs(
    proofs_dir: Path, items: Sequence[dict[str, Any]], root: bytes, *, require_all: bool
) -> None:
    """Every proof file under ``proofs_dir`` is its manifest item's (module docstring)."""
    expected = _expected(items)
    seen: set[str] = set()
    confine = real(proofs_dir)
    if proofs_dir.is_dir() and (require_all or not proofs_dir.is_symlink()):
        for dirpath, dirs, names in os.walk(proofs_dir):
            dirs.sort()
            for file in sorted(names):
                if not file.endswith(PROOF_SUFFIX):
                    continue
                path = Path(dirpath) / file
                rel = path.relative_to(proofs_dir).as_posix()
                if rel not in expected:
                    raise ProofRuleError(f"proofs/{rel} is the proof of no item in the manifest")
                if not require_all:
                    continue  # the verifier checks the proofs it uses against the chain
                if not inside(path, confine):
                    raise ProofRuleError(f"proofs/{rel} points outside the bundle")
                index, item = expected[rel]
                data = read_regular(path, cap=PROOF_FILE_CAP)
                _compare(rel, index, item, data, len(items), root)
                seen.add(rel)
    if require_all:
        missing = [rel for rel in expected if rel not in seen]
        if missing:
            index, item = expected[missing[0]]
            raise ProofRuleError(
                f"items[{index}] ({item['name']!r}) has no proof file proofs/{missing[0]}"
            )
