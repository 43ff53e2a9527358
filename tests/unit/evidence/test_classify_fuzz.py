"""Property: whatever the bytes, classification never raises and the manifest stays valid."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anchor.evidence.classify import classify
from anchor.evidence.collect import assemble
from anchor.evidence.manifest import Item
from anchor.evidence.metadata import Metadata

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "docs" / "manifest.schema.json").read_text()
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
NAMES = (
    "a.sigstore.json",
    "a.intoto.jsonl",
    "a.dsse.json",
    "a.cdx.json",
    "a.cdx.xml",
    "a.spdx.json",
    "a.spdx",
    "junit.xml",
    "data.json",
    "x.xml",
)
KEYS = (
    "_type", "subject", "predicateType", "payloadType", "payload", "signatures", "mediaType",
    "dsseEnvelope", "messageSignature", "messageDigest", "algorithm", "digest", "name",
    "verificationMaterial", "bomFormat", "specVersion", "components", "spdxVersion", "packages",
    "format",
)  # fmt: skip
VALUES = (
    "https://in-toto.io/Statement/v1",
    "application/vnd.in-toto+json",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "CycloneDX",
    "SPDX-2.3",
    "SHA2_256",
    "\ud800",
    "1.5",
    "sha256",
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=8)
    | st.sampled_from(VALUES)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=6)
    ),
    max_leaves=30,
)


def _check(name: str, data: bytes) -> None:
    c = classify(name, data, size=len(data))
    item = Item(
        name,
        c.kind,
        c.media_type,
        len(data),
        hashlib.sha256(data).digest(),
        0,
        sbom=c.sbom,
        attestation=c.attestation,
        warnings=c.warnings,
    )
    doc = json.loads(assemble(Metadata(), [item]).manifest_bytes)
    VALIDATOR.validate(doc)


def _encode(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(NAMES), st.binary(max_size=200))
def test_random_bytes(name: str, data: bytes) -> None:
    _check(name, data)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(NAMES), json_values, st.booleans())
def test_json_shaped_documents(name: str, value: Any, wrap: bool) -> None:
    if wrap:  # the same value as a DSSE payload inside a Sigstore bundle
        value = {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "dsseEnvelope": {
                "payloadType": "application/vnd.in-toto+json",
                "payload": base64.b64encode(_encode(value)).decode(),
            },
        }
    data = _encode(value)
    _check(name, data)
    _check(name, data + b"\n" + data)  # JSON Lines
