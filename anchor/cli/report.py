"""`anchor report DIR -o OUT [--trust-root F]`: a self-contained HTML page of DIR's attestations.

    anchor report attestations/ -o site/ --trust-root github-root.json

Finds every ``*.sigstore.json`` under DIR (OUT itself excluded), writes ``OUT/index.html``
(inline script, style and data; no network) and a copy of each bundle under
``OUT/bundles/``. The badges are computed in the browser (anchor.attest.report). The trust
root is a file, or an issuer URL whose discovery and JWKS are fetched now through the
verifier's egress wrapper and embedded as a snapshot. Without one the page embeds no issuer
keys and its badges say ``unverifiable`` until a trust-root file is loaded into it.
Exit 0 written, 4 bad input, 5 an issuer URL that cannot be reached.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from anchor.cli._common import note, out


def _bundles(folder: Path, output: Path) -> list[tuple[str, bytes]]:
    from anchor.attest.bundle import BUNDLE_SUFFIX
    from anchor.attest.codes import AttestInputError
    from anchor.attest.sources import MAX_BUNDLE_BYTES, read_local

    if not folder.is_dir():
        raise AttestInputError(f"{folder} is not a folder")
    skip = output.resolve()
    found = []
    for path in sorted(folder.rglob(f"*{BUNDLE_SUFFIX}")):
        resolved = path.resolve()
        if not path.is_file() or resolved == skip or skip in resolved.parents:
            continue
        data = read_local(str(path), "bundle")
        if len(data) > MAX_BUNDLE_BYTES:
            raise AttestInputError(f"{path}: larger than {MAX_BUNDLE_BYTES} bytes")
        found.append((path.relative_to(folder).as_posix(), data))
    return found


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""

    @app.command("report")
    def report(
        folder: Annotated[Path, typer.Argument(metavar="DIR", help="Where the bundles are.")],
        output: Annotated[
            Path, typer.Option("--output", "-o", metavar="OUT", help="The report folder.")
        ],
        trust_root: Annotated[
            str | None,
            typer.Option("--trust-root", metavar="F", help="Issuer keys to embed (file or URL)."),
        ] = None,
    ) -> None:
        """Write OUT/index.html: one row per attestation, badges verified in the browser."""
        from anchor.attest.codes import AttestInputError, TrustRootUnavailable
        from anchor.attest.report import BundleInput, render_report
        from anchor.attest.sources import is_url, read_local
        from anchor.attest.trustroot import TrustRoot, fetch, load_file
        from anchor.cli._common import write_file_atomic
        from anchor.errors import EnvironmentFailure

        root: TrustRoot | None = None
        if trust_root and is_url(trust_root):
            from anchor.verify.egress import Egress

            try:
                root = fetch(trust_root, Egress())
            except TrustRootUnavailable as exc:
                raise EnvironmentFailure(exc.message) from None
        elif trust_root:
            root = load_file(read_local(trust_root, "trust root"), name=trust_root)
        if output.exists() and not output.is_dir():
            raise AttestInputError(f"cannot write {output} (--output): not a folder")
        bundles = [BundleInput(s, d) for s, d in _bundles(folder, output)]
        result = render_report(bundles, root)
        try:
            (output / "bundles").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AttestInputError(f"cannot create {output}: {exc.strerror}") from exc
        for name, data in result.files.items():
            write_file_atomic(str(output / name), data, flag="--output")
        keys = f"issuer {root.issuer}" if root else "no issuer keys (badges unverifiable)"
        note(f"{len(bundles)} attestation(s), {keys}")
        out(str(output / "index.html"))
