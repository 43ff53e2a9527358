"""`anchor verify`: check files against an anchored release, offline or online.

    anchor verify FILE... --bundle DIR            offline (the bundle has tx.cbor)
    anchor verify --bundle DIR --manifest-only    just the bundle against the chain
    anchor verify FILE --proof F --tx T --chain-facts C --network N
    anchor verify FILE... --bundle DIR --tx-hash H --network N [--provider koios ...]

The summary goes to stderr; ``--json`` prints the report (the standard's verify-report
plus ``files[]`` and ``signatures[]``) to stdout. The exit code is the verdict's: 0
valid, 1 failed, 2 unverifiable, 3 pending; 4 for bad input. Everything heavy is
imported inside the command, and nothing on this path imports pycardano.
"""

from __future__ import annotations

import os
from typing import Annotated

import click
import typer

from anchor.cli._common import emit_json, note

NETWORK_CHOICES = ("mainnet", "preprod", "preview", "devnet")


def _providers(values: list[str], urls: list[str]) -> tuple[tuple[str, str | None], ...]:
    """``--provider NAME[=URL]`` entries, with ``--provider-url`` paired by position."""
    from anchor.errors import InputError

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
    return tuple(specs)


def verify(
    files: Annotated[
        list[str] | None,
        typer.Argument(help="Files to check (globs and directories allowed).", show_default=False),
    ] = None,
    bundle: Annotated[
        str | None, typer.Option("--bundle", "-b", help="Evidence bundle directory.")
    ] = None,
    proof: Annotated[
        str | None, typer.Option("--proof", help="Proof file for the one FILE given.")
    ] = None,
    manifest_only: Annotated[
        bool, typer.Option("--manifest-only", help="Check just the bundle against the chain.")
    ] = False,
    tx: Annotated[
        str | None, typer.Option("--tx", help="Raw signed transaction CBOR (offline).")
    ] = None,
    chain_facts: Annotated[
        str | None, typer.Option("--chain-facts", help="Block facts JSON (offline).")
    ] = None,
    tx_hash: Annotated[
        str | None, typer.Option("--tx-hash", help="Transaction hash to verify (64 hex).")
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
        bool, typer.Option("--online", help="Fetch the transaction even if tx.cbor is present.")
    ] = False,
    provider: Annotated[
        list[str] | None,
        typer.Option(
            "--provider",
            help="blockfrost or koios, optionally NAME=URL; repeat for an ordered fallback chain.",
        ),
    ] = None,
    provider_url: Annotated[
        list[str] | None,
        typer.Option("--provider-url", help="API root of a self-hosted provider (by position)."),
    ] = None,
    min_confirmations: Annotated[
        int | None,
        typer.Option(
            "--min-confirmations",
            min=1,
            help="Blocks required; fewer is pending. [default: 15; 1 on devnet]",
            show_default=False,
        ),
    ] = None,
    deny_host: Annotated[
        list[str] | None,
        typer.Option("--deny-host", help="Host that must never be contacted (repeatable)."),
    ] = None,
    supported_crit: Annotated[
        list[str] | None,
        typer.Option("--supported-crit", help="Critical extension key this run accepts."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
    report_file: Annotated[
        str | None, typer.Option("--report", help="Also write the JSON report to this file.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
) -> None:
    """Check that each FILE is one of the anchored items of a release (Label 309 on Cardano)."""
    from anchor.verify.run import ProviderSpec, VerifyRequest, run_verify

    specs = _providers(provider or [], provider_url or [])
    request = VerifyRequest(
        files=tuple(files or ()),
        bundle=bundle,
        proof=proof,
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
    )
    report = run_verify(request)
    doc = report.to_json()
    if report_file is not None:
        import json
        from pathlib import Path

        from anchor.errors import InputError

        try:
            Path(report_file).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write {report_file}: {exc.strerror}") from exc
    if json_out:
        emit_json(doc, pretty=True)
    if not quiet:
        from anchor.verify.summary import render_summary

        note(render_summary(report))
    raise typer.Exit(report.exit_code)


def register(app: typer.Typer) -> None:
    """Add the ``verify`` command to ``app``."""
    app.command("verify")(verify)
