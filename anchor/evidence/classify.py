"""Classify an item: kind, media type, and what an SBOM or attestation says inside.

Rules (documented in docs/bundle.md):

1. Only files whose name ends in an inspectable suffix (:data:`INSPECT_SUFFIXES`) and whose
   size is at most :data:`INSPECT_LIMIT` are read for content; :func:`wants_content` says
   which, so the hasher can hand back the bytes it already read.
2. Content wins when it is recognised (a ``data.json`` that is a CycloneDX BOM is an
   ``sbom``). When content is not recognised, the name decides the kind
   (:func:`name_hint`); a file whose name promises an SBOM or attestation but whose content
   does not deliver is still that kind, with warnings.
3. Everything else is an ``artifact`` with a media type from a fixed suffix table (never
   the platform's ``mimetypes`` database, so the manifest is the same on every machine).

:func:`classify` never raises on file content: malformed input becomes warnings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from anchor.evidence import attestation as att
from anchor.evidence import sbom

ARTIFACT = "artifact"
SBOM = "sbom"
ATTESTATION = "attestation"
LOG = "log"
TEST_REPORT = "test-report"
MANIFEST = "manifest"
KINDS = (ARTIFACT, SBOM, ATTESTATION, LOG, TEST_REPORT, MANIFEST)

INSPECT_LIMIT = 64 << 20
"""Largest file whose content is parsed (bytes); larger ones are classified by name only."""

INSPECT_SUFFIXES = (".json", ".jsonl", ".ndjson", ".xml", ".spdx", ".sigstore", ".intoto", ".dsse")
MANIFEST_FORMAT = "evidence-anchor-manifest-v1"

_SBOM_SUFFIXES = (
    ".cdx.json",
    ".cdx.xml",
    ".cyclonedx.json",
    ".cyclonedx.xml",
    ".spdx.json",
    ".spdx",
    ".sbom.json",
    ".sbom.xml",
)
_SBOM_NAMES = ("bom.json", "bom.xml", "sbom.json", "sbom.xml")
_ATTESTATION_SUFFIXES = (
    ".sigstore.json",
    ".sigstore",
    ".intoto.jsonl",
    ".intoto.json",
    ".intoto",
    ".dsse.json",
    ".dsse",
)
_MANIFEST_NAMES = ("checksums.txt", "checksums.sha256")
_MANIFEST_SUFFIXES = (
    ".sha256",
    ".sha512",
    ".sha256sum",
    ".sha512sum",
    "_checksums.txt",
    "-checksums.txt",
)
_JSON_SUFFIXES = (".json", ".sigstore", ".intoto", ".dsse")

# Suffix -> media type; a two-part suffix (".tar.gz") wins over its last part (".gz").
_MEDIA_TYPES = (
    (".tar.gz", "application/gzip"),
    (".tar.xz", "application/x-xz"),
    (".tar.bz2", "application/x-bzip2"),
    (".tar.zst", "application/zstd"),
    (".tgz", "application/gzip"),
    (".gz", "application/gzip"),
    (".xz", "application/x-xz"),
    (".bz2", "application/x-bzip2"),
    (".zst", "application/zstd"),
    (".tar", "application/x-tar"),
    (".zip", "application/zip"),
    (".whl", "application/zip"),
    (".jar", "application/java-archive"),
    (".deb", "application/vnd.debian.binary-package"),
    (".rpm", "application/x-rpm"),
    (".apk", "application/vnd.android.package-archive"),
    (".dmg", "application/x-apple-diskimage"),
    (".msi", "application/x-msi"),
    (".exe", "application/vnd.microsoft.portable-executable"),
    (".json", "application/json"),
    (".jsonl", att.MEDIA_JSONL),
    (".ndjson", att.MEDIA_JSONL),
    (".xml", "application/xml"),
    (".html", "text/html"),
    (".md", "text/markdown"),
    (".txt", "text/plain"),
    (".log", "text/plain"),
    (".csv", "text/csv"),
    (".yaml", "application/yaml"),
    (".yml", "application/yaml"),
    (".toml", "application/toml"),
    (".pdf", "application/pdf"),
    (".png", "image/png"),
    (".sig", "application/octet-stream"),
    (".asc", "application/pgp-signature"),
    (".pem", "application/x-pem-file"),
    (".crt", "application/x-pem-file"),
)
_MEDIA_BY_SUFFIX = dict(_MEDIA_TYPES)
OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True)
class Classification:
    """The kind, media type and inspected facts of one item, plus warnings."""

    kind: str
    media_type: str
    sbom: sbom.SbomInfo | None = None
    attestation: att.AttestationInfo | None = None
    warnings: tuple[str, ...] = ()


def wants_content(name: str, size: int) -> bool:
    """True when :func:`classify` will parse this file's bytes (so the hasher keeps them)."""
    return size <= INSPECT_LIMIT and _base(name).lower().endswith(INSPECT_SUFFIXES)


