"""What the `anchor spool` commands call: open a store, read add inputs, report status and proofs.

Everything that reads user input checks it completely before anything is written, so
a bad line in ``--from-file`` (reported with its line number) adds nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from anchor.errors import InputError
from anchor.publish.spool import machine
from anchor.publish.spool.store import Item, NewItem, Spool, Store, Window

DB_ENV = "ANCHOR_SPOOL_DB"
DIR_ENV = "ANCHOR_SPOOL_DIR"
DEFAULT_DB = "sqlite:anchor-spool.db"


def open_store(db: str | None) -> Store:
    """``sqlite:PATH`` (or a bare path) or ``postgresql://…`` → a :class:`Store`."""
    url = db or os.environ.get(DB_ENV) or DEFAULT_DB
    if url.startswith(("postgresql://", "postgres://")):
        from anchor.publish.spool.postgres import PostgresStore

        return PostgresStore(url)
    from anchor.publish.spool.sqlite import SqliteStore

    path = url[len("sqlite:") :] if url.startswith("sqlite:") else url
    if not path:
        raise InputError("--db sqlite: needs a path, e.g. sqlite:anchor-spool.db")
    return SqliteStore(Path(path))


def work_dir(db: str | None, given: str | None) -> Path:
    """The folder for window bundles: ``--dir``, else ``$ANCHOR_SPOOL_DIR``, else beside the db."""
    chosen = given or os.environ.get(DIR_ENV)
    if chosen:
        return Path(chosen)
    url = db or os.environ.get(DB_ENV) or DEFAULT_DB
    if url.startswith(("postgresql://", "postgres://")):
        return Path("anchor-spool.d")
    path = url[len("sqlite:") :] if url.startswith("sqlite:") else url
    return Path(path + ".d")


def default_source(env: Mapping[str, str]) -> str:
    """The CI identity as ``collect`` reads it: ``host/org/repo/run/ID``, else ``local``."""
    from anchor.evidence.metadata import from_environment

    meta = from_environment(env)
    if not meta.repository:
        return "local"
    repo = meta.repository.split("://", 1)[-1].strip("/")
    return f"{repo}/run/{meta.run_id}" if meta.run_id else repo


def check_source(source: str) -> str:
    """A source follows the item-name rules (it becomes part of the manifest name)."""
    return machine.check_name(source, what="--source")


def from_files(paths: Sequence[str], *, name: str | None, source: str) -> list[NewItem]:
    """Hash each file (``--name`` only with one file; default: the file's base name)."""
    if name is not None and len(paths) != 1:
        raise InputError("--name goes with exactly one FILE (or with --sha256)")
    out = []
    for path in paths:
        try:
            with open(path, "rb") as fh:
                digest = hashlib.file_digest(fh, "sha256").digest()
                size = os.fstat(fh.fileno()).st_size
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from exc
        chosen = machine.check_name(name if name is not None else Path(path).name)
        out.append(NewItem(source, chosen, digest, size))
    return out


def from_jsonl(stream: IO[str], *, label: str, source: str) -> list[NewItem]:
    """``{"name": N, "sha256": HEX[, "size": S]}`` per line; one bad line refuses them all."""
    from anchor.publish.spool.store import many_objects

    with many_objects():
        out = _jsonl_items(stream, label, source)
    if not out:
        raise InputError(f"{label}: no items")
    return out


def _jsonl_items(stream: IO[str], label: str, source: str) -> list[NewItem]:
    out = []
    loads, check_name, check_digest = json.loads, machine.check_name, machine.check_digest
    for number, line in enumerate(stream, start=1):
        try:
            doc = loads(line)
        except ValueError as exc:
            if not line.strip():
                continue
            raise InputError(f"{label} line {number}: not JSON ({exc})") from exc
        if not isinstance(doc, dict) or not isinstance(name := doc.get("name"), str):
            raise InputError(f"{label} line {number}: expected an object with a string 'name'")
        sha = doc.get("sha256")
        if not isinstance(sha, str):
            raise InputError(f"{label} line {number}: expected a string 'sha256'")
        size = doc.get("size")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise InputError(f"{label} line {number}: 'size' must be a non-negative integer")
        try:
            out.append(NewItem(source, check_name(name), check_digest(sha), size))
        except InputError:  # again, to say which line
            check_name(name, what=f"{label} line {number}: name")
            check_digest(sha, what=f"{label} line {number}: sha256")
            raise
    return out


@dataclass(frozen=True)
class ProofInfo:
    """Where an item stands: its window, and once anchored its proof file and block."""

    item: Item
    window: Window
    leaf_index: int
    proof_path: Path | None

    @property
    def anchored(self) -> bool:
        """True once the window reached the confirmation target."""
        return self.window.state in (machine.ANCHORED, machine.FINAL)

    def to_json(self, tip_depth: int | None = None) -> dict[str, Any]:
        """The ``--json`` form."""
        w = self.window
        return {
            "item_id": self.item.item_id,
            "name": self.item.name,
            "source": self.item.source,
            "sha256": self.item.digest.hex(),
            "state": self.item.state,
            "window": w.seq,
            "window_state": w.state,
            "leaf_index": self.leaf_index,
            "proof": str(self.proof_path) if self.proof_path else None,
            "tx_hash": w.tx_id if self.anchored else None,
            "block_height": w.block_height if self.anchored else None,
            "block_hash": w.block_hash if self.anchored else None,
            "depth": w.depth if self.anchored else None,
        }


def window_json(window: Window, count: int) -> dict[str, Any]:
    """One window in `spool status --json`."""
    return {
        "window": window.seq,
        "state": window.state,
        "items": count,
        "label": window.label,
        "root": window.root,
        "tx_hash": window.tx_id,
        "block_height": window.block_height,
        "depth": window.depth,
        "reason": window.reason,
    }


def status(store: Store, spool: Spool) -> list[dict[str, Any]]:
    """Every window of ``spool`` with its item count."""
    counts = store.counts(spool)
    return [window_json(w, counts.get(w.id, 0)) for w in store.windows(spool)]


def added_lines(
    rows: Sequence[dict[str, Any]], *, json_out: bool, per: int = 4096
) -> Iterator[str]:
    """`spool add` output, ``per`` lines at a time joined by newlines (one write each)."""
    for at in range(0, len(rows), per):
        chunk = rows[at : at + per]
        if json_out:
            lines = [json.dumps(row, separators=(",", ":"), ensure_ascii=False) for row in chunk]
        else:
            lines = [
                f"{r['item_id']} window {r['window']} {r['state']}"
                + (" (duplicate)" if r["duplicate"] else "")
                for r in chunk
            ]
        yield "\n".join(lines)


def added_json(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """`spool add` output objects."""
    return [
        {"item_id": a.item_id, "window": a.window, "state": a.state, "duplicate": a.duplicate}
        for a in rows
    ]
