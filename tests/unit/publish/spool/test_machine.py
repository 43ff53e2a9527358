"""The pure state machine: transitions, cadences, input rules and chain decisions."""

from __future__ import annotations

import pytest

from anchor.errors import InputError
from anchor.publish.spool import machine as m


def test_allowed_and_refused_transitions() -> None:
    for old, new in [("open", "sealed"), ("open", "empty"), ("sealed", "signed"),
                     ("signed", "submitted"), ("submitted", "included"),
                     ("included", "anchored"), ("anchored", "final"),
                     ("included", "submitted"), ("anchored", "submitted"),
                     ("submitted", "signed"), ("signed", "blocked")]:  # fmt: skip
        m.check_transition(old, new)
    for old, new in [("open", "signed"), ("sealed", "submitted"), ("final", "submitted"),
                     ("empty", "sealed"), ("blocked", "signed"), ("included", "final")]:  # fmt: skip
        with pytest.raises(m.TransitionRefused):
            m.check_transition(old, new)


def test_cadences_are_utc_aligned() -> None:
    assert m.parse_cadence("1h") == 3600
    assert m.parse_cadence("1d") == 86400
    assert m.parse_cadence("release") == 0
    assert m.parse_cadence("15m") == 900
    with pytest.raises(InputError):
        m.parse_cadence("hourly")
    assert not m.window_due(7200.0, 10799.0, 3600)
    assert m.window_due(7200.0, 10800.0, 3600)
    assert m.window_due(10799.0, 10800.0, 3600)
    assert not m.window_due(0.0, 10**9, 0)
    assert m.window_label(7300.5, 3600) == "1970-01-01T02:00:00Z/3600s"


@pytest.mark.parametrize("bad", ["", "/abs", "a/../b", "..", "./x", "a//b", "a\\b", "x\n", "a/"])
def test_bad_names_are_refused(bad: str) -> None:
    with pytest.raises(InputError):
        m.check_name(bad)


def test_digest_and_item_id() -> None:
    assert m.check_digest("AB" * 32) == bytes([0xAB]) * 32
    for bad in ("ab" * 31, "zz" * 32, ""):
        with pytest.raises(InputError):
            m.check_digest(bad)
    a = m.item_id("s", "src", "n", b"\x01" * 32)
    assert a == m.item_id("s", "src", "n", b"\x01" * 32)
    assert len(a) == 32
    assert a != m.item_id("s", "src", "n2", b"\x01" * 32)
    assert a != m.item_id("t", "src", "n", b"\x01" * 32)


def test_submitted_decisions() -> None:
    view = m.ChainView(tip_height=10, tip_slot=100, block_height=9, block_hash="aa")
    d = m.decide_submitted(view, ttl=50, ttl_passed_height=None, confirmations=3)
    assert (d.action, d.block_height, d.depth) == ("include", 9, 2)
    absent = m.ChainView(tip_height=10, tip_slot=100)
    assert (
        m.decide_submitted(absent, ttl=100, ttl_passed_height=None, confirmations=3).action
        == "resend"
    )
    d = m.decide_submitted(absent, ttl=99, ttl_passed_height=None, confirmations=3)
    assert (d.action, d.block_height) == ("ttl_passed", 10)
    assert m.decide_submitted(absent, ttl=99, ttl_passed_height=9, confirmations=3).action == "wait"
    assert m.decide_submitted(absent, ttl=99, ttl_passed_height=8, confirmations=3).action == "dead"


def test_included_decisions_recheck_the_block() -> None:
    kw = {"recorded_height": 5, "recorded_hash": "aa", "confirmations": 3, "final_depth": 10}
    same = m.ChainView(tip_height=7, tip_slot=0, block_height=5, block_hash="aa")
    assert m.decide_included(same, state="included", **kw).action == "anchored"
    shallow = m.ChainView(tip_height=6, tip_slot=0, block_height=5, block_hash="aa")
    assert m.decide_included(shallow, state="included", **kw).action == "wait"
    moved = m.ChainView(tip_height=7, tip_slot=0, block_height=5, block_hash="bb")
    assert m.decide_included(moved, state="anchored", **kw).action == "rollback"
    gone = m.ChainView(tip_height=7, tip_slot=0)
    assert m.decide_included(gone, state="included", **kw).action == "rollback"
    deep = m.ChainView(tip_height=14, tip_slot=0, block_height=5, block_hash="aa")
    assert m.decide_included(deep, state="included", **kw).action == "anchored"
    assert m.decide_included(deep, state="anchored", **kw).action == "final"
