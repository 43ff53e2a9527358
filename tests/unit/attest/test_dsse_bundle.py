"""DSSE PAE (the specification's example), the ephemeral key, and the bundle's exact shape."""

from __future__ import annotations

import hashlib
import json

import pytest
from sigstore_models.bundle.v1 import Bundle

from anchor.attest.bundle import BUNDLE_MEDIA_TYPE, b64encode, build_bundle, parse_bundle
from anchor.attest.codes import CheckFailed
from anchor.attest.dsse import PAYLOAD_TYPE, EphemeralKey, audience_for, key_sha256, pae, verify_der
from anchor.devnet.oidc import RunningOidc
from tests.unit.attest.kit import make_bundle


def test_pae_matches_the_dsse_specification_example() -> None:
    # DSSE protocol.md: PAE("http://example.com/HelloWorld", "hello world")
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_bytes_not_characters() -> None:
    assert pae("t\u00e9", b"\xff\x00") == b"DSSEv1 3 t\xc3\xa9 2 \xff\x00"


def test_keyid_is_sha256_of_the_der_spki() -> None:
    key = EphemeralKey()
    assert key.keyid == hashlib.sha256(key.spki_der).hexdigest() == key_sha256(key.spki_der)
    assert audience_for(key.spki_der) == f"anchor:v1:sha256:{key.keyid}"
    assert "PRIVATE" not in repr(key) and key.keyid[:16] in repr(key)


def test_signature_is_der_over_pae_and_strict() -> None:
    key = EphemeralKey()
    sig = key.sign(PAYLOAD_TYPE, b"{}")
    assert sig[0] == 0x30  # a DER SEQUENCE
    parsed = parse_bundle(
        build_bundle(spki_der=key.spki_der, payload_type=PAYLOAD_TYPE, payload=b"{}", signature=sig)
    )
    assert verify_der(parsed.key, PAYLOAD_TYPE, b"{}", sig)
    assert not verify_der(parsed.key, PAYLOAD_TYPE, b"{ }", sig)
    assert not verify_der(parsed.key, "text/plain", b"{}", sig)
    # the same signature in a non-minimal (BER) length form is refused
    ber = bytes([0x30, 0x81, sig[1]]) + sig[2:]
    assert not verify_der(parsed.key, PAYLOAD_TYPE, b"{}", ber)


def test_bundle_has_exactly_the_sigstore_v03_shape(github: RunningOidc) -> None:
    made = make_bundle(github.issuer)
    doc = json.loads(made.data)
    hint = b64encode(made.key.spki_der)
    assert doc == {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {"publicKey": {"hint": hint}, "tlogEntries": []},
        "dsseEnvelope": {
            "payloadType": "application/vnd.in-toto+json",
            "payload": b64encode(made.payload),
            "signatures": [{"sig": doc["dsseEnvelope"]["signatures"][0]["sig"], "keyid": hint}],
        },
    }


def test_sigstore_models_parses_the_bundle(github: RunningOidc) -> None:
    """sigstore-models forbids unknown fields: existing tooling reads our bundles."""
    made = make_bundle(github.issuer)
    bundle = Bundle.from_json(made.data)
    assert bundle.media_type == BUNDLE_MEDIA_TYPE
    envelope = bundle.dsse_envelope
    assert envelope is not None
    assert envelope.payload == made.payload
    assert envelope.payload_type == PAYLOAD_TYPE
    assert len(envelope.signatures) == 1


def _set_key(doc: dict, hint: str) -> None:  # type: ignore[type-arg]
    doc["verificationMaterial"]["publicKey"]["hint"] = hint
    doc["dsseEnvelope"]["signatures"][0]["keyid"] = hint


@pytest.mark.parametrize(
    ("edit", "detail"),
    [
        (
            lambda d: d.update(mediaType="application/vnd.dev.sigstore.bundle.v0.2+json"),
            "mediaType",
        ),
        (lambda d: d["verificationMaterial"].update(tlogEntries=[{}]), "tlogEntries"),
        (lambda d: d["dsseEnvelope"].update(signatures=[]), "exactly one signature"),
        (lambda d: d["dsseEnvelope"]["signatures"][0].update(keyid="other"), "keyid"),
        (lambda d: _set_key(d, "AAAA"), "P-256"),
        (lambda d: d["dsseEnvelope"].update(payload="not base64!"), "base64"),
        (lambda d: d["dsseEnvelope"].pop("payloadType"), "missing field"),
    ],
)
def test_malformed_bundles(github: RunningOidc, edit, detail: str) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(make_bundle(github.issuer).data)
    edit(doc)
    with pytest.raises(CheckFailed) as info:
        parse_bundle(json.dumps(doc).encode())
    assert info.value.code == "bundle-malformed"
    assert detail in info.value.detail


@pytest.mark.parametrize("raw", [b"", b"[]", b'{"a":1,"a":2}', b"\xff", b'{"x": NaN}'])
def test_not_strict_json_is_malformed(raw: bytes) -> None:
    with pytest.raises(CheckFailed) as info:
        parse_bundle(raw)
    assert info.value.code == "bundle-malformed"
