"""Classification of every sample-release fixture (exact extracted fields) and malformed inputs."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anchor.evidence.classify import (
    _MEDIA_TYPES,
    Classification,
    classify,
    media_type_for,
    name_hint,
    wants_content,
)

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sample-release"
TGZ_SHA256 = "39a791bc479ed7053c78c60152fb12f3c9ced005962a20f3a9cd8b98111936d7"
TGZ_SHA512 = (
    "96b104de681cde09cf57f440f0145da304496e5169bf8ed811e486a44ef9a3d8"
    "17b4aacd77929a67a2b884c3189b6bc2cfb7922be88f57abc063cd8b2ae24981"
)
JUNIT_SHA256 = "3801951677d142ba7626e075365518234f9e35b7b586206bc7b41fc88253a416"
PROVENANCE = "https://slsa.dev/provenance/v1"
# What the fixtures' SLSA statements claim about their build (read, not verified).
SYNTHETIC_IDENTITY = {"builder": "https://example.invalid/synthetic-builder"}
STATEMENT_V1 = "https://in-toto.io/Statement/v1"
IN_TOTO = "application/vnd.in-toto+json"
TGZ_SUBJECT = {"name": "evidence-demo-1.0.0.tar.gz", "digests": {"sha256": TGZ_SHA256}}


def _fixture(rel: str) -> Classification:
    data = (FIXTURES / rel).read_bytes()
    content = data if wants_content(rel, len(data)) else None
    return classify(rel, content, size=len(data))


def _json(c: Classification) -> dict[str, object]:
    out: dict[str, object] = {"kind": c.kind, "media_type": c.media_type}
    if c.sbom is not None:
        out["sbom"] = c.sbom.to_json()
    if c.attestation is not None:
        out["attestation"] = c.attestation.to_json()
    if c.warnings:
        out["warnings"] = list(c.warnings)
    return out


EXPECTED: dict[str, dict[str, object]] = {
    "dist/evidence-demo-1.0.0.tar.gz": {"kind": "artifact", "media_type": "application/gzip"},
    "dist/SHA256SUMS": {"kind": "manifest", "media_type": "text/plain"},
    "logs/build.log": {"kind": "log", "media_type": "text/plain"},
    "reports/junit.xml": {"kind": "test-report", "media_type": "application/xml"},
    "sbom/evidence-demo.cdx.json": {
        "kind": "sbom",
        "media_type": "application/vnd.cyclonedx+json",
        "sbom": {
            "format": "cyclonedx",
            "encoding": "json",
            "spec_version": "1.5",
            "component_count": 3,
        },
    },
    "sbom/evidence-demo.cdx.xml": {
        "kind": "sbom",
        "media_type": "application/vnd.cyclonedx+xml",
        "sbom": {
            "format": "cyclonedx",
            "encoding": "xml",
            "spec_version": "1.4",
            "component_count": 1,
        },
    },
    "sbom/evidence-demo.spdx.json": {
        "kind": "sbom",
        "media_type": "application/spdx+json",
        "sbom": {"format": "spdx", "encoding": "json", "spec_version": "2.3", "component_count": 3},
    },
    "sbom/evidence-demo.spdx": {
        "kind": "sbom",
        "media_type": "text/spdx",
        "sbom": {
            "format": "spdx",
            "encoding": "tag-value",
            "spec_version": "2.2",
            "component_count": 2,
        },
    },
    "attestations/provenance.intoto.json": {
        "kind": "attestation",
        "media_type": IN_TOTO,
        "attestation": {
            "format": "in-toto-statement",
            "statements": [
                {
                    "statement_type": STATEMENT_V1,
                    "predicate_type": PROVENANCE,
                    "identity": SYNTHETIC_IDENTITY,
                    "subjects": [TGZ_SUBJECT],
                }
            ],
        },
    },
    "attestations/test-result.dsse.json": {
        "kind": "attestation",
        "media_type": "application/vnd.dsse.envelope.v1+json",
        "attestation": {
            "format": "dsse-envelope",
            "statements": [
                {
                    "payload_type": IN_TOTO,
                    "statement_type": STATEMENT_V1,
                    "predicate_type": "https://in-toto.io/attestation/test-result/v0.1",
                    "subjects": [
                        {
                            "name": "evidence-demo-1.0.0.tar.gz",
                            "digests": {"sha256": TGZ_SHA256, "sha512": TGZ_SHA512},
                        },
                        {"name": "reports/junit.xml", "digests": {"sha256": JUNIT_SHA256}},
                    ],
                }
            ],
        },
    },
    "attestations/release.intoto.jsonl": {
        "kind": "attestation",
        "media_type": "application/jsonl",
        "attestation": {
            "format": "in-toto-jsonl",
            "statements": [
                {
                    "payload_type": IN_TOTO,
                    "statement_type": STATEMENT_V1,
                    "predicate_type": PROVENANCE,
                    "identity": SYNTHETIC_IDENTITY,
                    "subjects": [TGZ_SUBJECT],
                },
                {
                    "statement_type": STATEMENT_V1,
                    "predicate_type": "https://cyclonedx.org/bom",
                    "subjects": [TGZ_SUBJECT],
                },
            ],
        },
    },
    "dist/evidence-demo-1.0.0.tar.gz.sigstore.json": {
        "kind": "attestation",
        "media_type": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "attestation": {
            "format": "sigstore-bundle",
            "bundle_version": "0.3",
            "statements": [
                {
                    "payload_type": IN_TOTO,
                    "statement_type": STATEMENT_V1,
                    "predicate_type": PROVENANCE,
                    "identity": SYNTHETIC_IDENTITY,
                    "subjects": [TGZ_SUBJECT],
                }
            ],
        },
    },
}


def test_every_fixture_is_covered() -> None:
    present = {p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*") if p.is_file()}
    assert present - {".gitattributes"} == set(EXPECTED)


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_fixture_classification(rel: str) -> None:
    assert _json(_fixture(rel)) == EXPECTED[rel]


# --- malformed or unusual documents: still classified, warnings, never an exception ---


def _classify(name: str, data: bytes) -> dict[str, object]:
    return _json(classify(name, data if wants_content(name, len(data)) else None, size=len(data)))


def _b64(obj: object) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        (
            "bom.json",
            b'{"bomFormat": "CycloneDX", "specVersion": ',
            {
                "kind": "sbom",
                "media_type": "application/json",
                "warnings": ["sbom: not valid JSON (line 1, column 43)"],
            },
        ),
        (
            "x.cdx.json",
            b"\xff\xfe not utf-8",
            {
                "kind": "sbom",
                "media_type": "application/json",
                "warnings": ["sbom: not valid UTF-8"],
            },
        ),
        (
            "x.cdx.json",
            b'{"hello": "world"}',
            {
                "kind": "sbom",
                "media_type": "application/json",
                "warnings": ["sbom: not a recognised document"],
            },
        ),
        (
            "x.cdx.xml",
            b"<bom><unclosed></bom>",
            {
                "kind": "sbom",
                "media_type": "application/xml",
                "warnings": ["sbom: not well-formed XML"],
            },
        ),
        (
            "x.cdx.xml",
            b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaa">]><bom>&a;</bom>',
            {
                "kind": "sbom",
                "media_type": "application/xml",
                "warnings": ["sbom: XML with a document type declaration is not inspected"],
            },
        ),
        (
            "x.cdx.json",
            json.dumps(
                {"bomFormat": "CycloneDX", "specVersion": 15, "components": {"a": 1}}
            ).encode(),
            {
                "kind": "sbom",
                "media_type": "application/vnd.cyclonedx+json",
                "sbom": {"format": "cyclonedx", "encoding": "json"},
                "warnings": [
                    "sbom: 'specVersion' missing or not a string",
                    "sbom: 'components' is not a list",
                ],
            },
        ),
        (
            "x.cdx.json",
            json.dumps(
                {
                    "bomFormat": "CycloneDX",
                    "specVersion": "1.6",
                    "components": [{"name": "a"}, 7, "x"],
                }
            ).encode(),
            {
                "kind": "sbom",
                "media_type": "application/vnd.cyclonedx+json",
                "sbom": {
                    "format": "cyclonedx",
                    "encoding": "json",
                    "spec_version": "1.6",
                    "component_count": 1,
                },
                "warnings": ["sbom: 2 malformed component entries not counted"],
            },
        ),
        (
            "x.spdx.json",
            json.dumps({"spdxVersion": "2.3", "packages": "none"}).encode(),
            {
                "kind": "sbom",
                "media_type": "application/spdx+json",
                "sbom": {"format": "spdx", "encoding": "json", "spec_version": "2.3"},
                "warnings": [
                    "sbom: 'spdxVersion' is not of the form SPDX-N.N",
                    "sbom: 'packages' is not a list",
                ],
            },
        ),
        (
            "x.spdx",
            b"PackageName: a\n",
            {
                "kind": "sbom",
                "media_type": "text/spdx",
                "warnings": ["sbom: no SPDXVersion tag (not an SPDX tag-value document)"],
            },
        ),
        (
            "a.sigstore.json",
            b"[1, 2",
            {
                "kind": "attestation",
                "media_type": "application/vnd.dev.sigstore.bundle+json",
                "warnings": ["attestation: not valid JSON (line 1, column 6)"],
            },
        ),
        (
            "a.sigstore.json",
            json.dumps(
                {"mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.9"}
            ).encode(),
            {
                "kind": "attestation",
                "media_type": "application/vnd.dev.sigstore.bundle+json",
                "attestation": {"format": "sigstore-bundle", "statements": []},
                "warnings": [
                    "attestation: unsupported Sigstore bundle mediaType",
                    "attestation: Sigstore bundle has no verificationMaterial",
                    "attestation: Sigstore bundle has neither dsseEnvelope nor messageSignature",
                ],
            },
        ),
        (
            "a.dsse.json",
            json.dumps(
                {"payloadType": IN_TOTO, "payload": "%%%not base64", "signatures": []}
            ).encode(),
            {
                "kind": "attestation",
                "media_type": "application/vnd.dsse.envelope.v1+json",
                "attestation": {
                    "format": "dsse-envelope",
                    "statements": [{"payload_type": IN_TOTO, "subjects": []}],
                },
                "warnings": [
                    "attestation: DSSE envelope has no signatures",
                    "attestation: DSSE payload is not valid base64",
                ],
            },
        ),
        (
            "a.dsse.json",
            json.dumps(
                {
                    "payloadType": IN_TOTO,
                    "payload": base64.b64encode(b"{nope").decode(),
                    "signatures": [{}],
                }
            ).encode(),
            {
                "kind": "attestation",
                "media_type": "application/vnd.dsse.envelope.v1+json",
                "attestation": {
                    "format": "dsse-envelope",
                    "statements": [{"payload_type": IN_TOTO, "subjects": []}],
                },
                "warnings": ["attestation: DSSE payload is not valid JSON"],
            },
        ),
        (
            "s.intoto.json",
            json.dumps(
                {
                    "_type": STATEMENT_V1,
                    "subject": [
                        {"name": "ok", "digest": {"sha256": "ab"}},
                        {"name": 5, "digest": {"sha256": "ab"}},
                        {"name": "no-digest"},
                        {"name": "bad-alg", "digest": {"sha 256": "ab"}},
                        {"name": "\ud800lone", "digest": {"sha256": "ab"}},
                        "junk",
                    ],
                }
            ).encode(),
            {
                "kind": "attestation",
                "media_type": IN_TOTO,
                "attestation": {
                    "format": "in-toto-statement",
                    "statements": [
                        {
                            "statement_type": STATEMENT_V1,
                            "subjects": [{"name": "ok", "digests": {"sha256": "ab"}}],
                        }
                    ],
                },
                "warnings": [
                    "attestation: 'predicateType' missing or not a string",
                    "attestation: 5 malformed subject entries skipped",
                ],
            },
        ),
        (
            "r.intoto.jsonl",
            b'{"_type": "https://in-toto.io/Statement/v1", "predicateType": "p", '
            b'"subject": [{"digest": {"sha256": "00"}}]}\n\nnot json\n{"a": 1}\n',
            {
                "kind": "attestation",
                "media_type": "application/jsonl",
                "attestation": {
                    "format": "in-toto-jsonl",
                    "statements": [
                        {
                            "statement_type": STATEMENT_V1,
                            "predicate_type": "p",
                            "subjects": [{"digests": {"sha256": "00"}}],
                        }
                    ],
                },
                "warnings": [
                    "attestation: line 3 is not valid JSON",
                    "attestation: line 4 is neither a statement nor a DSSE envelope",
                ],
            },
        ),
        (
            "r.intoto.jsonl",
            b"garbage\n",
            {
                "kind": "attestation",
                "media_type": "application/jsonl",
                "warnings": ["attestation: line 1 is not valid JSON"],
            },
        ),
        (
            "deep.sigstore.json",
            b"[" * 100_000 + b"]" * 100_000,
            {
                "kind": "attestation",
                "media_type": "application/vnd.dev.sigstore.bundle+json",
                "warnings": ["attestation: not valid JSON"],
            },
        ),
        (
            "big.intoto.json",
            b'{"_type": "https://in-toto.io/Statement/v1", "subject": [], "n": '
            + b"9" * 5000
            + b"}",
            {
                "kind": "attestation",
                "media_type": IN_TOTO,
                "warnings": ["attestation: not valid JSON"],
            },
        ),
        # unhinted names: unparseable or unrecognised content is just an artifact, no warning
        ("data.json", b"{broken", {"kind": "artifact", "media_type": "application/json"}),
        ("package.json", b'{"name": "x"}', {"kind": "artifact", "media_type": "application/json"}),
        ("config.xml", b"<config/>", {"kind": "artifact", "media_type": "application/xml"}),
        ("events.jsonl", b'{"a": 1}\n', {"kind": "artifact", "media_type": "application/jsonl"}),
        # content wins over an unhinted name
        (
            "data.json",
            b'{"bomFormat": "CycloneDX", "specVersion": "1.5"}',
            {
                "kind": "sbom",
                "media_type": "application/vnd.cyclonedx+json",
                "sbom": {
                    "format": "cyclonedx",
                    "encoding": "json",
                    "spec_version": "1.5",
                    "component_count": 0,
                },
            },
        ),
        (
            "results.xml",
            b"<testsuite name='x' tests='0'/>",
            {"kind": "test-report", "media_type": "application/xml"},
        ),
        (
            "junit-results.xml",
            b"<<<",
            {
                "kind": "test-report",
                "media_type": "application/xml",
                "warnings": ["test-report: not well-formed XML"],
            },
        ),
        (
            "evidence/manifest.json",
            b'{"format": "evidence-anchor-manifest-v1", "items": []}',
            {"kind": "manifest", "media_type": "application/json"},
        ),
    ],
)
def test_malformed_and_unusual(name: str, data: bytes, expected: dict[str, object]) -> None:
    assert _classify(name, data) == expected


def test_sigstore_message_signature_bundle() -> None:
    digest = bytes(range(32))
    doc = {
        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "verificationMaterial": {"publicKey": {"hint": "k"}},
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": base64.b64encode(digest).decode()},
            "signature": "AAAA",
        },
    }
    assert _classify("a.sigstore.json", json.dumps(doc).encode()) == {
        "kind": "attestation",
        "media_type": "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "attestation": {
            "format": "sigstore-bundle",
            "bundle_version": "0.2",
            "statements": [],
            "message_digest": {"sha2-256": digest.hex()},
        },
    }


def test_sigstore_v01_with_non_in_toto_payload() -> None:
    doc = {
        "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "verificationMaterial": {},
        "dsseEnvelope": {
            "payloadType": "text/plain",
            "payload": _b64("hi"),
            "signatures": [{"sig": "x"}],
        },
    }
    assert _classify("x.sigstore", json.dumps(doc).encode()) == {
        "kind": "attestation",
        "media_type": "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "attestation": {
            "format": "sigstore-bundle",
            "bundle_version": "0.1",
            "statements": [{"payload_type": "text/plain", "subjects": []}],
        },
    }


def test_subjects_are_capped() -> None:
    from anchor.evidence.attestation import MAX_SUBJECTS

    subjects = [{"name": f"f{i}", "digest": {"sha256": "00"}} for i in range(MAX_SUBJECTS + 5)]
    doc = {"_type": STATEMENT_V1, "predicateType": "p", "subject": subjects}
    result = _classify("s.intoto.json", json.dumps(doc).encode())
    statements = result["attestation"]["statements"]  # type: ignore[index]
    assert len(statements[0]["subjects"]) == MAX_SUBJECTS
    assert result["warnings"] == [
        f"attestation: more than {MAX_SUBJECTS} subjects; the rest are not listed"
    ]


def test_large_hinted_file_is_classified_by_name_with_a_warning() -> None:
    from anchor.evidence.classify import INSPECT_LIMIT

    size = INSPECT_LIMIT + 1
    assert not wants_content("huge.cdx.json", size)
    c = classify("huge.cdx.json", None, size=size)
    assert _json(c) == {
        "kind": "sbom",
        "media_type": "application/json",
        "warnings": [f"sbom: larger than {INSPECT_LIMIT} bytes, not inspected"],
    }


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("a/b.sigstore.json", "attestation"),
        ("x.intoto.jsonl", "attestation"),
        ("BOM.JSON", "sbom"),
        ("TEST-foo.xml", "test-report"),
        ("junit.xml", "test-report"),
        ("build.log", "log"),
        ("SHA512SUMS", "manifest"),
        ("app_1.0_checksums.txt", "manifest"),
        ("app.tgz.sha256", "manifest"),
        ("app.tgz", None),
        ("sums.txt", None),
    ],
)
def test_name_hints(name: str, hint: str | None) -> None:
    assert name_hint(name) == hint


@pytest.mark.parametrize(
    ("name", "media"),
    [
        ("a.tar.gz", "application/gzip"),
        ("a.whl", "application/zip"),
        ("a.TAR.XZ", "application/x-xz"),
        ("noext", "application/octet-stream"),
        ("dir.json/file", "application/octet-stream"),
        ("tar.gz", "application/gzip"),
        (".gz", "application/gzip"),
        ("a..gz", "application/gzip"),
        ("a.tar.", "application/octet-stream"),
        ("x/.TAR.GZ", "application/gzip"),
        ("a.b.tar.zst", "application/zstd"),
    ],
)
def test_media_types(name: str, media: str) -> None:
    assert media_type_for(name) == media


def _media_by_parts(name: str) -> str:
    """The suffix rule spelled out: the last two dot-separated parts, then the last one."""
    parts = name.rsplit("/", 1)[-1].lower().split(".")
    for n in (3, 2):
        if len(parts) >= n:
            found = dict(_MEDIA_TYPES).get("." + ".".join(parts[1 - n :]))
            if found is not None:
                return found
    return "application/octet-stream"


@settings(max_examples=2000, deadline=None)
@given(
    st.lists(
        st.sampled_from(["tar", "gz", "TAR", "Gz", "json", "jsonl", "", "a", "xz", "whl", "é"]),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from(["", "dir/", "d.tar/", "x.gz/"]),
)
def test_media_type_is_the_suffix_rule(parts: list[str], folder: str) -> None:
    name = folder + ".".join(parts)
    assert media_type_for(name) == _media_by_parts(name)


def test_name_only_results_are_shared_and_equal() -> None:
    first = classify("a/app-1.tar.gz", None, size=10)
    again = classify("b/app-2.tar.gz", None, size=20)
    assert first == Classification("artifact", "application/gzip")
    assert again is first
    warned = classify("big.cdx.json", None, size=(64 << 20) + 1)
    assert warned.warnings and warned is not classify("big.cdx.json", None, size=(64 << 20) + 1)
