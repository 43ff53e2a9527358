"""A window's evidence bundle: an ordinary `anchor collect` bundle, rebuilt from the store.

The bundle is a pure function of the window's stored rows, so it is regenerated
byte-identically whenever it is missing (after a crash between the seal commit and
the file write, or on another runner) and `spool export` writes the same bytes:

* manifest items are named ``<leaf index, 10 digits>/<source>/<name>``: name order is
  leaf order is item sequence (the manifest contract wants items sorted by name with
  ``leaf_index`` = position), and every item's source is in its name;
* ``release.name`` is ``spool <spool>`` and ``release.version`` ``window <seq>``
  (with the seal label, if any);
* an item added by digest alone has size 0 and a warning saying so.

Once the window is anchored the publish files follow (``record.cbor``, ``tx.cbor``,
``anchor.json``, ``chain-facts.json``, proofs completed with the anchor), all from
stored values, so `anchor verify` checks the export like any published bundle.

Two folders are written from it. `spool export` writes the whole bundle, every proof
file included (:func:`export_window`). The publisher's work folder holds a window's
``manifest.json``, ``leaves.cbor`` and publish files, and beside the folder the window's
block tops (:mod:`anchor.publish.spool.tree`, ``window-NNNNNN.tops``); a proof file is
written there when `spool proof` asks for it (:func:`write_item_proof`), from one
1,024-leaf block, so a million-item window never needs a million files to be anchored.

:func:`window_bundle` is the reference: the bundle as `anchor collect`'s assembler
makes it, one manifest item object per item. The writers here produce the same bytes
from :class:`~anchor.publish.spool.store.WindowRows` without an object per item (tests
hold them equal), and check the first and last item against the reference each time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anchor.errors import InputError
from anchor.publish.spool import machine
from anchor.publish.spool.store import (
    Attempt,
    Item,
    Spool,
    Store,
    Window,
    WindowRows,
    many_objects,
)

SIZE_UNKNOWN = "spool: added by digest; size not known"
ANCHOR_FORMAT = "evidence-anchor/anchor-v1"
TOPS_SUFFIX = ".tops"
_CHUNK = 4096
_MAX_SAFE_INTEGER = 2**53 - 1


class WindowNotSealed(InputError):
    """Only a sealed window with items has a bundle (exit 4)."""


def manifest_name(leaf: int, item: Item) -> str:
    """The item's name in the window's manifest."""
    return f"{leaf:010d}/{item.source}/{item.name}"


def _metadata(spool: Spool, window: Window) -> Any:
    from anchor.evidence.metadata import Metadata

    version = f"window {window.seq}" + (f" {window.label}" if window.label else "")
    return Metadata(name=f"spool {spool.name}", version=version)


def _check_sealed(window: Window) -> tuple[bytes, int]:
    if window.root is None or window.leaf_count is None:
        raise WindowNotSealed(f"window {window.seq} is {window.state}: it has no bundle")
    return bytes.fromhex(window.root), window.leaf_count


def _check_rows(window: Window, leaves: WindowRows) -> tuple[bytes, int]:
    root, count = _check_sealed(window)
    if len(leaves.digests) != count or leaves.root != root:
        raise InputError(f"window {window.seq}: stored items do not give the sealed root")
    return root, count


def _is_anchored(window: Window, attempt: Attempt | None) -> bool:
    return attempt is not None and window.state in (machine.ANCHORED, machine.FINAL)


# -- the reference ---------------------------------------------------------------------


def _reference_item(leaf: int, digest: bytes, source: str, name: str, size: int | None) -> bytes:
    from anchor.evidence.classify import classify
    from anchor.evidence.manifest import Item as ManifestItem

    full = f"{leaf:010d}/{source}/{name}"
    c = classify(full, None, size=size or 0)
    return ManifestItem(
        name=full,
        kind=c.kind,
        media_type=c.media_type,
        size=size or 0,
        sha256=digest,
        leaf_index=leaf,
        warnings=() if size is not None else (SIZE_UNKNOWN,),
    ).json_bytes


def _reference_text(leaf: int, digest: bytes, source: str, name: str, size: int | None) -> str:
    return _reference_item(leaf, digest, source, name, size).decode()


def window_bundle(spool: Spool, window: Window, items: list[Item]) -> Any:
    """The :class:`~anchor.evidence.collect.Bundle` of a sealed window (root checked).

    The reference construction (one manifest item object per item): the fast writers
    below must give the same bytes.
    """
    from anchor.evidence.classify import classify
    from anchor.evidence.collect import assemble
    from anchor.evidence.manifest import Item as ManifestItem

    _check_sealed(window)
    entries = []
    for leaf, item in enumerate(items):
        name = manifest_name(leaf, item)
        c = classify(name, None, size=item.size or 0)
        entries.append(
            ManifestItem(
                name=name,
                kind=c.kind,
                media_type=c.media_type,
                size=item.size or 0,
                sha256=item.digest,
                leaf_index=leaf,
                warnings=() if item.size is not None else (SIZE_UNKNOWN,),
            )
        )
    bundle = assemble(_metadata(spool, window), entries)
    if bundle.root.hex() != window.root or len(entries) != window.leaf_count:
        raise InputError(f"window {window.seq}: stored items do not give the sealed root")
    return bundle


# -- manifest.json and leaves.cbor from rows ---------------------------------------------


# Last suffixes (lower case) that some rule of :mod:`anchor.evidence.classify` reads past
# (a longer suffix such as ``.tar.gz`` or ``_checksums.txt``, an exact name such as
# ``bom.json``, a prefix such as ``junit*.xml``) or that may be inspected.
_READ_PAST = frozenset(
    {".json", ".jsonl", ".ndjson", ".xml", ".spdx", ".sigstore", ".intoto", ".dsse", ".txt",
     ".sha256", ".gz", ".xz", ".bz2", ".zst"}
)  # fmt: skip


class _KindCache:
    """``(kind, media type)``, both quoted, of an item name: :func:`classify` by name.

    Kind and media type depend on the base name only, so a result is kept for its base
    name; and, when the base name's last suffix (from its last dot) is ASCII and no rule
    reads past it (:data:`_READ_PAST`), for that suffix: every rule then looks at the
    suffix alone, and ``dist/file-0000123.bin`` shares the answer of every other ``.bin``.
    (ASCII, because lower-casing is character by character there.)
    """

    def __init__(self) -> None:
        self.by_suffix: dict[str, tuple[str, str]] = {}  # only shareable suffixes get in
        self._by_base: dict[str, tuple[str, str]] = {}

    def __call__(self, name: str) -> tuple[str, str]:
        base = name[name.rfind("/") + 1 :]
        suffix = base[base.rfind(".") :] if "." in base else ""
        shared = bool(suffix) and suffix.isascii() and suffix.lower() not in _READ_PAST
        known = self.by_suffix if shared else self._by_base
        key = suffix if shared else base
        found = known.get(key)
        if found is None:
            from anchor.evidence.classify import classify
            from anchor.merkle.jcs import quote

            c = classify(base, None, size=0)
            found = known[key] = quote(c.kind), quote(c.media_type)
        return found


def _item_encoder() -> Callable[[int, bytes, str, str, int | None], str]:
    """The canonical JSON of one window item (as text), from its stored values."""
    from anchor.merkle.jcs import quote

    kinds = _KindCache()
    by_suffix = kinds.by_suffix
    sources: dict[str, str] = {}
    warning = f',"warnings":[{quote(SIZE_UNKNOWN)}]'

    def encode(leaf: int, digest: bytes, source: str, name: str, size: int | None) -> str:
        src = sources.get(source)
        if src is None:
            src = sources[source] = quote(source)[1:-1]
        dot = name.rfind(".")
        found = by_suffix.get(name[dot:]) if dot > name.rfind("/") else None
        kind, media = found or kinds(name)
        if size is None:
            tail = f"0{warning}"
        elif type(size) is int and 0 <= size <= _MAX_SAFE_INTEGER:
            tail = str(size)
        else:  # the generic encoder decides (and refuses what JSON cannot carry)
            return _reference_item(leaf, digest, source, name, size).decode()
        # Printable ASCII needs escaping only for a quote or a backslash.
        if name.isascii() and name.isprintable() and '"' not in name and "\\" not in name:
            plain = name
        else:
            plain = quote(name)[1:-1]
        return (
            f'{{"digests":{{"sha2-256":"{digest.hex()}"}},"kind":{kind},"leaf_index":{leaf},'
            f'"media_type":{media},"name":"{leaf:010d}/{src}/{plain}",'
            f'"size":{tail}}}'
        )

    return encode


def manifest_parts(spool: Spool, window: Window, leaves: WindowRows) -> Iterator[bytes]:
    """``manifest.json`` in pieces whose concatenation is the reference manifest's bytes."""
    from anchor.evidence.manifest import manifest_frame

    root, count = _check_rows(window, leaves)
    head, tail = manifest_frame(_metadata(spool, window), root, count)
    digests, sources, names, sizes = leaves.digests, leaves.sources, leaves.names, leaves.sizes
    fast = _item_encoder()
    checks = [(i, digests[i], sources[i], names[i], sizes[i]) for i in {0, count - 1}]
    if all(fast(*args).encode() == _reference_item(*args) for args in checks):
        encode = fast
    else:  # the fast form drifted from the reference: never guess
        encode = _reference_text
    yield head
    for at in range(0, count, _CHUNK):
        end = min(at + _CHUNK, count)
        chunk = ",".join(list(map(encode, range(at, end), digests[at:end], sources[at:end],
                                  names[at:end], sizes[at:end]))).encode()  # fmt: skip
        yield b"," + chunk if at else chunk
    yield tail


