"""The spool's state machine, pure: states, transitions, cadences, input rules, decisions.

Window ``open → sealed → signed → submitted → included → anchored → final``, plus
``empty`` (sealed with no item: no transaction) and ``blocked`` (its inputs were spent
by a foreign transaction). A rollback takes ``included``/``anchored`` back to
``submitted``; a dead attempt (past its TTL, deep enough, absent) takes ``submitted``
back to ``signed`` with a new attempt spending the same inputs. Items follow their
window: ``pending → anchored → final`` (and back to ``pending`` on a rollback).

Nothing here does I/O: the publisher observes the chain, hands the facts to
:func:`decide_submitted` / :func:`decide_included`, and stores what they return.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from anchor.errors import InputError

OPEN = "open"
SEALED = "sealed"
SIGNED = "signed"
SUBMITTED = "submitted"
INCLUDED = "included"
ANCHORED = "anchored"
FINAL = "final"
EMPTY = "empty"
BLOCKED = "blocked"
WINDOW_STATES = (OPEN, SEALED, SIGNED, SUBMITTED, INCLUDED, ANCHORED, FINAL, EMPTY, BLOCKED)
IN_FLIGHT = (SIGNED, SUBMITTED, INCLUDED)
UNFINISHED = (SEALED, SIGNED, SUBMITTED, INCLUDED, ANCHORED)

PENDING = "pending"
ITEM_STATES = (PENDING, ANCHORED, FINAL)

TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({SEALED, EMPTY}),
    SEALED: frozenset({SIGNED, BLOCKED}),
    SIGNED: frozenset({SUBMITTED, INCLUDED, BLOCKED}),
    SUBMITTED: frozenset({SUBMITTED, SIGNED, INCLUDED, BLOCKED}),
    INCLUDED: frozenset({SUBMITTED, ANCHORED}),
    ANCHORED: frozenset({SUBMITTED, FINAL}),
    FINAL: frozenset(),
    EMPTY: frozenset(),
    BLOCKED: frozenset(),
}

# The item state that goes with a window state (None: items keep theirs).
ITEM_STATE_FOR = {ANCHORED: ANCHORED, FINAL: FINAL, SUBMITTED: PENDING}

CADENCES = {"1h": 3600, "1d": 86400, "release": 0}
FINAL_DEPTH = {"mainnet": 2160, "preprod": 2160, "preview": 2160, "devnet": 10}
_NAME_BAD = re.compile(r"(^|/)\.{1,2}(/|$)|^/|//|\\|[\x00-\x1f\x7f]")


class TransitionRefused(ValueError):
    """A state change the machine does not allow (a bug in the caller, never user input)."""


def check_transition(old: str, new: str) -> None:
    """Raise :class:`TransitionRefused` unless ``old → new`` is an allowed change."""
    if new not in TRANSITIONS.get(old, frozenset()):
        raise TransitionRefused(f"window state {old} cannot become {new}")


def parse_cadence(text: str) -> int:
    """Seconds of a cadence (``1h``, ``1d``; ``release`` is 0: sealed only by ``spool seal``)."""
    if text in CADENCES:
        return CADENCES[text]
    match = re.fullmatch(r"([1-9][0-9]{0,4})([mhd])", text)
    if match is None:
        raise InputError(f"--every {text!r}: expected 1h, 1d, release, or N followed by m, h or d")
    unit = {"m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return int(match.group(1)) * unit


def window_due(opened_at: float, now: float, cadence: int) -> bool:
    """True when a UTC-aligned boundary of ``cadence`` seconds lies between opening and now."""
    if cadence <= 0:
        return False
    return int(now // cadence) > int(opened_at // cadence)


def window_label(opened_at: float, cadence: int) -> str:
    """``2026-12-05T20:00:00Z/3600s``: the aligned start of the period the window opened in."""
    start = int(opened_at // cadence) * cadence
    stamp = datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{stamp}/{cadence}s"


def check_name(name: str, *, what: str = "--name") -> str:
    """An item name: non-empty, NFC, relative, ``/``-separated, no ``.``/``..`` segments."""
    if (
        name.isascii()  # so NFC already, and printable means no control character
        and name.isprintable()
        and 0 < len(name) <= 1024
        and "/." not in name  # what could start a '.' or '..' segment, past the first
        and "//" not in name
        and "\\" not in name
        and not name.startswith(("/", "."))
        and not name.endswith("/")
    ):
        return name  # every rule below holds (the common case, without the regex)
    text = unicodedata.normalize("NFC", name)
    if not text or _NAME_BAD.search(text) or text.endswith("/") or len(text) > 1024:
        raise InputError(
            f"{what} {name!r}: a name must be a non-empty relative path without '.' or '..' "
            "segments, empty segments, backslashes or control characters"
        )
    return text


def check_digest(text: str, *, what: str = "--sha256") -> bytes:
    """32 bytes from 64 hex digits (either case)."""
    try:
        raw = bytes.fromhex(text.strip())
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise InputError(f"{what} {text!r}: expected 64 hex digits (a SHA-256 digest)")
    return raw


def item_id(spool: str, source: str, name: str, digest: bytes) -> str:
    """The item's id: the same (spool, source, name, digest) always gets the same id."""
    material = "\x00".join((spool, source, name, digest.hex())).encode("utf-8")
    return hashlib.sha256(b"anchor-spool-item-v1\x00" + material).hexdigest()[:32]


