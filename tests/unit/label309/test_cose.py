"""COSE_Sign1 signing, structural checks and verification beyond the vectors (ADR 0004 §7)."""

from __future__ import annotations

from typing import Any

import pytest

from anchor.label309 import cbor, cose, ed25519, hashes
from anchor.label309.cbor import CborMap
from anchor.label309.cose_verify import (
    Network,
    verify_cose_sign1,
    verify_sig_entry,
    verify_signatures,
    wallet_address,
)
from anchor.label309.record import SigEntry, build_record_body, with_sigs
from tests.unit.label309._records import errors, issues, record

SEED = bytes(range(32))
PK = ed25519.public_key(SEED)
BODY = cbor.encode(record())


def _sign(
    protected: Any, *, unprotected: Any = None, hashed: bool = False, sig_len: int = 64
) -> bytes:
    prot = cbor.encode(protected) if protected else b""
    payload = cose.to_sign(BODY)
    if hashed:
        payload = hashes.blake2b_224(payload)
    signature = ed25519.sign(SEED, cose.sig_structure(prot, payload))[:sig_len]
    return cose.encode_sign1(
        prot, CborMap() if unprotected is None else unprotected, None, signature
    )


def _verify(
    sign1: bytes, key: bytes | None = None, network: Any = "mainnet"
) -> tuple[bool, Any, Any]:
    entry = CborMap({"cose_sign1": sign1} | ({"cose_key": key} if key else {}))
    result = verify_sig_entry(entry, BODY, network=network)
    return result.ok, result.code, result.signer_type


def _cose_key(extra: dict[int, Any] | None = None) -> bytes:
    return cbor.encode({1: 1, 3: -8, -1: 6, -2: PK} | (extra or {}))


def test_path1_layout_and_roundtrip() -> None:
    sign1 = cose.sign_record(BODY, SEED)
    assert sign1.hex().startswith("845826a20127045820" + PK.hex() + "a0f65840")
    assert len(sign1) == 109
    assert _verify(sign1) == (True, None, "in-signature-kid")
    signed = with_sigs(BODY, [SigEntry(sign1)])
    assert [r.ok for r in verify_signatures(signed, network="testnet")] == [True]
    tampered = with_sigs(cbor.encode(record(supersedes=b"\x01" * 32)), [SigEntry(sign1)])
    assert [r.code for r in verify_signatures(tampered, network="mainnet")] == ["SIGNATURE_INVALID"]
    assert cose.verify_signatures(signed, network="mainnet")[0].ok


def test_hashed_mode_and_alg_minus_19() -> None:
    prot = {1: -8, 4: PK}
    assert _verify(_sign(prot, unprotected={"hashed": True}, hashed=True))[:2] == (True, None)
    assert (
        _verify(_sign(prot, unprotected={"hashed": False}, hashed=True))[1] == "SIGNATURE_INVALID"
    )
    assert (
        _verify(_sign(prot, hashed=False, unprotected={"hashed": True}))[1] == "SIGNATURE_INVALID"
    )
    assert _verify(_sign({1: -19, 4: PK}))[:2] == (True, None)


def test_unsupported_alg_is_info_and_unverified() -> None:
    sign1 = _sign({1: -7, 4: PK})
    assert _verify(sign1) == (False, "SIGNATURE_UNSUPPORTED", "in-signature-kid")
    assert issues(record(sigs=[{"cose_sign1": sign1}])) == [
        (("sigs", 0), "SIGNATURE_UNSUPPORTED", "info")
    ]
    assert _verify(_sign({1: "EdDSA", 4: PK}))[1] == "SIGNATURE_UNSUPPORTED"


@pytest.mark.parametrize(
    ("sign1", "where"),
    [
        (b"\xd2" + _sign({1: -8, 4: PK}), "tag 18"),
        (_sign({4: PK}), "no alg"),
        (_sign({}), "empty protected bytes: no alg"),
        (_sign({1: -8, 4: PK}, sig_len=63), "63-byte signature"),
        (b"\x84\x47\xa2\x01\x27\x18\x01\x38\x06\xa0\xf6\x40", "repeated label"),
        (cbor.encode([cbor.encode({1: -8}), [], None, b""]), "unprotected not a map"),
        (cbor.encode([cbor.encode([1]), {}, None, b""]), "protected not a map"),
        (cbor.encode([b"", {}, None]), "3 elements"),
        (b"\x84", "truncated"),
    ],
    ids=["tag18", "no-alg", "empty-protected", "sig-63", "dup-label", "unprot", "prot", "short", "trunc"],
)  # fmt: skip
def test_malformed_cose(sign1: bytes, where: str) -> None:
    assert errors(record(sigs=[{"cose_sign1": sign1}])) == ["MALFORMED_SIG_COSE_SIGN1"], where
    assert _verify(sign1)[1] == "MALFORMED_SIG_COSE_SIGN1"


