"""`anchor trust-root fetch URL -o F [--merge]`: snapshot an OIDC issuer's keys for air-gapped verification.

Discovery and the JWKS are fetched through the verifier's egress wrapper. ``--merge`` keeps
every key of an existing ``F`` that the issuer no longer publishes (rotated-out keys), so
bundles signed before a rotation keep verifying against the snapshot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from anchor.cli._common import note, write_file_atomic

group = typer.Typer(no_args_is_help=True, help="Snapshot trusted OIDC issuers (trust-root files).")


@group.command("fetch")
def fetch_cmd(
    url: Annotated[str, typer.Argument(help="The issuer URL (https; http only on loopback).")],
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="F", help="The trust-root file.")
    ],
    merge: Annotated[
        bool, typer.Option("--merge", help="Keep keys of an existing F that rotated out.")
    ] = False,
) -> None:
    """Fetch URL's discovery document and JWKS into a trust-root file. Exit 4 bad input, 5 unreachable."""
    from anchor.attest.codes import TrustRootUnavailable
    from anchor.attest.sources import read_local
    from anchor.attest.trustroot import fetch, load_file
    from anchor.attest.trustroot import merge as merge_roots
    from anchor.errors import EnvironmentFailure
    from anchor.verify.egress import Egress

    try:
        root = fetch(url, Egress())
    except TrustRootUnavailable as exc:
        raise EnvironmentFailure(exc.message) from None
    kept = 0
    if merge and Path(output).exists():
        old = load_file(read_local(output, "trust root"), name=output)
        merged = merge_roots(old, root)
        kept = len(merged.keys) - len(root.keys)
        root = merged
    write_file_atomic(output, root.to_file(), flag="--output")
    note(f"wrote {output}: {root.issuer}, {len(root.keys)} keys ({kept} kept from before)")


def register(app: typer.Typer) -> None:
    """Add the ``trust-root`` group to ``app``."""
    app.add_typer(group, name="trust-root")
