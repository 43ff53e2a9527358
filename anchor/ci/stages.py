"""The four stages: collect, publish, verify, summary (see :mod:`anchor.ci`).

Each stage runs ``anchor`` commands in-process through :meth:`Job.anchor` (which prints
the command line first, ``$ anchor ...``, on stderr) and returns the exit code to end the
step with: the command's own code when it fails (its one line is already printed), else
0. Values are read back from the bundle the commands wrote (``manifest.json``,
``anchor.json``) and the verify report, never parsed from printed text.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anchor.ci import summary
from anchor.ci.archive import pack_bundle
from anchor.ci.platform import Platform
from anchor.ci.settings import PATHS, Settings, missing_secrets
from anchor.errors import InputError
from anchor.safeio import load_json, read_regular_optional
from anchor.text import printable

REPORT_FILE = "verify-report.json"
_JSON_CAP = 64 * 1024 * 1024


def run_anchor(argv: list[str]) -> int:
    """``anchor ARGV`` in this process, with the CLI's own exit-code contract."""
    from anchor.cli.main import main

    return main(argv)


@dataclass(frozen=True)
class Job:
    """One stage's world: where it runs, what it was asked, its environment, how it runs ``anchor``."""

    platform: Platform
    settings: Settings
    env: Mapping[str, str]
    runner: Callable[[list[str]], int] = run_anchor

    def anchor(self, argv: list[str]) -> int:
        """Print ``$ anchor ARGV`` on stderr, run it, return its exit code."""
        print(printable("$ " + shlex.join(["anchor", *argv])), file=sys.stderr, flush=True)
        code = self.runner(argv)
        sys.stdout.flush()
        sys.stderr.flush()
        return code

    @property
    def bundle(self) -> Path:
        """The bundle folder."""
        return Path(self.settings.output)

    @property
    def report_path(self) -> Path:
        """Where the verify stage keeps its JSON report."""
        return self.platform.work_dir / REPORT_FILE

    @property
    def archive_path(self) -> Path:
        """Where the verify stage packs the bundle: ``<bundle name>-<tag or commit>.tar.gz``."""
        name = f"{self.bundle.resolve().name}-{self.platform.ref_label()}.tar.gz"
        return self.platform.work_dir / name


def _read_json(path: Path, what: str) -> dict[str, Any] | None:
    """The JSON object at ``path``; None when there is no such file."""
    data = read_regular_optional(path, cap=_JSON_CAP)
    if data is None:
        return None
    doc = load_json(data, what=what)
    if not isinstance(doc, dict):
        raise InputError(f"{what} is not a JSON object")
    return doc


def manifest_of(job: Job) -> dict[str, Any] | None:
    """The bundle's ``manifest.json``; None before collect."""
    return _read_json(job.bundle / "manifest.json", f"{job.bundle}/manifest.json")


def receipt_of(job: Job) -> dict[str, Any] | None:
    """The bundle's ``anchor.json``; None before publish."""
    return _read_json(job.bundle / "anchor.json", f"{job.bundle}/anchor.json")


def note(line: str) -> None:
    """A diagnostic line on stderr."""
    print(printable(line), file=sys.stderr, flush=True)


def collect(job: Job) -> int:
    """``anchor collect`` of the paths into the bundle; outputs ``bundle-path`` and ``root``."""
    s = job.settings
    if not s.paths:
        raise InputError(
            f"nothing to collect: {job.platform.setting(PATHS)} is empty "
            "(name the files, folders or globs of the release, separated by spaces or lines)"
        )
    job.platform.check_output_value("bundle-path", s.output)
    code = job.anchor(["collect", *s.paths, "--root", s.root, "-o", s.output])
    if code:
        return code
    manifest = manifest_of(job)
    if manifest is None:
        raise InputError(f"anchor collect wrote no {job.bundle}/manifest.json")
    job.platform.write_outputs({"bundle-path": s.output, "root": str(manifest["tree"]["root"])})
    return 0


