"""One ``anchor verify`` run: turn the request (files, bundle, flags) into pipeline inputs.

:func:`run_verify` decides the mode, gathers the out-of-band evidence and calls the
pipeline; it prints nothing. Mode:

* **offline** (default when the transaction bytes are at hand: ``--tx F`` or the
  bundle's ``tx.cbor``) — block facts from ``--chain-facts F`` or the bundle's
  ``chain-facts.json``; the requested hash is ``--tx-hash``, else the receipt's;
* **online** (``--online``, or ``--tx-hash`` with no transaction bytes) — raw CBOR and
  block facts from the ordered provider chain, every call through one :class:`Egress`.

The confirmation threshold defaults to 15 blocks (1 on the local devnet, which has
no adversary and cuts blocks on demand). Inputs that cannot work (no transaction, no network, no chain facts offline, an
unreadable file) raise :class:`~anchor.errors.InputError` (exit 4).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from anchor.chain.readers import NETWORKS, ChainReader, HttpClient, normalize_tx_hash
from anchor.errors import InputError
from anchor.verify.bundle import (
    CHAIN_FACTS_CAP,
    BundleContent,
    LoadedBundle,
    load_bundle,
    read_json_file,
    read_tx_file,
)
from anchor.verify.chainfacts import chain_facts_tx_hash, parse_chain_facts
from anchor.verify.egress import Egress
from anchor.verify.files import ProofIndex, sha256_file
from anchor.verify.pipeline import (
    DEFAULT_MIN_CONFIRMATIONS,
    Evidence,
    VerifyConfig,
    verify_tx,
    verify_tx_bytes,
)
from anchor.verify.report import VerifyReport

if TYPE_CHECKING:
    from anchor.merkle.prooffile import ProofFile

PROVIDERS = ("blockfrost", "koios")
DEVNET_MIN_CONFIRMATIONS = 1
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class ProviderSpec:
    """One provider of the online chain: ``blockfrost`` or ``koios``, optional API root URL."""

    name: str
    url: str | None = None


@dataclass(frozen=True)
class VerifyRequest:
    """Everything ``anchor verify`` was asked to do (paths as given on the command line).

    ``proof`` is the ``--proof`` file already read and parsed (the command reads it once,
    so ``--proof -`` works): the one FILE's explicit inclusion proof.
    """

    files: tuple[str, ...] = ()
    bundle: str | None = None
    proof: ProofFile | None = None
    manifest_only: bool = False
    tx_file: str | None = None
    chain_facts_file: str | None = None
    tx_hash: str | None = None
    network: str | None = None
    online: bool = False
    providers: tuple[ProviderSpec, ...] = ()
    min_confirmations: int | None = None
    deny_hosts: tuple[str, ...] = ()
    supported_critical_extensions: frozenset[str] = frozenset()
    blockfrost_project_id: str | None = None
    http_client: HttpClient | None = field(default=None, compare=False)


def expand_files(args: Sequence[str]) -> list[tuple[str, Path]]:
    """Command-line file arguments as ``(display name, path)``: globs expanded, directories walked.

    InputError for an argument that names nothing, and for a directory or pattern that
    adds no file (else nothing would be checked for it).
    """
    out: list[tuple[str, Path]] = []
    for arg in args:
        before = len(out)
        if not os.path.exists(arg) and _GLOB_CHARS & set(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                raise InputError(f"{arg}: no file matches")
            out.extend((m, Path(m)) for m in matches if os.path.isfile(m))
        elif os.path.isdir(arg):
            for dirpath, dirs, names in os.walk(arg):
                dirs.sort()
                out.extend((os.path.join(dirpath, n), Path(dirpath) / n) for n in sorted(names))
        elif os.path.isfile(arg):
            out.append((arg, Path(arg)))
        elif os.path.lexists(arg):
            raise InputError(f"{arg}: not a regular file")
        else:
            raise InputError(f"{arg}: no such file")
        if len(out) == before:
            raise InputError(f"{arg}: no files to verify in it")
    return out


def _tx_hash(value: str, what: str) -> str:
    try:
        return normalize_tx_hash(value)
    except ValueError as exc:
        raise InputError(f"{what}: {exc}") from exc


def _network(request: VerifyRequest, bundle: LoadedBundle | None) -> str:
    network = request.network or (bundle.receipt_network() if bundle else None)
    if network is None:
        raise InputError("which network? pass --network mainnet|preprod|preview|devnet")
    if network not in NETWORKS:
        raise InputError(f"unknown network {network!r} (mainnet, preprod, preview, devnet)")
    return network


def _readers(request: VerifyRequest, network: str, egress: Egress) -> list[ChainReader]:
    from anchor.chain.readers import BlockfrostReader, KoiosReader

    specs = list(request.providers)
    if not specs:
        if network == "devnet":
            specs = [ProviderSpec("blockfrost")]
        else:
            specs = [ProviderSpec("blockfrost")] if request.blockfrost_project_id else []
            specs.append(ProviderSpec("koios"))
    readers: list[ChainReader] = []
    for spec in specs:
        if spec.name == "blockfrost":
            url = spec.url
            if url is None and network == "devnet":
                from anchor.chain.network import DEVNET_DEFAULT_URL

                url = DEVNET_DEFAULT_URL
            if url is None:
                if not request.blockfrost_project_id:
                    raise InputError(
                        "blockfrost needs BLOCKFROST_PROJECT_ID (or --provider-url for a "
                        "self-hosted endpoint)"
                    )
                readers.append(
                    BlockfrostReader.for_network(
                        network, client=egress, project_id=request.blockfrost_project_id
                    )
                )
            else:
                readers.append(
                    BlockfrostReader(url, client=egress, project_id=request.blockfrost_project_id)
                )
        elif spec.name == "koios":
            if spec.url is None and network == "devnet":
                raise InputError("koios has no devnet endpoint; pass --provider-url")
            readers.append(
                KoiosReader(spec.url, client=egress)
                if spec.url
                else KoiosReader.for_network(network, client=egress)
            )
        else:
            raise InputError(f"unknown provider {spec.name!r} (blockfrost, koios)")
    return readers


def _evidence(
    request: VerifyRequest, bundle: LoadedBundle | None, names: list[tuple[str, Path]]
) -> Evidence:
    if request.proof is not None and len(names) != 1:
        raise InputError("--proof applies to exactly one file")
    if request.manifest_only and names:
        raise InputError("--manifest-only checks the bundle alone; do not pass files")
    if request.manifest_only and bundle is None:
        raise InputError("--manifest-only needs --bundle")
    files = [(display, sha256_file(path)) for display, path in names]
    proofs = ProofIndex(explicit=request.proof)
    if bundle is None:
        return Evidence(files=files, proofs=proofs)
    proofs.proofs_dir = bundle.proofs_dir
    proofs.bundle_real = bundle.real_path
    proofs.manifest_names = bundle.manifest_names()
    return Evidence(
        item_bytes=BundleContent({0: bundle.manifest}) if bundle.manifest is not None else {},
        leaves_bytes=bundle.leaves if bundle.leaves is not None else {},
        files=files,
        proofs=proofs,
        expect_content=True,
    )


def run_verify(request: VerifyRequest) -> VerifyReport:
    """Run one verification as requested and return its report (see the module docstring)."""
    names = expand_files(request.files)  # before anything else, as `anchor verify` checks them
    bundle = load_bundle(request.bundle) if request.bundle is not None else None
    if not request.files and not request.manifest_only and bundle is not None:
        raise InputError("no files given (use --manifest-only to check just the bundle)")
    network = _network(request, bundle)
    threshold = request.min_confirmations
    if threshold is None:
        threshold = DEVNET_MIN_CONFIRMATIONS if network == "devnet" else DEFAULT_MIN_CONFIRMATIONS
    config = VerifyConfig(
        network=network,
        min_confirmations=threshold,
        supported_critical_extensions=request.supported_critical_extensions,
    )
    evidence = _evidence(request, bundle, names)
    tx_bytes = None
    source = "tx.cbor"
    if request.tx_file is not None:
        try:
            tx_bytes = read_tx_file(request.tx_file)
        except FileNotFoundError:
            raise InputError(f"{request.tx_file}: no such file") from None
        source = os.path.basename(request.tx_file)
    elif bundle is not None:
        tx_bytes = bundle.tx
    online = request.online or (tx_bytes is None and request.tx_hash is not None)
    if online:
        wanted = request.tx_hash or (bundle.receipt_tx_hash() if bundle else None)
        if wanted is None:
            raise InputError("online verification needs --tx-hash")
        tx_hash = _tx_hash(wanted, "--tx-hash")
        egress = Egress(inner=request.http_client, deny_hosts=request.deny_hosts)
        readers = _readers(request, network, egress)
        return verify_tx(
            tx_hash, readers, config=config, evidence=evidence, audit_trail=egress.audit_trail
        )
    if tx_bytes is None:
        raise InputError(
            "no transaction: the bundle has no tx.cbor; pass --tx F, or --tx-hash H for online"
        )
    facts_bytes = None
    if request.chain_facts_file is not None:
        try:
            facts_bytes = read_json_file(request.chain_facts_file, cap=CHAIN_FACTS_CAP)
        except FileNotFoundError:
            raise InputError(f"{request.chain_facts_file}: no such file") from None
    elif bundle is not None:
        facts_bytes = bundle.chain_facts
    if facts_bytes is None:
        raise InputError(
            "offline verification needs block facts: pass --chain-facts F (or verify online)"
        )
    observations = parse_chain_facts(facts_bytes, source=request.chain_facts_file or "chain-facts")
    requested = request.tx_hash or (bundle.receipt_tx_hash() if bundle else None)
    requested = requested or chain_facts_tx_hash(facts_bytes)
    if requested is None:
        raise InputError("which transaction? pass --tx-hash (no receipt names one)")
    return verify_tx_bytes(
        _tx_hash(requested, "transaction hash"),
        tx_bytes,
        observations,
        config=config,
        evidence=evidence,
        source=source,
    )
