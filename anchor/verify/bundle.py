"""Reading an evidence bundle for verification (the only file I/O of the verifier library).

A bundle directory (docs/bundle.md) may hold ``manifest.json``, ``leaves.cbor``,
``proofs/``, ``record.cbor``, ``tx.cbor``, ``anchor.json`` and ``chain-facts.json``.
:func:`load_bundle` reads what is there and never fails for a missing file: which
files a run needs depends on the mode (offline needs a transaction and block facts).

Every member is read through :mod:`anchor.safeio`: only regular files, never one whose
real location is outside the bundle's real location (a symlink out of the bundle, or a
symlinked ``proofs/``, reads nothing), and never more than the member's cap
(docs/verify.md, "Input limits"). A member that breaks these rules is an
:class:`~anchor.errors.InputError` (exit 4, one line). ``leaves.cbor`` is read only when
the on-chain ``leaf_count`` is known (:class:`BundleLeaves`), so its cap follows from
the record. The JSON members are parsed strictly (:func:`anchor.safeio.load_json`:
duplicate names and deep nesting refused); ``manifest.json`` is refused here only when
nested too deeply to parse (its other rules are the content check's, which fails the run). The publish receipt ``anchor.json`` is read
for the transaction hash and the network; the verifier never trusts it for anything
the chain binds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anchor.errors import InputError
from anchor.safeio import (
    KIB,
    MIB,
    JsonTooDeep,
    TooLarge,
    inside,
    load_json,
    read_regular_optional,
    real,
)

MANIFEST_FILE = "manifest.json"
LEAVES_FILE = "leaves.cbor"
PROOFS_DIR = "proofs"
TX_FILE = "tx.cbor"
RECEIPT_FILE = "anchor.json"
CHAIN_FACTS_FILE = "chain-facts.json"

TX_CAP = 64 * KIB
"""tx.cbor: the ledger's maximum transaction size is 16,384 bytes on mainnet today
(protocol parameter ``maxTxSize``); four times that leaves headroom for a raised limit."""
MANIFEST_CAP = 64 * MIB
"""manifest.json: about 200,000 items with attestation details."""
RECEIPT_CAP = 64 * KIB
"""anchor.json: a few hundred bytes in practice."""
CHAIN_FACTS_CAP = 1 * MIB
"""chain-facts.json: one small object per provider consulted."""
PROOF_CAP = 64 * KIB
"""proofs/*.proof.json: at most 32 siblings of 64 hex digits, a name and an anchor object."""
LEAF_BYTES = 34
"""One leaf in leaves.cbor: a two-byte head (0x58 0x20) and 32 bytes."""
LEAVES_OVERHEAD = 4 * KIB
"""leaves.cbor beyond its leaves: the map, its keys, format, root, counts and leaf_alg."""
LEAVES_DEFAULT_CAP = 128 * MIB
"""leaves.cbor when no on-chain leaf_count is known (about 3.9 million leaves)."""


def leaves_cap(leaf_count: int | None) -> int:
    """The largest leaves.cbor a tree of ``leaf_count`` leaves can have."""
    if leaf_count is None or leaf_count < 1:
        return LEAVES_DEFAULT_CAP
    return leaf_count * LEAF_BYTES + LEAVES_OVERHEAD


def read_member(root_real: Path, path: Path, *, cap: int) -> bytes | None:
    """A bundle member's bytes (None when absent): regular, inside the bundle, at most ``cap``."""
    if not path.exists() and not path.is_symlink():
        return None
    if not inside(path, root_real):
        raise InputError(f"{path}: points outside the bundle; refused")
    return read_regular_optional(real(path), cap=cap)


def read_json_file(path: str | Path, *, cap: int, what: str | None = None) -> bytes:
    """A JSON file given on the command line: regular, at most ``cap``, strict JSON.

    Returns the bytes (the parsers downstream take bytes) once they are known to parse
    strictly; FileNotFoundError passes through.
    """
    from anchor.safeio import read_regular

    data = read_regular(path, cap=cap, follow=True)
    load_json(data, what=what or str(path))
    return data


def read_tx_file(path: str | Path) -> bytes:
    """A ``--tx`` file: a regular file of at most :data:`TX_CAP` bytes."""
    from anchor.safeio import read_regular

    return read_regular(path, cap=TX_CAP, follow=True)


class BundleContent(dict[int, bytes]):
    """``{0: manifest.json}``: the content of ``items[0]`` in a bundle run.

    The type tells the content check that this item is a manifest, to be held to its
    rules too (:mod:`anchor.verify.content`), and ``proofs_dir`` where the bundle's proof
    files are (checked against the manifest).
    """

    proofs_dir: Path | None = None


class BundleLeaves(Mapping[int, bytes]):
    """``{0: leaves.cbor}``, read on first use with the cap the on-chain leaf_count allows.

    :meth:`read` is what the content check calls once it knows ``merkle[0].leaf_count``;
    plain indexing reads with :data:`LEAVES_DEFAULT_CAP`. Too large → :class:`TooLarge`.
    """

    def __init__(self, root_real: Path, path: Path) -> None:
        self._root_real = root_real
        self._path = path

    def read(self, index: int, leaf_count: int | None) -> bytes:
        """The bytes of ``leaves.cbor`` for ``merkle[index]`` (only index 0 exists)."""
        if index != 0:
            raise KeyError(index)
        data = read_member(self._root_real, self._path, cap=leaves_cap(leaf_count))
        if data is None:
            raise InputError(f"{self._path}: disappeared while verifying")
        return data

    def __getitem__(self, index: int) -> bytes:
        return self.read(index, None)

    def __contains__(self, index: object) -> bool:
        # Mapping's default would read the file (with the default cap) to answer.
        return index == 0

    def __iter__(self) -> Iterator[int]:
        return iter((0,))

    def __len__(self) -> int:
        return 1


@dataclass(frozen=True)
class LoadedBundle:
    """The bytes of a bundle's files (None when absent) and its proofs directory.

    ``leaves`` is a :class:`BundleLeaves` (read later, with its cap) or None.
    """

    path: Path
    manifest: bytes | None
    leaves: BundleLeaves | None
    tx: bytes | None
    chain_facts: bytes | None
    receipt: dict[str, Any] | None
    proofs_dir: Path | None
    real_path: Path | None = None

    def manifest_names(self) -> dict[bytes, list[str]]:
        """``sha2-256 digest -> item names`` from the manifest (empty if absent or unreadable).

        Used only to locate proof files; every proof is checked against the chain, and the
        manifest itself is checked by the content step.
        """
        if self.manifest is None:
            return {}
        try:
            doc = load_json(self.manifest, what=MANIFEST_FILE)
        except InputError:
            return {}
        out: dict[bytes, list[str]] = {}
        items = doc.get("items") if isinstance(doc, dict) else None
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            digests = item.get("digests")
            name = item.get("name")
            hexd = digests.get("sha2-256") if isinstance(digests, dict) else None
            if isinstance(name, str) and isinstance(hexd, str):
                try:
                    out.setdefault(bytes.fromhex(hexd), []).append(name)
                except ValueError:
                    continue
        return out

    def receipt_tx_hash(self) -> str | None:
        """The transaction hash the publish receipt names, if any."""
        return _receipt_text(self.receipt, "tx_hash", "txHash", "tx_id", "transaction")

    def receipt_network(self) -> str | None:
        """The network the publish receipt names (``cardano:`` prefix removed), if any."""
        value = _receipt_text(self.receipt, "network")
        return value.removeprefix("cardano:") if value else None


def _receipt_text(receipt: dict[str, Any] | None, *keys: str) -> str | None:
    if not receipt:
        return None
    for key in keys:
        value = receipt.get(key)
        if isinstance(value, str) and value:
            return value.lower()
    return None


def read_optional(path: Path, *, cap: int = TX_CAP) -> bytes | None:
    """A regular file's bytes (at most ``cap``), None when it does not exist; else InputError."""
    return read_regular_optional(path, cap=cap, follow=True)


def _json_member(root_real: Path, path: Path, cap: int) -> bytes | None:
    data = read_member(root_real, path, cap=cap)
    if data is not None:
        load_json(data, what=str(path))
    return data


def _refuse_deep_manifest(manifest: bytes | None, path: Path) -> None:
    """A manifest.json nested beyond the JSON depth limit is bad input (exit 4, one line).

    Every other way a manifest can break its rules (duplicate names, schema, the tree) is
    judged by the content check, which fails the bundle instead.
    """
    if manifest is None:
        return
    try:
        load_json(manifest, what=str(path))
    except JsonTooDeep:
        raise
    except InputError:
        return


def load_bundle(directory: str | Path) -> LoadedBundle:
    """Read a bundle directory; InputError when it is not a directory or a member is refused."""
    root = Path(directory)
    if not root.is_dir():
        raise InputError(f"{directory}: not a bundle directory")
    root_real = real(root)
    try:
        receipt_bytes = _json_member(root_real, root / RECEIPT_FILE, RECEIPT_CAP)
        manifest = read_member(root_real, root / MANIFEST_FILE, cap=MANIFEST_CAP)
        tx = read_member(root_real, root / TX_FILE, cap=TX_CAP)
        chain_facts = _json_member(root_real, root / CHAIN_FACTS_FILE, CHAIN_FACTS_CAP)
    except TooLarge as exc:
        raise InputError(exc.message) from exc
    _refuse_deep_manifest(manifest, root / MANIFEST_FILE)
    receipt: dict[str, Any] | None = None
    if receipt_bytes is not None:
        parsed = load_json(receipt_bytes, what=str(root / RECEIPT_FILE))
        receipt = parsed if isinstance(parsed, dict) else None
    leaves_path = root / LEAVES_FILE
    leaves = None
    if leaves_path.exists() or leaves_path.is_symlink():
        if not inside(leaves_path, root_real):
            raise InputError(f"{leaves_path}: points outside the bundle; refused")
        leaves = BundleLeaves(root_real, leaves_path)
    proofs = root / PROOFS_DIR
    proofs_ok = proofs.is_dir() and inside(proofs, root_real)
    return LoadedBundle(
        path=root,
        manifest=manifest,
        leaves=leaves,
        tx=tx,
        chain_facts=chain_facts,
        receipt=receipt,
        proofs_dir=proofs if proofs_ok else None,
        real_path=root_real,
    )