def test_unprotected_kid_is_never_used() -> None:
    sign1 = _sign({1: -8}, unprotected={4: PK})
    assert errors(record(sigs=[{"cose_sign1": sign1}])) == []
    assert _verify(sign1) == (False, "SIGNER_KEY_UNRESOLVED", None)


def test_wallet_path_binds_the_containing_network() -> None:
    pairs: tuple[tuple[Network, Network], ...] = (("mainnet", "testnet"), ("testnet", "mainnet"))
    for network, other in pairs:
        sign1 = _sign({1: -8, "address": wallet_address(PK, network)})
        assert _verify(sign1, _cose_key(), network) == (True, None, "wallet-inline-key")
        assert _verify(sign1, _cose_key(), other)[1] == "WALLET_ADDRESS_MISMATCH"
    enterprise = b"\x61" + hashes.blake2b_224(PK)
    assert (
        _verify(_sign({1: -8, "address": enterprise}), _cose_key())[1] == "WALLET_ADDRESS_MISMATCH"
    )
    kid29 = {1: -8, 4: b"\xe1" + b"\x00" * 28, "address": wallet_address(PK, "mainnet")}
    assert _verify(_sign(kid29), _cose_key()) == (True, None, "wallet-inline-key")
    with pytest.raises(ValueError):
        _verify(_sign(kid29), _cose_key(), "preprod")


@pytest.mark.parametrize(
    ("key", "code"),
    [
        (_cose_key({-4: b"\x01" * 32}), "SIG_PRIVATE_KEY_LEAKED"),
        (cbor.encode({1: 2, -1: 6, -2: PK}), "MALFORMED_SIG_COSE_SIGN1"),
        (cbor.encode({1: 1, -1: 4, -2: PK}), "MALFORMED_SIG_COSE_SIGN1"),
        (cbor.encode({1: 1, -1: 6, -2: PK[:31]}), "MALFORMED_SIG_COSE_SIGN1"),
        (_cose_key({3: -7}), "MALFORMED_SIG_COSE_SIGN1"),
        (b"\xa1", "MALFORMED_SIG_COSE_SIGN1"),
    ],
    ids=["leak", "kty", "crv", "x", "alg", "truncated"],
)
def test_cose_key_checks(key: bytes, code: str) -> None:
    sign1 = _sign({1: -8, "address": wallet_address(PK, "mainnet")})
    assert errors(record(sigs=[{"cose_sign1": sign1, "cose_key": key}])) == [code]


def test_kid_and_cose_key_conflict() -> None:
    sign1 = _sign({1: -8, 4: PK})
    assert issues(record(sigs=[{"cose_sign1": sign1, "cose_key": _cose_key()}])) == [
        (("sigs", 0), "SIG_ENTRY_KID_COSE_KEY_CONFLICT", "error")
    ]


def test_detach_payload() -> None:
    attached = cose.sign1(SEED, {1: -8, 4: PK}, cose.to_sign(BODY))
    detached = cose.detach_payload(attached)
    assert detached == cose.sign_record(BODY, SEED)
    assert cose.detach_payload(b"\xd2" + attached) == detached
    assert verify_cose_sign1(attached).ok
    with pytest.raises(cose.CoseError):
        cose.detach_payload(cbor.encode([1, 2, 3]))
    with pytest.raises(cose.CoseError):
        cose.detach_payload(attached + b"\x00")


def test_generic_verify_edges() -> None:
    detached = cose.sign_record(BODY, SEED)
    assert verify_cose_sign1(detached).code == "MALFORMED_SIG_COSE_SIGN1"
    assert verify_cose_sign1(detached, detached_payload=cose.to_sign(BODY)).ok
    no_kid = cose.sign1(SEED, {1: -8}, b"hi")
    assert verify_cose_sign1(no_kid).code == "SIGNER_KEY_UNRESOLVED"
    assert verify_cose_sign1(no_kid, public_key=PK).ok


def test_records_without_sigs_have_no_results() -> None:
    assert (
        verify_signatures(build_record_body(items=[]) if False else BODY, network="mainnet") == []
    )
