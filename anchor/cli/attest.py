"""`anchor attest`: sign build provenance for one artifact with the CI job's OIDC identity.

    anchor attest --subject-path dist/app.tgz -o attestations/
    anchor attest --subject-digest sha256:HEX --subject-name ghcr.io/acme/app -o attestations/

Prints ``{"storageKey", "subjectDigest", "bundleMediaType"}`` on stdout. The token comes
from the CI platform (GitHub's token endpoint, GitLab's ``ANCHOR_ID_TOKEN``), from
``--token-file`` or ``ANCHOR_ID_TOKEN``; none is exit 5. On GitHub ``::add-mask::`` is the
first line written, so the runner hides the token; the token appears nowhere else.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from anchor.cli._common import emit_json, out, read_input_bytes


def register(app: typer.Typer) -> None:
    """Add the ``attest`` command to ``app``."""

    @app.command("attest")
    def attest(
        subject_path: Annotated[
            Path | None, typer.Option("--subject-path", metavar="P", help="The artifact file.")
        ] = None,
        subject_digest: Annotated[
            str | None,
            typer.Option(
                "--subject-digest",
                metavar="sha256:HEX",
                help="A precomputed digest (OCI manifest).",
            ),
        ] = None,
        subject_name: Annotated[
            str | None,
            typer.Option(
                "--subject-name", metavar="N", help="The subject's name (required with a digest)."
            ),
        ] = None,
        output: Annotated[
            Path, typer.Option("--output", "-o", metavar="DIR", help="Folder for the bundle.")
        ] = Path("."),
        token_file: Annotated[
            str | None,
            typer.Option("--token-file", metavar="F", help="Read the OIDC token from this file."),
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="One compact JSON line.")] = False,
    ) -> None:
        """Attest an artifact: SLSA v1 provenance, DSSE-signed by an ephemeral key, bound by the CI's OIDC token.

        Exit 4 for bad input or a token that disagrees with the CI environment, 5 when no
        identity token is available (a local run).
        """
        from anchor.attest.ci import on_github
        from anchor.attest.codes import AttestInputError
        from anchor.attest.produce import attest as run_attest
        from anchor.attest.produce import subject_from_digest, subject_from_file

        if (subject_path is None) == (subject_digest is None):
            raise AttestInputError("give exactly one of --subject-path and --subject-digest")
        subject = (
            subject_from_file(subject_path, subject_name)
            if subject_path is not None
            else subject_from_digest(subject_digest or "", subject_name)
        )
        env = dict(os.environ)
        github = on_github(env) or env.get("GITHUB_ACTIONS") == "true"

        def mask(token: str) -> None:
            if github:
                out(f"::add-mask::{token}")

        raw = read_input_bytes(token_file) if token_file is not None else None
        result = run_attest(subject, out_dir=output, env=env, token_file=raw, mask=mask)
        emit_json(result.to_json(), pretty=not json_out)
