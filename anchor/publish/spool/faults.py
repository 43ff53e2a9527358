"""Crash injection: ``ANCHOR_FAULTPOINT=NAME[:n]`` SIGKILLs the process at a named point.

Every commit and every send boundary of the spool calls :func:`point`. With
``ANCHOR_FAULTPOINT=NAME`` the process kills itself (SIGKILL, no cleanup, exactly
like ``kill -9``) the first time it passes ``NAME``; ``NAME:n`` the n-th time.
``ANCHOR_FAULTPOINT_TRACE=FILE`` appends every point passed to ``FILE`` (one name a
line), which is how tests list the registered points a run goes through.
"""

from __future__ import annotations

import os
import signal

FAULT_ENV = "ANCHOR_FAULTPOINT"
TRACE_ENV = "ANCHOR_FAULTPOINT_TRACE"

# Every point the spool registers, in the order a window meets them.
POINTS = (
    "add.commit",
    "seal.commit",
    "seal.bundle",
    "sign.commit",
    "send.before",
    "send.after",
    "submitted.commit",
    "included.commit",
    "anchored.commit",
    "final.commit",
)

_seen: dict[str, int] = {}


def point(name: str) -> None:
    """Pass the fault point ``name`` (see the module text); a no-op unless asked for."""
    trace = os.environ.get(TRACE_ENV)
    if trace:
        with open(trace, "a", encoding="utf-8") as fh:
            fh.write(name + "\n")
    wanted = os.environ.get(FAULT_ENV)
    if not wanted:
        return
    target, _, count = wanted.partition(":")
    if target != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= (int(count) if count.isdigit() else 1):
        os.kill(os.getpid(), signal.SIGKILL)
