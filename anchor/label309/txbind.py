"""Cardano transaction binding: tx id, ``auxiliary_data_hash``, confirmation depth.

A verifier trusts nothing a provider says about a transaction until the fetched
bytes are bound to the requested id: ``blake2b-256(body bytes) == tx hash`` and
``blake2b-256(aux bytes) == body[7]``, both over the bytes exactly as fetched,
never a re-encoding. :func:`split_tx` slices those byte ranges out of a full
signed transaction with the lenient span reader (ledger bodies legitimately carry
tag 258 sets and other non-canonical forms); :func:`bind` applies BRIEF §8.3 and,
when the binding holds, unwraps and reassembles the label-309 record body.

Outcomes of :func:`bind` are explicit variants: :class:`BindOk` or
:class:`BindFailed` with ``TX_INTEGRITY_MISMATCH`` (this provider's response is
not the requested transaction), ``METADATA_NOT_FOUND`` (bound, but no label 309)
or a carriage code (``MALFORMED_CBOR``, ``CHUNK_TOO_LARGE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from anchor.errors import InputError, Label309Error
from anchor.label309 import cbor
from anchor.label309.carriage import CarriageError, reassemble, unwrap_aux_data
from anchor.label309.codes import (
    INSUFFICIENT_CONFIRMATIONS,
    METADATA_NOT_FOUND,
    TX_INTEGRITY_MISMATCH,
)
from anchor.label309.hashes import blake2b_256

AUX_DATA_HASH_KEY = 7
TX_HASH_LEN = 32


class TxBindError(Label309Error):
    """Fetched transaction bytes cannot be split into body and auxiliary data."""

    def __init__(self, message: str) -> None:
        super().__init__(TX_INTEGRITY_MISMATCH, message)


@dataclass(frozen=True)
class TxParts:
    """Raw byte ranges of a signed transaction: ``body`` and ``aux`` (None when null).

    ``era_form`` is ``"alonzo"`` for ``[body, witnesses, is_valid, aux]`` and
    ``"shelley"`` for ``[body, witnesses, aux]``; ``is_valid`` is None for the latter.
    """

    body: bytes
    aux: bytes | None
    era_form: Literal["alonzo", "shelley"]
    is_valid: bool | None


def split_tx(tx: bytes) -> TxParts:
    """Slice the body and auxiliary data out of a full signed transaction, as raw bytes.

    Raises :class:`TxBindError` (code TX_INTEGRITY_MISMATCH) when the bytes are not
    one well-formed 3- or 4-element transaction array with a map body.
    """
    data = bytes(tx)
    try:
        if cbor.item_end(data, 0) != len(data):
            raise TxBindError("transaction bytes have trailing data")
        if data[0] >> 5 != 4:
            raise TxBindError("transaction is not a CBOR array")
        spans = cbor.array_spans(data, 0)
    except cbor.CborError as exc:
        raise TxBindError("transaction bytes are not well-formed CBOR") from exc
    if len(spans) == 4:
        flag = data[spans[2][0] : spans[2][1]]
        if flag not in (b"\xf4", b"\xf5"):
            raise TxBindError("transaction is_valid flag is not a boolean")
        era: Literal["alonzo", "shelley"] = "alonzo"
        is_valid: bool | None = flag == b"\xf5"
    elif len(spans) == 3:
        era, is_valid = "shelley", None
    else:
        raise TxBindError(f"transaction array has {len(spans)} elements, expected 3 or 4")
    body_start, body_end = spans[0]
    if data[body_start] >> 5 != 5:
        raise TxBindError("transaction body is not a map")
    aux_start, aux_end = spans[-1]
    aux = data[aux_start:aux_end]
    return TxParts(
        body=data[body_start:body_end],
        aux=None if aux == b"\xf6" else aux,
        era_form=era,
        is_valid=is_valid,
    )


def tx_id(body: bytes) -> bytes:
    """The transaction id: blake2b-256 of the body bytes as given (natural byte order)."""
    return blake2b_256(body)


@dataclass(frozen=True)
class BindOk:
    """The response is the requested transaction and carries a label-309 record body."""

    tx_hash: bytes
    aux_hash: bytes
    label309_value: bytes
    record_body: bytes
    ok: Literal[True] = True


@dataclass(frozen=True)
class BindFailed:
    """The binding or the carriage failed; ``code`` is a registry code, ``reason`` one line."""

    code: str
    reason: str
    ok: Literal[False] = False


BindResult = BindOk | BindFailed


def _aux_hash_field(body: bytes) -> bytes | None:
    """The raw value under integer key 7 of the body map, or None; ValueError if ambiguous."""
    found: list[bytes] = []
    for (ks, ke), (vs, ve) in cbor.map_spans(body, 0):
        if body[ks] >> 5 == 0:
            key = cbor.decode_lenient(body[ks:ke])
            if type(key) is int and key == AUX_DATA_HASH_KEY:
                found.append(body[vs:ve])
    if len(found) > 1:
        raise ValueError("body carries key 7 more than once")
    return found[0] if found else None


def bind(requested_tx_hash: bytes, body: bytes, aux: bytes | None) -> BindResult:
    """Bind fetched ``body``/``aux`` bytes to ``requested_tx_hash`` and extract the record body.

    1. blake2b-256(body) must equal the requested hash, else TX_INTEGRITY_MISMATCH.
    2. With aux data the body must carry key 7 equal to blake2b-256(aux); without
       aux data the body must not claim any. Else TX_INTEGRITY_MISMATCH.
    3. A bound transaction without label 309 is METADATA_NOT_FOUND; carriage
       failures keep their code. Never raises for any byte input.
    """
    body = bytes(body)
    computed = tx_id(body)
    if computed != bytes(requested_tx_hash):
        return BindFailed(TX_INTEGRITY_MISMATCH, "transaction body does not hash to the request")
    try:
        if cbor.item_end(body, 0) != len(body) or body[0] >> 5 != 5:
            raise ValueError("not a single map")
        claimed = _aux_hash_field(body)
    except (cbor.CborError, ValueError) as exc:
        return BindFailed(TX_INTEGRITY_MISMATCH, f"transaction body is not a usable map ({exc})")
    if aux is None:
        if claimed is not None:
            return BindFailed(TX_INTEGRITY_MISMATCH, "body commits to auxiliary data not supplied")
        return BindFailed(METADATA_NOT_FOUND, "transaction carries no auxiliary data")
    aux = bytes(aux)
    if claimed is None:
        return BindFailed(TX_INTEGRITY_MISMATCH, "auxiliary data present but body has no key 7")
    aux_hash = blake2b_256(aux)
    if claimed[0] >> 5 != 2 or cbor.decode_lenient(claimed) != aux_hash:
        return BindFailed(TX_INTEGRITY_MISMATCH, "auxiliary data does not hash to body key 7")
    try:
        value = unwrap_aux_data(aux)
        record_body = reassemble(value)
    except CarriageError as exc:
        return BindFailed(exc.code, exc.detail)
    return BindOk(
        tx_hash=computed, aux_hash=aux_hash, label309_value=value, record_body=record_body
    )


# --------------------------------------------------------------------------- chain facts


def confirmation_depth(tip_height: int, block_height: int) -> int:
    """Depth in blocks: ``tip - block + 1`` (a tx in the tip block has depth 1).

    A block above the tip (an inconsistent explorer) gives a depth below 1, which
    :func:`confirmation_status` reports as pending.
    """
    return tip_height - block_height + 1


@dataclass(frozen=True)
class Confirmed:
    """Depth meets the threshold (``depth >= threshold``)."""

    depth: int
    threshold: int
    status: Literal["confirmed"] = "confirmed"


@dataclass(frozen=True)
class Pending:
    """On chain but below the threshold: verdict ``pending``, code INSUFFICIENT_CONFIRMATIONS."""

    depth: int
    threshold: int
    status: Literal["pending"] = "pending"
    code: str = INSUFFICIENT_CONFIRMATIONS


def confirmation_status(depth: int, threshold: int) -> Confirmed | Pending:
    """Pending when ``depth < threshold``, confirmed at or above it; threshold must be >= 1."""
    if threshold < 1:
        raise InputError(f"confirmation threshold must be at least 1, got {threshold}")
    if depth < threshold:
        return Pending(depth=depth, threshold=threshold)
    return Confirmed(depth=depth, threshold=threshold)
