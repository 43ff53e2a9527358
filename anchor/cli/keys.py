"""`anchor keys`: create and inspect the identity seed and the payment key.

``anchor keys new -o DIR`` writes ``identity.seed`` and ``payment.skey`` (mode
0600, never overwriting) and ``payment.vkey``; ``anchor keys show DIR --network N``
prints the record-signing public key, the payment key hash and the address.
``keys show`` also takes the keys exactly as ``anchor publish`` does
(``--identity-seed``/``--payment-key`` files, else ``ANCHOR_IDENTITY_SEED`` /
``ANCHOR_PAYMENT_SKEY``), so a CI job can print the address it will pay from.
Neither command ever prints secret material.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer

from anchor.chain.network import NETWORK_ENV, NETWORK_NAMES
from anchor.cli._common import emit_json, note, out

if TYPE_CHECKING:
    from anchor.chain.keys import KeySetInfo


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def keys_new(
    out_dir: Annotated[
        Path,
        typer.Option(
            "--output",
            "--out-dir",
            "-o",
            metavar="DIR",
            help="Directory for identity.seed, payment.skey and payment.vkey (created if absent).",
            file_okay=False,
        ),
    ],
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing but errors and results.")
    ] = False,
) -> None:
    """Create a new identity seed and payment key; existing files are never overwritten.

    The secret files are created with mode 0600 from their first byte. Only public
    values are printed. If any of the three files exists, nothing is written (exit 4).

    \b
    Examples:
      anchor keys new -o keys/
      anchor keys show keys/ --network preprod     # the address to fund
    """
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
    if not quiet:
        note(f"wrote {created.identity_seed_path} (secret, mode 0600)")
        note(f"wrote {created.payment_skey_path} (secret, mode 0600)")
        note(f"wrote {created.payment_vkey_path}")
    out(f"identity public key: {_hex(info.identity_public)}")
    out(f"payment key hash: {_hex(info.payment_key_hash)}")
    if not quiet:
        note(f"see the payment address with: anchor keys show {out_dir} --network NETWORK")


def _info_from_flags(identity_seed: str | None, payment_key: str | None) -> KeySetInfo:
    """Public facts of the keys ``anchor publish`` would use: files, else the environment."""
    from anchor.chain.keys import IDENTITY_SEED_ENV, PAYMENT_SKEY_ENV, configured_key_set
    from anchor.errors import InputError

    info = configured_key_set(identity_seed, payment_key)
    if info.identity_public is None and info.payment_verification_key is None:
        raise InputError(
            "no keys to show: pass KEY_DIR, or --identity-seed FILE / --payment-key FILE, "
            f"or set {IDENTITY_SEED_ENV} / {PAYMENT_SKEY_ENV}"
        )
    return info


def keys_show(
    key_dir: Annotated[
        Path | None,
        typer.Argument(
            help="Directory holding identity.seed and/or payment.skey (as made by `keys new`).",
            metavar="[KEY_DIR]",
            show_default=False,
        ),
    ] = None,
    network: Annotated[
        str | None,
        typer.Option(
            "--network",
            envvar=NETWORK_ENV,
            help="Network of the payment address (env ANCHOR_NETWORK).  [required]",
            click_type=click.Choice(NETWORK_NAMES),
            show_default=False,
        ),
    ] = None,
    identity_seed: Annotated[
        str | None,
        typer.Option(
            "--identity-seed",
            metavar="FILE",
            help="Identity seed file instead of KEY_DIR (else $ANCHOR_IDENTITY_SEED).",
        ),
    ] = None,
    payment_key: Annotated[
        str | None,
        typer.Option(
            "--payment-key",
            "--payment-skey",
            metavar="FILE",
            help="Payment signing key file instead of KEY_DIR (else $ANCHOR_PAYMENT_SKEY).",
        ),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No notes on stderr about a missing key.")
    ] = False,
) -> None:
    """Print the record-signing public key and the payment address; never a secret.

    The keys come from KEY_DIR, or exactly as `anchor publish` reads them: the
    --identity-seed and --payment-key files, else the ANCHOR_IDENTITY_SEED and
    ANCHOR_PAYMENT_SKEY environment variables.

    \b
    Examples:
      anchor keys show keys/ --network preprod
      anchor keys show keys/ --network mainnet --json
      anchor keys show --payment-key keys/payment.skey --network preview
      ANCHOR_NETWORK=preprod anchor keys show          # keys from the environment, as in CI
    """
    from anchor.chain.keys import read_key_set
    from anchor.chain.network import network_by_name
    from anchor.errors import InputError

    if network is None:
        raise InputError(
            f"which network? pass --network {'|'.join(NETWORK_NAMES)} (or set {NETWORK_ENV})"
        )
    net = network_by_name(network)
    if key_dir is not None:
        if identity_seed is not None or payment_key is not None:
            raise InputError("give either KEY_DIR or --identity-seed/--payment-key, not both")
        info = read_key_set(key_dir)
    else:
        info = _info_from_flags(identity_seed, payment_key)
    address = info.address(net.network_id)
    if json_out:
        doc: dict[str, Any] = {
            "network": net.name,
            "identity_public_key": _hex(info.identity_public),
            "payment_verification_key": _hex(info.payment_verification_key),
            "payment_key_hash": _hex(info.payment_key_hash),
            "payment_address": address,
        }
        emit_json(doc)
        return
    if info.identity_public is not None:
        out(f"identity public key: {info.identity_public.hex()}")
    elif not quiet:
        note("no identity seed: records would be published unsigned (--unsigned)")
    if info.payment_verification_key is not None:
        out(f"payment verification key: {info.payment_verification_key.hex()}")
        out(f"payment key hash: {_hex(info.payment_key_hash)}")
        out(f"payment address ({net.name}): {address}")
    elif not quiet:
        note("no payment key: `anchor publish` needs one to pay the fee")


def register(app: typer.Typer) -> None:
    """Add the ``keys`` command group to ``app``."""
    keys_app = typer.Typer(
        name="keys",
        help="Create and inspect the identity seed and the payment key.",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    keys_app.command("new")(keys_new)
    keys_app.command("show")(keys_show)
    app.add_typer(keys_app, name="keys")
