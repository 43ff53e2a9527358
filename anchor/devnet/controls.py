"""Test controls of ``anchor devnet --test-controls``: what a real chain does to a publisher.

Three ``POST`` endpoints below ``/control``, served only when the devnet was started with
test controls (otherwise every ``/control`` path is the same 404 as any unknown path):

``POST /control/rollback {"blocks": N}``
    Drop the last N blocks (1 <= N < chain length). Their transactions are gone, as after
    a fork that never saw them: they do not return to the mempool. Transactions waiting
    in the mempool stay there if they are still valid on the shorter chain.
``POST /control/drop-next`` (empty body, or ``{"txs": N}``, default 1)
    Accept and drop the next N valid transactions: ``/tx/submit`` answers exactly as for
    an accepted one (200 and the tx id), but it never reaches the mempool, and neither
    does any later submission of the same transaction while it stays valid (it never
    lands: a publisher resending it sees it accepted each time). A submission the ledger
    refuses (also a dropped one, once expired or its inputs spent) gets its usual 400
    and does not use up a drop.
``POST /control/advance {"slots": S, "blocks": B}`` (both optional: S 0, B 1)
    Move the clock forward so the next block is at least S slots after the tip, then cut
    B blocks (0 only with S > 0). Validity intervals are judged at the new slots, so a
    transaction's TTL can be passed without waiting.

Each answers 200 with ``{"tip": {"height", "hash", "slot", "time"}}`` and what it did;
a malformed body is 400 and another method 405, with Blockfrost-shaped error bodies.
:class:`ControlApi` maps a request to a :class:`~anchor.devnet.api.Response` with no
socket, so it is tested directly; :mod:`anchor.devnet.server` serves it.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from anchor.devnet.api import Response, error_response
from anchor.devnet.state import Block

CONTROL_PREFIX = "/control"
MAX_SLOTS = 100_000_000
MAX_BLOCKS = 10_000
_NOT_FOUND = "The requested component has not been found."


class Controllable(Protocol):
    """The devnet handle the controls act on (:class:`~anchor.devnet.RunningDevnet`)."""

    def rollback(self, blocks: int) -> Block: ...

    def drop_next(self, txs: int = 1) -> int: ...

    def advance_slots(self, slots: int, *, blocks: int = 1) -> Block: ...

    def chain_length(self) -> int: ...


class ControlError(Exception):
    """A control request answered with a 400 (bad body) or 405 (not POST)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def tip_json(block: Block) -> dict[str, Any]:
    """The tip as the controls report it."""
    return {
        "height": block.height,
        "hash": block.hash.hex(),
        "slot": block.slot,
        "time": block.time,
    }


def _body(raw: bytes, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The request's JSON object (an empty body is ``{}``); unknown keys are refused."""
    if not raw.strip():
        return {}
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ControlError(400, f"the body is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ControlError(400, "the body must be a JSON object")
    unknown = sorted(set(doc) - set(allowed))
    if unknown:
        raise ControlError(
            400, f"unknown field {unknown[0]!r}; this control takes {', '.join(allowed)}"
        )
    return doc


def _count(doc: dict[str, Any], key: str, *, default: int | None, low: int, high: int) -> int:
    """``doc[key]`` as an integer in ``low..high`` (required when ``default`` is None)."""
    if key not in doc:
        if default is None:
            raise ControlError(400, f"{key!r} is required: an integer {low}..{high}")
        return default
    value = doc[key]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ControlError(400, f"{key!r} must be an integer {low}..{high}, got {value!r}")
    return value


class ControlApi:
    """The ``/control`` endpoints over one devnet (see the module docstring)."""

    def __init__(self, net: Controllable) -> None:
        self.net = net

    def handle(self, method: str, path: str, body: bytes) -> Response:
        """Answer one request; ``path`` is the full path (``/control/rollback``)."""
        routes = {
            f"{CONTROL_PREFIX}/rollback": self._rollback,
            f"{CONTROL_PREFIX}/drop-next": self._drop_next,
            f"{CONTROL_PREFIX}/advance": self._advance,
        }
        action = routes.get(path)
        if action is None:
            return error_response(404, _NOT_FOUND)
        try:
            if method != "POST":
                raise ControlError(405, f"{method} is not allowed on {path}; use POST")
            return Response(200, action(body))
        except ControlError as exc:
            return error_response(exc.status, exc.message)

    def _rollback(self, raw: bytes) -> dict[str, Any]:
        doc = _body(raw, ("blocks",))
        length = self.net.chain_length()
        if length < 2:
            raise ControlError(400, "the chain has only its genesis block; nothing to roll back")
        blocks = _count(doc, "blocks", default=None, low=1, high=length - 1)
        tip = self.net.rollback(blocks)
        return {"rolled_back": blocks, "tip": tip_json(tip)}

    def _drop_next(self, raw: bytes) -> dict[str, Any]:
        doc = _body(raw, ("txs",))
        txs = _count(doc, "txs", default=1, low=1, high=MAX_BLOCKS)
        return {"drop_next": self.net.drop_next(txs)}

    def _advance(self, raw: bytes) -> dict[str, Any]:
        doc = _body(raw, ("slots", "blocks"))
        slots = _count(doc, "slots", default=0, low=0, high=MAX_SLOTS)
        blocks = _count(doc, "blocks", default=1, low=0, high=MAX_BLOCKS)
        if slots == 0 and blocks == 0:
            raise ControlError(400, "nothing to do: give 'slots' > 0 or 'blocks' > 0")
        tip = self.net.advance_slots(slots, blocks=blocks)
        return {"slots": slots, "blocks": blocks, "tip": tip_json(tip)}
