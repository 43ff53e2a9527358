"""The bundle's publish state: file names, atomic writes, the lock, and ``anchor.json``.

Crash safety rests on three rules this module enforces:

* every file publish writes is written atomically (temporary file in the same
  folder, fsync, ``os.replace``, fsync of the folder), so a reader sees the old
  file or the new one, never half of one;
* ``tx.cbor`` and ``anchor.json`` with ``status: "submitting"`` and the tx id are on
  disk *before* the transaction is submitted, so a crash after submission leaves
  enough to look the transaction up instead of publishing twice;
* one publish at a time per bundle: :func:`bundle_lock` takes an exclusive
  ``flock`` on the bundle folder itself (released by the kernel if the process
  dies, and it leaves no lock file behind).

``anchor.json`` statuses: ``submitting`` (written just before submit), ``submitted``
(the provider accepted it), ``rejected`` (the ledger refused it; nothing on chain),
``confirmed`` (the receipt is complete; proofs and chain facts are written).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anchor.errors import EnvironmentFailure, InputError
from anchor.fsutil import FolderLocked, exclusive_folder_lock, replace_atomically

MANIFEST = "manifest.json"
LEAVES = "leaves.cbor"
PROOFS_DIR = "proofs"
RECORD = "record.cbor"
TX = "tx.cbor"
ANCHOR = "anchor.json"
CHAIN_FACTS = "chain-facts.json"

ANCHOR_FORMAT = "evidence-anchor/anchor-v1"
STATUS_SUBMITTING = "submitting"
STATUS_SUBMITTED = "submitted"
STATUS_REJECTED = "rejected"
STATUS_CONFIRMED = "confirmed"
PENDING_STATUSES = (STATUS_SUBMITTING, STATUS_SUBMITTED)
STATUSES = (STATUS_SUBMITTING, STATUS_SUBMITTED, STATUS_REJECTED, STATUS_CONFIRMED)


class BundleLocked(EnvironmentFailure):
    """Another `anchor publish` holds this bundle (exit 5)."""


class BadState(InputError):
    """``anchor.json``/``tx.cbor`` in the bundle are unreadable or inconsistent (exit 4)."""


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably (temp file, fsync, rename)."""
    try:
        replace_atomically(path, data)
    except OSError as exc:
        raise EnvironmentFailure(f"cannot write {path}: {exc.strerror or exc}") from exc


def json_bytes(obj: Any) -> bytes:
    """Stable, diff-friendly JSON: sorted keys, two-space indent, UTF-8, trailing newline."""
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def write_json(path: Path, obj: Any) -> None:
    """:func:`write_atomic` of :func:`json_bytes`."""
    write_atomic(path, json_bytes(obj))


@contextlib.contextmanager
def bundle_lock(bundle: Path) -> Iterator[None]:
    """Hold an exclusive lock on the bundle folder; :class:`BundleLocked` if someone else has it."""
    try:
        with exclusive_folder_lock(bundle):
            yield
    except FolderLocked as exc:
        raise BundleLocked(
            f"{bundle} is being published by another process", hint="wait for it to finish"
        ) from exc


@dataclass(frozen=True)
class AnchorState:
    """``anchor.json`` as read back: its status, tx id and the whole document."""

    status: str
    tx_hash: str
    network: str
    ttl: int | None
    doc: dict[str, Any]

    @property
    def pending(self) -> bool:
        """Submitted (or about to be) but not yet confirmed."""
        return self.status in PENDING_STATUSES


def read_state(bundle: Path) -> AnchorState | None:
    """The bundle's ``anchor.json``, or None if it has none. Unreadable → :class:`BadState`."""
    path = bundle / ANCHOR
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BadState(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise BadState(f"{path} is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise BadState(f"{path} is not a JSON object")
    status = doc.get("status")
    tx_hash = doc.get("tx_hash")
    network = doc.get("network")
    ttl = doc.get("ttl")
    if status not in STATUSES:
        raise BadState(f"{path}: unknown status {status!r}")
    if not isinstance(tx_hash, str) or len(tx_hash) != 64:
        raise BadState(f"{path}: missing or malformed tx_hash")
    if not isinstance(network, str):
        raise BadState(f"{path}: missing network")
    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool)):
        raise BadState(f"{path}: malformed ttl")
    return AnchorState(status=status, tx_hash=tx_hash.lower(), network=network, ttl=ttl, doc=doc)


def read_stored_tx(bundle: Path, tx_hash: str) -> bytes:
    """``tx.cbor`` of a pending publish; its id must be ``tx_hash`` (else :class:`BadState`)."""
    from anchor.label309 import txbind

    path = bundle / TX
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadState(
            f"anchor.json says {tx_hash} is pending but {path} cannot be read: "
            f"{exc.strerror or exc}"
        ) from exc
    try:
        found = txbind.tx_id(txbind.split_tx(raw).body).hex()
    except Exception as exc:  # any parse failure means the file is not our transaction
        raise BadState(f"{path} is not a transaction: {exc}") from exc
    if found != tx_hash:
        raise BadState(f"{path} holds transaction {found}, but anchor.json names {tx_hash}")
    return raw
