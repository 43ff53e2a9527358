"""Where an item's proof file lives inside a bundle: one rule for collect and verify.

``proofs/<name>.proof.json`` (the item name's folders become folders under
``proofs/``), except when the last part of the name plus ``.proof.json`` would be longer
than :data:`NAME_MAX` bytes, which no common file system stores: then the file is named
by the SHA-256 of the whole item name, ``proofs/<folders>/<64 hex>.proof.json``. The
mapping is a pure function of the name in ``manifest.json``, so a reader that finds an
item through the manifest (by digest or by name) finds its proof file with
:func:`proof_path` alone; no other table is needed (ADR 0020).

Pure and import-light: the verifier imports it.
"""

from __future__ import annotations

import hashlib

PROOFS_DIR = "proofs"
PROOF_SUFFIX = ".proof.json"
NAME_MAX = 255
"""Bytes in one path component on Linux, macOS and (as UTF-16 units, never more than the
UTF-8 bytes) Windows."""


def proof_file_name(name: str) -> str:
    """The proof file's path relative to ``proofs/`` for the item ``name`` ('/' separated)."""
    folder, slash, base = name.rpartition("/")
    file = base + PROOF_SUFFIX
    if len(file.encode("utf-8")) > NAME_MAX:
        file = hashlib.sha256(name.encode("utf-8")).hexdigest() + PROOF_SUFFIX
    return f"{folder}{slash}{file}"


def proof_path(name: str) -> str:
    """The proof file's path relative to the bundle: ``proofs/`` + :func:`proof_file_name`."""
    return f"{PROOFS_DIR}/{proof_file_name(name)}"
