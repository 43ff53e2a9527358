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
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from anchor.errors import InputError
from anchor.publish.spool import machine
from anchor.publish.spool.store import Attempt, Item, Spool, Window

SIZE_UNKNOWN = "spool: added by digest; size not known"
ANCHOR_FORMAT = "evidence-anchor/anchor-v1"


class WindowNotSealed(InputError):
    """Only a sealed window with items has a bundle (exit 4)."""


def manifest_name(leaf: int, item: Item) -> str:
    """The item's name in the window's manifest."""
    return f"{leaf:010d}/{item.source}/{item.name}"


def window_bundle(spool: Spool, window: Window, items: list[Item]) -> Any:
    """The :class:`~anchor.evidence.collect.Bundle` of a sealed window (root checked)."""
    from anchor.evidence.classify import classify
    from anchor.evidence.collect import assemble
    from anchor.evidence.manifest import Item as ManifestItem
    from anchor.evidence.metadata import Metadata

    if window.root is None or window.leaf_count is None:
        raise WindowNotSealed(f"window {window.seq} is {window.state}: it has no bundle")
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
    version = f"window {window.seq}" + (f" {window.label}" if window.label else "")
    bundle = assemble(Metadata(name=f"spool {spool.name}", version=version), entries)
    if bundle.root.hex() != window.root or len(entries) != window.leaf_count:
        raise InputError(f"window {window.seq}: stored items do not give the sealed root")
    return bundle


def write_window(
    spool: Spool,
    window: Window,
    items: list[Item],
    attempt: Attempt | None,
    dest: Path,
    *,
    force: bool = False,
) -> Path:
    """Write the window's bundle to ``dest`` (and its publish files once anchored)."""
    from anchor.evidence.bundle import write_bundle

    write_bundle(window_bundle(spool, window, items), str(dest), force=force)
    if attempt is not None and window.state in (machine.ANCHORED, machine.FINAL):
        write_receipts(spool, window, attempt, dest)
    return dest


def write_receipts(spool: Spool, window: Window, attempt: Attempt, dest: Path) -> None:
    """``record.cbor``, ``tx.cbor``, proofs, ``chain-facts.json`` then ``anchor.json``."""
    from anchor.chain.readers import BlockFacts
    from anchor.publish.confirm import Confirmation, ProviderFacts
    from anchor.publish.receipts import chain_facts_doc, complete_proofs
    from anchor.publish.state import ANCHOR, CHAIN_FACTS, RECORD, TX, json_bytes, write_atomic

    assert window.block_height is not None and window.block_hash is not None
    block_time = window.block_time or 0
    depth = window.depth or 1
    tip = window.block_height + depth - 1
    write_atomic(dest / RECORD, attempt.record)
    write_atomic(dest / TX, attempt.tx_bytes)
    complete_proofs(
        dest,
        root=bytes.fromhex(window.root or ""),
        network=spool.network,
        tx_hash=bytes.fromhex(attempt.tx_id),
        block_height=window.block_height,
        block_time=block_time,
        block_hash=bytes.fromhex(window.block_hash),
        slot=window.block_slot,
    )
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
    write_atomic(dest / CHAIN_FACTS, json_bytes(chain_facts_doc(spool.network, confirmation)))
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
    write_atomic(dest / ANCHOR, json_bytes(doc))
