"""Backend conformance: the same tests on SQLite and on a throwaway PostgreSQL cluster."""

from __future__ import annotations

import hashlib

import pytest

from anchor.merkle.tree import MerkleTree
from anchor.publish.spool import machine
from anchor.publish.spool.api import open_store
from anchor.publish.spool.store import (
    SCHEMA_VERSION,
    ItemConflict,
    LeaseHeld,
    LeaseLost,
    NewItem,
    SchemaTooNew,
    Store,
    UnknownSpool,
)


def _spool(store: Store):  # type: ignore[no-untyped-def]
    made, created = store.create_spool(
        "default", network="devnet", confirmations=1, ttl_slots=1800, final_depth=10
    )
    assert created
    return made


def _d(i: int) -> bytes:
    return hashlib.sha256(str(i).encode()).digest()


def test_init_is_idempotent(store: Store) -> None:
    first = _spool(store)
    again, created = store.create_spool(
        "default", network="devnet", confirmations=1, ttl_slots=1800, final_depth=10
    )
    assert not created and again == first
    assert [(w.seq, w.state) for w in store.windows(first)] == [(1, "open")]
    assert store.schema_version() == SCHEMA_VERSION


def test_unknown_spool_and_empty_database(store: Store) -> None:
    with pytest.raises(UnknownSpool) as empty:
        store.spool("default")
    assert empty.value.exit_code == 4
    _spool(store)
    with pytest.raises(UnknownSpool):
        store.spool("other")


def test_add_is_idempotent_and_all_or_nothing(store: Store) -> None:
    sp = _spool(store)
    a = store.add(sp, [NewItem("ci/run/1", "a.txt", _d(1), 5)])
    assert (a[0].window, a[0].state, a[0].duplicate) == (1, "pending", False)
    again = store.add(sp, [NewItem("ci/run/1", "a.txt", _d(1), 5), NewItem("ci/run/1", "b", _d(2))])
    assert again[0].item_id == a[0].item_id and again[0].duplicate
    assert not again[1].duplicate
    with pytest.raises(ItemConflict) as conflict:
        store.add(sp, [NewItem("ci/run/1", "c", _d(3)), NewItem("ci/run/1", "a.txt", _d(9))])
    assert conflict.value.exit_code == 4
    assert store.counts(sp) == {store.windows(sp)[0].id: 2}  # "c" was not added either


def test_seal_freezes_orders_by_sequence_and_opens_the_next(store: Store) -> None:
    sp = _spool(store)
    for i in (3, 1, 2):
        store.add(sp, [NewItem("src", f"n{i}", _d(i))])
    epoch = store.acquire(sp, "me", seconds=60)
    sealed = store.seal(sp, holder="me", epoch=epoch, label="v1", lease_seconds=60)
    assert sealed is not None and sealed.state == "sealed" and sealed.label == "v1"
    assert sealed.root == MerkleTree([_d(3), _d(1), _d(2)]).root.hex()
    assert sealed.leaf_count == 3
    items = store.window_items(sealed.id)
    assert [i.name for i in items] == ["n3", "n1", "n2"]
    assert [store.leaf_index(i) for i in items] == [0, 1, 2]
    added = store.add(sp, [NewItem("src", "late", _d(4))])
    assert added[0].window == 2
    # the same (source, name) with another digest is fine in a later window
    assert not store.add(sp, [NewItem("src", "n3", _d(5))])[0].duplicate
    assert store.window_items(sealed.id) == items
    empty = store.windows(sp)
    assert [(w.seq, w.state) for w in empty] == [(1, "sealed"), (2, "open")]
    events = store.events(sp)
    assert events[-1][1:] == ("open", "sealed", epoch)


def test_empty_window_seals_to_empty(store: Store) -> None:
    sp = _spool(store)
    epoch = store.acquire(sp, "me", seconds=60)
    sealed = store.seal(sp, holder="me", epoch=epoch, label=None, lease_seconds=60)
    assert sealed is not None and sealed.state == "empty" and sealed.root is None


