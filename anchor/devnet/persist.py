"""Save and restore a devnet chain as a JSON state file.

The file holds the chain itself, not a snapshot of derived tables: the system start,
every block's slot, raw transactions (hex CBOR exactly as submitted) and genesis or
faucet credits (an empty block is just its slot), the faucet counter, the tip hash
and the mempool. Restoring replays each block through the ledger rules and checks
the recomputed tip hash, so a damaged or hand-edited file is refused instead of
serving a corrupt chain.
Writes are atomic (temporary file in the same folder, fsync, ``os.replace``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from anchor.devnet.address import AddressError, describe
from anchor.devnet.ledger import TxRejected
from anchor.devnet.params import CONWAY, NETWORK_MAGIC, ProtocolParams
from anchor.devnet.state import Block, ChainState, Clock, credit_output
from anchor.devnet.txdecode import TxDecodeError, TxIn, TxOut
from anchor.errors import EnvironmentFailure, InputError
from anchor.fsutil import replace_atomically

FORMAT = "anchor-devnet-state-v1"


class DevnetStateError(InputError):
    """A state file cannot be read or does not describe a valid devnet chain."""


def _block_json(state: ChainState, block: Block) -> int | dict[str, Any]:
    if not block.tx_ids and not block.credits and block.height > 0:
        return block.slot
    return {
        "slot": block.slot,
        "txs": [state.txs[tx_id].tx.raw.hex() for tx_id in block.tx_ids],
        "credits": [
            {"tx_hash": txin.tx_hash.hex(), "address": out.address.hex(), "lovelace": out.coin}
            for txin, out in block.credits
        ],
    }


def to_json(state: ChainState) -> dict[str, Any]:
    """The JSON document for ``state``; an empty block is stored as just its slot."""
    with state.lock:
        return {
            "format": FORMAT,
            "network_magic": NETWORK_MAGIC,
            "system_start": state.system_start,
            "fund_counter": state.fund_counter,
            "blocks": [_block_json(state, block) for block in state.blocks],
            "tip": state.tip.hash.hex(),
            "mempool": [tx.raw.hex() for tx in state.mempool],
        }


def _credit(item: Any) -> tuple[TxIn, TxOut]:
    address = bytes.fromhex(item["address"])
    describe(address)
    lovelace = item["lovelace"]
    if not isinstance(lovelace, int) or isinstance(lovelace, bool) or lovelace <= 0:
        raise ValueError("credit amount must be a positive integer")
    return TxIn(bytes.fromhex(item["tx_hash"]), 0), credit_output(address, lovelace)


def _replay(state: ChainState, item: Any) -> None:
    if isinstance(item, int) and not isinstance(item, bool):
        state.replay_block(slot=item, raws=[], credits=[])
        return
    state.replay_block(
        slot=int(item["slot"]),
        raws=[bytes.fromhex(h) for h in item["txs"]],
        credits=[_credit(c) for c in item["credits"]],
    )


def from_json(doc: Any, *, clock: Clock = time.time, params: ProtocolParams = CONWAY) -> ChainState:
    """Rebuild a chain from its JSON document; raise :class:`DevnetStateError` if invalid.

    Block hashes chain through their predecessors, so matching the saved tip hash
    proves every replayed block equals the saved one.
    """
    try:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} document")
        if doc["network_magic"] != NETWORK_MAGIC:
            raise ValueError(f"network magic {doc['network_magic']} is not {NETWORK_MAGIC}")
        state = ChainState(system_start=int(doc["system_start"]), params=params, clock=clock)
        state.fund_counter = int(doc["fund_counter"])
        if not doc["blocks"]:
            raise ValueError("the chain has no genesis block")
        for item in doc["blocks"]:
            _replay(state, item)
        if state.tip.hash.hex() != doc["tip"]:
            raise ValueError("the replayed chain does not end at the saved tip hash")
        state.restore_mempool([bytes.fromhex(h) for h in doc["mempool"]])
    except (TxRejected, TxDecodeError) as exc:
        raise DevnetStateError(f"saved chain breaks a ledger rule: {exc.message}") from exc
    except AddressError as exc:
        raise DevnetStateError(f"saved chain has a bad address: {exc.message}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise DevnetStateError(f"malformed devnet state: {exc}") from exc
    return state


def save_state(state: ChainState, path: Path) -> None:
    """Write ``state`` to ``path`` atomically; raise EnvironmentFailure if it cannot."""
    text = json.dumps(to_json(state), separators=(",", ":")) + "\n"
    try:
        replace_atomically(path, text.encode("utf-8"))
    except OSError as exc:
        raise EnvironmentFailure(
            f"cannot write devnet state {path}: {exc.strerror or exc}"
        ) from exc


def load_state(
    path: Path, *, clock: Clock = time.time, params: ProtocolParams = CONWAY
) -> ChainState:
    """Read a state file written by :func:`save_state`."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DevnetStateError(f"cannot read devnet state {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DevnetStateError(f"devnet state {path} is not JSON: {exc}") from exc
    try:
        return from_json(doc, clock=clock, params=params)
    except DevnetStateError as exc:
        raise DevnetStateError(f"{path}: {exc.message}") from exc