def name_hint(name: str) -> str | None:
    """The kind a file's name promises, or ``None`` (plain artifact)."""
    base = _base(name)
    return _hint(base, base.lower())


def _hint(base: str, lower: str) -> str | None:
    if lower.endswith(_ATTESTATION_SUFFIXES):
        return ATTESTATION
    if lower.endswith(_SBOM_SUFFIXES) or lower in _SBOM_NAMES:
        return SBOM
    if lower.endswith(".xml") and (lower.startswith("junit") or lower.startswith("test-")):
        return TEST_REPORT
    if lower.endswith(".log"):
        return LOG
    if base.endswith("SUMS") or lower in _MANIFEST_NAMES or lower.endswith(_MANIFEST_SUFFIXES):
        return MANIFEST
    return None


def media_type_for(name: str) -> str:
    """Media type from the fixed suffix table (``application/octet-stream`` if unknown)."""
    return _media(_base(name).lower())


def _media(lower: str) -> str:
    # The two-part suffix first (".tar.gz" before ".gz"); it needs two dots in the name.
    last = lower.rfind(".")
    if last < 0:
        return OCTET_STREAM
    before = lower.rfind(".", 0, last)
    if before >= 0:
        media = _MEDIA_BY_SUFFIX.get(lower[before:])
        if media is not None:
            return media
    return _MEDIA_BY_SUFFIX.get(lower[last:], OCTET_STREAM)


def classify(name: str, content: bytes | None, *, size: int) -> Classification:
    """Classify one item from its name and, when read, its bytes (never raises)."""
    base = _base(name)
    lower = base.lower()
    hint = _hint(base, lower)
    try:
        return _classify(lower, content, size, hint)
    except Exception as exc:  # a parser surprise must never stop the bytes being anchored
        return _by_name(lower, hint, (f"{hint or ARTIFACT}: not inspected ({type(exc).__name__})",))


def _classify(lower: str, content: bytes | None, size: int, hint: str | None) -> Classification:
    if content is None:
        warnings: tuple[str, ...] = ()
        if (
            hint in (SBOM, ATTESTATION)
            and lower.endswith(INSPECT_SUFFIXES)
            and size > INSPECT_LIMIT
        ):
            warnings = (f"{hint}: larger than {INSPECT_LIMIT} bytes, not inspected",)
        return _by_name(lower, hint, warnings)
    if lower.endswith((".jsonl", ".ndjson")):
        return _jsonl(lower, content, hint)
    if lower.endswith(".xml"):
        return _xml(lower, content, hint)
    if lower.endswith(".spdx"):
        return _tag_value(lower, content, hint)
    if lower.endswith(_JSON_SUFFIXES):
        return _json(lower, content, hint)
    return _by_name(lower, hint, ())


# Name-only results without warnings, shared: Classification is immutable, and most
# items of a release are one of a few (kind, media type) pairs.
_NAME_ONLY: dict[tuple[str, str], Classification] = {}


def _by_name(lower: str, hint: str | None, warnings: tuple[str, ...]) -> Classification:
    """Kind and media type from the name alone (``lower``: the base name, lower-cased)."""
    kind = hint or ARTIFACT
    if kind == SBOM:
        media = sbom.MEDIA_SPDX_TAG_VALUE if lower.endswith(".spdx") else _media(lower)
    elif kind == ATTESTATION:
        media = att.MEDIA_SIGSTORE if ".sigstore" in lower else att.MEDIA_IN_TOTO
        if lower.endswith(".jsonl"):
            media = att.MEDIA_JSONL
        elif lower.endswith((".dsse", ".dsse.json")):
            media = att.MEDIA_DSSE
    elif kind == MANIFEST:
        media = _media(lower)
        media = "text/plain" if media == OCTET_STREAM else media
    else:
        media = _media(lower)
    if warnings:
        return Classification(kind, media, warnings=warnings)
    found = _NAME_ONLY.get((kind, media))
    if found is None:  # a race here only makes an equal object twice
        found = _NAME_ONLY.setdefault((kind, media), Classification(kind, media))
    return found


