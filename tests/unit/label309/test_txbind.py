"""Transaction splitting and binding beyond the vectors: eras, tag 258, null aux, chain facts."""

from __future__ import annotations

import pytest

from anchor.errors import InputError
from anchor.label309 import cbor
from anchor.label309.carriage import metadata_map_bytes
from anchor.label309.hashes import blake2b_256
from anchor.label309.txbind import (
    BindFailed,
    BindOk,
    Confirmed,
    Pending,
    TxBindError,
    bind,
    confirmation_depth,
    confirmation_status,
    split_tx,
    tx_id,
)

RECORD_BODY = bytes.fromhex(
    "a2617601656974656d7381a166686173686573a168736861322d3235365820" + "11" * 32
)
AUX = bytes.fromhex("d90103a100") + metadata_map_bytes(RECORD_BODY)
# A body with a tag-258 input set and a non-canonical (non-minimal) fee, plus key 7.
BODY = bytes.fromhex("a400d901028182582000" + "00" * 31 + "000180021a000f4240075820") + blake2b_256(
    AUX
)


def _code(result: BindOk | BindFailed) -> str:
    assert isinstance(result, BindFailed)
    return result.code


def test_split_alonzo_form_returns_raw_spans() -> None:
    tx = b"\x84" + BODY + b"\xa0" + b"\xf5" + AUX
    parts = split_tx(tx)
    assert (parts.body, parts.aux, parts.era_form, parts.is_valid) == (BODY, AUX, "alonzo", True)
    assert tx_id(parts.body) == blake2b_256(BODY)


def test_split_shelley_form_and_null_aux() -> None:
    parts = split_tx(b"\x83" + BODY + b"\xa0" + b"\xf6")
    assert (parts.body, parts.aux, parts.era_form, parts.is_valid) == (BODY, None, "shelley", None)
    parts = split_tx(b"\x84" + BODY + b"\xa0" + b"\xf4" + b"\xf6")
    assert parts.aux is None and parts.is_valid is False


@pytest.mark.parametrize(
    "tx_hex",
    [
        "",
        "a0",  # not an array
        "82a0a0",  # two elements
        "85a0a0f5f6f6",  # five elements
        "84a0a001f6",  # is_valid not a bool
        "8380a0f6",  # body not a map
        "83a0a0f600",  # trailing byte
        "83a0a0",  # truncated
    ],
)
def test_split_rejects(tx_hex: str) -> None:
    with pytest.raises(TxBindError) as info:
        split_tx(bytes.fromhex(tx_hex))
    assert info.value.code == "TX_INTEGRITY_MISMATCH"


def test_bind_ok_with_tag_258_body() -> None:
    result = bind(blake2b_256(BODY), BODY, AUX)
    assert isinstance(result, BindOk)
    assert result.record_body == RECORD_BODY
    assert result.aux_hash == blake2b_256(AUX)
    assert result.label309_value == metadata_map_bytes(RECORD_BODY)[4:]


def test_bind_without_aux() -> None:
    plain = bytes.fromhex("a30080018002182a")
    assert _code(bind(blake2b_256(plain), plain, None)) == "METADATA_NOT_FOUND"
    # The body commits to aux data the provider did not return: not the requested tx.
    assert _code(bind(blake2b_256(BODY), BODY, None)) == "TX_INTEGRITY_MISMATCH"


def test_bind_key7_shapes() -> None:
    wrong_type = bytes.fromhex("a2008007") + cbor.encode(blake2b_256(AUX).hex())
    non_minimal = bytes.fromhex("a2008007590020") + blake2b_256(AUX)
    twice = bytes.fromhex("a30080075820") + blake2b_256(AUX) + b"\x07\x58\x20" + blake2b_256(AUX)
    assert _code(bind(blake2b_256(wrong_type), wrong_type, AUX)) == "TX_INTEGRITY_MISMATCH"
    assert bind(blake2b_256(non_minimal), non_minimal, AUX).ok is True
    assert _code(bind(blake2b_256(twice), twice, AUX)) == "TX_INTEGRITY_MISMATCH"


def test_bind_reports_carriage_codes() -> None:
    aux = cbor.encode({309: [b"\x00" * 65]})
    body = bytes.fromhex("a1075820") + blake2b_256(aux)
    assert _code(bind(blake2b_256(body), body, aux)) == "CHUNK_TOO_LARGE"
    aux = cbor.encode({309: RECORD_BODY[:60]})
    body = bytes.fromhex("a1075820") + blake2b_256(aux)
    assert _code(bind(blake2b_256(body), body, aux)) == "MALFORMED_CBOR"


def test_bind_never_raises_on_garbage_body() -> None:
    for body in [b"", b"\xff", b"\x80", b"\xa1\x07"]:
        assert _code(bind(blake2b_256(body), body, AUX)) == "TX_INTEGRITY_MISMATCH"


def test_confirmation_edges() -> None:
    assert confirmation_depth(100, 100) == 1
    assert confirmation_depth(100, 101) == 0  # explorer inconsistency → pending
    assert confirmation_status(0, 1) == Pending(depth=0, threshold=1)
    assert confirmation_status(15, 15) == Confirmed(depth=15, threshold=15)
    assert confirmation_status(14, 15) == Pending(depth=14, threshold=15)
    assert Pending(depth=14, threshold=15).code == "INSUFFICIENT_CONFIRMATIONS"
    with pytest.raises(InputError):
        confirmation_status(5, 0)
