"""`anchor report DIR -o OUT [--trust-root F] [--evidence BUNDLE]`: an HTML page of DIR's attestations.

    anchor report attestations/ -o site/ --trust-root github-root.json
    anchor report attestations/ -o site/ --trust-root github-root.json --evidence evidence/

Finds every ``*.sigstore.json`` under DIR (OUT itself excluded), writes ``OUT/index.html``
(inline script, style and data; no network) and a copy of each bundle under
``OUT/bundles/``. The badges are computed in the browser (anchor.attest.report). The trust
root is a file, or an issuer URL whose discovery and JWKS are fetched now through the
verifier's egress wrapper and embedded as a snapshot. Without one the page embeds no issuer
keys and its badges say ``unverifiable`` until a trust-root file is loaded into it.

With ``--evidence`` (a published evidence bundle), each attestation bundle that the bundle's
anchor includes is judged in the browser at the anchor's block time, as ``anchor verify
--trust-root`` judges it: a token that has expired since is still valid at T. The check of the
inclusion is the offline verifier's, by the bundle's digest; its block time comes from the
evidence bundle (run ``anchor verify --online`` to authenticate it). Others use the browser's clock.
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


def _anchored_times(
    evidence: str, bundles: list[tuple[str, bytes]], network: str | None
) -> list[int | None]:
    """T for each bundle: the block time when ``evidence``'s anchor includes it, else None."""
    import hashlib

    from anchor.errors import InputError
    from anchor.verify.provenance import reference_time
    from anchor.verify.run import VerifyRequest, run_verify

    if not (Path(evidence) / "anchor.json").is_file():
        raise InputError(f"--evidence {evidence}: no anchor.json (not a published evidence bundle)")
    times: list[int | None] = []
    for name, data in bundles:
        digest = hashlib.sha256(data).digest()
        report = run_verify(VerifyRequest(bundle=evidence, digests=(digest,), network=network))
        t, source = reference_time(report)
        if source == "block-time" and all(f.inclusion_ok for f in report.files):
            times.append(t)
            note(f"{name}: anchored, judged at the block time {t} (from the evidence bundle)")
        else:
            times.append(None)
            note(
                f"{name}: not anchored by {evidence} ({report.verdict}); judged at the browser's clock"
            )
    return times


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
        evidence: Annotated[
            str | None,
            typer.Option(
                "--evidence",
                metavar="BUNDLE",
                help="A published evidence bundle: anchored attestations are judged at its block time.",
            ),
        ] = None,
        network: Annotated[
            str | None,
            typer.Option(
                "--network",
                metavar="N",
                help="The evidence bundle's network, as for `anchor verify` (devnet: one confirmation).",
            ),
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
        found = _bundles(folder, output)
        times = _anchored_times(evidence, found, network) if evidence else [None] * len(found)
        bundles = [BundleInput(s, d, t) for (s, d), t in zip(found, times, strict=True)]
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
