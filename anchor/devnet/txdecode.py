"""Decode a submitted Cardano transaction into the facts the devnet ledger checks.

The transaction id is the BLAKE2b-256 of the body's bytes exactly as submitted and
the auxiliary data is kept as its raw span, so hashes are never computed over a
re-encoding (non-canonical but well-formed CBOR keeps its identity). Values are read
with the lenient CBOR decoder. Anything malformed raises :class:`TxDecodeError`
(``DeserialiseFailure``); features the devnet does not implement (certificates,
withdrawals, minting, scripts, ...) are listed in :attr:`DecodedTx.unsupported` so the
ledger can refuse them with a clear reason instead of accepting them wrongly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from anchor.devnet.address import AddressError, describe
from anchor.devnet.metadata import MetadataEntry, extract_metadata
from anchor.errors import EnvironmentFailure
from anchor.label309.cbor import CborError, CborMap, Tag, array_spans, decode_lenient, map_spans

_SET_TAG = 258
_BODY_SUPPORTED = {0, 1, 2, 3, 7, 8, 14, 15}
_BODY_UNSUPPORTED = {
    4: "certificates",
    5: "withdrawals",
    6: "protocol parameter updates",
    9: "minting",
    11: "script data hash",
    13: "collateral inputs",
    16: "collateral return",
    17: "total collateral",
    18: "reference inputs",
    19: "voting procedures",
    20: "proposal procedures",
    21: "current treasury value",
    22: "treasury donation",
}
_WITNESS_UNSUPPORTED = {
    1: "native scripts",
    2: "bootstrap (Byron) witnesses",
    3: "Plutus V1 scripts",
    4: "Plutus data",
    5: "redeemers",
    6: "Plutus V2 scripts",
    7: "Plutus V3 scripts",
}


class TxDecodeError(EnvironmentFailure):
    """The submitted bytes are not a well-formed transaction (ledger: DeserialiseFailure)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"DeserialiseFailure: {detail}")
        self.detail = detail


@dataclass(frozen=True, order=True)
class TxIn:
    """A reference to an output: transaction id and output index."""

    tx_hash: bytes
    index: int

    def __str__(self) -> str:
        return f"{self.tx_hash.hex()}#{self.index}"


@dataclass(frozen=True)
class TxOut:
    """An output: raw address, lovelace, native assets ((policy, name, quantity) sorted)."""

    address: bytes
    coin: int
    assets: tuple[tuple[bytes, bytes, int], ...]
    raw: bytes


@dataclass(frozen=True)
class VKeyWitness:
    """An Ed25519 verification key and its signature over the transaction id."""

    vkey: bytes
    signature: bytes


@dataclass(frozen=True)
class DecodedTx:
    """The ledger-relevant content of one submitted transaction."""

    raw: bytes
    tx_id: bytes
    inputs: tuple[TxIn, ...]
    outputs: tuple[TxOut, ...]
    fee: int
    ttl: int | None
    validity_start: int | None
    aux_hash: bytes | None
    aux_raw: bytes | None
    metadata: tuple[MetadataEntry, ...]
    required_signers: tuple[bytes, ...]
    network_id: int | None
    witnesses: tuple[VKeyWitness, ...]
    is_valid: bool
    unsupported: tuple[str, ...]

    @property
    def size(self) -> int:
        """Size in bytes of the transaction as submitted."""
        return len(self.raw)


def blake2b_256(data: bytes) -> bytes:
    """BLAKE2b-256 digest (transaction ids, auxiliary data hashes)."""
    return hashlib.blake2b(data, digest_size=32).digest()


