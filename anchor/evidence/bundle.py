"""Write an evidence bundle to disk atomically and idempotently.

Guarantees of :func:`write_bundle`:

* the bundle is written in full to a temporary directory next to the destination
  (``.<name>.tmp-*``, same file system) and renamed into place, so the destination is
  never seen half-written; on any failure the temporary directory is removed and the
  destination is untouched;
* a destination that already holds the same bundle (identical ``manifest.json`` and
  ``leaves.cbor``, every proof file present) is left untouched (files that ``publish``
  added later stay), and the result says ``unchanged``;
* a destination holding a *different* bundle is refused unless ``force``; with ``force``
  it is replaced by two renames (old aside, new in place, old removed), restoring the old
  one if the second rename fails, and never while `anchor publish` holds the bundle's lock;
* a different bundle that has been published (any of :data:`PUBLISH_FILES` present, the
  only record of its anchor on chain) is refused even with ``force`` unless
  ``discard_anchor``; the refusal names the files that would be lost, and the result of a
  replacement lists them in ``discarded``;
* a non-empty destination that is not an evidence bundle is refused even with ``force``
  (``-o .`` must never delete a working tree); an empty directory is simply filled.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from queue import SimpleQueue
from typing import Protocol

from anchor.errors import InputError
from anchor.evidence.collect import LEAVES_FILE, MANIFEST_FILE
from anchor.evidence.manifest import ManifestError, load_manifest
from anchor.fsutil import FolderLocked, create_folder_beside, exclusive_folder_lock

_WRITE_BATCH = 64
_WRITERS = 4
_CREATE_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
)

PUBLISH_FILES = ("anchor.json", "chain-facts.json", "record.cbor", "tx.cbor")
"""Files `anchor publish` adds to a bundle (docs/bundle.md); their presence means anchored."""

CREATED = "created"
UNCHANGED = "unchanged"
REPLACED = "replaced"


class OutputConflictError(InputError):
    """The output directory holds something the bundle may not replace."""


class AnchoredBundleError(OutputConflictError):
    """The output directory holds a published bundle and discarding its anchor was not asked."""


class OutputWriteError(InputError):
    """The bundle could not be written to the output directory."""


class BundleFiles(Protocol):
    """What :func:`write_bundle` writes: a :class:`~anchor.evidence.collect.Bundle`, or any
    other source of the same files (`spool export` writes a window without an object
    per item)."""

    @property
    def manifest_bytes(self) -> bytes:
        """The exact ``manifest.json`` bytes."""
        ...

    @property
    def leaves_bytes(self) -> bytes:
        """The exact ``leaves.cbor`` bytes."""
        ...

    def proof_paths(self) -> list[str]:
        """Relative paths of the proof files, in manifest order."""
        ...

    def files(self) -> Iterator[tuple[str, bytes]]:
        """Every file as ``(relative path with '/', bytes)``."""
        ...


@dataclass(frozen=True)
class WriteResult:
    """Where the bundle is and what happened: ``created``, ``unchanged`` or ``replaced``."""

    path: str
    status: str
    discarded: tuple[str, ...] = ()


def write_bundle(
    bundle: BundleFiles, out_dir: str, *, force: bool = False, discard_anchor: bool = False
) -> WriteResult:
    """Place ``bundle`` at ``out_dir`` (see the module docstring for the guarantees)."""
    dest = os.path.abspath(out_dir)
    parent, base = os.path.split(dest)
    existing = _inspect_destination(bundle, dest, out_dir)
    if existing == UNCHANGED:
        return WriteResult(dest, UNCHANGED)
    if existing == "different" and not (force or discard_anchor):
        raise OutputConflictError(
            f"{out_dir} already holds a different evidence bundle (use --force to replace it)"
        )
    if existing == "different" and not discard_anchor:
        _refuse_anchored(dest, out_dir)
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = create_folder_beside(parent, f".{base}.tmp-")
    except OSError as exc:
        raise OutputWriteError(f"cannot create {out_dir}: {_reason(exc)}") from exc
    try:
        _write_tree(bundle, tmp)
        if existing == "different":
            with _publish_lock(dest, out_dir):
                discarded = anchor_files(dest)  # again: a publish may have finished meanwhile
                if discarded and not discard_anchor:
                    _refuse_anchored(dest, out_dir)
                _swap(tmp, dest, parent, base)
            return WriteResult(dest, REPLACED, discarded)
        os.rename(tmp, dest)  # replaces an empty directory atomically
        return WriteResult(dest, CREATED)
    except OSError as exc:
        raise OutputWriteError(f"cannot write {out_dir}: {_reason(exc)}") from exc
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


def anchor_files(dest: str) -> tuple[str, ...]:
    """The :data:`PUBLISH_FILES` present in the bundle folder ``dest`` (sorted)."""
    return tuple(name for name in PUBLISH_FILES if os.path.lexists(os.path.join(dest, name)))


def _refuse_anchored(dest: str, shown: str) -> None:
    found = anchor_files(dest)
    if found:
        raise AnchoredBundleError(
            f"{shown} holds a published bundle: replacing it would discard its anchor "
            f"({', '.join(found)}) and the anchor in its proof files; "
            "give --force twice or --discard-anchor to replace it anyway"
        )


def preflight(out_dir: str) -> None:
    """Fail early (before any hashing) when ``out_dir`` can never receive a bundle.

    Raises :class:`OutputConflictError` for a destination that is not a directory or is a
    non-empty directory that is not an evidence bundle; whether an existing bundle is the
    same or different can only be decided once the new bundle is built.
    """
    _existing_manifest(os.path.abspath(out_dir), out_dir)


def _existing_manifest(dest: str, shown: str) -> bytes | None:
    """The destination's ``manifest.json`` bytes, or None if it is absent or empty."""
    if not os.path.lexists(dest):
        return None
    if os.path.islink(dest) or not os.path.isdir(dest):
        raise OutputConflictError(f"{shown} exists and is not a directory")
    try:
        entries = os.listdir(dest)
    except OSError as exc:
        raise OutputConflictError(f"cannot read {shown}: {_reason(exc)}") from exc
    if not entries:
        return None
    manifest = _read(os.path.join(dest, MANIFEST_FILE))
    if manifest is None or not _is_bundle(manifest):
        raise OutputConflictError(
            f"{shown} is not empty and is not an evidence bundle (refusing to replace it)"
        )
    return manifest


