"""Reading an evidence bundle for verification (the only file I/O of the verifier library).

A bundle directory (docs/bundle.md) may hold ``manifest.json``, ``leaves.cbor``,
``proofs/``, ``record.cbor``, ``tx.cbor``, ``anchor.json`` and ``chain-facts.json``.
:func:`load_bundle` reads what is there and never fails for a missing file: which
files a run needs depends on the mode (offline needs a transaction and block facts).
The publish receipt ``anchor.json`` is read tolerantly for the transaction hash and
the network; the verifier never trusts it for anything the chain binds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anchor.errors import InputError

MANIFEST_FILE = "manifest.json"
LEAVES_FILE = "leaves.cbor"
PROOFS_DIR = "proofs"
TX_FILE = "tx.cbor"
RECEIPT_FILE = "anchor.json"
CHAIN_FACTS_FILE = "chain-facts.json"


@dataclass(frozen=True)
class LoadedBundle:
    """The bytes of a bundle's files (None when absent) and its proofs directory."""

    path: Path
    manifest: bytes | None
    leaves: bytes | None
    tx: bytes | None
    chain_facts: bytes | None
    receipt: dict[str, Any] | None
    proofs_dir: Path | None

    def manifest_names(self) -> dict[bytes, list[str]]:
        """``sha2-256 digest -> item names`` from the manifest (empty if absent or unreadable).

        Used only to locate proof files; every proof is checked against the chain.
        """
        if self.manifest is None:
            return {}
        try:
            doc = json.loads(self.manifest)
        except (ValueError, UnicodeDecodeError):
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


def read_optional(path: Path) -> bytes | None:
    """The file's bytes, None when it does not exist; InputError when it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from exc


def load_bundle(directory: str | Path) -> LoadedBundle:
    """Read a bundle directory; InputError when it is not a directory or a file is unreadable."""
    root = Path(directory)
    if not root.is_dir():
        raise InputError(f"{directory}: not a bundle directory")
    receipt_bytes = read_optional(root / RECEIPT_FILE)
    receipt: dict[str, Any] | None = None
    if receipt_bytes is not None:
        try:
            parsed = json.loads(receipt_bytes)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{root / RECEIPT_FILE}: not JSON") from exc
        receipt = parsed if isinstance(parsed, dict) else None
    proofs = root / PROOFS_DIR
    return LoadedBundle(
        path=root,
        manifest=read_optional(root / MANIFEST_FILE),
        leaves=read_optional(root / LEAVES_FILE),
        tx=read_optional(root / TX_FILE),
        chain_facts=read_optional(root / CHAIN_FACTS_FILE),
        receipt=receipt,
        proofs_dir=proofs if proofs.is_dir() else None,
    )
