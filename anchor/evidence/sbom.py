"""What an SBOM says about itself: format, encoding, spec version, component count.

Supported: CycloneDX JSON and XML, SPDX 2.x JSON and tag-value. The functions take an
already parsed document (or text), never raise on odd content and return an
:class:`SbomInfo` plus warnings naming what was missing or malformed. Counting rules
(documented in docs/bundle.md):

* CycloneDX: every object in ``components``, recursively through nested
  ``components``; the subject of the BOM (``metadata.component``) is not counted.
* SPDX: the number of packages (``packages`` in JSON, ``PackageName:`` lines in
  tag-value); files and snippets are not components.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from anchor.merkle.jcs import encodable

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

CYCLONEDX = "cyclonedx"
SPDX = "spdx"

MEDIA_CYCLONEDX_JSON = "application/vnd.cyclonedx+json"
MEDIA_CYCLONEDX_XML = "application/vnd.cyclonedx+xml"
MEDIA_SPDX_JSON = "application/spdx+json"
MEDIA_SPDX_TAG_VALUE = "text/spdx"

_CDX_NS = re.compile(r"^\{http://cyclonedx\.org/schema/bom/(\d+\.\d+)\}bom$")
_VERSION = re.compile(r"^\d+\.\d+$")
_MAX_VERSION_LEN = 32


@dataclass(frozen=True)
class SbomInfo:
    """Facts read from an SBOM; ``None`` fields were absent or unusable (see warnings)."""

    format: str
    encoding: str
    spec_version: str | None
    component_count: int | None

    def to_json(self) -> dict[str, object]:
        """The manifest form: absent fields are omitted, never null."""
        out: dict[str, object] = {"format": self.format, "encoding": self.encoding}
        if self.spec_version is not None:
            out["spec_version"] = self.spec_version
        if self.component_count is not None:
            out["component_count"] = self.component_count
        return out


def is_cyclonedx_json(doc: object) -> bool:
    """True when a parsed JSON document declares itself CycloneDX."""
    return isinstance(doc, dict) and doc.get("bomFormat") == "CycloneDX"


def is_spdx_json(doc: object) -> bool:
    """True when a parsed JSON document declares an SPDX version."""
    return isinstance(doc, dict) and "spdxVersion" in doc


def is_cyclonedx_xml(root: ET.Element) -> bool:
    """True when an XML root element is a CycloneDX ``bom`` in a versioned namespace."""
    return _CDX_NS.match(root.tag) is not None


def inspect_cyclonedx_json(doc: dict[str, Any]) -> tuple[SbomInfo, list[str]]:
    """Spec version and component count of a CycloneDX JSON document."""
    warnings: list[str] = []
    version = _version(doc.get("specVersion"), "specVersion", warnings)
    count = _count_cdx_json(doc.get("components"), warnings)
    return SbomInfo(CYCLONEDX, "json", version, count), warnings


def inspect_cyclonedx_xml(root: ET.Element) -> tuple[SbomInfo, list[str]]:
    """Spec version (from the namespace) and component count of a CycloneDX XML document."""
    match = _CDX_NS.match(root.tag)
    version = match.group(1) if match else None
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    count = 0
    stack = list(root.findall(f"{ns}components"))
    while stack:
        container = stack.pop()
        for component in container.findall(f"{ns}component"):
            count += 1
            stack.extend(component.findall(f"{ns}components"))
    return SbomInfo(CYCLONEDX, "xml", version, count), []


def inspect_spdx_json(doc: dict[str, Any]) -> tuple[SbomInfo, list[str]]:
    """Spec version and package count of an SPDX 2.x JSON document."""
    warnings: list[str] = []
    version = _spdx_version(doc.get("spdxVersion"), warnings)
    packages = doc.get("packages", [])
    count: int | None
    if isinstance(packages, list):
        count = len(packages)
    else:
        count = None
        warnings.append("sbom: 'packages' is not a list")
    return SbomInfo(SPDX, "json", version, count), warnings


def inspect_spdx_tag_value(text: str) -> tuple[SbomInfo | None, list[str]]:
    """Spec version and package count of an SPDX tag-value document (``None`` if not SPDX)."""
    version_field: str | None = None
    count = 0
    for line in text.splitlines():
        tag, sep, value = line.partition(":")
        if not sep:
            continue
        tag = tag.strip()
        if tag == "SPDXVersion" and version_field is None:
            version_field = value.strip()
        elif tag == "PackageName":
            count += 1
    if version_field is None:
        return None, ["sbom: no SPDXVersion tag (not an SPDX tag-value document)"]
    warnings: list[str] = []
    version = _spdx_version(version_field, warnings)
    return SbomInfo(SPDX, "tag-value", version, count), warnings


def _count_cdx_json(components: object, warnings: list[str]) -> int | None:
    if components is None:
        return 0
    if not isinstance(components, list):
        warnings.append("sbom: 'components' is not a list")
        return None
    count = 0
    bad = 0
    stack: list[object] = list(components)
    while stack:
        item = stack.pop()
        if not isinstance(item, dict):
            bad += 1
            continue
        count += 1
        nested = item.get("components")
        if isinstance(nested, list):
            stack.extend(nested)
        elif nested is not None:
            bad += 1
    if bad:
        warnings.append(f"sbom: {bad} malformed component entries not counted")
    return count


def _version(value: object, field: str, warnings: list[str]) -> str | None:
    if not isinstance(value, str) or not encodable(value):
        warnings.append(f"sbom: '{field}' missing or not a string")
        return None
    if not _VERSION.match(value):
        warnings.append(f"sbom: '{field}' is not of the form N.N")
        return value[:_MAX_VERSION_LEN] if value else None
    return value


def _spdx_version(value: object, warnings: list[str]) -> str | None:
    if not isinstance(value, str) or not encodable(value):
        warnings.append("sbom: 'spdxVersion' missing or not a string")
        return None
    if value.startswith("SPDX-") and _VERSION.match(value[5:]):
        return value[5:]
    warnings.append("sbom: 'spdxVersion' is not of the form SPDX-N.N")
    return value[:_MAX_VERSION_LEN] if value else None