def _inspect_destination(bundle: BundleFiles, dest: str, shown: str) -> str:
    """``new`` (absent or empty), ``unchanged`` or ``different``; raises if not replaceable."""
    manifest = _existing_manifest(dest, shown)
    if manifest is None:
        return "new"
    if (
        manifest == bundle.manifest_bytes
        and _read(os.path.join(dest, LEAVES_FILE)) == bundle.leaves_bytes
        and all(os.path.isfile(os.path.join(dest, *rel.split("/"))) for rel in bundle.proof_paths())
    ):
        return UNCHANGED
    return "different"


def _is_bundle(manifest: bytes) -> bool:
    try:
        load_manifest(manifest)
    except ManifestError:
        return False
    return True


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _write_tree(bundle: BundleFiles, tmp: str) -> None:
    # Creating thousands of small files is kernel work that releases the GIL, so writer
    # threads create files while this thread is still encoding the later proofs.
    folders = {os.path.dirname(rel) for rel in bundle.proof_paths()}
    for folder in sorted(folders):
        os.makedirs(os.path.join(tmp, *folder.split("/")), exist_ok=True)
    batches: SimpleQueue[list[tuple[str, bytes]] | None] = SimpleQueue()
    failures: list[BaseException] = []

    def writer() -> None:
        while (batch := batches.get()) is not None:
            if failures:
                continue  # drain: one failure abandons the bundle
            try:
                _write_files(batch)
            except BaseException as exc:
                failures.append(exc)

    workers = [
        threading.Thread(target=writer, name="anchor-write", daemon=True)
        for _ in range(max(1, min(os.cpu_count() or 1, _WRITERS)))
    ]
    for thread in workers:
        thread.start()
    try:
        batch: list[tuple[str, bytes]] = []
        for rel, data in bundle.files():
            if failures:
                break
            batch.append((os.path.join(tmp, *rel.split("/")), data))
            if len(batch) == _WRITE_BATCH:
                batches.put(batch)
                batch = []
        if batch:
            batches.put(batch)
    finally:
        for _ in workers:
            batches.put(None)
        for thread in workers:
            thread.join()
    if failures:
        raise failures[0]


def _write_files(batch: list[tuple[str, bytes]]) -> None:
    for path, data in batch:
        fd = os.open(path, _CREATE_FLAGS, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)


@contextlib.contextmanager
def _publish_lock(dest: str, shown: str) -> Iterator[None]:
    """Hold the lock `anchor publish` takes on a bundle folder (flock), or refuse."""
    try:
        with exclusive_folder_lock(dest):
            yield
    except FolderLocked as exc:
        raise OutputConflictError(
            f"{shown} is locked by a running 'anchor publish' (not replaced)"
        ) from exc


def _swap(tmp: str, dest: str, parent: str, base: str) -> None:
    aside = create_folder_beside(parent, f".{base}.old-")
    old = os.path.join(aside, base)
    os.rename(dest, old)
    try:
        os.rename(tmp, dest)
    except OSError:
        os.rename(old, dest)
        os.rmdir(aside)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__
