"""The Blockfrost API (``/api/v0``) over a devnet :class:`~anchor.devnet.state.ChainState`.

:class:`BlockfrostApi` maps one request (method, path below the API root, query,
body, content type) to a :class:`Response` holding a status and a JSON value, with no
socket in sight, so it is tested directly and served by :mod:`anchor.devnet.server`.
Shapes follow Blockfrost's OpenAPI schema (every required field present, lovelace as
strings); errors are ``{"status_code", "error", "message"}``. Unknown transactions,
blocks and never-used addresses are 404 as on Blockfrost; transactions are listed
once they are in a block (the mempool is not visible through ``/txs``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from anchor import __version__
from anchor.devnet.address import AddressError, parse_bech32, to_bech32
from anchor.devnet.ledger import TxRejected
from anchor.devnet.metadata import metadata_json
from anchor.devnet.params import (
    EPOCH_LENGTH,
    NETWORK_ID,
    SLOT_LEADER,
    genesis_json,
    parameters_json,
)
from anchor.devnet.state import Block, ChainState, TxRecord
from anchor.devnet.txdecode import TxDecodeError, TxIn, TxOut

MAX_BODY = 1 << 20
_HASH_RE = re.compile(r"^[0-9a-fA-F]{64}$")
_REASONS = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}
_NOT_FOUND = "The requested component has not been found."


@dataclass(frozen=True)
class Response:
    """An HTTP status and the JSON value of the body."""

    status: int
    body: Any


class ApiError(Exception):
    """A request the API answers with a Blockfrost-shaped error."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str) -> Response:
    """A Blockfrost error body: status code, reason phrase, message."""
    reason = _REASONS.get(status, "Error")
    return Response(status, {"status_code": status, "error": reason, "message": message})


def amount_json(outputs: list[TxOut]) -> list[dict[str, str]]:
    """Blockfrost ``amount`` list: lovelace first, then each asset unit (policy+name hex)."""
    lovelace = sum(o.coin for o in outputs)
    assets: dict[str, int] = {}
    for out in outputs:
        for policy, name, quantity in out.assets:
            unit = (policy + name).hex()
            assets[unit] = assets.get(unit, 0) + quantity
    return [{"unit": "lovelace", "quantity": str(lovelace)}] + [
        {"unit": unit, "quantity": str(q)} for unit, q in sorted(assets.items())
    ]


def _page(items: list[Any], query: Mapping[str, list[str]]) -> list[Any]:
    def one(name: str, default: str) -> str:
        values = query.get(name) or [default]
        return values[-1]

    count, page, order = one("count", "100"), one("page", "1"), one("order", "asc")
    if not count.isdigit() or not 1 <= int(count) <= 100:
        raise ApiError(400, "querystring/count must be an integer between 1 and 100")
    if not page.isdigit() or not 1 <= int(page) <= 21474836:
        raise ApiError(400, "querystring/page must be an integer between 1 and 21474836")
    if order not in ("asc", "desc"):
        raise ApiError(400, "querystring/order must be equal to one of the allowed values")
    ordered = items if order == "asc" else list(reversed(items))
    start = (int(page) - 1) * int(count)
    return ordered[start : start + int(count)]


def _tx_hash(text: str) -> bytes:
    if not _HASH_RE.match(text):
        raise ApiError(400, "Missing, out of range or malformed path param hash")
    return bytes.fromhex(text)


