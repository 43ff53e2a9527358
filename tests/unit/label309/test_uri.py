"""URI shape rules and the CID profile, strict decoding (ADR 0004, §10.1 and §10.11)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from anchor.label309.uri import CidError, cidv1_raw_sha256, ipfs_cid, parse_cid, uri_problem

DIGEST = bytes(range(32))
CIDV0 = "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"
LONG_VECTOR_CID = "bafybeifkvkvkvkvkvkvkvkvkvkvkvkvkvkvkvkvkvkvkvkvkvkvkvkvkvi"
AR = "ar://" + "aB0_-" * 8 + "xyz"


def b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def b58(data: bytes) -> str:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n, out = int.from_bytes(data, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = alphabet[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\x00"))) + out


def test_the_long_positive_vector_cid_is_well_formed_under_strict_rules() -> None:
    cid = parse_cid(LONG_VECTOR_CID)
    assert (cid.version, cid.codec, cid.multihash) == (1, 0x70, 0x12)
    assert cid.digest == b"\xaa" * 32
    assert len(LONG_VECTOR_CID) - 1 == 58  # 36 bytes -> 58 base32 characters, 2 zero bits


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (LONG_VECTOR_CID[:-1] + "j", "non-zero trailing bits"),
        (LONG_VECTOR_CID + "a", "not a valid unpadded length"),
        ("b" + b32(b"\x01\x55\x12\x20" + DIGEST + b"\x00"), "33 bytes, declared 32"),
        ("b" + b32(b"\x01\x55\x12\x21" + DIGEST + b"\x00"), "length 33 is not 32"),
        ("b" + b32(b"\x01\x55\x12\x20" + DIGEST[:31]), "31 bytes"),
        ("b" + b32(b"\x01\x72\x12\x20" + DIGEST), "codec 0x72"),
        ("b" + b32(b"\x01\x55\x13\x40" + DIGEST * 2), "multihash 0x13"),
        ("b" + b32(b"\x02\x55\x12\x20" + DIGEST), "version 2"),
        ("b" + b32(b"\x01\xd5\x00\x12\x20" + DIGEST), "non-minimal varint"),
        ("m" + base64.b64encode(b"\x01\x55\x12\x20" + DIGEST).decode(), "prefix 'm'"),
        ("Qm" + "1" * 44, "CIDv0 does not decode"),
        (CIDV0[:-1], "46 characters"),
        ("f0155122" + DIGEST.hex(), "odd length"),
        ("", "too short"),
    ],
)
def test_cid_rejections(text: str, reason: str) -> None:
    with pytest.raises(CidError, match=reason):
        parse_cid(text)


def test_cid_accepted_forms() -> None:
    payload = b"\x01\x71\xa0\xe4\x02\x20" + DIGEST  # dag-cbor, blake2b-256
    for text in ("b" + b32(payload), "B" + b32(payload).upper(), "f" + payload.hex(),
                 "F" + payload.hex().upper(), "z" + b58(payload)):  # fmt: skip
        cid = parse_cid(text)
        assert (cid.codec, cid.hash_alg, cid.digest) == (0x71, "blake2b-256", DIGEST)
    assert parse_cid(CIDV0).version == 0


def test_producer_cid_for_the_empty_file() -> None:
    digest = hashlib.sha256(b"").digest()
    cid = cidv1_raw_sha256(digest)
    assert cid == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"
    parsed = parse_cid(cid)
    assert (parsed.codec, parsed.multihash, parsed.digest) == (0x55, 0x12, digest)
    assert ipfs_cid(f"ipfs://{cid}/x") == parsed
    assert ipfs_cid(AR) is None
    with pytest.raises(ValueError):
        cidv1_raw_sha256(b"\x00" * 31)


@pytest.mark.parametrize(
    "uri",
    [AR, "AR://" + AR[5:], "Ar://" + AR[5:], f"ipfs://{CIDV0}", f"IPFS://{CIDV0}/a/b.tgz",
     f"ipfs://{LONG_VECTOR_CID}/release/x%20y.tar.gz?x=1", f"ipfs://{CIDV0}/"],
)  # fmt: skip
def test_valid_uris(uri: str) -> None:
    assert uri_problem(uri) is None


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        (AR + "#x", "fragment_forbidden"),
        (f"ipfs://{CIDV0}#", "fragment_forbidden"),
        ("https://example.invalid/x", "scheme_forbidden"),
        ("ar:" + AR[5:], "scheme_forbidden"),
        ("ipfs:/" + CIDV0, "scheme_forbidden"),
        ("//" + CIDV0, "not_absolute_uri"),
        ("1ar://x", "not_absolute_uri"),
        ("", "not_absolute_uri"),
        (AR[:-1], "ar_txid_shape"),
        (AR + "a", "ar_txid_shape"),
        (AR + "/path", "ar_txid_shape"),
        ("ar://" + "a" * 42 + "=", "ar_txid_shape"),
        (f"ipfs://{CIDV0}/a b", "invalid_uri_character"),
        (f"ipfs://{CIDV0}/\u00e9", "invalid_uri_character"),
        (f"ipfs://{CIDV0}/%zz", "bad_percent_encoding"),
        (
            "ipfs://bAfkreiflvov2xk5lvov2xk5lvov2xk5lvov2xk5lvov2xk5lvov2xk5lvm",
            "ipfs_cid_unsupported",
        ),
        ("ipfs://", "ipfs_cid_unsupported"),
    ],
)
def test_invalid_uris(uri: str, reason: str) -> None:
    problem = uri_problem(uri)
    assert problem is not None and problem.startswith(reason), problem