def _uint(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise TxDecodeError(f"{what} must be an unsigned integer")
    return value


def _bytes(value: Any, what: str, size: int | None = None) -> bytes:
    if not isinstance(value, bytes):
        raise TxDecodeError(f"{what} must be a byte string")
    if size is not None and len(value) != size:
        raise TxDecodeError(f"{what} must be {size} bytes, got {len(value)}")
    return value


def _set_items(value: Any, what: str) -> list[Any]:
    if isinstance(value, Tag):
        if value.tag != _SET_TAG:
            raise TxDecodeError(f"{what} has unexpected tag {value.tag}")
        value = value.value
    if not isinstance(value, list):
        raise TxDecodeError(f"{what} must be an array or a tag-258 set")
    return value


def _decode_value(value: Any) -> tuple[int, tuple[tuple[bytes, bytes, int], ...]]:
    if not isinstance(value, list):
        return _uint(value, "output value"), ()
    if len(value) != 2 or not isinstance(value[1], CborMap):
        raise TxDecodeError("multi-asset value must be [coin, {policy: {name: quantity}}]")
    assets: list[tuple[bytes, bytes, int]] = []
    for policy, names in value[1].items():
        _bytes(policy, "policy id", 28)
        if not isinstance(names, CborMap) or len(names) == 0:
            raise TxDecodeError("each policy must map to a non-empty map of asset names")
        for name, quantity in names.items():
            if len(_bytes(name, "asset name")) > 32:
                raise TxDecodeError("asset name longer than 32 bytes")
            if _uint(quantity, "asset quantity") == 0:
                raise TxDecodeError("asset quantity must not be zero")
            assets.append((policy, name, quantity))
    return _uint(value[0], "output coin"), tuple(sorted(assets))


def decode_output(raw: bytes) -> tuple[TxOut, bool]:
    """Decode one serialised output; the flag says whether it carries a datum or script."""
    item = decode_lenient(raw)
    extras = False
    if isinstance(item, list):
        if len(item) not in (2, 3):
            raise TxDecodeError("legacy output must be [address, value] or [address, value, datum]")
        address, value = item[0], item[1]
        extras = len(item) == 3
    elif isinstance(item, CborMap):
        if any(not isinstance(k, int) or isinstance(k, bool) or k > 3 for k in item):
            raise TxDecodeError("output map has an unknown key")
        if 0 not in item or 1 not in item:
            raise TxDecodeError("output map needs keys 0 (address) and 1 (value)")
        address, value = item[0], item[1]
        extras = 2 in item or 3 in item
    else:
        raise TxDecodeError("output must be an array or a map")
    try:
        describe(_bytes(address, "output address"))
    except AddressError as exc:
        raise TxDecodeError(f"output address: {exc.message}") from exc
    coin, assets = _decode_value(value)
    return TxOut(address=address, coin=coin, assets=assets, raw=raw), extras


def _body_spans(data: bytes, body_start: int) -> dict[int, tuple[int, int]]:
    spans: dict[int, tuple[int, int]] = {}
    for (ks, ke), value_span in map_spans(data, body_start):
        key = decode_lenient(data[ks:ke])
        if not isinstance(key, int) or isinstance(key, bool) or key < 0:
            raise TxDecodeError("transaction body keys must be unsigned integers")
        if key in spans:
            raise TxDecodeError(f"transaction body key {key} appears twice")
        spans[key] = value_span
    return spans


def _inputs(value: Any) -> tuple[TxIn, ...]:
    inputs: list[TxIn] = []
    for item in _set_items(value, "inputs"):
        if not isinstance(item, list) or len(item) != 2:
            raise TxDecodeError("an input must be [transaction id, index]")
        txin = TxIn(_bytes(item[0], "input transaction id", 32), _uint(item[1], "input index"))
        if txin in inputs:
            raise TxDecodeError(f"input {txin} appears twice in the input set")
        inputs.append(txin)
    return tuple(inputs)


def _witnesses(wits: Any, unsupported: list[str]) -> tuple[VKeyWitness, ...]:
    if not isinstance(wits, CborMap):
        raise TxDecodeError("witness set must be a map")
    out: list[VKeyWitness] = []
    for key, value in wits.items():
        if not isinstance(key, int) or isinstance(key, bool):
            raise TxDecodeError(f"witness set has a non-integer key {key!r}")
        if key == 0:
            for item in _set_items(value, "vkey witnesses"):
                if not isinstance(item, list) or len(item) != 2:
                    raise TxDecodeError("a vkey witness must be [vkey, signature]")
                out.append(
                    VKeyWitness(_bytes(item[0], "vkey", 32), _bytes(item[1], "signature", 64))
                )
        elif key in _WITNESS_UNSUPPORTED:
            if _set_items(value, _WITNESS_UNSUPPORTED[key]):
                unsupported.append(_WITNESS_UNSUPPORTED[key])
        else:
            raise TxDecodeError(f"witness set has unknown key {key}")
    return tuple(out)


def _opt_uint(body: CborMap, key: int, what: str) -> int | None:
    return None if key not in body else _uint(body[key], what)


def decode_tx(raw: bytes) -> DecodedTx:
    """Decode submitted transaction bytes; raise :class:`TxDecodeError` if malformed.

    Accepts ``[body, witnesses, is_valid, aux | null]`` and the Shelley-era
    ``[body, witnesses, aux | null]``.
    """
    data = bytes(raw)
    try:
        top = decode_lenient(data)
        if not isinstance(top, list) or len(top) not in (3, 4):
            raise TxDecodeError("a transaction must be an array of 3 or 4 elements")
        spans = array_spans(data, 0)
        body, wits = top[0], top[1]
        if not isinstance(body, CborMap):
            raise TxDecodeError("transaction body must be a map")
        is_valid = True
        if len(top) == 4:
            if not isinstance(top[2], bool):
                raise TxDecodeError("is_valid must be a boolean")
            is_valid = top[2]
        aux_start, aux_end = spans[-1]
        aux_raw = None if top[-1] is None else data[aux_start:aux_end]
        metadata = () if aux_raw is None else extract_metadata(data, aux_start)
        body_start, body_end = spans[0]
        body_spans = _body_spans(data, body_start)
        unsupported = [
            f"{_BODY_UNSUPPORTED.get(key, f'body key {key}')} (body key {key})"
            for key in body_spans
            if key not in _BODY_SUPPORTED
        ]
        for key in (0, 1, 2):
            if key not in body_spans:
                raise TxDecodeError(f"transaction body lacks key {key}")
        if not isinstance(body[1], list):
            raise TxDecodeError("outputs must be an array")
        outputs: list[TxOut] = []
        for start, end in array_spans(data, body_spans[1][0]):
            output, extras = decode_output(data[start:end])
            if extras:
                unsupported.append("output datums or reference scripts")
            outputs.append(output)
        aux_hash = None if 7 not in body else _bytes(body[7], "auxiliary data hash", 32)
        signers = (
            ()
            if 14 not in body
            else tuple(
                _bytes(item, "required signer", 28) for item in _set_items(body[14], "signers")
            )
        )
        return DecodedTx(
            raw=data,
            tx_id=blake2b_256(data[body_start:body_end]),
            inputs=_inputs(body[0]),
            outputs=tuple(outputs),
            fee=_uint(body[2], "fee"),
            ttl=_opt_uint(body, 3, "ttl"),
            validity_start=_opt_uint(body, 8, "validity interval start"),
            aux_hash=aux_hash,
            aux_raw=aux_raw,
            metadata=metadata,
            required_signers=signers,
            network_id=_opt_uint(body, 15, "network id"),
            witnesses=_witnesses(wits, unsupported),
            is_valid=is_valid,
            unsupported=tuple(dict.fromkeys(unsupported)),
        )
    except CborError as exc:
        raise TxDecodeError(f"not well-formed CBOR ({exc.detail})") from exc
    except ValueError as exc:
        raise TxDecodeError(str(exc)) from exc
