"""The receipts of a confirmed anchor: proof files, ``chain-facts.json``, ``anchor.json``.

:func:`finalize` writes them in an order that keeps the bundle truthful after a
crash at any point: every ``proofs/**/*.proof.json`` is completed with the anchor
reference first (each file atomically), then ``chain-facts.json``, and only then is
``anchor.json`` marked ``confirmed``. A crash before the last step leaves the state
``submitted``; the rerun finds the transaction on chain and writes everything again
(idempotently: a proof file's anchor is replaced, not appended).

``chain-facts.json`` is informative (each consulted provider's view of the block and
tip, with the time it was asked); it is written with sorted keys and a fixed
provider order so two runs diff cleanly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from anchor.errors import InputError
from anchor.publish.confirm import Confirmation, utc_now
from anchor.publish.state import (
    ANCHOR,
    CHAIN_FACTS,
    PROOFS_DIR,
    STATUS_CONFIRMED,
    json_bytes,
    write_atomic,
    write_json,
)

CHAIN_FACTS_FORMAT = "evidence-anchor/chain-facts-v1"
PROOF_SUFFIX = ".proof.json"


class ProofMismatch(InputError):
    """A proof file in the bundle belongs to a different tree than the anchored root (exit 4)."""


def proof_files(bundle: Path) -> list[Path]:
    """Every proof file under ``proofs/``, in a stable (sorted) order."""
    folder = bundle / PROOFS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob(f"*{PROOF_SUFFIX}") if p.is_file())


def complete_proofs(
    bundle: Path,
    *,
    root: bytes,
    network: str,
    tx_hash: bytes,
    block_height: int | None,
    block_time: int | None,
    block_hash: bytes | None,
    slot: int | None,
) -> int:
    """Set the anchor reference in every proof file (atomically per file); return how many.

    Every file is parsed and checked against ``root`` before any is rewritten, so a
    foreign proof file stops the update with nothing changed.
    """
    from anchor.merkle.prooffile import ProofFile

    paths = proof_files(bundle)
    parsed = []
    for path in paths:
        try:
            proof = ProofFile.from_json_bytes(path.read_bytes())
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
        if proof.root != root:
            raise ProofMismatch(
                f"{path} proves inclusion under root {proof.root.hex()}, not the anchored "
                f"root {root.hex()}"
            )
        parsed.append((path, proof))
    for path, proof in parsed:
        done = proof.with_anchor(
            network=network,
            tx_hash=tx_hash,
            block_height=block_height,
            block_time=block_time,
            block_hash=block_hash,
            slot=slot,
        )
        data = done.to_json_bytes()
        if path.read_bytes() != data:
            write_atomic(path, data)
    return len(parsed)


def chain_facts_doc(network: str, confirmation: Confirmation) -> dict[str, Any]:
    """The ``chain-facts.json`` document for a confirmation."""
    providers = [p.to_json() for p in confirmation.providers]
    seen = {
        (p.block_height, p.block_hash)
        for p in confirmation.providers
        if p.error is None and p.block_hash is not None
    }
    return {
        "format": CHAIN_FACTS_FORMAT,
        "network": network,
        "tx_hash": confirmation.tx_hash,
        "providers": providers,
        "providers_agree": len(seen) <= 1,
    }


def finalize(bundle: Path, doc: dict[str, Any], confirmation: Confirmation, *, network: str) -> int:
    """Complete proofs, write chain facts, then mark ``doc`` confirmed and write ``anchor.json``.

    ``doc`` is updated in place with the block facts; returns the number of proof files.
    """
    block = confirmation.block
    try:
        root = bytes.fromhex(str(doc["merkle_root"]))
    except (KeyError, ValueError) as exc:
        raise InputError(f"{bundle / ANCHOR} lacks a valid merkle_root") from exc
    count = complete_proofs(
        bundle,
        root=root,
        network=network,
        tx_hash=bytes.fromhex(confirmation.tx_hash),
        block_height=block.height,
        block_time=block.block_time,
        block_hash=bytes.fromhex(block.hash),
        slot=block.slot,
    )
    write_atomic(bundle / CHAIN_FACTS, json_bytes(chain_facts_doc(network, confirmation)))
    doc.update(
        status=STATUS_CONFIRMED,
        block_height=block.height,
        block_hash=block.hash,
        block_time=block.block_time,
        slot=block.slot,
        confirmations=confirmation.depth,
        tip_height=confirmation.tip_height,
        proofs_completed=count,
        confirmed_at=utc_now(),
    )
    write_json(bundle / ANCHOR, doc)
    return count