class BlockfrostApi:
    """Blockfrost endpoints served from one chain state (see module docstring)."""

    def __init__(self, state: ChainState) -> None:
        self.state = state
        # (path pattern below the API root, handler, takes paging query)
        routes: list[tuple[str, Callable[..., Any], bool]] = [
            (r"/?", self._root, False),
            (r"/health", lambda: {"is_healthy": True}, False),
            (r"/health/clock", lambda: {"server_time": int(time.time() * 1000)}, False),
            (r"/genesis", lambda: genesis_json(system_start=state.system_start), False),
            (r"/epochs/latest", self._epoch_latest, False),
            (r"/epochs/latest/parameters", self._parameters, False),
            (r"/blocks/latest", lambda: self._block_json(state.tip), False),
            (r"/blocks/latest/txs", lambda q: self._block_txs(state.tip, q), True),
            (r"/blocks/([^/]+)", lambda ref: self._block_json(self._find_block(ref)), False),
            (r"/blocks/([^/]+)/txs", lambda r, q: self._block_txs(self._find_block(r), q), True),
            (r"/addresses/([^/]+)/utxos", self._address_utxos, True),
            (r"/txs/([^/]+)", lambda h: self._tx_json(self._find_tx(h)), False),
            (r"/txs/([^/]+)/utxos", lambda h: self._tx_utxos(self._find_tx(h)), False),
            (r"/txs/([^/]+)/cbor", lambda h: {"cbor": self._find_tx(h).tx.raw.hex()}, False),
            (r"/txs/([^/]+)/metadata", lambda h: self._metadata(self._find_tx(h)), False),
            (r"/txs/([^/]+)/metadata/cbor", lambda h: self._meta_cbor(self._find_tx(h)), False),
            (r"/mempool/([^/]+)", self._mempool_tx, False),
        ]
        self._routes = [(re.compile(f"^{p}$"), fn, paged) for p, fn, paged in routes]

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        body: bytes = b"",
        content_type: str | None = None,
    ) -> Response:
        """Answer one request; ``path`` is below the API root (e.g. ``/txs/<hash>``)."""
        try:
            with self.state.lock:
                return self._dispatch(method, path, query, body, content_type)
        except ApiError as exc:
            return error_response(exc.status, exc.message)

    def _dispatch(
        self,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        body: bytes,
        content_type: str | None,
    ) -> Response:
        if path == "/tx/submit":
            if method != "POST":
                raise ApiError(405, "Use POST with Content-Type application/cbor")
            return self._submit(body, content_type)
        for regex, fn, paged in self._routes:
            match = regex.match(path)
            if match is None:
                continue
            if method != "GET":
                raise ApiError(405, f"{method} is not allowed on {path}")
            args: list[Any] = list(match.groups())
            if paged:
                args.append(query)
            return Response(200, fn(*args))
        raise ApiError(404, _NOT_FOUND)

    # ------------------------------------------------------------------ lookups

    def _find_block(self, ref: str) -> Block:
        if _HASH_RE.match(ref):  # checked first: a 64-digit hash may be all decimal digits
            block = self.state.block(bytes.fromhex(ref))
        elif ref.isascii() and ref.isdigit() and len(ref) <= 19:
            block = self.state.block(int(ref))
        else:
            raise ApiError(400, "Missing, out of range or malformed path param hash_or_number")
        if block is None:
            raise ApiError(404, _NOT_FOUND)
        return block

    def _find_tx(self, text: str) -> TxRecord:
        record = self.state.transaction(_tx_hash(text))
        if record is None:
            raise ApiError(404, _NOT_FOUND)
        return record

    # ------------------------------------------------------------------ chain

    def _root(self) -> dict[str, Any]:
        return {"url": "https://github.com/evidence-anchor (anchor devnet)", "version": __version__}

    def _epoch_latest(self) -> dict[str, Any]:
        epoch = self.state.tip.epoch
        start = self.state.system_start + epoch * EPOCH_LENGTH
        blocks = [b for b in self.state.blocks if b.epoch == epoch]
        txs = [self.state.txs[i].tx for b in blocks for i in b.tx_ids]
        return {
            "epoch": epoch,
            "start_time": start,
            "end_time": start + EPOCH_LENGTH,
            "first_block_time": blocks[0].time,
            "last_block_time": blocks[-1].time,
            "block_count": len(blocks),
            "tx_count": len(txs),
            "output": str(sum(o.coin for tx in txs for o in tx.outputs)),
            "fees": str(sum(tx.fee for tx in txs)),
            "active_stake": None,
        }

    def _parameters(self) -> dict[str, Any]:
        return parameters_json(self.state.params, epoch=self.state.tip.epoch)

    def _block_json(self, block: Block) -> dict[str, Any]:
        txs = [self.state.txs[i].tx for i in block.tx_ids]
        following = self.state.block(block.height + 1)
        return {
            "time": block.time,
            "height": block.height,
            "hash": block.hash.hex(),
            "slot": block.slot,
            "epoch": block.epoch,
            "epoch_slot": block.slot % EPOCH_LENGTH,
            "slot_leader": SLOT_LEADER,
            "size": sum(tx.size for tx in txs),
            "tx_count": len(txs),
            "output": str(sum(o.coin for tx in txs for o in tx.outputs)) if txs else None,
            "fees": str(sum(tx.fee for tx in txs)) if txs else None,
            "block_vrf": None,
            "op_cert": None,
            "op_cert_counter": None,
            "previous_block": block.previous.hex() if block.previous else None,
            "next_block": following.hash.hex() if following else None,
            "confirmations": self.state.tip.height - block.height,
        }

    def _block_txs(self, block: Block, query: Mapping[str, list[str]]) -> list[str]:
        return _page([tx_id.hex() for tx_id in block.tx_ids], query)

    def _address_utxos(self, text: str, query: Mapping[str, list[str]]) -> list[dict[str, Any]]:
        try:
            info = parse_bech32(text)
        except AddressError as exc:
            raise ApiError(
                400, "Invalid address for this network or malformed address format."
            ) from exc
        if info.network_id != NETWORK_ID:
            raise ApiError(400, "Invalid address for this network or malformed address format.")
        found = self.state.utxos_at(info.raw)
        if found is None:
            raise ApiError(404, _NOT_FOUND)
        return [
            {
                "address": text,
                "tx_hash": u.txin.tx_hash.hex(),
                "tx_index": u.txin.index,
                "output_index": u.txin.index,
                "amount": amount_json([u.out]),
                "block": u.block.hex(),
                "data_hash": None,
                "inline_datum": None,
                "reference_script_hash": None,
            }
            for u in _page(found, query)
        ]

    # ------------------------------------------------------------------ transactions

    def _tx_json(self, record: TxRecord) -> dict[str, Any]:
        tx = record.tx
        return {
            "hash": tx.tx_id.hex(),
            "block": record.block.hash.hex(),
            "block_height": record.block.height,
            "block_time": record.block.time,
            "slot": record.block.slot,
            "index": record.index,
            "output_amount": amount_json(list(tx.outputs)),
            "fees": str(tx.fee),
            "deposit": "0",
            "size": tx.size,
            "invalid_before": None if tx.validity_start is None else str(tx.validity_start),
            "invalid_hereafter": None if tx.ttl is None else str(tx.ttl),
            "utxo_count": len(tx.inputs) + len(tx.outputs),
            "withdrawal_count": 0,
            "mir_cert_count": 0,
            "delegation_count": 0,
            "stake_cert_count": 0,
            "pool_update_count": 0,
            "pool_retire_count": 0,
            "asset_mint_or_burn_count": 0,
            "redeemer_count": 0,
            "valid_contract": True,
            "treasury_donation": "0",
        }

    def _utxo_entry(self, txin: TxIn, out: TxOut) -> dict[str, Any]:
        return {
            "address": to_bech32(out.address),
            "amount": amount_json([out]),
            "output_index": txin.index,
            "data_hash": None,
            "inline_datum": None,
            "reference_script_hash": None,
            "collateral": False,
        }

    def _tx_utxos(self, record: TxRecord) -> dict[str, Any]:
        inputs = []
        for txin in record.tx.inputs:
            out = self.state.output(txin)
            if out is None:  # pragma: no cover - a confirmed tx only spends known outputs
                raise ApiError(500, f"input {txin} has no recorded output")
            entry = self._utxo_entry(txin, out)
            entry.update(tx_hash=txin.tx_hash.hex(), reference=False)
            inputs.append(entry)
        outputs = []
        for index, out in enumerate(record.tx.outputs):
            txin = TxIn(record.tx.tx_id, index)
            entry = self._utxo_entry(txin, out)
            spender = self.state.spent_by.get(txin)
            entry["consumed_by_tx"] = spender.hex() if spender else None
            outputs.append(entry)
        return {"hash": record.tx.tx_id.hex(), "inputs": inputs, "outputs": outputs}

    def _metadata(self, record: TxRecord) -> list[dict[str, Any]]:
        return [
            {"label": str(e.label), "json_metadata": metadata_json(e.value)}
            for e in record.tx.metadata
        ]

    def _meta_cbor(self, record: TxRecord) -> list[dict[str, Any]]:
        return [
            {"label": str(e.label), "cbor_metadata": "\\x" + e.raw.hex(), "metadata": e.raw.hex()}
            for e in record.tx.metadata
        ]

    def _mempool_tx(self, text: str) -> dict[str, Any]:
        """``GET /mempool/{hash}``: a transaction waiting in the mempool (404 otherwise)."""
        tx_id = _tx_hash(text)
        for tx in self.state.mempool:
            if tx.tx_id == tx_id:
                return {"tx": {"hash": tx_id.hex(), "fees": str(tx.fee), "size": tx.size}}
        raise ApiError(404, _NOT_FOUND)

    def _submit(self, body: bytes, content_type: str | None) -> Response:
        media = (content_type or "").split(";")[0].strip().lower()
        if media != "application/cbor":
            raise ApiError(400, "Content-Type must be application/cbor (raw transaction bytes)")
        if not body:
            raise ApiError(400, "The request body is empty; send the raw transaction CBOR")
        try:
            tx_id = self.state.submit(body)
        except (TxDecodeError, TxRejected) as exc:
            raise ApiError(400, exc.message) from exc
        return Response(200, tx_id.hex())
