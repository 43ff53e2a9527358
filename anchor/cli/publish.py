"""`anchor publish DIR`: anchor an evidence bundle on Cardano as a signed Label 309 record.

Parses flags, loads keys (files or the ``ANCHOR_IDENTITY_SEED`` /
``ANCHOR_PAYMENT_SKEY`` environment variables; never printed), wires the Blockfrost
provider and reader, and hands over to :func:`anchor.publish.pipeline.publish_bundle`.
Results go to stdout (``--json``: the receipt); stages and the confirmation progress
go to stderr, only on a terminal or with ``--progress``, never with ``--quiet``.
Exit codes: 0 anchored (or dry run), 4 bad input or already anchored, 5 funds,
provider or ledger trouble (see docs/publish.md).

Checks run cheapest and most useful first: conflicting flags, then the bundle (a
folder with ``manifest.json`` and ``leaves.cbor``), then the keys, then the provider
(its ``/genesis`` network magic must match ``--network``, so a devnet URL can never
produce a receipt that claims preprod). An unreachable provider is noted at once on
stderr (with the progress display) while the provider's retries run.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer

from anchor.chain.network import NETWORK_ENV, NETWORK_NAMES
from anchor.cli._common import emit_json, note, out, parse_hex_arg, stderr_is_tty
from anchor.text import printable

if TYPE_CHECKING:
    from anchor.publish.pipeline import DryRunOutcome, Event, PublishOutcome


PLAIN_REPEAT = 30.0
"""Off a terminal, an unchanged confirmation status is printed again at most this often (s)."""


class _Display:
    """Stages and notes as lines; the confirmation wait as one status line.

    On a terminal the status line is rewritten in place (``\r``); elsewhere (CI logs) it
    is printed when its state (depth, provider error) changes, or every
    :data:`PLAIN_REPEAT` seconds of waiting, so a provider that is down for a minute
    gives a handful of lines, not one per poll.
    """

    def __init__(self, *, enabled: bool, tty: bool, quiet: bool) -> None:
        self.enabled = enabled
        self.quiet = quiet
        self.tty = tty
        self._open = False  # a terminal status line is shown and not ended
        self._width = 0
        self._last: tuple[int, int, str | None] | None = None
        self._last_at = 0.0

    def __call__(self, event: Event) -> None:
        from anchor.publish.pipeline import Note, Stage

        if isinstance(event, Note):
            if not self.quiet:
                self.close()
                note(f"note: {printable(event.message)}")
            return
        if not self.enabled:
            return
        if isinstance(event, Stage):
            self.close()
            note(printable(event.message))
            return
        where = "not in a block yet" if event.depth == 0 else f"block {event.block_height}"
        text = f"confirmations {event.depth}/{event.target} ({where}, {event.elapsed:.0f} s)"
        if event.note:
            text += f"; {event.note}"
            if event.retry_in is not None:
                text += f" (next try in {event.retry_in:.1f} s)"
        if self.tty:
            shown = printable(text)
            pad = " " * max(0, self._width - len(shown))  # blank out a longer previous text
            click.echo(f"\r{shown}{pad}", err=True, nl=False)
            self._open, self._width = True, len(shown)
            return
        state = (event.depth, event.target, event.note)
        if state != self._last or event.elapsed - self._last_at >= PLAIN_REPEAT:
            self._last, self._last_at = state, event.elapsed
            note(printable(text))

    def close(self) -> None:
        if self._open:
            click.echo("", err=True)
            self._open, self._width = False, 0


def _check_bundle(bundle: Path) -> None:
    """The bundle folder exists and has the files collect writes (before keys are even read)."""
    from anchor.errors import InputError

    if not bundle.exists():
        raise InputError(f"{bundle} does not exist", hint="make a bundle with `anchor collect`")
    if not bundle.is_dir():
        raise InputError(f"{bundle} is not a folder (an evidence bundle is a folder)")
    for name in ("manifest.json", "leaves.cbor"):
        if not (bundle / name).is_file():
            raise InputError(
                f"{bundle} is not an evidence bundle: {name} is missing",
                hint="make one with `anchor collect`",
            )


def _dry_run_json(result: DryRunOutcome, network: str) -> dict[str, Any]:
    plan, tx = result.plan, result.tx
    return {
        "dry_run": True,
        "network": network,
        "record_hex": plan.body.hex(),
        "record_size": plan.size,
        "signed": plan.signer is not None,
        "tx_id": tx.tx_id,
        "tx_size": tx.size,
        "fee": tx.fee,
        "min_fee": tx.min_fee,
        "fee_minus_min": tx.fee - tx.min_fee,
        "ttl": tx.ttl,
        "address": tx.address,
        "inputs": list(tx.inputs),
        "merkle_root": plan.root.hex(),
        "leaf_count": plan.leaf_count,
    }


def _print_dry_run(result: DryRunOutcome, network: str) -> None:
    plan, tx = result.plan, result.tx
    out(f"dry run on {network}: nothing was submitted")
    out(f"record      {plan.size} bytes, " + ("signed" if plan.signer else "unsigned"))
    out(f"record hex  {plan.body.hex()}")
    out(f"tx id       {tx.tx_id}")
    out(f"tx size     {tx.size} bytes")
    out(
        f"fee         {tx.fee} lovelace (ledger minimum {tx.min_fee}; difference {tx.fee - tx.min_fee})"
    )
    out(f"ttl         slot {tx.ttl}")
    out(f"spends      {', '.join(tx.inputs)} from {tx.address}")


def _print_receipt(result: PublishOutcome, bundle: Path) -> None:
    r = result.receipt
    verb = "completed the interrupted anchor of" if result.resumed else "anchored"
    out(f"{verb} {printable(str(bundle))} on {r['network']}")
    out(f"tx          {r['tx_hash']}")
    out(
        f"block       {r['block_height']} ({r['block_hash']}), slot {r.get('slot')}, time {r['block_time']}"
    )
    out(
        f"confirmed   {r['confirmations']} confirmation(s) (required {r['confirmations_required']})"
    )
    out(f"fee         {r['fee']} lovelace for {r['tx_size']} bytes (ledger minimum {r['min_fee']})")
    out(f"record      {r['record_size']} bytes, " + ("signed" if r.get("signed") else "unsigned"))
    out(f"proofs      {result.proofs_updated} completed with the anchor")


def publish(
    bundle: Annotated[
        Path,
        typer.Argument(
            help="The evidence bundle folder made by `anchor collect`.", metavar="BUNDLE_DIR"
        ),
    ],
    network: Annotated[
        str,
        typer.Option(
            "--network",
            "-n",
            envvar=NETWORK_ENV,
            click_type=click.Choice(NETWORK_NAMES),
            help="Cardano network (env ANCHOR_NETWORK).",
        ),
    ] = "devnet",
    provider_url: Annotated[
        str | None,
        typer.Option(
            "--provider-url",
            metavar="URL",
            help="Blockfrost API root including the version path, e.g. http://127.0.0.1:8090/api/v0 "
            "(default: the network's public endpoint; devnet: http://127.0.0.1:8090/api/v0).",
        ),
    ] = None,
    identity_seed: Annotated[
        str | None,
        typer.Option(
            "--identity-seed",
            metavar="FILE",
            help="Identity seed file (else $ANCHOR_IDENTITY_SEED).",
        ),
    ] = None,
    payment_key: Annotated[
        str | None,
        typer.Option(
            "--payment-key",
            "--payment-skey",
            metavar="FILE",
            help="Payment signing key file, cardano-cli text envelope (else $ANCHOR_PAYMENT_SKEY).",
        ),
    ] = None,
    unsigned: Annotated[
        bool, typer.Option("--unsigned", help="Publish the record without a signature.")
    ] = False,
    supersedes: Annotated[
        str | None,
        typer.Option(
            "--supersedes", metavar="TXHASH", help="Transaction id this record supersedes."
        ),
    ] = None,
    confirmations: Annotated[
        int | None,
        typer.Option(
            "--confirmations", min=1, metavar="N", help="Blocks to wait for (default 15; devnet 1)."
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=1.0,
            metavar="SECONDS",
            help="Seconds to wait for confirmations (default 900; devnet 60).",
        ),
    ] = None,
    ttl: Annotated[
        int | None,
        typer.Option(
            "--ttl",
            min=60,
            metavar="SLOTS",
            help="Validity window in slots (default 7200; devnet 3600).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Build and print; submit and write nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Anchor again although the bundle is anchored.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the receipt as JSON.")] = False,
    progress: Annotated[
        bool, typer.Option("--progress", help="Show progress on stderr even when not a terminal.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Anchor an evidence bundle on Cardano (record, transaction, confirmations, receipts).

    Keys come from files or the environment, never from arguments, and are never printed.
    Exit 0 anchored, 4 bad input or already anchored, 5 funds/provider/ledger trouble.

    \b
    Examples:
      # CI: keys and the Blockfrost project id from the environment
      export BLOCKFROST_PROJECT_ID=... ANCHOR_IDENTITY_SEED=... ANCHOR_PAYMENT_SKEY=...
      anchor publish evidence/ --network preprod --json
      # see the record, size and fee first; nothing is sent or written
      anchor publish evidence/ --network mainnet --dry-run
      # the local devnet (`anchor devnet`), keys from `anchor keys new -o keys/`
      anchor publish evidence/ --network devnet --provider-url http://127.0.0.1:8090/api/v0 \\
          --identity-seed keys/identity.seed --payment-key keys/payment.skey
    """
    from anchor.chain.blockfrost import PROJECT_ID_ENV, BlockfrostProvider
    from anchor.chain.keys import load_identity_seed, load_payment_key
    from anchor.chain.network import network_by_name
    from anchor.chain.readers import BlockfrostReader, HttpxClient
    from anchor.errors import InputError
    from anchor.publish.pipeline import DryRunOutcome, PublishOptions, publish_bundle

    if unsigned and identity_seed is not None:
        raise InputError("--unsigned and --identity-seed exclude each other")
    net = network_by_name(network)
    replaced = None
    if supersedes is not None:
        replaced = parse_hex_arg(supersedes, what="--supersedes", length=32)
    _check_bundle(bundle)
    seed = None if unsigned else load_identity_seed(identity_seed)
    pay = load_payment_key(payment_key)
    options = PublishOptions(
        network=net,
        confirmations=confirmations if confirmations is not None else net.default_confirmations,
        timeout=timeout if timeout is not None else net.default_timeout,
        ttl_slots=ttl if ttl is not None else net.default_ttl,
        poll_interval=net.poll_interval,
        force=force,
        dry_run=dry_run,
        supersedes=replaced,
    )
    url = provider_url or net.blockfrost_url
    provider = BlockfrostProvider.for_network(net, provider_url=provider_url)
    project_id = os.environ.get(PROJECT_ID_ENV) or None
    client = HttpxClient()
    reader = BlockfrostReader(url, client=client, project_id=project_id)
    display = _Display(
        enabled=not quiet and (progress or stderr_is_tty()), tty=stderr_is_tty(), quiet=quiet
    )
    try:
        result = publish_bundle(
            bundle,
            identity_seed=seed,
            payment_key=pay,
            provider=provider,
            readers=[reader],
            options=options,
            on_event=display,
        )
    finally:
        display.close()
        client.close()
    if isinstance(result, DryRunOutcome):
        if json_out:
            emit_json(_dry_run_json(result, net.name))
        else:
            _print_dry_run(result, net.name)
        return
    if json_out:
        emit_json(result.receipt)
    else:
        _print_receipt(result, bundle)


def register(app: typer.Typer) -> None:
    """Add the ``publish`` command to ``app``."""
    app.command("publish")(publish)
