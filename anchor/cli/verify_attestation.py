"""`anchor verify-attestation`: check a provenance bundle against a trusted OIDC issuer, offline or online.

    anchor verify-attestation dist/app.tgz --bundle app.tgz.sigstore.json --trust-root root.json
    anchor verify-attestation --bundle B --trust-root https://token.actions.githubusercontent.com

The issuer comes only from ``--trust-root`` (a file, or an issuer URL for discovery). The
verdict line goes to stdout (``--json``: the full result, never the raw token). Exit 0 when
verified and 1 for every other outcome, bad input included (ADR 0030). Start-up matters
here: only the attestation layer is imported, and never pycardano.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from anchor.cli._common import emit_json, out


def register(app: typer.Typer) -> None:
    """Add the ``verify-attestation`` command to ``app``."""

    @app.command("verify-attestation")
    def verify_attestation(
        artifact: Annotated[
            Path | None,
            typer.Argument(metavar="[ARTIFACT]", help="Also check this file is a subject."),
        ] = None,
        bundle: Annotated[
            str, typer.Option("--bundle", metavar="PATH|URL", help="The .sigstore.json bundle.")
        ] = "",
        trust_root: Annotated[
            str,
            typer.Option("--trust-root", metavar="URL|FILE", help="The trusted issuer."),
        ] = "",
        audience: Annotated[
            str | None,
            typer.Option("--audience", metavar="A", help="Audience of time-bound tokens."),
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """Verify an attestation bundle: DSSE signature, identity token, identity claims, subject.

        Exit 0 when verified, 1 otherwise (failed, unverifiable or bad input).
        """
        import hashlib
        import time

        from anchor.attest.codes import AttestInputError
        from anchor.attest.sources import load_bundle, root_source
        from anchor.attest.verify import verify_attestation as run_verify
        from anchor.verify.egress import Egress

        if not bundle or not trust_root:
            raise AttestInputError("--bundle and --trust-root are both required")
        egress = Egress()
        data = load_bundle(bundle, egress)
        root = root_source(trust_root, egress)
        digest = None
        if artifact is not None:
            try:
                digest = hashlib.sha256(artifact.read_bytes()).hexdigest()
            except OSError as exc:
                raise AttestInputError(f"cannot read {artifact}: {exc.strerror}") from exc
        result = run_verify(
            data,
            root,
            reference_time=int(time.time()),
            artifact_sha256=digest,
            artifact_name=str(artifact) if artifact is not None else None,
            audience=audience,
        )
        if json_out:
            emit_json(result.to_json(egress.audit_trail()))
        elif result.ok:
            names = ", ".join(s["name"] for s in result.subjects)
            who = result.identity.get("iss", "?")
            out(f"verified: {names} by {who} ({result.token.binding})")
        else:
            out(f"{result.verdict}: {result.code}: {result.detail}")
        raise typer.Exit(0 if result.ok else 1)