def leaves_document(window: Window, leaves: WindowRows) -> bytes:
    """``leaves.cbor`` of the window (its leaves-list document)."""
    from anchor.merkle.leaves import encode_leaves_list

    root, _ = _check_rows(window, leaves)
    return encode_leaves_list(leaves.digests, root=root, leaf_alg="sha2-256")


# -- the work folder ------------------------------------------------------------------


@dataclass(frozen=True)
class WindowFiles:
    """The window's folder and the hashes of its ``manifest.json`` (the record's items[0])."""

    path: Path
    manifest_sha256: bytes
    manifest_blake2b_256: bytes


def tops_path(dest: Path) -> Path:
    """Where the block tops of the window whose bundle folder is ``dest`` are kept."""
    return dest.with_name(dest.name + TOPS_SUFFIX)


def _write_atomic(path: Path, data: bytes) -> None:
    from anchor.publish.state import write_atomic

    write_atomic(path, data)


def _same_file(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False


def _hash_file(path: Path) -> tuple[bytes, bytes] | None:
    try:
        with path.open("rb") as fh:
            sha, b2 = hashlib.sha256(), hashlib.blake2b(digest_size=32)
            while block := fh.read(1 << 20):
                sha.update(block)
                b2.update(block)
    except OSError:
        return None
    return sha.digest(), b2.digest()


def write_core(
    spool: Spool, window: Window, leaves: WindowRows, dest: Path, *, hashes: bool = True
) -> WindowFiles:
    """``manifest.json``, ``leaves.cbor`` and the block tops of the window, at ``dest``
    (see :func:`_write_core`)."""
    with many_objects():
        return _write_core(spool, window, leaves, dest, hashes=hashes)


def _write_core(
    spool: Spool, window: Window, leaves: WindowRows, dest: Path, *, hashes: bool
) -> WindowFiles:
    """``manifest.json``, ``leaves.cbor`` and the block tops of the window, at ``dest``.

    A folder that is missing is written beside and renamed into place. Files already
    there are kept when they are right; a missing one is written (atomically); a
    different ``manifest.json`` is refused (another store's window folder). Without
    ``hashes`` a new manifest is not hashed (the hashes are then empty).
    """
    from anchor.evidence.bundle import OutputConflictError, OutputWriteError
    from anchor.fsutil import create_folder_beside
    from anchor.publish.state import LEAVES, MANIFEST

    sha, b2 = hashlib.sha256(), hashlib.blake2b(digest_size=32)
    hashed = True
    manifest = dest / MANIFEST
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.exists():
            tmp = Path(create_folder_beside(dest.parent, f".{dest.name}.tmp-"))
            try:
                hashed = hashes
                _write_parts(
                    tmp / MANIFEST, manifest_parts(spool, window, leaves), *((sha, b2) * hashed)
                )
                (tmp / LEAVES).write_bytes(leaves_document(window, leaves))
                os.rename(tmp, dest)
            finally:
                if tmp.is_dir():
                    shutil.rmtree(tmp, ignore_errors=True)
        else:
            for part in manifest_parts(spool, window, leaves):
                sha.update(part)
                b2.update(part)
            found = _hash_file(manifest)
            if found is None:
                _write_atomic(manifest, b"".join(manifest_parts(spool, window, leaves)))
            elif found != (sha.digest(), b2.digest()):
                raise OutputConflictError(
                    f"{dest} already holds a different evidence bundle (not this store's "
                    f"window {window.seq}); move it away or give another --dir"
                )
            data = leaves_document(window, leaves)
            if not _same_file(dest / LEAVES, data):
                _write_atomic(dest / LEAVES, data)
        if not _same_file(tops_path(dest), leaves.tops):
            _write_atomic(tops_path(dest), leaves.tops)
    except OSError as exc:
        raise OutputWriteError(f"cannot write {dest}: {exc.strerror or exc}") from exc
    if not hashed:
        return WindowFiles(dest, b"", b"")
    return WindowFiles(dest, sha.digest(), b2.digest())


def _write_parts(path: Path, parts: Iterator[bytes], *hashers: Any) -> None:
    with path.open("wb") as fh:
        for part in parts:
            fh.write(part)
            for h in hashers:
                h.update(part)


def write_window(
    spool: Spool,
    window: Window,
    leaves: WindowRows,
    attempt: Attempt | None,
    dest: Path,
    *,
    hashes: bool = True,
) -> WindowFiles:
    """The window's work folder: :func:`write_core`, and once anchored the publish files
    (proof files already in the folder are completed with the anchor)."""
    files = write_core(spool, window, leaves, dest, hashes=hashes)
    if attempt is not None and _is_anchored(window, attempt):
        write_receipts(spool, window, attempt, dest)
    return files


def _read_tops(dest: Path, window: Window) -> bytes | None:
    from anchor.merkle.tree import HASH_SIZE, MerkleError
    from anchor.publish.spool.tree import BLOCK_BITS, root_from_tops

    root, count = _check_sealed(window)
    try:
        tops = tops_path(dest).read_bytes()
    except OSError:
        return None
    if len(tops) != HASH_SIZE * (((count - 1) >> BLOCK_BITS) + 1):
        return None
    try:
        return tops if root_from_tops(tops) == root else None
    except MerkleError:
        return None


def write_item_proof(
    store: Store,
    spool: Spool,
    window: Window,
    item: Item,
    leaf: int,
    attempt: Attempt,
    dest: Path,
) -> Path:
    """The anchored item's proof file in the window's work folder (written if missing or
    stale), the same bytes as in `spool export`; the publish files are brought up to
    date with it. One block of leaves is read, unless the stored tops must be rebuilt."""
    from anchor.evidence.proofnames import proof_path
    from anchor.merkle.prooffile import ProofFile
    from anchor.merkle.tree import MerkleError
    from anchor.publish.spool.tree import block_span, checked_proof
    from anchor.publish.state import LEAVES, MANIFEST

    root, count = _check_sealed(window)
    leaves: WindowRows | None = None
    tops = _read_tops(dest, window)
    if tops is None or not (dest / MANIFEST).is_file() or not (dest / LEAVES).is_file():
        leaves = store.window_rows(window.id)
        write_core(spool, window, leaves, dest)
        tops = leaves.tops
    first, span = block_span(leaf, count)
    try:
        block = store.block_digests(window.id, first, span)
        path = checked_proof(block, item.digest, leaf, count, tops, root)
    except MerkleError:
        if leaves is None:  # the stored tops may be another store's: rebuild them
            leaves = store.window_rows(window.id)
            write_core(spool, window, leaves, dest)
        block = leaves.digests[first : first + span]
        try:
            path = checked_proof(block, item.digest, leaf, count, leaves.tops, root)
        except MerkleError as exc:
            raise InputError(
                f"window {window.seq}: stored items do not give the sealed root"
            ) from exc
    name = manifest_name(leaf, item)
    proof = ProofFile(name, item.digest, leaf, count, tuple(path), root)
    data = _with_anchor(proof, spool, window, attempt).to_json_bytes()
    target = dest.joinpath(*proof_path(name).split("/"))
    if not _same_file(target, data):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot write {target}: {exc.strerror or exc}") from exc
        _write_atomic(target, data)
    _write_receipt_files(spool, window, attempt, dest)
    return target


# -- publish files ----------------------------------------------------------------------


def _anchor_fields(spool: Spool, window: Window, attempt: Attempt) -> dict[str, Any]:
    """The anchor reference every completed proof file carries."""
    assert window.block_height is not None and window.block_hash is not None
    return {
        "network": spool.network,
        "tx_hash": bytes.fromhex(attempt.tx_id),
        "block_height": window.block_height,
        "block_time": window.block_time or 0,
        "block_hash": bytes.fromhex(window.block_hash),
        "slot": window.block_slot,
    }


def _with_anchor(proof: Any, spool: Spool, window: Window, attempt: Attempt) -> Any:
    return proof.with_anchor(**_anchor_fields(spool, window, attempt))


def _receipt_files(spool: Spool, window: Window, attempt: Attempt) -> list[tuple[str, bytes]]:
    """``record.cbor``, ``tx.cbor``, ``chain-facts.json``, ``anchor.json`` (in that order)."""
    from anchor.chain.readers import BlockFacts
    from anchor.publish.confirm import Confirmation, ProviderFacts
    from anchor.publish.receipts import chain_facts_doc
    from anchor.publish.state import ANCHOR, CHAIN_FACTS, RECORD, TX, json_bytes

    assert window.block_height is not None and window.block_hash is not None
    block_time = window.block_time or 0
    depth = window.depth or 1
    tip = window.block_height + depth - 1
    facts = ProviderFacts(
        provider="blockfrost",
        fetched_at=window.anchored_at or "",
        block_height=window.block_height,
        block_hash=window.block_hash,
        slot=window.block_slot,
        block_time=block_time,
        tip_height=tip,
    )
    block = BlockFacts(window.block_height, window.block_hash, window.block_slot, block_time)
    confirmation = Confirmation(attempt.tx_id, block, depth, spool.confirmations, tip, (facts,))
    doc: dict[str, Any] = {
        "format": ANCHOR_FORMAT,
        "status": "confirmed",
        "network": spool.network,
        "tx_hash": attempt.tx_id,
        "ttl": attempt.ttl,
        "fee": attempt.fee,
        "tx_size": len(attempt.tx_bytes),
        "record_size": len(attempt.record),
        "merkle_root": window.root,
        "leaf_count": window.leaf_count,
        "address": attempt.address,
        "inputs": list(attempt.inputs),
        "confirmations_required": spool.confirmations,
        "confirmations": depth,
        "block_height": window.block_height,
        "block_hash": window.block_hash,
        "block_time": block_time,
        "slot": window.block_slot,
        "confirmed_at": window.anchored_at,
        "spool": spool.name,
        "window": window.seq,
        "attempt": attempt.n,
    }
    return [
        (RECORD, attempt.record),
        (TX, attempt.tx_bytes),
        (CHAIN_FACTS, json_bytes(chain_facts_doc(spool.network, confirmation))),
        (ANCHOR, json_bytes(doc)),
    ]


def _write_receipt_files(spool: Spool, window: Window, attempt: Attempt, dest: Path) -> None:
    for name, data in _receipt_files(spool, window, attempt):
        if not _same_file(dest / name, data):
            _write_atomic(dest / name, data)


def write_receipts(spool: Spool, window: Window, attempt: Attempt, dest: Path) -> None:
    """``record.cbor``, ``tx.cbor``, proofs, ``chain-facts.json`` then ``anchor.json``.

    Every proof file in ``dest`` is completed with the anchor (the ones that are not
    already); each publish file is written only when its bytes differ.
    """
    from anchor.publish.receipts import complete_proofs

    files = _receipt_files(spool, window, attempt)
    for name, data in files[:2]:
        if not _same_file(dest / name, data):
            _write_atomic(dest / name, data)
    root = bytes.fromhex(window.root or "")
    complete_proofs(dest, root=root, **_anchor_fields(spool, window, attempt))
    for name, data in files[2:]:
        if not _same_file(dest / name, data):
            _write_atomic(dest / name, data)


# -- `spool export` ---------------------------------------------------------------------


class _ExportBundle:
    """The whole window bundle for :func:`anchor.evidence.bundle.write_bundle`: manifest,
    leaves and every proof file, completed with the anchor when there is one."""

    def __init__(
        self, spool: Spool, window: Window, leaves: WindowRows, attempt: Attempt | None
    ) -> None:
        self.spool, self.window, self.leaves, self.attempt = spool, window, leaves, attempt
        self.manifest_bytes = b"".join(manifest_parts(spool, window, leaves))
        self.leaves_bytes = leaves_document(window, leaves)
        self.names = [
            f"{leaf:010d}/{source}/{name}"
            for leaf, (source, name) in enumerate(zip(leaves.sources, leaves.names, strict=True))
        ]

    def proof_paths(self) -> list[str]:
        from anchor.evidence.proofnames import proof_path

        return [proof_path(name) for name in self.names]

    def proof_files(self) -> Iterator[tuple[str, bytes]]:
        from anchor.merkle.prooffile import encode_tree_proofs
        from anchor.merkle.tree import MerkleTree

        tree = MerkleTree(self.leaves.digests)
        pending = encode_tree_proofs(list(zip(self.names, self.leaves.digests, strict=True)), tree)
        if _is_anchored(self.window, self.attempt):
            assert self.attempt is not None
            pending = _completed(pending, self.spool, self.window, self.attempt)
        return zip(self.proof_paths(), pending, strict=True)

    def files(self) -> Iterator[tuple[str, bytes]]:
        from anchor.publish.state import LEAVES, MANIFEST

        yield MANIFEST, self.manifest_bytes
        yield LEAVES, self.leaves_bytes
        yield from self.proof_files()


def _completed(
    pending: Iterator[bytes], spool: Spool, window: Window, attempt: Attempt
) -> Iterator[bytes]:
    """Pending proof files with the anchor set: ``{"anchor":…,`` then the rest of each.

    ``anchor`` sorts before every other key of a proof file, so its canonical form is the
    pending one with the anchor member put first. The first file is checked against
    :meth:`ProofFile.with_anchor`; on a difference every file takes that path.
    """
    from anchor.merkle.jcs import canonical_json
    from anchor.merkle.prooffile import AnchorInfo, ProofFile

    info = AnchorInfo(**_anchor_fields(spool, window, attempt))
    head = b'{"anchor":' + canonical_json(info.to_json()) + b","
    first = next(pending, None)
    if first is None:
        return

    def reference(data: bytes) -> bytes:
        proof = _with_anchor(ProofFile.from_json_bytes(data), spool, window, attempt)
        return bytes(proof.to_json_bytes())

    fast = first.startswith(b"{") and head + first[1:] == reference(first)
    yield head + first[1:] if fast else reference(first)
    for data in pending:
        yield head + data[1:] if fast else reference(data)


def export_window(
    spool: Spool,
    window: Window,
    leaves: WindowRows,
    attempt: Attempt | None,
    dest: Path,
    *,
    force: bool = False,
) -> Path:
    """Write the whole bundle of the window to ``dest`` (`spool export`)."""
    from anchor.evidence.bundle import UNCHANGED, write_bundle

    result = write_bundle(_ExportBundle(spool, window, leaves, attempt), str(dest), force=force)
    if attempt is not None and _is_anchored(window, attempt):
        if result.status == UNCHANGED:  # proof files written before the anchor was known
            write_receipts(spool, window, attempt, dest)
        else:
            _write_receipt_files(spool, window, attempt, dest)
    return dest
