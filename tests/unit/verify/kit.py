"""Test kit for the verifier: transactions, chain facts and published bundles built by the test.

Transactions follow the standard's ``cardano/tx-binding`` vectors: a synthetic body
``{0: inputs, 1: outputs, 2: fee, 7: auxiliary_data_hash}`` and auxiliary data carrying
``{309: chunk array}`` (tag-259 form by default). Everything is deterministic (fixed
seeds, fixed block facts), so a test can rebuild the same bytes and assert exact codes.

:func:`publish_bundle` stands in for ``anchor publish``: it collects files with the
evidence layer, builds and signs the record (``items[0]`` = the manifest's hashes,
``merkle[0]`` = the tree), wraps it in a transaction and writes ``record.cbor``,
``tx.cbor``, ``anchor.json`` and ``chain-facts.json`` into the bundle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anchor.label309 import cbor
from anchor.label309.carriage import chunk_body
from anchor.label309.cbor import CborMap
from anchor.label309.hashes import blake2b_256, sha256

IDENTITY_SEED = bytes(range(32))
BLOCK_HEIGHT = 1000
BLOCK_TIME = 1_767_225_600  # 2026-01-01T00:00:00Z
BLOCK_SLOT = 111_542_400
BLOCK_HASH = "ab" * 32


def aux_data(record_body: bytes, *, form: str = "tag259") -> bytes:
    """Auxiliary data carrying ``record_body`` under label 309, in one of the three forms."""
    metadata = CborMap([(309, chunk_body(record_body))])
    if form == "tag259":
        return b"\xd9\x01\x03" + cbor.encode(CborMap([(0, metadata)]))
    if form == "map":
        return cbor.encode(metadata)
    if form == "array":
        return b"\x82" + cbor.encode(metadata) + b"\x80"
    raise ValueError(form)


def make_tx_from_aux(aux: bytes | None, *, fee: int = 171_000) -> tuple[str, bytes]:
    """A signed-transaction array ``[body, {}, true, aux]``; returns (tx hash hex, tx bytes)."""
    pairs: list[tuple[int, Any]] = [
        (0, [[bytes(32), 0]]),
        (1, []),
        (2, fee),
    ]
    if aux is not None:
        pairs.append((7, blake2b_256(aux)))
    body = cbor.encode(CborMap(pairs))
    tx = b"\x84" + body + b"\xa0" + b"\xf5" + (aux if aux is not None else b"\xf6")
    return blake2b_256(body).hex(), tx


def make_tx(record_body: bytes, *, form: str = "tag259", fee: int = 171_000) -> tuple[str, bytes]:
    """A transaction carrying ``record_body``; returns (tx hash hex, tx bytes)."""
    return make_tx_from_aux(aux_data(record_body, form=form), fee=fee)


def observation(
    provider: str = "blockfrost",
    *,
    height: int = BLOCK_HEIGHT,
    tip: int = BLOCK_HEIGHT + 99,
    block_time: int = BLOCK_TIME,
    slot: int = BLOCK_SLOT,
    block_hash: str = BLOCK_HASH,
) -> dict[str, Any]:
    """One provider's block facts as chain-facts.json stores them."""
    return {
        "provider": provider,
        "block_height": height,
        "block_hash": block_hash,
        "block_slot": slot,
        "block_time": block_time,
        "tip_height": tip,
    }


def chain_facts(tx_hash: str, *observations: dict[str, Any], network: str = "preprod") -> bytes:
    """A chain-facts.json document (default: one provider, depth 100)."""
    obs = list(observations) or [observation()]
    doc = {"network": network, "tx_hash": tx_hash, "observations": obs}
    return json.dumps(doc, indent=1).encode()


def sign_body(body: bytes, seed: bytes = IDENTITY_SEED) -> bytes:
    """``body`` with one path-1 signature by the Ed25519 key of ``seed``."""
    from anchor.label309.cose import sign_record_entry
    from anchor.label309.record import with_sigs

    return with_sigs(body, [sign_record_entry(body, seed)])


def release_record(manifest: bytes, root: bytes, leaf_count: int, *, sign: bool = True) -> bytes:
    """The record our publisher makes for a bundle: items[0] = manifest, merkle[0] = tree."""
    from anchor.label309.record import Item, MerkleCommit, build_record_body

    item = Item(
        hashes=CborMap([("sha2-256", sha256(manifest)), ("blake2b-256", blake2b_256(manifest))])
    )
    body = build_record_body(
        items=[item], merkle=[MerkleCommit("rfc9162-sha256", root, leaf_count)]
    )
    return sign_body(body) if sign else body


@dataclass(frozen=True)
class Published:
    """A published bundle: where it is, the source files, the transaction and the record."""

    bundle: Path
    source: Path
    names: tuple[str, ...]
    tx_hash: str
    tx: bytes
    record: bytes
    root: bytes

    def file(self, name: str) -> Path:
        """The source path of an anchored item."""
        return self.source / name


def write_files(directory: Path, files: dict[str, bytes]) -> None:
    """Create ``files`` (relative names may contain '/') under ``directory``."""
    for name, data in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def publish_bundle(
    tmp: Path,
    files: dict[str, bytes],
    *,
    network: str = "preprod",
    depth: int = 100,
    name: str = "evidence",
) -> Published:
    """Collect ``files``, publish the record in a transaction, write the bundle (see module doc)."""
    from anchor.evidence.bundle import write_bundle
    from anchor.evidence.collect import build_bundle, plan
    from anchor.evidence.metadata import Metadata

    source = tmp / f"{name}-src"
    write_files(source, files)
    the_plan = plan([str(source)], root=str(source))
    built = build_bundle(the_plan, metadata=Metadata(name="demo", version="1.0.0"), workers=1)
    out = tmp / name
    write_bundle(built, str(out))
    record = release_record(built.manifest_bytes, built.root, len(built.manifest.items))
    tx_hash, tx = make_tx(record)
    (out / "record.cbor").write_bytes(record)
    (out / "tx.cbor").write_bytes(tx)
    (out / "anchor.json").write_text(json.dumps({"network": network, "tx_hash": tx_hash}))
    facts = observation(tip=BLOCK_HEIGHT + depth - 1)
    (out / "chain-facts.json").write_bytes(chain_facts(tx_hash, facts, network=network))
    names = tuple(item.name for item in built.manifest.items)
    return Published(out, source, names, tx_hash, tx, record, built.root)


SAMPLE_FILES = {
    "dist/app-1.0.0.tar.gz": b"\x1f\x8b" + bytes(range(256)) * 8,
    "dist/app-1.0.0-py3-none-any.whl": b"PK\x03\x04" + b"wheel" * 300,
    "sbom/app.cdx.json": b'{"bomFormat":"CycloneDX","specVersion":"1.5","components":[]}',
    "logs/build.log": b"step 1 ok\nstep 2 ok\n",
    "README.txt": b"release notes\n",
}