def item_ids(spool: str, items: Iterable[tuple[str, str, bytes, int | None]]) -> list[str]:
    """:func:`item_id` of every ``(source, name, digest, size)``, in one loop."""
    prefix = b"anchor-spool-item-v1\x00" + spool.encode("utf-8") + b"\x00"
    h = hashlib.sha256
    return [
        h(prefix + f"{source}\x00{name}\x00{digest.hex()}".encode()).hexdigest()[:32]
        for source, name, digest, _ in items
    ]


@dataclass(frozen=True)
class ChainView:
    """What one look at the chain showed for a window's current attempt."""

    tip_height: int
    tip_slot: int
    block_height: int | None = None
    block_hash: str | None = None


@dataclass(frozen=True)
class Decision:
    """What to do: ``action`` is one of the names below; the other fields go with it.

    ``wait`` nothing to store; ``resend`` send the stored bytes again; ``include`` record
    the block; ``ttl_passed`` remember the height where the TTL was first seen passed;
    ``dead`` build a new attempt on the same inputs; ``rollback`` back to submitted;
    ``anchored`` / ``final`` the depth targets were reached.
    """

    action: str
    block_height: int | None = None
    block_hash: str | None = None
    depth: int = 0


def depth_of(tip_height: int, block_height: int) -> int:
    """Confirmations of a block at ``block_height`` under a tip at ``tip_height`` (itself: 1)."""
    return max(0, tip_height - block_height + 1)


def decide_submitted(
    view: ChainView, *, ttl: int, ttl_passed_height: int | None, confirmations: int
) -> Decision:
    """A submitted attempt: included, still valid (resend), or dead once safely past its TTL.

    Dead means a block past the TTL is at least ``confirmations`` deep and the
    transaction is absent: from then on it can never land, so a new attempt is safe.
    ``ttl_passed_height`` is the tip height when the TTL was first seen passed (the
    first block past the TTL is at or below it, so the depth counted is never more).
    """
    if view.block_height is not None and view.block_hash is not None:
        return Decision(
            "include",
            block_height=view.block_height,
            block_hash=view.block_hash,
            depth=depth_of(view.tip_height, view.block_height),
        )
    if view.tip_slot <= ttl:
        return Decision("resend")
    if ttl_passed_height is None:
        return Decision("ttl_passed", block_height=view.tip_height)
    if depth_of(view.tip_height, ttl_passed_height) >= confirmations:
        return Decision("dead")
    return Decision("wait")


def decide_included(
    view: ChainView,
    *,
    state: str,
    recorded_height: int,
    recorded_hash: str,
    confirmations: int,
    final_depth: int,
) -> Decision:
    """An included or anchored window: rolled back, deep enough, or waiting.

    The block is rechecked on every pass: a missing transaction or a different block
    hash at the recorded height is a rollback.
    """
    if view.block_height is None or view.block_hash is None:
        return Decision("rollback")
    if (view.block_height, view.block_hash) != (recorded_height, recorded_hash):
        return Decision("rollback")
    depth = depth_of(view.tip_height, recorded_height)
    if state == INCLUDED:
        return Decision("anchored" if depth >= confirmations else "wait", depth=depth)
    return Decision("final" if depth >= final_depth else "wait", depth=depth)