def _json(lower: str, content: bytes, hint: str | None) -> Classification:
    try:
        doc: Any = json.loads(_text(content))
    except UnicodeDecodeError:
        return _unrecognised(lower, hint, "not valid UTF-8")
    except json.JSONDecodeError as exc:
        return _unrecognised(lower, hint, f"not valid JSON (line {exc.lineno}, column {exc.colno})")
    except (ValueError, RecursionError):
        return _unrecognised(lower, hint, "not valid JSON")
    if sbom.is_cyclonedx_json(doc):
        info, warnings = sbom.inspect_cyclonedx_json(doc)
        return Classification(SBOM, sbom.MEDIA_CYCLONEDX_JSON, sbom=info, warnings=tuple(warnings))
    if sbom.is_spdx_json(doc):
        info, warnings = sbom.inspect_spdx_json(doc)
        return Classification(SBOM, sbom.MEDIA_SPDX_JSON, sbom=info, warnings=tuple(warnings))
    found, warnings = att.inspect_document(doc)
    if found is not None:
        return Classification(
            ATTESTATION, _attestation_media(found, doc), attestation=found, warnings=tuple(warnings)
        )
    if isinstance(doc, dict) and doc.get("format") == MANIFEST_FORMAT:
        return Classification(MANIFEST, "application/json")
    return _unrecognised(lower, hint, "not a recognised document")


def _attestation_media(found: att.AttestationInfo, doc: Any) -> str:
    if found.format == "sigstore-bundle":
        media = doc.get("mediaType") if isinstance(doc, dict) else None
        return media if media in att.SIGSTORE_MEDIA_TYPES else att.MEDIA_SIGSTORE
    if found.format == "dsse-envelope":
        return att.MEDIA_DSSE
    return att.MEDIA_IN_TOTO


def _jsonl(lower: str, content: bytes, hint: str | None) -> Classification:
    try:
        text = _text(content)
    except UnicodeDecodeError:
        return _unrecognised(lower, hint, "not valid UTF-8")
    found, warnings = att.inspect_json_lines(text)
    if found is None:
        if hint == ATTESTATION:
            return Classification(ATTESTATION, att.MEDIA_JSONL, warnings=tuple(warnings))
        return _by_name(lower, hint, ())
    return Classification(ATTESTATION, att.MEDIA_JSONL, attestation=found, warnings=tuple(warnings))


def _xml(lower: str, content: bytes, hint: str | None) -> Classification:
    import xml.etree.ElementTree as ET  # only when an XML file is inspected

    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        return _unrecognised(lower, hint, "XML with a document type declaration is not inspected")
    try:
        root = ET.fromstring(content)
    except (ET.ParseError, ValueError, RecursionError):
        return _unrecognised(lower, hint, "not well-formed XML")
    if sbom.is_cyclonedx_xml(root):
        info, warnings = sbom.inspect_cyclonedx_xml(root)
        return Classification(SBOM, sbom.MEDIA_CYCLONEDX_XML, sbom=info, warnings=tuple(warnings))
    if root.tag in ("testsuites", "testsuite"):
        return Classification(TEST_REPORT, "application/xml")
    return _unrecognised(lower, hint, "not a recognised document")


def _tag_value(lower: str, content: bytes, hint: str | None) -> Classification:
    try:
        text = _text(content)
    except UnicodeDecodeError:
        return _unrecognised(lower, hint, "not valid UTF-8")
    info, warnings = sbom.inspect_spdx_tag_value(text)
    if info is None:
        return Classification(SBOM, sbom.MEDIA_SPDX_TAG_VALUE, warnings=tuple(warnings))
    return Classification(SBOM, sbom.MEDIA_SPDX_TAG_VALUE, sbom=info, warnings=tuple(warnings))


def _unrecognised(lower: str, hint: str | None, problem: str) -> Classification:
    # Only a name that promised structured evidence turns a parse failure into a warning;
    # any other .json/.xml is just bytes.
    if hint in (SBOM, ATTESTATION, TEST_REPORT):
        return _by_name(lower, hint, (f"{hint}: {problem}",))
    return _by_name(lower, hint, ())


def _text(content: bytes) -> str:
    text = content.decode("utf-8")
    return text[1:] if text.startswith("\ufeff") else text


def _base(name: str) -> str:
    return name.rsplit("/", 1)[-1]
