"""Every vector file of the standard is either consumed by a conformance test or listed here as
out of scope with its reason. A new upstream file that is neither fails this test."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest

from tests.conftest import l309_data_dir

SEALED = "out of scope: sealed-PoE cryptography is a later phase (BRIEF §9); the validator checks the enc envelope's structure only"

OUT_OF_SCOPE: dict[str, str] = {
    "aead/": SEALED + " (ChaCha20-Poly1305 / STREAM AEAD primitives)",
    "kem/": SEALED + " (X25519 and X-Wing KEMs)",
    "sealed-poe/": SEALED + " (wrap, unwrap, trial decryption, transcripts)",
    "unicode/": SEALED + " (passphrase NFKC normalisation, Unicode 16.0)",
    "kdf/argon2id-v13-kat.json": SEALED + " (Argon2id passphrase KDF)",
    "kdf/passphrase-normalization.json": SEALED + " (passphrase normalisation and Argon2id CEK)",
    "seed-derive/recipients-from-seed.json": SEALED
    + " (age recipient strings need X25519/X-Wing public keys)",
    "seed-derive/recipient-strings-kat.json": SEALED + " (age recipient strings for sealing)",
}

TESTS_DIR = Path(__file__).resolve().parent.parent


def _vector_files() -> list[str]:
    root = l309_data_dir()
    if root is None:
        return []
    base = root / "conformance"
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*.json") if p.is_file())


@functools.cache
def _test_sources() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8")
        for p in TESTS_DIR.rglob("*.py")
        if p.resolve() != Path(__file__).resolve()
    )


def _consumed(rel: str, sources: str) -> bool:
    if rel == "parity-matrix.json":
        return True  # consumed below, by test_parity_matrix_lists_existing_files
    if rel in sources:
        return True
    directory, name = rel.split("/", 1) if "/" in rel else ("", rel)
    stem = name.removesuffix(".json")
    # Files consumed through a directory listing, e.g. ("wallet-cose", "*.json") or "wallet-cose/*.json".
    if directory and re.search(
        rf"{re.escape(directory)}/?\*|{re.escape(directory)}[\"'],\s*[\"']\*", sources
    ):
        return True
    return bool(directory) and f'"{directory}", "{stem}' in sources


def _out_of_scope_reason(rel: str) -> str | None:
    for key, reason in OUT_OF_SCOPE.items():
        if rel == key or (key.endswith("/") and rel.startswith(key)):
            return reason
    return None


FILES = _vector_files()


def test_vector_folder_present() -> None:
    if not FILES:
        pytest.skip("Label 309 vectors not found (run 'make vectors')")
    assert "parity-matrix.json" in FILES


@pytest.mark.parametrize("rel", FILES or ["<no vectors>"])
def test_every_vector_file_is_consumed_or_out_of_scope(rel: str) -> None:
    if not FILES:
        pytest.skip("Label 309 vectors not found (run 'make vectors')")
    reason = _out_of_scope_reason(rel)
    consumed = _consumed(rel, _test_sources())
    if reason is not None and not consumed:
        pytest.skip(reason)
    assert consumed, f"{rel} is neither consumed by a conformance test nor listed as out of scope"


def test_parity_matrix_lists_existing_files() -> None:
    """parity-matrix.json names files by class; each named file must exist in the vector folder."""
    root = l309_data_dir()
    if root is None:
        pytest.skip("Label 309 vectors not found (run 'make vectors')")
    matrix = json.loads((root / "conformance" / "parity-matrix.json").read_text(encoding="utf-8"))
    named = [
        f"{entry['area']}/{f}"
        for section in ("byte_identical", "structural_parity_only")
        for entry in matrix[section]
        for f in entry["files"]
    ]
    assert len(named) > 50
    missing = [f for f in named if f not in FILES]
    assert missing == []
