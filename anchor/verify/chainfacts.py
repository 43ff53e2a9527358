"""Block facts: per-provider observations, their comparison, and the depth a run uses.

The transaction binding does not cover inclusion, height, slot, time or depth; those
are explorer assertions. A run gathers one :class:`Observation` per provider (online)
or reads them from ``chain-facts.json`` / ``--chain-facts`` (offline), then
:func:`combine` compares them:

* the including block's ``block_height``, ``block_hash``, ``block_slot`` and
  ``block_time`` must agree wherever two providers state them; any difference is a
  disagreement, reported field by field (tips legitimately differ and are not compared);
* the depth used is the smallest one observed (``tip − height + 1``, or an explicit
  depth), so a lagging provider can only make the verdict more cautious.

``chain-facts.json`` is read tolerantly: a document with ``observations`` (or
``providers``/``facts``), a bare list of observations, or one flat observation; field
aliases ``height``/``block_height``, ``hash``/``block``/``block_hash``,
``slot``/``absolute_slot``/``block_slot``, ``tip``/``tip_height``,
``depth``/``confirmations``. Entries that carry an ``error`` or no block (a provider
that failed or did not know the transaction when asked) are skipped. Malformed files
raise :class:`~anchor.errors.InputError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from anchor.chain.readers import BlockFacts
from anchor.errors import InputError

COMPARED_FIELDS = ("block_height", "block_hash", "block_slot", "block_time")


@dataclass(frozen=True)
class Observation:
    """What one provider asserted about the including block (and its tip, if known)."""

    provider: str
    block_height: int | None
    block_hash: str | None
    block_slot: int | None
    block_time: int
    tip_height: int | None = None
    depth: int | None = None

    @classmethod
    def from_block_facts(cls, provider: str, facts: BlockFacts, tip: int | None) -> Observation:
        """Build from a reader's answer."""
        return cls(provider, facts.height, facts.hash, facts.slot, facts.block_time, tip)

    def confirmation_depth(self) -> int | None:
        """``tip − height + 1`` when the tip is known, else an explicitly stated depth."""
        if self.tip_height is not None and self.block_height is not None:
            return self.tip_height - self.block_height + 1
        return self.depth

    def to_json(self) -> dict[str, Any]:
        """Report form."""
        return {
            "provider": self.provider,
            "block_height": self.block_height,
            "block_hash": self.block_hash,
            "block_slot": self.block_slot,
            "block_time": self.block_time,
            "tip_height": self.tip_height,
            "confirmationDepth": self.confirmation_depth(),
        }


@dataclass(frozen=True)
class CombinedFacts:
    """The facts a run reports: agreed block facts, the most cautious depth, disagreements."""

    block_height: int | None
    block_hash: str | None
    block_slot: int | None
    block_time: int
    depth: int | None
    observations: tuple[Observation, ...]
    disagreements: tuple[dict[str, Any], ...]

    @property
    def agree(self) -> bool:
        """True when no compared field differs between providers."""
        return not self.disagreements


def combine(observations: list[Observation] | tuple[Observation, ...]) -> CombinedFacts:
    """Compare observations (at least one) and pick the facts to report."""
    if not observations:
        raise ValueError("combine() needs at least one observation")
    obs = tuple(observations)
    disagreements: list[dict[str, Any]] = []
    for name in COMPARED_FIELDS:
        stated = {o.provider: getattr(o, name) for o in obs if getattr(o, name) is not None}
        if len(set(stated.values())) > 1:
            disagreements.append({"field": name, "values": stated})
    depths = [d for d in (o.confirmation_depth() for o in obs) if d is not None]
    first = obs[0]
    return CombinedFacts(
        block_height=next((o.block_height for o in obs if o.block_height is not None), None),
        block_hash=next((o.block_hash for o in obs if o.block_hash), None),
        block_slot=next((o.block_slot for o in obs if o.block_slot is not None), None),
        block_time=first.block_time,
        depth=min(depths) if depths else None,
        observations=obs,
        disagreements=tuple(disagreements),
    )


def _int(obj: dict[str, Any], *names: str) -> int | None:
    for name in names:
        value = obj.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"chain facts: {name!r} must be a non-negative integer")
        return value
    return None


def _text(obj: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = obj.get(name)
        if isinstance(value, str) and value:
            return value.lower()
    return None


def _observation(obj: Any, position: int) -> Observation:
    if not isinstance(obj, dict):
        raise InputError(f"chain facts: observation {position} is not an object")
    height = _int(obj, "block_height", "height")
    block_time = _int(obj, "block_time", "time")
    if height is None or block_time is None:
        raise InputError(f"chain facts: observation {position} lacks block_height or block_time")
    provider = obj.get("provider") or obj.get("name") or f"source-{position}"
    return Observation(
        provider=str(provider),
        block_height=height,
        block_hash=_text(obj, "block_hash", "hash", "block"),
        block_slot=_int(obj, "block_slot", "slot", "absolute_slot"),
        block_time=block_time,
        tip_height=_int(obj, "tip_height", "tip"),
        depth=_int(obj, "depth", "confirmations", "confirmationDepth"),
    )


def parse_chain_facts(data: bytes, *, source: str = "chain facts") -> list[Observation]:
    """Observations from a ``chain-facts.json`` document (see the module docstring)."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: not JSON") from exc
    rows: Any
    if isinstance(doc, list):
        rows = doc
    elif isinstance(doc, dict):
        rows = next(
            (doc[k] for k in ("observations", "providers", "facts") if k in doc),
            [doc],
        )
        if isinstance(rows, dict):
            rows = [{"provider": k, **v} if isinstance(v, dict) else v for k, v in rows.items()]
    else:
        raise InputError(f"{source}: expected a JSON object or list")
    if not isinstance(rows, list):
        raise InputError(f"{source}: observations must be a list")
    usable = [
        (i, row)
        for i, row in enumerate(rows)
        if not (isinstance(row, dict) and (row.get("error") or _no_block(row)))
    ]
    if not usable:
        raise InputError(f"{source}: no provider reported the including block")
    try:
        return [_observation(row, i) for i, row in usable]
    except InputError as exc:
        raise InputError(f"{source}: {exc.message}") from exc


def _no_block(row: dict[str, Any]) -> bool:
    """A provider entry that states no including block (it failed or did not know the tx)."""
    return row.get("block_height") is None and row.get("height") is None


def chain_facts_tx_hash(data: bytes) -> str | None:
    """The ``tx_hash`` a chain-facts document names, if any (used to cross-check inputs)."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(doc, dict):
        return _text(doc, "tx_hash", "txHash")
    return None
