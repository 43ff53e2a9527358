"""`anchor keys`: create and inspect the identity seed and the payment key.

``anchor keys new -o DIR`` writes ``identity.seed`` and ``payment.skey`` (mode
0600, never overwriting) and ``payment.vkey``; ``anchor keys show DIR --network N``
prints the record-signing public key, the payment key hash and the address.
Neither command ever prints secret material.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import click
import typer

from anchor.cli._common import emit_json, note, out

NETWORK_CHOICES = ("devnet", "preview", "preprod", "mainnet")


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def keys_new(
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out-dir",
            "-o",
            help="Directory for identity.seed, payment.skey and payment.vkey (created if absent).",
            file_okay=False,
        ),
    ],
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Create a new identity seed and payment key; existing files are never overwritten."""
    from anchor.chain.keys import create_key_set

    created = create_key_set(out_dir)
    info = created.info
    if json_out:
        emit_json(
            {
                "identity_seed_file": str(created.identity_seed_path),
                "payment_skey_file": str(created.payment_skey_path),
                "payment_vkey_file": str(created.payment_vkey_path),
                "identity_public_key": _hex(info.identity_public),
                "payment_key_hash": _hex(info.payment_key_hash),
            }
        )
        return
    note(f"wrote {created.identity_seed_path} (secret, mode 0600)")
    note(f"wrote {created.payment_skey_path} (secret, mode 0600)")
    note(f"wrote {created.payment_vkey_path}")
    out(f"identity public key: {_hex(info.identity_public)}")
    out(f"payment key hash: {_hex(info.payment_key_hash)}")
    note(f"see the payment address with: anchor keys show {out_dir} --network NETWORK")


def keys_show(
    key_dir: Annotated[
        Path,
        typer.Argument(help="Directory holding identity.seed and/or payment.skey."),
    ],
    network: Annotated[
        str,
        typer.Option(
            "--network",
            help="Network of the payment address.",
            click_type=click.Choice(NETWORK_CHOICES),
        ),
    ],
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print the record-signing public key and the payment address; never a secret."""
    from anchor.chain.keys import read_key_set
    from anchor.chain.network import network_by_name

    net = network_by_name(network)
    info = read_key_set(key_dir)
    address = info.address(net.network_id)
    if json_out:
        emit_json(
            {
                "network": net.name,
                "identity_public_key": _hex(info.identity_public),
                "payment_verification_key": _hex(info.payment_verification_key),
                "payment_key_hash": _hex(info.payment_key_hash),
                "payment_address": address,
            }
        )
        return
    if info.identity_public is not None:
        out(f"identity public key: {info.identity_public.hex()}")
    if info.payment_verification_key is not None:
        out(f"payment verification key: {info.payment_verification_key.hex()}")
        out(f"payment key hash: {_hex(info.payment_key_hash)}")
        out(f"payment address ({net.name}): {address}")


def register(app: typer.Typer) -> None:
    """Add the ``keys`` command group to ``app``."""
    keys_app = typer.Typer(
        name="keys",
        help="Create and inspect the identity seed and the payment key.",
        no_args_is_help=True,
    )
    keys_app.command("new")(keys_new)
    keys_app.command("show")(keys_show)
    app.add_typer(keys_app, name="keys")