def publish(job: Job) -> int:
    """The secrets' check, then ``anchor publish``; outputs ``tx-hash``."""
    s = job.settings
    if not s.publish:
        note("publish is false: the bundle is collected and not anchored")
        return 0
    missing = missing_secrets(s, job.env)
    if missing:
        raise InputError(
            f"missing secret{'s' if len(missing) > 1 else ''} {', '.join(missing)}: "
            f"{job.platform.secrets_hint()}"
        )
    argv = ["publish", s.output, "--network", s.network, "--progress"]
    if s.provider_url:
        argv += ["--provider-url", s.provider_url]
    if s.confirmations is not None:
        argv += ["--confirmations", str(s.confirmations)]
    code = job.anchor(argv)
    if code:
        return code
    receipt = receipt_of(job)
    if receipt is None:
        raise InputError(f"anchor publish wrote no {job.bundle}/anchor.json")
    job.platform.write_outputs({"tx-hash": str(receipt["tx_hash"])})
    return 0


def _identity_key(env: Mapping[str, str]) -> str | None:
    """The record-signing public key of ``ANCHOR_IDENTITY_SEED`` (hex), None when it is unset."""
    from anchor.chain.keys import IDENTITY_SEED_ENV, configured_key_set

    if not env.get(IDENTITY_SEED_ENV, "").strip():
        return None
    public = configured_key_set(None, None).identity_public
    return None if public is None else public.hex()


def verify(job: Job) -> int:
    """``anchor verify`` of every collected file, offline, pinned to our identity key; outputs
    ``verdict`` and, when valid, packs the bundle and outputs ``bundle-archive``."""
    s = job.settings
    if not s.publish:
        note("publish is false: there is no anchor to verify")
        return 0
    manifest = manifest_of(job)
    if manifest is None:
        raise InputError(f"{job.bundle} is not a bundle: run the collect stage first")
    files = [str(Path(s.root) / item["name"]) for item in manifest["items"]]
    job.platform.work_dir.mkdir(parents=True, exist_ok=True)
    job.report_path.unlink(missing_ok=True)
    argv = ["verify", *files, "--bundle", s.output, "--network", s.network]
    signer = _identity_key(job.env)
    if signer is not None:
        argv += ["--signer", signer]
    if s.confirmations is not None:
        argv += ["--min-confirmations", str(s.confirmations)]
    argv += ["--report", str(job.report_path)]
    code = job.anchor(argv)
    report = _read_json(job.report_path, "the verify report")
    values = {}
    if report is not None:
        values["verdict"] = str(report.get("verdict", ""))
    if code == 0:
        archive = pack_bundle(job.bundle, job.archive_path)
        job.platform.check_output_value("bundle-archive", str(archive))
        values["bundle-archive"] = str(archive)
        values.update(job.platform.release_urls(archive))
        note(f"packed the bundle for the release: {archive}")
    if values:
        job.platform.write_outputs(values)
    return code


def facts_of(job: Job) -> summary.Facts:
    """What the stages left, for the summary."""
    report = _read_json(job.report_path, "the verify report") if job.settings.publish else None
    archive = None
    if report is not None and report.get("verdict") == "valid":
        archive = str(job.archive_path) if job.archive_path.is_file() else None
    return summary.Facts(
        network=job.settings.network,
        bundle=job.settings.output,
        publish=job.settings.publish,
        manifest=manifest_of(job),
        receipt=receipt_of(job),
        report=report,
        archive=archive,
    )


def write_summary(job: Job) -> int:
    """The verdict table, whatever the stages before did (always exit 0 once written)."""
    job.platform.write_summary(summary.render(facts_of(job)))
    return 0


STAGES: dict[str, Callable[[Job], int]] = {
    "collect": collect,
    "publish": publish,
    "verify": verify,
    "summary": write_summary,
}
