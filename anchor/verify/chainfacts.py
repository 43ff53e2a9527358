"""Block facts: per-provider observations, their comparison, and the depth a run uses.

The transaction binding does not cover inclusion, height, slot, time or depth; those
are explorer assertions. A run gathers one :class:`Observation` per provider (online)
or reads them from ``chain-facts.json`` / ``--chain-facts`` (offline), then
:func:`combine` compares them:

* observations are keyed by **endpoint** (provider name and URL online, file and row
  offline), never by name alone, so two providers called ``blockfrost`` cannot hide
  their disagreement behind one key;
* the including block's ``block_height``, ``block_hash``, ``block_slot``, ``block_time``
  (and the provider's ``is_valid`` claim) must agree wherever two endpoints state them;
  any difference is a disagreement, reported field by field with every endpoint's value
  (tips legitimately differ and are not compared). A disagreement leaves the facts
  unestablished unless the auditor names the endpoint to trust (``--trust-provider``);
* the depth used is the smallest one observed (``tip − height + 1``, or an explicit
  depth), so a lagging provider can only make the verdict more cautious.

Every observation carries its ``source``: ``bundle`` (a file anyone could edit) or
``provider`` (an endpoint this run asked).

``chain-facts.json`` is read tolerantly: a document with ``observations`` (or
``providers``/``facts``), a bare list of observations, or one flat observation; field
aliases ``height``/``block_height``, ``hash``/``block``/``block_hash``,
``slot``/``absolute_slot``/``block_slot``, ``tip``/``tip_height``,
``depth``/``confirmations``. Entries that carry an ``error`` or no block (a provider
that failed or did not know the transaction when asked) are skipped. Malformed files,
and values out of range (a ``block_time`` past 9999-12-31, integers beyond 2**63 - 1),
raise :class:`~anchor.errors.InputError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from anchor.chain.readers import MAX_BLOCK_TIME, MAX_UINT, BlockFacts
from anchor.errors import InputError

COMPARED_FIELDS = ("block_height", "block_hash", "block_slot", "block_time", "is_valid")
SOURCE_BUNDLE = "bundle"
SOURCE_PROVIDER = "provider"


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
    endpoint: str = ""
    source: str = SOURCE_BUNDLE
    is_valid: bool | None = None

    @classmethod
    def from_block_facts(
        cls, provider: str, facts: BlockFacts, tip: int | None, *, endpoint: str = ""
    ) -> Observation:
        """Build from a reader's answer (``endpoint``: the provider's API root)."""
        return cls(
            provider,
            facts.height,
            facts.hash,
            facts.slot,
            facts.block_time,
            tip,
            endpoint=endpoint,
            source=SOURCE_PROVIDER,
            is_valid=facts.valid,
        )

    @property
    def label(self) -> str:
        """``name endpoint``: how the report names this observation."""
        return f"{self.provider} {self.endpoint}".strip()

    def matches(self, wanted: str) -> bool:
        """True when ``wanted`` names this observation: its provider name, endpoint or label."""
        text = wanted.strip()
        return text.lower() == self.provider.lower() or text.rstrip("/") in (
            self.endpoint.rstrip("/"),
            self.label,
        )

    def confirmation_depth(self) -> int | None:
        """``tip − height + 1`` when the tip is known, else an explicitly stated depth."""
        if self.tip_height is not None and self.block_height is not None:
            return self.tip_height - self.block_height + 1
        return self.depth

    def to_json(self) -> dict[str, Any]:
        """Report form."""
        return {
            "provider": self.provider,
            "endpoint": self.endpoint,
            "source": self.source,
            "block_height": self.block_height,
            "block_hash": self.block_hash,
            "block_slot": self.block_slot,
            "block_time": self.block_time,
            "tip_height": self.tip_height,
            "confirmationDepth": self.confirmation_depth(),
            "is_valid": self.is_valid,
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
    trusted: tuple[str, ...] = ()

    @property
    def agree(self) -> bool:
        """True when no compared field differs between endpoints."""
        return not self.disagreements

    @property
    def established(self) -> bool:
        """True when the facts used are agreed: no disagreement, or one settled by trust."""
        return not self.disagreements or bool(self.trusted)

    @property
    def source(self) -> str:
        """``provider`` when an asked endpoint stated the facts used, else ``bundle``."""
        used = [o for o in self.observations if not self.trusted or o.label in self.trusted]
        return SOURCE_PROVIDER if any(o.source == SOURCE_PROVIDER for o in used) else SOURCE_BUNDLE


def _labelled(observations: list[Observation] | tuple[Observation, ...]) -> tuple[Observation, ...]:
    """The observations with unique labels (a repeated label gets ``#n``)."""
    from dataclasses import replace

    seen: dict[str, int] = {}
    out: list[Observation] = []
    for o in observations:
        count = seen.get(o.label, 0)
        seen[o.label] = count + 1
        out.append(o if count == 0 else replace(o, endpoint=f"{o.endpoint}#{count}".lstrip()))
    return tuple(out)


def disagreements_of(obs: tuple[Observation, ...]) -> tuple[dict[str, Any], ...]:
    """Field-by-field differences, each with every endpoint's value."""
    found: list[dict[str, Any]] = []
    for name in COMPARED_FIELDS:
        stated = {o.label: getattr(o, name) for o in obs if getattr(o, name) is not None}
        if len(set(stated.values())) > 1:
            found.append({"field": name, "values": stated})
    return tuple(found)


def combine(
    observations: list[Observation] | tuple[Observation, ...],
    *,
    trust: tuple[str, ...] = (),
) -> CombinedFacts:
    """Compare observations (at least one) and pick the facts to report.

    ``trust`` names the endpoints (name, URL or label) whose facts settle a
    disagreement; they must agree among themselves, and one that matches nothing
    is an :class:`InputError`.
    """
    if not observations:
        raise ValueError("combine() needs at least one observation")
    obs = _labelled(observations)
    disagreements = disagreements_of(obs)
    used = obs
    trusted: tuple[str, ...] = ()
    if trust:
        chosen = tuple(o for o in obs if any(o.matches(t) for t in trust))
        if not chosen:
            names = ", ".join(o.label for o in obs)
            raise InputError(f"--trust-provider {', '.join(trust)} names none of: {names}")
        if disagreements and not disagreements_of(chosen):
            used, trusted = chosen, tuple(o.label for o in chosen)
    depths = [d for d in (o.confirmation_depth() for o in used) if d is not None]
    return CombinedFacts(
        block_height=next((o.block_height for o in used if o.block_height is not None), None),
        block_hash=next((o.block_hash for o in used if o.block_hash), None),
        block_slot=next((o.block_slot for o in used if o.block_slot is not None), None),
        block_time=used[0].block_time,
        depth=min(depths) if depths else None,
        observations=obs,
        disagreements=disagreements,
        trusted=trusted,
    )


def _int(
    obj: dict[str, Any], *names: str, upper: int = MAX_UINT, what: str = "chain facts"
) -> int | None:
    for name in names:
        value = obj.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= upper:
            raise InputError(f"{what}: {name!r} must be an integer between 0 and {upper}")
        return value
    return None


def _text(obj: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = obj.get(name)
        if isinstance(value, str) and value:
            return value.lower()
    return None


def _observation(obj: Any, position: int, source: str) -> Observation:
    if not isinstance(obj, dict):
        raise InputError(f"chain facts: observation {position} is not an object")
    height = _int(obj, "block_height", "height")
    block_time = _int(obj, "block_time", "time", upper=MAX_BLOCK_TIME)
    if height is None or block_time is None:
        raise InputError(f"chain facts: observation {position} lacks block_height or block_time")
    provider = obj.get("provider") or obj.get("name") or f"source-{position}"
    return Observation(
        provider=str(provider)[:200],
        endpoint=f"({source} #{position})",
        source=SOURCE_BUNDLE,
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
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(f"{source}: not JSON (or nested too deep)") from exc
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
        return [_observation(row, i, source) for i, row in usable]
    except InputError as exc:
        raise InputError(f"{source}: {exc.message}") from exc


def _no_block(row: dict[str, Any]) -> bool:
    """A provider entry that states no including block (it failed or did not know the tx)."""
    return row.get("block_height") is None and row.get("height") is None


def chain_facts_tx_hash(data: bytes) -> str | None:
    """The ``tx_hash`` a chain-facts document names, if any (used to cross-check inputs)."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if isinstance(doc, dict):
        return _text(doc, "tx_hash", "txHash")
    return None


def receipt_observation(receipt: dict[str, Any], *, source: str) -> Observation | None:
    """The block facts a publish receipt (``anchor.json``) states, as a bundle observation.

    None when it states no including block. Out-of-range values are an InputError, as
    for ``chain-facts.json``.
    """
    height = _int(receipt, "block_height", what=source)
    block_time = _int(receipt, "block_time", upper=MAX_BLOCK_TIME, what=source)
    if height is None or block_time is None:
        return None
    return Observation(
        provider=source,
        block_height=height,
        block_hash=_text(receipt, "block_hash"),
        block_slot=_int(receipt, "slot", "block_slot", what=source),
        block_time=block_time,
        endpoint="",
        source=SOURCE_BUNDLE,
    )


def proof_anchor_observation(
    *,
    source: str,
    block_height: int | None,
    block_time: int | None,
    block_hash: bytes | None,
    slot: int | None,
) -> Observation | None:
    """The block facts a proof file's ``anchor`` object states (None when it states none)."""
    if block_height is None or block_time is None:
        return None
    if block_time > MAX_BLOCK_TIME:
        raise InputError(f"{source}: anchor.block_time {block_time} is out of range")
    return Observation(
        provider=source,
        block_height=block_height,
        block_hash=block_hash.hex() if block_hash is not None else None,
        block_slot=slot,
        block_time=block_time,
        source=SOURCE_BUNDLE,
    )
