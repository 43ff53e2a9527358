"""The manifest: canonical bytes, omitted optionals, ordering invariants, JSON Schema."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anchor.evidence.collect import assemble, build_bundle, plan
from anchor.evidence.manifest import FORMAT, Item, Manifest, ManifestError, load_manifest
from anchor.evidence.metadata import Metadata
from anchor.evidence.sbom import SbomInfo

REPO = Path(__file__).resolve().parents[3]
SCHEMA = json.loads((REPO / "docs" / "manifest.schema.json").read_text())
FIXTURES = REPO / "fixtures" / "sample-release"
FULL_METADATA = Metadata(
    name="evidence-demo",
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


def _validator() -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA)


def _item(name: str, index: int, data: bytes = b"", **kw: Any) -> Item:
    return Item(
        name,
        "artifact",
        "application/octet-stream",
        len(data),
        hashlib.sha256(data).digest(),
        index,
        **kw,
    )


def test_minimal_manifest_exact_bytes() -> None:
    bundle = assemble(Metadata(), [_item("a.bin", 0, b"a")])
    leaf = hashlib.sha256(b"a").hexdigest()
    root = hashlib.sha256(b"\x00" + bytes.fromhex(leaf)).hexdigest()
    assert (
        bundle.manifest_bytes
        == (
            '{"format":"evidence-anchor-manifest-v1","items":[{"digests":{"sha2-256":"'
            + leaf
            + '"},'
            '"kind":"artifact","leaf_index":0,"media_type":"application/octet-stream","name":"a.bin",'
            '"size":1}],"tree":{"alg":"rfc9162-sha256","leaf_count":1,"root":"' + root + '"}}'
        ).encode()
    )


def test_full_metadata_dual_hash_and_escaping() -> None:
    item = _item(
        'dir/quote"and\\slash\n é.bin',
        0,
        b"x",
        blake2b_256=hashlib.blake2b(b"x", digest_size=32).digest(),
        warnings=("sbom: something",),
    )
    doc = json.loads(assemble(FULL_METADATA, [item]).manifest_bytes)
    assert doc["release"] == {"name": "evidence-demo", "version": "1.0.0"}
    assert doc["build"]["time"] == "2024-01-02T03:04:05Z"
    assert (
        doc["items"][0]["digests"]["blake2b-256"]
        == hashlib.blake2b(b"x", digest_size=32).hexdigest()
    )
    raw = assemble(FULL_METADATA, [item]).manifest_bytes
    assert b'"name":"dir/quote\\"and\\\\slash\\n \xc3\xa9.bin"' in raw
    _validator().validate(doc)


def test_items_must_be_sorted_unique_and_indexed() -> None:
    with pytest.raises(ValueError, match="sorted"):
        Manifest(Metadata(), (_item("b", 0), _item("a", 1)), bytes(32))
    with pytest.raises(ValueError, match="sorted"):
        Manifest(Metadata(), (_item("a", 0), _item("a", 1)), bytes(32))
    with pytest.raises(ValueError, match="leaf_index"):
        Manifest(Metadata(), (_item("a", 1),), bytes(32))


def test_sample_release_manifest_validates_and_is_pinned() -> None:
    the_plan = plan([str(FIXTURES)], root=str(FIXTURES))
    bundle = build_bundle(the_plan, metadata=FULL_METADATA, dual_hash=True)
    doc = json.loads(bundle.manifest_bytes)
    _validator().validate(doc)
    assert [i["name"] for i in doc["items"]] == [
        "attestations/provenance.intoto.json",
        "attestations/release.intoto.jsonl",
        "attestations/test-result.dsse.json",
        "dist/SHA256SUMS",
        "dist/evidence-demo-1.0.0.tar.gz",
        "dist/evidence-demo-1.0.0.tar.gz.sigstore.json",
        "logs/build.log",
        "reports/junit.xml",
        "sbom/evidence-demo.cdx.json",
        "sbom/evidence-demo.cdx.xml",
        "sbom/evidence-demo.spdx",
        "sbom/evidence-demo.spdx.json",
    ]
    assert [i["leaf_index"] for i in doc["items"]] == list(range(12))
    for item in doc["items"]:
        data = (FIXTURES / item["name"]).read_bytes()
        assert item["size"] == len(data)
        assert item["digests"] == {
            "sha2-256": hashlib.sha256(data).hexdigest(),
            "blake2b-256": hashlib.blake2b(data, digest_size=32).hexdigest(),
        }
    assert doc["tree"] == {
        "alg": "rfc9162-sha256",
        "leaf_count": 12,
        "root": "26de1c12deee4ad5a7240ed7f93eadc75f3b47a726e06f96aca0173bac35b023",
    }
    assert load_manifest(bundle.manifest_bytes) == doc


def test_schema_rejects_nulls_and_unknown_fields() -> None:
    doc = json.loads(assemble(Metadata(), [_item("a", 0)]).manifest_bytes)
    validator = _validator()
    for bad in (
        {**doc, "release": {"name": None}},
        {**doc, "extra": 1},
        {**doc, "release": {}},
        {**doc, "items": [{**doc["items"][0], "kind": "binary"}]},
        {**doc, "items": [{**doc["items"][0], "name": "../up"}]},
        {**doc, "items": [{**doc["items"][0], "sbom": {"format": "spdx", "encoding": "json"}}]},
        {**doc, "tree": {**doc["tree"], "root": "AB" * 32}},
    ):
        assert not validator.is_valid(bad), bad


def test_sbom_info_omits_absent_fields() -> None:
    assert SbomInfo("spdx", "json", None, None).to_json() == {"format": "spdx", "encoding": "json"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "manifest.json: not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"format": "other"}', f"format is not {FORMAT}"),
        (b'{"format": "' + FORMAT.encode() + b'"}', "lacks items"),
        (
            b'{"format": "' + FORMAT.encode() + b'", "items": [], "tree": {"leaf_count": 1}}',
            "leaf_count differs",
        ),
    ],
)
def test_load_manifest_errors(data: bytes, message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        load_manifest(data)


# Names as a file system may hand them over: quotes, backslashes, controls, non-ASCII,
# astral characters; kinds and media types as classification writes them.
_name_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)) | st.sampled_from('"\\/\n\t\x00\x7f'),
    min_size=1,
    max_size=24,
)


@settings(max_examples=1500, deadline=None)
@given(
    name=_name_text,
    kind=st.sampled_from(["artifact", "log", "manifest", "test-report", "sbom", "attestation"]),
    media=st.sampled_from(["application/gzip", "text/plain", 'a"b\\c', "é/ü"]),
    size=st.integers(min_value=0, max_value=2**53 - 1),
    leaf_index=st.integers(min_value=0, max_value=2**32),
    sha=st.binary(min_size=32, max_size=32),
    blake=st.none() | st.binary(min_size=32, max_size=32),
)
def test_plain_item_bytes_are_the_canonical_encoding(
    name: str, kind: str, media: str, size: int, leaf_index: int, sha: bytes, blake: bytes | None
) -> None:
    from anchor.merkle.jcs import canonical_json

    item = Item(name, kind, media, size, sha, leaf_index, blake2b_256=blake)
    assert item.json_bytes == canonical_json(item.to_json())


def test_items_the_plain_form_does_not_cover_take_the_generic_encoder() -> None:
    from anchor.merkle.jcs import JsonFormatError

    sha = bytes(range(32))
    warned = Item("a", "sbom", "application/json", 1, sha, 0, warnings=("sbom: not valid JSON",))
    assert warned.json_bytes == (
        b'{"digests":{"sha2-256":"' + sha.hex().encode() + b'"},"kind":"sbom","leaf_index":0,'
        b'"media_type":"application/json","name":"a","size":1,'
        b'"warnings":["sbom: not valid JSON"]}'
    )
    huge = Item("a", "artifact", "text/plain", 2**53, sha, 0)
    with pytest.raises(JsonFormatError):
        _ = huge.json_bytes
    surrogate = Item("a\ud800", "artifact", "text/plain", 1, sha, 0)
    with pytest.raises(JsonFormatError, match="lone surrogate"):
        _ = surrogate.json_bytes