def test_lease_is_exclusive_and_fences_stale_writers(store: Store, store_url: str) -> None:
    sp = _spool(store)
    epoch = store.acquire(sp, "a", seconds=60)
    other = open_store(store_url)
    try:
        with pytest.raises(LeaseHeld) as held:
            other.acquire(sp, "b", seconds=60)
        assert held.value.exit_code == 5
        store.release(sp, "a", epoch)
        newer = other.acquire(sp, "b", seconds=60)
        assert newer == epoch + 1
        with pytest.raises(LeaseLost):
            store.seal(sp, holder="a", epoch=epoch, label=None, lease_seconds=60)
        assert store.windows(sp)[0].state == "open"
        # an expired lease can be taken over
        other.release(sp, "b", newer)
        short = other.acquire(sp, "b", seconds=-1)
        assert store.acquire(sp, "a", seconds=60) == short + 1
    finally:
        other.close()


def test_transition_needs_the_expected_state_and_epoch(store: Store) -> None:
    sp = _spool(store)
    store.add(sp, [NewItem("s", "n", _d(1))])
    epoch = store.acquire(sp, "me", seconds=60)
    sealed = store.seal(sp, holder="me", epoch=epoch, label=None, lease_seconds=60)
    assert sealed is not None
    with pytest.raises(machine.TransitionRefused):
        store.transition(sealed, "anchored", holder="me", epoch=epoch, lease_seconds=60)
    store.transition(sealed, "blocked", holder="me", epoch=epoch, lease_seconds=60,
                     fields={"reason": "test"})  # fmt: skip
    with pytest.raises(LeaseLost):  # a stale copy of the row (state sealed) changes nothing
        store.transition(sealed, "signed", holder="me", epoch=epoch, lease_seconds=60)
    assert store.window(sp, 1).state == "blocked"  # type: ignore[union-attr]


def test_newer_schema_is_refused_untouched(store: Store, store_url: str) -> None:
    sp = _spool(store)
    with store._tx() as conn:
        store._exec(conn, "UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    other = open_store(store_url)
    try:
        with pytest.raises(SchemaTooNew) as newer:
            other.spool(sp.name)
        assert newer.value.exit_code == 5
        with pytest.raises(SchemaTooNew):
            other.migrate()
    finally:
        other.close()


def test_add_racing_a_seal_lands_in_the_next_window(store: Store, store_url: str) -> None:
    """Adders in threads while seals run: every item lands in exactly one window, none lost."""
    import threading

    sp = _spool(store)
    errors: list[BaseException] = []
    added: list[str] = []

    def adder(k: int) -> None:
        own = open_store(store_url)
        try:
            for i in range(15):
                added.extend(
                    a.item_id for a in own.add(sp, [NewItem(f"t{k}", f"n{i}", _d(k * 100 + i))])
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=adder, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    epoch = store.acquire(sp, "me", seconds=60)
    for _ in range(4):
        store.seal(sp, holder="me", epoch=epoch, label=None, lease_seconds=60)
    for t in threads:
        t.join()
    store.seal(sp, holder="me", epoch=epoch, label=None, lease_seconds=60)
    assert not errors
    windows = [w for w in store.windows(sp) if w.state == "sealed"]
    in_windows = [i.item_id for w in windows for i in store.window_items(w.id)]
    assert sorted(in_windows) == sorted(added) and len(added) == 45
    for w in windows:
        digests = [i.digest for i in store.window_items(w.id)]
        assert w.root == MerkleTree(digests).root.hex() and w.leaf_count == len(digests)


def test_bulk_add_duplicates_and_conflicts(store: Store) -> None:
    sp = _spool(store)
    batch = [NewItem("s", f"n{i}", _d(i), i) for i in range(200)]
    first = store.add(sp, [*batch, batch[0]])
    assert [a.duplicate for a in first] == [False] * 200 + [True]
    assert first[200].item_id == first[0].item_id
    again = store.add(sp, [*batch[:100], NewItem("s", "new", _d(999))])
    assert [a.duplicate for a in again] == [True] * 100 + [False]
    assert [a.item_id for a in again[:100]] == [a.item_id for a in first[:100]]
    bad = [NewItem("s", f"m{i}", _d(1000 + i)) for i in range(100)] + [NewItem("s", "n5", _d(5000))]
    with pytest.raises(ItemConflict) as conflict:
        store.add(sp, bad)
    assert "'n5'" in conflict.value.message
    assert sum(store.counts(sp).values()) == 201
    items = store.window_items(store.windows(sp)[0].id)
    assert [i.name for i in items[:3]] == ["n0", "n1", "n2"] and items[2].size == 2
