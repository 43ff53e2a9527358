"""`anchor verify`: check files against an anchored release, offline or online.

    anchor verify FILE... --bundle DIR            offline (the bundle has tx.cbor)
    anchor verify --bundle DIR --manifest-only    just the bundle against the chain
    anchor verify FILE --proof F --tx T --chain-facts C --network N
    anchor verify FILE... --bundle DIR --online [--tx-hash H] [--provider koios ...]

Before anything is hashed or fetched, the command rejects input that cannot work (exit
4, one line): nothing to check against, a folder that is not a bundle or not yet
published, a directory or pattern with no files, a ``--network`` that contradicts the
bundle's own facts, offline-only flags mixed with online ones, a ``--report`` path that
cannot be written. ``--provider``/``--provider-url`` imply ``--online``; a published proof
file given alone (``FILE --proof P``) supplies the transaction hash and network it names.

The summary goes to stderr; ``--json`` prints the report (the standard's verify-report
plus ``files[]`` and ``signatures[]``) to stdout. The exit code is the verdict's: 0
valid, 1 failed, 2 unverifiable, 3 pending; 4 for bad input. Everything heavy is
imported inside the command, and nothing on this path imports pycardano.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer

from anchor.cli._common import (
    check_output_path,
    emit_json,
    note,
    read_input_bytes,
    write_file_atomic,
)
from anchor.errors import InputError
from anchor.verify.bundle import LEAVES_FILE, MANIFEST_FILE, PROOFS_DIR, RECEIPT_FILE, TX_FILE

if TYPE_CHECKING:
    from anchor.merkle.prooffile import ProofFile
    from anchor.verify.report import VerifyReport
    from anchor.verify.run import VerifyRequest

NETWORK_CHOICES = ("mainnet", "preprod", "preview", "devnet")
_HEX = frozenset("0123456789abcdef")
_KEY_FILE_LIMIT = 64 * 1024


def _is_hex(text: str, length: int) -> bool:
    return len(text) == length and set(text) <= _HEX


def _signer_key(value: str) -> str:
    """``--signer``: a 64-hex Ed25519 public key, or a file written by `anchor keys show`.

    The file may be the text output (a line ``identity public key: HEX``), the ``--json``
    output (``identity_public_key``) or a bare key. Its content is never echoed.
    """
    text = value.strip().lower()
    if _is_hex(text, 64):
        return text
    path = Path(value)
    if not path.is_file():
        raise InputError(
            f"--signer {value}: neither a 64-hex Ed25519 public key nor a readable file",
            hint="pass the key `anchor keys show` prints, or a file holding that output",
        )
    try:
        with path.open("rb") as fh:
            data = fh.read(_KEY_FILE_LIMIT + 1)
    except OSError as exc:
        raise InputError(f"--signer {value}: cannot read ({exc.strerror})") from exc
    content = data[:_KEY_FILE_LIMIT].decode("utf-8", "replace")
    found: str | None = None
    try:
        doc = json.loads(content)
    except (ValueError, RecursionError):
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("identity_public_key"), str):
        found = doc["identity_public_key"].strip().lower()
    else:
        for line in content.splitlines():
            head, sep, tail = line.partition(":")
            if sep and head.strip().lower() == "identity public key":
                found = tail.strip().lower()
                break
        else:
            found = content.strip().lower()
    if found is None or not _is_hex(found, 64):
        raise InputError(
            f"--signer {value}: no identity public key in it",
            hint="write it with `anchor keys show KEYS --network NET > FILE`",
        )
    return found


def _digests(values: list[str]) -> tuple[bytes, ...]:
    """``--sha256`` values (``-`` reads one digest a line from stdin), as bytes."""
    out: list[bytes] = []
    for value in values:
        lines = sys.stdin.read().splitlines() if value == "-" else [value]
        for line in lines:
            text = line.strip().lower()
            if not text:
                continue
            if not _is_hex(text, 64):
                shown = text if len(text) <= 80 else text[:77] + "..."
                raise InputError(f"--sha256 {shown!r}: not a 64-hex SHA-256 digest")
            out.append(bytes.fromhex(text))
    if values and not out:
        raise InputError("--sha256 -: no digest on stdin")
    return tuple(out)


def _providers(values: list[str], urls: list[str]) -> tuple[tuple[str, str | None], ...]:
    """``--provider NAME[=URL]`` entries, with ``--provider-url`` paired by position."""
    specs: list[tuple[str, str | None]] = []
    for value in values:
        name, _, url = value.partition("=")
        specs.append((name.strip().lower(), url.strip() or None))
    if len(urls) > max(len(specs), 1):
        raise InputError("more --provider-url values than --provider entries")
    if urls and not specs:
        specs = [("blockfrost", None)]
    for i, url in enumerate(urls):
        if specs[i][1] is not None:
            raise InputError(f"provider {specs[i][0]} has two URLs")
        specs[i] = (specs[i][0], url)
    for spec_name, spec_url in specs:
        if spec_url is not None and not spec_url.lower().startswith(("http://", "https://")):
            raise InputError(
                f"provider {spec_name}: the URL must start with http:// or https://",
                hint="the full API root, e.g. http://127.0.0.1:8090/api/v0",
            )
    return tuple(specs)


def _json_field(path: Path, key: str) -> str | None:
    """A top-level text member of a JSON file, read tolerantly (None when absent or unusable;
    a FIFO, device or oversized file is left for the verifier's reader to refuse)."""
    from anchor.errors import AnchorError
    from anchor.safeio import load_json, read_regular
    from anchor.verify.bundle import CHAIN_FACTS_CAP

    try:
        doc = load_json(read_regular(path, cap=CHAIN_FACTS_CAP, follow=True), what=str(path))
    except (OSError, AnchorError):
        return None
    value = doc.get(key) if isinstance(doc, dict) else None
    return value.lower().removeprefix("cardano:") if isinstance(value, str) and value else None


BUNDLE_FILES = (MANIFEST_FILE, LEAVES_FILE, PROOFS_DIR, TX_FILE, RECEIPT_FILE)


def _check_bundle(bundle: str, *, has_tx: bool, has_tx_hash: bool) -> None:
    """A ``--bundle`` folder must hold bundle files, and a transaction unless one is given.

    A partial bundle is fine (an auditor may keep only ``leaves.cbor`` or ``proofs/`` and
    the transaction hash); a folder with none of the files is a wrong path.
    """
    root = Path(bundle)
    if not root.is_dir():
        return  # the verifier names it ("not a bundle directory")
    present = {name for name in BUNDLE_FILES if (root / name).exists()}
    if not present:
        raise InputError(
            f"{bundle} is not an evidence bundle (none of {', '.join(BUNDLE_FILES)})",
            hint="make one with `anchor collect`",
        )
    if not has_tx and not has_tx_hash and not present & {TX_FILE, RECEIPT_FILE}:
        raise InputError(
            f"{bundle} has not been published (no anchor.json or tx.cbor)",
            hint=f"run `anchor publish {bundle}`, or pass --tx-hash HASH --network NET "
            "to check it against a transaction online",
        )


def _read_proof(proof: str) -> ProofFile:
    """The ``--proof`` file (``-`` is stdin), read and parsed once for the whole run.

    Parsed here so that an unreadable or malformed proof is reported with its name (exit 4).
    """
    from anchor.errors import AnchorError
    from anchor.merkle.prooffile import ProofFile

    if proof == "-":
        data = read_input_bytes(proof)
    else:
        from anchor.safeio import read_regular
        from anchor.verify.bundle import PROOF_CAP

        try:
            data = read_regular(proof, cap=PROOF_CAP, follow=True)
        except FileNotFoundError:
            raise InputError(f"{proof}: no such file") from None
    try:
        return ProofFile.from_json_bytes(data)
    except AnchorError as exc:
        raise InputError(f"{proof}: {exc.diagnostics()}") from exc


def _proof_anchor(proof: str | None, proof_file: ProofFile | None) -> tuple[str, str]:
    """``(tx hash, network)`` when nothing but a proof can name the transaction.

    The anchor is a pointer only: whatever it says is then checked against the chain like
    any --tx-hash. Refused (exit 4) with no proof, or with one from before publish.
    """
    if proof is None or proof_file is None:
        raise InputError(
            "nothing to verify against: pass --bundle DIR (offline), "
            "--tx-hash HASH --network NET (online), or --tx FILE --chain-facts FILE --network NET"
        )
    anchor = proof_file.anchor
    if anchor is None:
        raise InputError(
            f"{proof} names no transaction (a proof from before publish): "
            "pass --tx-hash HASH --network NET, or the published bundle (--bundle DIR)"
        )
    return anchor.tx_hash.hex(), anchor.network


def _check_offline_network(
    network: str | None, *, bundle: str | None, chain_facts: str | None
) -> None:
    """An explicit ``--network`` must not contradict the block facts an offline run relies on.

    The facts (``--chain-facts``, else the bundle's ``chain-facts.json``) carry the block
    time and depth the verdict rests on; facts gathered on one network cannot vouch for a
    transaction on another, so a mismatch is refused instead of reported as valid.
    """
    if network is None:
        return
    if chain_facts is not None:
        source = Path(chain_facts)
    elif bundle is not None:
        source = Path(bundle) / "chain-facts.json"
    else:
        return
    stated = _json_field(source, "network")
    if stated is not None and stated != network:
        raise InputError(
            f"--network {network} contradicts {source}, which holds block facts from {stated}",
            hint=f"pass --network {stated}, or verify online against {network} providers",
        )


def _preflight(
    request: VerifyRequest, *, report_file: str | None, proof: str | None = None
) -> None:
    """Reject, before any hashing or network call, input that cannot give a meaningful verdict.

    Run after :func:`_proof_anchor` has made sure something names the transaction; the
    file arguments are checked first thing by :func:`anchor.verify.run.run_verify`.
    """
    bundle, tx, chain_facts = request.bundle, request.tx_file, request.chain_facts_file
    if request.online and tx is not None:
        raise InputError("--tx (offline transaction bytes) cannot be combined with online checks")
    if request.online and chain_facts is not None:
        raise InputError(
            "--chain-facts (offline block facts) cannot be combined with online checks"
        )
    if report_file is not None:
        check_output_path(report_file, flag="--report")
        _check_report_target(request, report_file, proof)
    if bundle is not None:
        _check_bundle(bundle, has_tx=tx is not None, has_tx_hash=request.tx_hash is not None)
    has_bytes = tx is not None or (bundle is not None and (Path(bundle) / TX_FILE).is_file())
    if not request.online and has_bytes:
        _check_offline_network(request.network, bundle=bundle, chain_facts=chain_facts)


def _hints(report: VerifyReport) -> list[str]:
    """What the auditor can do about results that could not be decided."""
    from anchor.verify.verdict import FILE_PROOF_UNAVAILABLE

    missing = [f for f in report.files if f.code == FILE_PROOF_UNAVAILABLE]
    if not missing:
        return []
    return [
        f"hint: {len(missing)} file(s) had no inclusion proof; pass the release's bundle "
        "(--bundle DIR) or the file's proof (--proof FILE)"
    ]


def _check_report_target(request: VerifyRequest, report_file: str, proof: str | None) -> None:
    """``--report`` writes only a regular file that is no input and not inside the bundle
    or a folder being verified (see :func:`anchor.fsutil.output_refusal`)."""
    import glob

    from anchor.fsutil import output_refusal

    inputs: list[str] = []
    folders = [request.bundle] if request.bundle is not None else []
    for arg in request.files:
        if os.path.isdir(arg):
            folders.append(arg)
        elif not os.path.lexists(arg) and set("*?[") & set(arg):
            inputs.extend(glob.glob(arg, recursive=True))
        else:
            inputs.append(arg)
    for name in (request.tx_file, request.chain_facts_file, proof):
        if name is not None and name != "-":
            inputs.append(name)
    why = output_refusal(report_file, inputs=inputs, folders=folders)
    if why is not None:
        raise InputError(f"cannot write {report_file} (--report): {why}")


def _write_report(
    request: VerifyRequest, report_file: str, proof: str | None, doc: dict[str, Any]
) -> None:
    _check_report_target(request, report_file, proof)  # again: the run may have taken a while
    data = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
    write_file_atomic(report_file, data, flag="--report")


def verify(
    files: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files to check (globs and directories allowed).",
            show_default=False,
            metavar="[FILE]...",
        ),
    ] = None,
    bundle: Annotated[
        str | None,
        typer.Option("--bundle", "-b", metavar="DIR", help="Evidence bundle directory."),
    ] = None,
    proof: Annotated[
        str | None,
        typer.Option("--proof", metavar="FILE", help="Proof file for the one FILE given."),
    ] = None,
    manifest_only: Annotated[
        bool, typer.Option("--manifest-only", help="Check just the bundle against the chain.")
    ] = False,
    tx: Annotated[
        str | None,
        typer.Option("--tx", metavar="FILE", help="Raw signed transaction CBOR (offline)."),
    ] = None,
    chain_facts: Annotated[
        str | None,
        typer.Option("--chain-facts", metavar="FILE", help="Block facts JSON (offline)."),
    ] = None,
    tx_hash: Annotated[
        str | None,
        typer.Option(
            "--tx-hash",
            metavar="HASH",
            help="Transaction hash to verify (64 hex; default: the bundle's receipt).",
        ),
    ] = None,
    network: Annotated[
        str | None,
        typer.Option(
            "--network",
            help="Network the transaction is on (default: the bundle's receipt).",
            click_type=click.Choice(NETWORK_CHOICES),
        ),
    ] = None,
    online: Annotated[
        bool,
        typer.Option(
            "--online", help="Fetch the transaction from providers even if tx.cbor is at hand."
        ),
    ] = False,
    provider: Annotated[
        list[str] | None,
        typer.Option(
            "--provider",
            metavar="NAME[=URL]",
            help="blockfrost or koios, optionally NAME=URL; repeat for an ordered fallback "
            "chain. Implies --online.",
        ),
    ] = None,
    provider_url: Annotated[
        list[str] | None,
        typer.Option(
            "--provider-url",
            metavar="URL",
            help="API root of a self-hosted provider, e.g. http://127.0.0.1:8090/api/v0 "
            "(paired with --provider by position). Implies --online.",
        ),
    ] = None,
    min_confirmations: Annotated[
        int | None,
        typer.Option(
            "--min-confirmations",
            min=1,
            metavar="N",
            help="Blocks required; fewer is pending. [default: 15; 1 on devnet]",
            show_default=False,
        ),
    ] = None,
    deny_host: Annotated[
        list[str] | None,
        typer.Option(
            "--deny-host", metavar="HOST", help="Host that must never be contacted (repeatable)."
        ),
    ] = None,
    supported_crit: Annotated[
        list[str] | None,
        typer.Option(
            "--supported-crit", metavar="KEY", help="Critical extension key this run accepts."
        ),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the JSON report on stdout.")
    ] = False,
    report_file: Annotated[
        str | None,
        typer.Option(
            "--report", metavar="FILE", help="Also write the JSON report to FILE (atomically)."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
    signer: Annotated[
        list[str] | None,
        typer.Option(
            "--signer",
            metavar="HEX|FILE",
            help="Require a valid signature by this Ed25519 key (hex, or a file written by "
            "`anchor keys show`); repeatable: any one of them. Else exit 1 SIGNER_NOT_EXPECTED.",
        ),
    ] = None,
    sha256: Annotated[
        list[str] | None,
        typer.Option(
            "--sha256",
            metavar="HEX",
            help="Check a SHA-256 digest you hold, without the file (repeatable; '-' reads "
            "one digest a line from stdin). Needs --bundle or --proof.",
        ),
    ] = None,
    trust_provider: Annotated[
        list[str] | None,
        typer.Option(
            "--trust-provider",
            metavar="NAME|URL",
            help="When providers disagree on block facts, use this one's (name, or its URL).",
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=0.1,
            metavar="SECONDS",
            help="Total time one provider request may take (not per read).",
        ),
    ] = 20.0,
    run_timeout: Annotated[
        float,
        typer.Option(
            "--run-timeout",
            min=0.1,
            metavar="SECONDS",
            help="Total time for all provider requests of the run.",
        ),
    ] = 120.0,
    trust_root: Annotated[
        str | None,
        typer.Option(
            "--trust-root",
            metavar="URL|FILE",
            help="Also verify the anchored attestation bundles among FILE against this "
            "OIDC issuer, with the block time as the clock (files[].provenance).",
        ),
    ] = None,
    require_provenance: Annotated[
        bool,
        typer.Option(
            "--require-provenance",
            help="Fail (PROVENANCE_NOT_VERIFIED) when a file has no verified provenance.",
        ),
    ] = False,
    attestation_audience: Annotated[
        str | None,
        typer.Option(
            "--attestation-audience",
            metavar="A",
            help="Audience of time-bound attestation tokens (default evidence-anchor).",
        ),
    ] = None,
) -> None:
    """Check that each FILE is one of the anchored items of a release (Label 309 on Cardano).

    Exit 0 valid, 1 failed, 2 unverifiable, 3 pending, 4 bad input. The summary goes to
    stderr; --json prints the report on stdout.

    \b
    Examples:
      # offline, from the bundle the release kept (tx.cbor, chain-facts.json, proofs/)
      anchor verify dist/app-1.2.3.tar.gz --bundle evidence/
      anchor verify dist/ sbom/ --bundle evidence/ --report audit.json
      # the bundle alone against its record (manifest.json, leaves.cbor)
      anchor verify --bundle evidence/ --manifest-only
      # online: fetch the raw transaction again and get a fresh depth
      anchor verify dist/app-1.2.3.tar.gz --bundle evidence/ --online --provider koios
      # keep just the file and its proof: the proof names its network and transaction
      anchor verify app.tgz --proof app.tgz.proof.json
      # local devnet
      anchor verify app.tgz --bundle evidence/ --provider-url http://127.0.0.1:8090/api/v0
      # build provenance too: the anchored .sigstore.json bundles, judged at the block time
      anchor verify dist/ --bundle evidence/ --trust-root issuer.json --require-provenance
    """
    from anchor.verify.run import ProviderSpec, VerifyRequest, run_verify

    specs = _providers(provider or [], provider_url or [])
    online = online or bool(specs)
    pins = tuple(dict.fromkeys(_signer_key(v) for v in signer or ()))
    digests = _digests(sha256 or [])
    if digests and bundle is None and proof is None:
        raise InputError("--sha256 needs --bundle DIR or --proof FILE to check the digest against")
    proof_file = _read_proof(proof) if proof is not None else None
    if bundle is None and tx is None and tx_hash is None:
        tx_hash, proof_network = _proof_anchor(proof, proof_file)  # a published proof knows it
        network = network or proof_network
    request = VerifyRequest(
        files=tuple(files or ()),
        bundle=bundle,
        proof=proof_file,
        manifest_only=manifest_only,
        tx_file=tx,
        chain_facts_file=chain_facts,
        tx_hash=tx_hash,
        network=network,
        online=online,
        providers=tuple(ProviderSpec(name, url) for name, url in specs),
        min_confirmations=min_confirmations,
        deny_hosts=tuple(deny_host or ()),
        supported_critical_extensions=frozenset(supported_crit or ()),
        blockfrost_project_id=os.environ.get("BLOCKFROST_PROJECT_ID") or None,
        digests=digests,
        signer_pins=pins,
        trust_providers=tuple(trust_provider or ()),
        timeout=timeout,
        run_timeout=run_timeout,
        trust_root=trust_root,
        require_provenance=require_provenance,
        attestation_audience=attestation_audience,
    )
    _preflight(request, report_file=report_file, proof=proof)
    report = run_verify(request)
    doc = report.to_json()
    summary = None
    if not quiet:
        from anchor.verify.summary import render_summary

        # rendered before anything is written: a report on disk never outlives a crash
        summary = render_summary(report)
    if report_file is not None:
        _write_report(request, report_file, proof, doc)
    if json_out:
        emit_json(doc, pretty=True)
    if summary is not None:
        note(summary)
        for line in _hints(report):
            note(line)
    raise typer.Exit(report.exit_code)


def register(app: typer.Typer) -> None:
    """Add the ``verify`` command to ``app``."""
    app.command("verify")(verify)
