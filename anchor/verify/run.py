"""One ``anchor verify`` run: turn the request (files, bundle, flags) into pipeline inputs.

:func:`run_verify` decides the mode, gathers the out-of-band evidence and calls the
pipeline; it prints nothing. Mode:

* **offline** (default when the transaction bytes are at hand: ``--tx F`` or the
  bundle's ``tx.cbor``) — block facts from ``--chain-facts F`` or the bundle's
  ``chain-facts.json``; the requested hash is ``--tx-hash``, else the receipt's;
* **online** (``--online``, or ``--tx-hash`` with no transaction bytes) — raw CBOR and
  block facts from the ordered provider chain, every call through one :class:`Egress`.

The confirmation threshold defaults to 15 blocks (1 on the local devnet, which has
no adversary and cuts blocks on demand) — but the devnet defaults (threshold 1, the
provider at 127.0.0.1:8090) apply only when the auditor said ``--network devnet``:
a receipt claiming devnet is untrusted, so the run keeps 15 and says so. A
``--network`` that contradicts the bundle's receipt is refused. Every request has a
total deadline (``timeout``, default 20 s) and the run one more (``run_timeout``,
default 120 s). Inputs that cannot work (no transaction, no network, no chain facts
offline, an unreadable file) raise :class:`~anchor.errors.InputError` (exit 4).
"""

from __future__ import annotations

import glob
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from anchor.chain.readers import (
    DEFAULT_REQUEST_TIMEOUT,
    NETWORKS,
    ChainReader,
    HttpClient,
    normalize_tx_hash,
)
from anchor.errors import InputError
from anchor.verify.bundle import (
    CHAIN_FACTS_CAP,
    BundleContent,
    LoadedBundle,
    load_bundle,
    read_json_file,
    read_tx_file,
)
from anchor.verify.chainfacts import (
    Observation,
    chain_facts_tx_hash,
    parse_chain_facts,
    proof_anchor_observation,
    receipt_observation,
)
from anchor.verify.egress import Egress
from anchor.verify.files import ProofIndex, read_proof, sha256_file
from anchor.verify.pipeline import (
    DEFAULT_MIN_CONFIRMATIONS,
    Evidence,
    VerifyConfig,
    verify_tx,
    verify_tx_bytes,
)
from anchor.verify.report import VerifyReport
from anchor.verify.trust import ManifestItem

if TYPE_CHECKING:
    from anchor.merkle.prooffile import AnchorInfo, ProofFile

PROVIDERS = ("blockfrost", "koios")
DEVNET_MIN_CONFIRMATIONS = 1
DEFAULT_RUN_TIMEOUT = 120.0
_GLOB_CHARS = frozenset("*?[")
RECEIPT_DEVNET_NOTE = (
    "network devnet is what the bundle's receipt says (untrusted): the devnet defaults "
    "(threshold 1, the provider at 127.0.0.1:8090) were not applied; pass --network devnet "
    "if you made this bundle on your own devnet"
)


@dataclass(frozen=True)
class ProviderSpec:
    """One provider of the online chain: ``blockfrost`` or ``koios``, optional API root URL."""

    name: str
    url: str | None = None


