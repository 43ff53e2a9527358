"""Pinned bundle bytes: every file of known bundles, byte for byte, across refactorings.

The digests below were recorded from the implementation before the collect performance
work (lazy CLI registration, JCS fast path, hashing/classification overlap, bulk proof
writing). Any change to a manifest, leaves-list or proof byte fails here, so speed-ups
cannot silently change the output format. If the format changes on purpose, re-record
them and say so in the change. (Re-recorded once for ``attestedBy`` and the claimed
``identity`` of SLSA statements: only manifest.json changed.)

Three bundles are pinned:

* the sample release, SHA-256 only, no metadata (what ``anchor collect`` writes by default);
* the sample release with full metadata and ``--dual-hash``;
* a synthetic 1,300-item bundle (more than one 1,024-leaf proof block) whose names and
  inspected fields need JSON escaping, non-ASCII text, U+007F, U+2028 and an astral
  character, so both canonical-JSON paths are exercised.

The sample-release bundles go through the whole library path (plan, parallel hashing and
classification, assembly) and :func:`write_bundle`, and are read back from disk.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from anchor.evidence.attestation import AttestationInfo, Statement, Subject
from anchor.evidence.bundle import write_bundle
from anchor.evidence.collect import Bundle, assemble, build_bundle, plan
from anchor.evidence.manifest import Item
from anchor.evidence.metadata import Metadata
from anchor.evidence.sbom import SbomInfo

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "fixtures" / "sample-release"
FULL_METADATA = Metadata(
    name="evidence-démo",
    version="1.0.0",
    repository="https://example.invalid/acme/evidence-demo",
    commit="ab" * 20,
    ref="refs/tags/v1.0.0",
    ci="gitlab-ci",
    workflow=".gitlab-ci.yml",
    run_id="77",
    run_url="https://example.invalid/p/77",
    time="2024-01-02T03:04:05Z",
)

SAMPLE_PLAIN: dict[str, str] = {
    "leaves.cbor": ("499e5a28968f723659d916731b1c0434d0512a28bbe4356f48321b31ea6166e7"),
    "manifest.json": ("4f69dd7e03769358e0e30f1c85416fee6bbf2cc8c47cf7499e8adf41dd0d4531"),
    "proofs/attestations/provenance.intoto.json.proof.json": (
        "e2d8364fb7901dbd7fb5196d148fff1fb89751a152a3bfc869a892fba5fed397"
    ),
    "proofs/attestations/release.intoto.jsonl.proof.json": (
        "923637315f03873b5b32b5acce86504e3d9f5069d02b64ccaae2a5f8766f226c"
    ),
    "proofs/attestations/test-result.dsse.json.proof.json": (
        "a33c5a4e61460b37ca997b4ebcea383a64219db4b9ecf259dbd24a29f7c9c156"
    ),
    "proofs/dist/SHA256SUMS.proof.json": (
        "1a3b80744b116e222f4963ff8d47aaf72a14e8008eb4d090c9cb3ce4b7675da2"
    ),
    "proofs/dist/evidence-demo-1.0.0.tar.gz.proof.json": (
        "f51b687433de751e664928f8a22f2019310a01b51b2bc71935bbc846d1bacbd8"
    ),
    "proofs/dist/evidence-demo-1.0.0.tar.gz.sigstore.json.proof.json": (
        "f6f59895e5dec985cf18678c873702d590757781bf2aadb18d4a7eeec3b05740"
    ),
    "proofs/logs/build.log.proof.json": (
        "16c628467bc854827433b6bc507d7c51b99389349cb83eed5a57b9a06885366d"
    ),
    "proofs/reports/junit.xml.proof.json": (
        "b7c8ddf3da32b37a2749d3d851465c06420da0e0d05f4693f04b913bb6b5e052"
    ),
    "proofs/sbom/evidence-demo.cdx.json.proof.json": (
        "5d509c07049dfec771f746940b868fdaa3ba62b7442d1cff7f6d536786253106"
    ),
    "proofs/sbom/evidence-demo.cdx.xml.proof.json": (
        "fc6422ec824217a0e9de28fe2d33f4f1a86cfdd37caec90d53d5b398357a29b9"
    ),
    "proofs/sbom/evidence-demo.spdx.json.proof.json": (
        "9c995ad806f7b1d6cb07c72352284f026107daaac2fe4b04f0eeeab8084e2a77"
    ),
    "proofs/sbom/evidence-demo.spdx.proof.json": (
        "64189ac74e9e0419264ff7084d385939388931a36b64e00058bc37ed3ae2cb26"
    ),
}
# Release metadata and --dual-hash change only the manifest; leaves and proofs stay the same.
SAMPLE_FULL: dict[str, str] = {
    **SAMPLE_PLAIN,
    "manifest.json": "5652440c24bf5a828f5c73d02007abf34914b563b04af88749ad21bf17a070ac",
}
SYNTHETIC = "ad24f525ffd5dc7f4e94cba91ca1f681d1f651915ec4468aa2a03bc59442067c"


def _digests(files: dict[str, bytes]) -> dict[str, str]:
    return {path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())}


def _combined(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for path, data in sorted(files.items()):
        raw = path.encode("utf-8")
        h.update(len(raw).to_bytes(4, "big") + raw + len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def _on_disk(bundle: Bundle, out: Path) -> dict[str, bytes]:
    write_bundle(bundle, str(out))
    files = {
        p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
    }
    assert files == dict(bundle.files())
    return files


def _sample_plain(out: Path) -> dict[str, bytes]:
    the_plan = plan([str(FIXTURES)], root=str(FIXTURES))
    return _on_disk(build_bundle(the_plan, metadata=Metadata()), out)


def _sample_full(out: Path) -> dict[str, bytes]:
    the_plan = plan([str(FIXTURES)], root=str(FIXTURES))
    bundle = build_bundle(the_plan, metadata=FULL_METADATA, dual_hash=True, workers=2)
    return _on_disk(bundle, out)


_ODD_NAMES = (
    'odd/quote"and\\slash\n\t é.bin',
    "odd/del\x7fchar.bin",
    "odd/line\u2028sep\u2029.bin",
    "odd/emoji\U0001f600.bin",
    "odd/ctl\x01\x1f.bin",
    "odd/ünïcödé.txt",
)


def _synthetic_items() -> list[Item]:
    names = [f"d{i % 7}/f{i:05d}.bin" for i in range(1300)] + list(_ODD_NAMES)
    names.sort(key=lambda n: n.encode("utf-8"))
    items = []
    for i, name in enumerate(names):
        data = name.encode("utf-8")
        extra: dict[str, Any] = {}
        if i % 5 == 0:
            extra["blake2b_256"] = hashlib.blake2b(data, digest_size=32).digest()
        if i % 97 == 0:
            extra["sbom"] = SbomInfo("cyclonedx", "json", "1.5", i)
        if i % 89 == 0:
            subject = Subject(f"sübject\u2028{i}\x7f", (("sha256", "ab" * 32), ("x\u00e9", "v")))
            statement = Statement("application/vnd.in-toto+json", "t\n", None, (subject,))
            extra["attestation"] = AttestationInfo("in-toto-statement", (statement,))
        if i % 83 == 0:
            extra["warnings"] = (f'w "{i}" \\ \u2029 \U0001f600', "plain")
        items.append(
            Item(
                name,
                "artifact",
                "application/octet-stream",
                2**40 + i,
                hashlib.sha256(data).digest(),
                i,
                **extra,
            )
        )
    return items


def _synthetic() -> dict[str, bytes]:
    return dict(assemble(FULL_METADATA, _synthetic_items()).files())


def test_sample_release_default_bundle_bytes_are_pinned(tmp_path: Path) -> None:
    assert _digests(_sample_plain(tmp_path / "ev")) == SAMPLE_PLAIN


def test_sample_release_full_metadata_dual_hash_bytes_are_pinned(tmp_path: Path) -> None:
    assert _digests(_sample_full(tmp_path / "ev")) == SAMPLE_FULL


def test_synthetic_bundle_bytes_are_pinned() -> None:
    files = _synthetic()
    assert len(files) == 2 + 1306
    assert _combined(files) == SYNTHETIC


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_worker_count_does_not_change_bytes(tmp_path: Path, workers: int) -> None:
    the_plan = plan([str(FIXTURES)], root=str(FIXTURES))
    bundle = build_bundle(the_plan, metadata=FULL_METADATA, dual_hash=True, workers=workers)
    assert _digests(dict(bundle.files())) == SAMPLE_FULL