@dataclass(frozen=True)
class VerifyRequest:
    """Everything ``anchor verify`` was asked to do (paths as given on the command line).

    ``proof`` is the ``--proof`` file already read and parsed (the command reads it once,
    so ``--proof -`` works): the one FILE's explicit inclusion proof. ``digests`` are
    SHA-256 values checked like files (``--sha256``); ``signer_pins`` lower-case hex
    Ed25519 keys (``--signer``); ``trust_providers`` the endpoints that settle a
    disagreement (``--trust-provider``); ``timeout`` and ``run_timeout`` seconds.
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
    digests: tuple[bytes, ...] = ()
    signer_pins: tuple[str, ...] = ()
    trust_providers: tuple[str, ...] = ()
    timeout: float = DEFAULT_REQUEST_TIMEOUT
    run_timeout: float = DEFAULT_RUN_TIMEOUT
    trust_root: str | None = None
    require_provenance: bool = False
    attestation_audience: str | None = None


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
    stated = bundle.receipt_network() if bundle else None
    if request.network and stated and stated in NETWORKS and stated != request.network:
        raise InputError(
            f"--network {request.network} contradicts the bundle's receipt (anchor.json says "
            f"{stated})",
            hint=f"pass --network {stated}, or the bundle of the {request.network} anchor",
        )
    network = request.network or stated
    if network is None:
        raise InputError("which network? pass --network mainnet|preprod|preview|devnet")
    if network not in NETWORKS:
        raise InputError(f"unknown network {network!r} (mainnet, preprod, preview, devnet)")
    return network


def _devnet_trusted(request: VerifyRequest, network: str) -> bool:
    """Devnet defaults apply only when the auditor, not an untrusted receipt, said devnet."""
    return network == "devnet" and request.network == "devnet"


def _readers(request: VerifyRequest, network: str, egress: Egress) -> list[ChainReader]:
    from anchor.chain.readers import BlockfrostReader, KoiosReader

    specs = list(request.providers)
    if not specs:
        if network == "devnet" and not _devnet_trusted(request, network):
            raise InputError(
                "the bundle's receipt says devnet (untrusted): pass --network devnet and "
                "--provider-url URL to check it against a devnet you run"
            )
        if network == "devnet":
            specs = [ProviderSpec("blockfrost")]
        else:
            specs = [ProviderSpec("blockfrost")] if request.blockfrost_project_id else []
            specs.append(ProviderSpec("koios"))
    readers: list[ChainReader] = []
    for spec in specs:
        if spec.name == "blockfrost":
            url = spec.url
            if url is None and _devnet_trusted(request, network):
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
    if request.proof is not None and len(names) + len(request.digests) != 1:
        raise InputError("--proof applies to exactly one file (or one --sha256)")
    if request.manifest_only and (names or request.digests):
        raise InputError("--manifest-only checks the bundle alone; do not pass files")
    if request.manifest_only and bundle is None:
        raise InputError("--manifest-only needs --bundle")
    files = [(display, sha256_file(path)) for display, path in names]
    files += [(f"sha256:{d.hex()}", d) for d in request.digests]
    proofs = ProofIndex(explicit=request.proof)
    anchors: list[tuple[str, AnchorInfo]] = []
    if request.proof is not None and request.proof.anchor is not None:
        anchors.append(("--proof", request.proof.anchor))
    if bundle is None:
        observations, references = _anchor_facts(anchors)
        return Evidence(
            files=files, proofs=proofs, bundle_observations=observations, references=references
        )
    proofs.proofs_dir = bundle.proofs_dir
    proofs.bundle_real = bundle.real_path
    proofs.manifest_names = bundle.manifest_names()
    if request.proof is None:
        anchors += _bundle_proof_anchors(proofs, [d for _n, d in files])
    observations, references = _anchor_facts(anchors)
    if bundle.receipt is not None:
        receipt_obs = receipt_observation(bundle.receipt, source="anchor.json")
        observations = [*([receipt_obs] if receipt_obs else []), *observations]
        named = bundle.receipt_tx_hash()
        if named is not None:
            references = [("anchor.json", named), *references]
    content = BundleContent({0: bundle.manifest}) if bundle.manifest is not None else None
    if content is not None:
        content.proofs_dir = bundle.proofs_dir
    return Evidence(
        item_bytes=content if content is not None else {},
        leaves_bytes=bundle.leaves if bundle.leaves is not None else {},
        files=files,
        proofs=proofs,
        expect_content=True,
        bundle_observations=observations,
        references=references,
        manifest_items=_manifest_items(bundle.manifest),
    )


def _proof_label(proofs: ProofIndex, path: Path) -> str:
    """``proofs/<name>.proof.json`` as the file lies in the bundle (its folders kept)."""
    if proofs.proofs_dir is not None and path.is_relative_to(proofs.proofs_dir):
        return f"proofs/{path.relative_to(proofs.proofs_dir).as_posix()}"
    return f"proofs/{path.name}"


def _bundle_proof_anchors(proofs: ProofIndex, digests: list[bytes]) -> list[tuple[str, AnchorInfo]]:
    """The ``anchor`` objects of the bundle proofs that the checked digests use."""
    from anchor.merkle.prooffile import ProofFile, ProofFileError

    out: list[tuple[str, AnchorInfo]] = []
    seen: set[Path] = set()
    for digest in digests:
        for path in proofs.paths_for_digest(digest):
            if path in seen:
                continue
            seen.add(path)
            try:
                proof = ProofFile.from_json_bytes(read_proof(path))
            except (OSError, InputError, ProofFileError):
                continue  # the file check reports an unreadable proof
            if proof.anchor is not None:
                out.append((_proof_label(proofs, path), proof.anchor))
    return out


def _anchor_facts(
    anchors: list[tuple[str, AnchorInfo]],
) -> tuple[list[Observation], list[tuple[str, str]]]:
    observations: list[Observation] = []
    references: list[tuple[str, str]] = []
    for source, anchor in anchors:
        references.append((source, anchor.tx_hash.hex()))
        obs = proof_anchor_observation(
            source=source,
            block_height=anchor.block_height,
            block_time=anchor.block_time,
            block_hash=anchor.block_hash,
            slot=anchor.slot,
        )
        if obs is not None:
            observations.append(obs)
    return observations, references


def _manifest_items(manifest: bytes | None) -> dict[int, ManifestItem]:
    """``leaf index -> item`` from the manifest (only used once it matched items[0])."""
    if manifest is None:
        return {}
    try:
        doc: Any = json.loads(manifest)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    items = doc.get("items") if isinstance(doc, dict) else None
    out: dict[int, ManifestItem] = {}
    for position, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        index = item.get("leaf_index", position)
        digests = item.get("digests")
        sha = digests.get("sha2-256") if isinstance(digests, dict) else None
        kind = item.get("kind")
        if type(index) is int:
            out[index] = ManifestItem(
                item["name"],
                kind if isinstance(kind, str) else None,
                sha.lower() if isinstance(sha, str) else None,
            )
    return out


def run_verify(request: VerifyRequest) -> VerifyReport:
    """Run one verification as requested and return its report (see the module docstring);
    with ``trust_root``, the anchored attestation bundles are checked too
    (:mod:`anchor.verify.provenance`)."""
    if request.require_provenance and request.trust_root is None:
        raise InputError("--require-provenance needs --trust-root")
    report = _run_verify(request)
    if request.trust_root is None:
        return report
    from anchor.attest.sources import root_source
    from anchor.verify.provenance import add_provenance

    root = root_source(request.trust_root, Egress(deny_hosts=request.deny_hosts))
    return add_provenance(
        report,
        expand_files(request.files),
        root,
        require=request.require_provenance,
        audience=request.attestation_audience,
    )


def _run_verify(request: VerifyRequest) -> VerifyReport:
    names = expand_files(request.files)  # before anything else, as `anchor verify` checks them
    bundle = load_bundle(request.bundle) if request.bundle is not None else None
    if not (request.files or request.digests or request.manifest_only) and bundle is not None:
        raise InputError("no files given (use --manifest-only to check just the bundle)")
    network = _network(request, bundle)
    threshold = request.min_confirmations
    if threshold is None:
        threshold = (
            DEVNET_MIN_CONFIRMATIONS
            if _devnet_trusted(request, network)
            else DEFAULT_MIN_CONFIRMATIONS
        )
    config = VerifyConfig(
        network=network,
        min_confirmations=threshold,
        supported_critical_extensions=request.supported_critical_extensions,
        trust=request.trust_providers,
        signer_pins=request.signer_pins,
    )
    evidence = _evidence(request, bundle, names)
    if network == "devnet" and not _devnet_trusted(request, network):
        evidence.notes = (RECEIPT_DEVNET_NOTE,)
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
        inner = request.http_client
        if inner is None:
            from anchor.chain.readers import HttpxClient

            deadline = time.monotonic() + request.run_timeout
            inner = HttpxClient(timeout=request.timeout, deadline=deadline)
        egress = Egress(inner=inner, deny_hosts=request.deny_hosts)
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
    facts_name = request.chain_facts_file or "chain-facts.json"
    observations = parse_chain_facts(facts_bytes, source=facts_name)
    named = chain_facts_tx_hash(facts_bytes)
    requested = request.tx_hash or (bundle.receipt_tx_hash() if bundle else None)
    requested = requested or named
    if requested is None:
        raise InputError("which transaction? pass --tx-hash (no receipt names one)")
    if named is not None:
        evidence.references = [(facts_name, named), *evidence.references]
    return verify_tx_bytes(
        _tx_hash(requested, "transaction hash"),
        tx_bytes,
        observations,
        config=config,
        evidence=evidence,
        source=source,
    )
