"""Spool storage behind one interface; the SQL is shared, the backends supply connections.

:class:`Store` holds every query the spool runs. A backend (:mod:`.sqlite`,
:mod:`.postgres`) supplies a connection, its transaction start (SQLite
``BEGIN IMMEDIATE``; PostgreSQL ``BEGIN``), the row-lock clauses (``FOR KEY SHARE`` /
``FOR UPDATE`` on PostgreSQL, nothing on SQLite where ``BEGIN IMMEDIATE`` already
serialises writers), its clock and the wrapping of driver errors.

Guarantees:

* every write is one transaction; a window changes state only through
  :meth:`Store.transition`: ``UPDATE windows … WHERE id=? AND state=? AND lease_epoch=?``
  after the caller's lease was confirmed (``UPDATE leases … WHERE epoch=? AND holder=?``)
  in the same transaction, and an ``events`` row is written with it;
* :meth:`Store.add` is all-or-nothing and idempotent; it reads the open window
  ``FOR KEY SHARE`` and :meth:`Store.seal` takes it ``FOR UPDATE``, so no item can enter a
  sealed window;
* a schema newer than this code is refused (:class:`SchemaTooNew`) before anything is touched.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from anchor.errors import EnvironmentFailure, InputError
from anchor.publish.spool import machine

SCHEMA_VERSION = 1


@contextlib.contextmanager
def many_objects() -> Iterator[None]:
    """Pause the cyclic garbage collector while a million rows become Python values.

    The values made (tuples of strings and numbers, lists of them) hold no cycles, but
    each 700 new containers start a collection that walks the young ones, and the older
    generations get walked again and again as they grow: a third of the time of reading
    a million rows. Nothing is kept from being freed (reference counting frees it).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class StoreUnavailable(EnvironmentFailure):
    """The database cannot be reached or is locked beyond the busy timeout (exit 5)."""


class SchemaTooNew(EnvironmentFailure):
    """The spool was written by a newer anchor; nothing was touched (exit 5)."""


class LeaseHeld(EnvironmentFailure):
    """Another publisher holds this spool's lease (exit 5; ``--skip-if-locked`` skips)."""


class LeaseLost(EnvironmentFailure):
    """Our lease was taken over while we worked; nothing more was written (exit 5)."""


class UnknownSpool(InputError):
    """No spool of that name in the store (exit 4)."""


class ItemConflict(InputError):
    """A (source, name) already in the open window with another digest (exit 4)."""


@dataclass(frozen=True)
class Spool:
    """One spool's settings."""

    id: int
    name: str
    network: str
    confirmations: int
    ttl_slots: int
    final_depth: int


@dataclass(frozen=True)
class Window:
    """One window row."""

    id: int
    spool_id: int
    seq: int
    state: str
    lease_epoch: int
    label: str | None
    opened_at: float
    sealed_at: float | None
    root: str | None
    leaf_count: int | None
    address: str | None
    tx_id: str | None
    block_height: int | None
    block_hash: str | None
    block_slot: int | None
    block_time: int | None
    depth: int | None
    ttl_passed_height: int | None
    reason: str | None
    anchored_at: str | None


WINDOW_COLUMNS = (
    "id, spool_id, seq, state, lease_epoch, label, opened_at, sealed_at, root, leaf_count, "
    "address, tx_id, block_height, block_hash, block_slot, block_time, depth, "
    "ttl_passed_height, reason, anchored_at"
)


@dataclass(frozen=True)
class Attempt:
    """One signed transaction for a window, stored before it is ever sent."""

    window_id: int
    n: int
    tx_id: str
    tx_bytes: bytes
    record: bytes
    ttl: int
    inputs: tuple[str, ...]
    fee: int
    address: str


@dataclass(frozen=True)
class Item:
    """One item row; ``digest`` is the SHA-256 of its bytes."""

    seq: int
    item_id: str
    window_id: int
    source: str
    name: str
    digest: bytes
    size: int | None
    state: str


class NewItem(NamedTuple):
    """What `spool add` was asked to add (a tuple: `--from-file` makes a million of them)."""

    source: str
    name: str
    digest: bytes
    size: int | None = None


class Added(NamedTuple):
    """The outcome of adding one item (``duplicate``: it was there already)."""

    item_id: str
    window: int
    state: str
    duplicate: bool


@dataclass(frozen=True)
class WindowRows:
    """A window's items in leaf order, as columns of plain values (no object per item).

    ``digests`` are the leaves; ``sources``, ``names`` and ``sizes`` the other stored
    values of each item; ``tops`` the block tops of :mod:`anchor.publish.spool.tree`
    (empty for no items).
    """

    digests: list[bytes]
    sources: list[str]
    names: list[str]
    sizes: list[int | None]
    tops: bytes

    @classmethod
    def from_chunks(cls, chunks: Iterable[Sequence[tuple[Any, ...]]]) -> WindowRows:
        """Columns from ``(digest hex, source, name, size)`` rows fetched chunk by chunk
        (each chunk transposed at once; equal sources kept once)."""
        from anchor.publish.spool.tree import block_tops

        with many_objects():
            return cls._columns(chunks, block_tops)

    @classmethod
    def _columns(cls, chunks: Iterable[Sequence[tuple[Any, ...]]], tops: Any) -> WindowRows:
        digests: list[bytes] = []
        sources: list[str] = []
        names: list[str] = []
        sizes: list[int | None] = []
        seen: dict[str, str] = {}
        for chunk in chunks:
            if not chunk:
                continue
            hexes, srcs, nams, sizs = zip(*chunk, strict=True)
            digests.extend(map(bytes.fromhex, hexes))
            sources.extend([seen.setdefault(src, src) for src in srcs])
            names.extend(nams)
            sizes.extend(sizs)
        return cls(digests, sources, names, sizes, tops(digests) if digests else b"")

    @property
    def root(self) -> bytes:
        """The window's tree head (MerkleError for no items)."""
        from anchor.publish.spool.tree import root_from_tops

        return root_from_tops(self.tops)


_BULK_FROM = 64
_CHUNK = 500
_INSERT_ITEM = (
    "INSERT INTO items (item_id, spool_id, window_id, source, name, digest, size, state, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)"
)


class _BulkConflict(Exception):
    """A bulk insert hit a constraint: redo the batch item by item (which names it)."""


class _NotFresh(Exception):
    """Some item of a batch existed or conflicted: redo it with the existence query."""


_ITEM_COLUMNS = "seq, item_id, window_id, source, name, digest, size, state"
_WINDOW_ROWS = "SELECT digest, source, name, size FROM items WHERE window_id = ? ORDER BY seq"


def _item(row: Sequence[Any]) -> Item:
    return Item(row[0], row[1], row[2], row[3], row[4], bytes.fromhex(row[5]), row[6], row[7])


class Store:
    """Every spool query; subclasses provide the connection and dialect (see module text)."""

    for_share = ""
    for_update = ""
    backend = "sql"
    _now_column = ""  # a column giving now(), read with the open window (one query less)

    # -- backend hooks ---------------------------------------------------------------
    def _begin(self, write: bool) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def _ddl(self) -> list[str]:
        raise NotImplementedError

    def now(self) -> float:
        """Seconds since the epoch by the store's clock."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the connection."""

    def _exec(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _chunks(
        self, conn: Any, sql: str, params: Sequence[Any] = ()
    ) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of a large query a chunk at a time (never all of them as tuples)."""
        raise NotImplementedError

    # -- transactions ----------------------------------------------------------------
    @contextlib.contextmanager
    def _tx(self, *, write: bool = True) -> Iterator[Any]:
        with self._begin(write) as conn:
            yield conn

    def _one(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self._exec(conn, sql, params)
        return rows[0] if rows else None

    # -- schema ----------------------------------------------------------------------
    def schema_version(self) -> int | None:
        """The stored schema version (None: an empty database)."""
        with self._tx(write=False) as conn:
            return self._version(conn)

    def _version(self, conn: Any) -> int | None:
        raise NotImplementedError

    def migrate(self) -> None:
        """Create or upgrade the schema; :class:`SchemaTooNew` if it is newer than this code."""
        with self._tx() as conn:
            version = self._version(conn)
            if version is not None and version > SCHEMA_VERSION:
                raise SchemaTooNew(
                    f"the spool database has schema version {version}; this anchor knows "
                    f"up to {SCHEMA_VERSION}",
                    hint="upgrade evidence-anchor; nothing was changed",
                )
            if version is None:
                for statement in self._ddl():
                    self._exec(conn, statement)
                self._exec(conn, "INSERT INTO schema_version (version) VALUES (?)", (1,))

    def check_schema(self) -> None:
        """Refuse a newer schema, and an empty database (``spool init`` first)."""
        version = self.schema_version()
        if version is None:
            raise UnknownSpool("the spool database is empty", hint="run `anchor spool init` first")
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"the spool database has schema version {version}; this anchor knows "
                f"up to {SCHEMA_VERSION}",
                hint="upgrade evidence-anchor; nothing was changed",
            )

    # -- spools ----------------------------------------------------------------------
    def create_spool(
        self, name: str, *, network: str, confirmations: int, ttl_slots: int, final_depth: int
    ) -> tuple[Spool, bool]:
        """Create the spool ``name`` with its first open window; ``(spool, created)``."""
        self.migrate()
        with self._tx() as conn:
            now = self.now()
            row = self._one(
                conn,
                "INSERT INTO spools (name, network, confirmations, ttl_slots, final_depth, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                (name, network, confirmations, ttl_slots, final_depth, now),
            )
            if row is not None:
                self._exec(
                    conn,
                    "INSERT INTO windows (spool_id, seq, state, lease_epoch, opened_at) "
                    "VALUES (?, 1, 'open', 0, ?)",
                    (row[0], now),
                )
                self._exec(
                    conn,
                    "INSERT INTO leases (spool_id, holder, epoch, expires_at) VALUES (?, '', 0, 0)",
                    (row[0],),
                )
        return self.spool(name), row is not None

    def spool(self, name: str) -> Spool:
        """The spool ``name``; :class:`UnknownSpool` if there is none."""
        self.check_schema()
        with self._tx(write=False) as conn:
            row = self._one(
                conn,
                "SELECT id, name, network, confirmations, ttl_slots, final_depth FROM spools "
                "WHERE name = ?",
                (name,),
            )
        if row is None:
            raise UnknownSpool(
                f"no spool named {name!r} here", hint="create it with `anchor spool init`"
            )
        return Spool(*row)

    # -- items -----------------------------------------------------------------------
    def add(self, spool: Spool, items: Sequence[NewItem]) -> list[Added]:
        """Add ``items`` to the open window in one transaction (all or none).

        Large batches first try one ``INSERT … ON CONFLICT DO NOTHING`` ``executemany``:
        when it inserted every row, none existed and nothing conflicted, and that is the
        answer. Otherwise that transaction is rolled back and the batch runs again with
        one existence query per chunk (duplicates found), then one plain ``executemany``;
        should that hit a conflict, the batch is retried item by item, which names the
        offending item. Every way gives the same rows and the same answer.
        """
        from anchor.publish.spool import faults

        out: list[Added] = []
        if len(items) > _BULK_FROM:
            for mode in ("fresh", "bulk"):
                try:
                    with many_objects():
                        out = self._add(spool, items, mode=mode)
                except (_BulkConflict, _NotFresh):
                    out = []
                if out:
                    break
        if not out:
            out = self._add(spool, items, mode="single")
        faults.point("add.commit")
        return out

    def _open_window(self, conn: Any, spool: Spool) -> tuple[Any, ...]:
        """``(id, seq, now)`` of the open window, read with the add lock."""
        for _ in range(5):
            # PostgreSQL (read committed): a seal that committed while this statement
            # waited for the row lock hides the new window from its snapshot; the next
            # statement sees it.
            window = self._one(
                conn,
                f"SELECT id, seq{self._now_column} FROM windows WHERE spool_id = ? "
                "AND state = 'open'" + self.for_share,
                (spool.id,),
            )
            if window is not None:
                return window if self._now_column else (*window, self.now())
        raise StoreUnavailable(f"spool {spool.name!r} has no open window")

    def _executemany(self, conn: Any, sql: str, rows: list[tuple[Any, ...]]) -> int:
        """``executemany``; the rows it changed. A constraint violation raises
        :class:`_BulkConflict`."""
        raise NotImplementedError

    def _add(self, spool: Spool, items: Sequence[NewItem], *, mode: str) -> list[Added]:
        out: list[Added] = []
        with self._tx() as conn:
            window = self._open_window(conn, spool)
            now = float(window[2])
            if mode == "fresh":
                return self._add_fresh(conn, spool, window, items, now)
            if mode == "bulk":
                return self._add_bulk(conn, spool, window, items, now)
            for new in items:
                iid = machine.item_id(spool.name, new.source, new.name, new.digest)
                inserted = self._one(
                    conn,
                    _INSERT_ITEM + " ON CONFLICT DO NOTHING RETURNING seq",
                    (
                        iid,
                        spool.id,
                        window[0],
                        new.source,
                        new.name,
                        new.digest.hex(),
                        new.size,
                        now,
                    ),
                )
                if inserted is not None:
                    out.append(Added(iid, window[1], machine.PENDING, duplicate=False))
                    continue
                found = self._one(
                    conn,
                    "SELECT w.seq, i.state FROM items i JOIN windows w ON w.id = i.window_id "
                    "WHERE i.item_id = ?",
                    (iid,),
                )
                if found is None:
                    raise ItemConflict(
                        f"{new.source}: {new.name!r} is already in the open window with "
                        "another digest; nothing was added"
                    )
                out.append(Added(iid, found[0], found[1], duplicate=True))
        return out

    def _add_fresh(
        self, conn: Any, spool: Spool, window: tuple[Any, ...], items: Sequence[NewItem], now: float
    ) -> list[Added]:
        """Every item new: one ``ON CONFLICT DO NOTHING`` executemany that must insert all
        rows (the batch's own repeats are duplicates of their first); else :class:`_NotFresh`
        (the transaction is rolled back)."""
        ids = machine.item_ids(spool.name, items)
        wid, wseq = window[0], window[1]
        rows: list[tuple[Any, ...]] = []
        out: list[Added] = []
        seen: set[str] = set()
        pending = machine.PENDING
        for iid, (source, name, digest, size) in zip(ids, items, strict=True):
            if iid in seen:
                out.append(Added(iid, wseq, pending, True))
                continue
            seen.add(iid)
            rows.append((iid, spool.id, wid, source, name, digest.hex(), size, now))
            out.append(Added(iid, wseq, pending, False))
        if not self._insert_fresh(conn, rows):
            raise _NotFresh
        return out

    def _insert_fresh(self, conn: Any, rows: list[tuple[Any, ...]]) -> bool:
        """Insert ``rows`` (:data:`_INSERT_ITEM` values) if none exists or conflicts; False
        (the transaction then rolled back by the caller) otherwise."""
        return self._executemany(conn, _INSERT_ITEM + " ON CONFLICT DO NOTHING", rows) == len(rows)

    def _add_bulk(
        self, conn: Any, spool: Spool, window: tuple[Any, ...], items: Sequence[NewItem], now: float
    ) -> list[Added]:
        ids = machine.item_ids(spool.name, items)
        existing: dict[str, tuple[int, str]] = {}
        unique = list(dict.fromkeys(ids))
        for at in range(0, len(unique), _CHUNK):
            chunk = unique[at : at + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            for row in self._exec(
                conn,
                "SELECT i.item_id, w.seq, i.state FROM items i JOIN windows w "
                f"ON w.id = i.window_id WHERE i.item_id IN ({marks})",
                chunk,
            ):
                existing[row[0]] = (int(row[1]), str(row[2]))
        rows: list[tuple[Any, ...]] = []
        out: list[Added] = []
        seen: set[str] = set()
        for iid, new in zip(ids, items, strict=True):
            if iid in existing or iid in seen:
                seq, state = existing.get(iid, (window[1], machine.PENDING))
                out.append(Added(iid, seq, state, duplicate=True))
                continue
            seen.add(iid)
            rows.append(
                (iid, spool.id, window[0], new.source, new.name, new.digest.hex(), new.size, now)
            )
            out.append(Added(iid, window[1], machine.PENDING, duplicate=False))
        if rows:
            self._executemany(conn, _INSERT_ITEM, rows)
        return out

    def item(
        self, spool: Spool, *, item_id: str | None = None, digest: bytes | None = None
    ) -> Item | None:
        """One item by id, or the earliest item with ``digest``."""
        with self._tx(write=False) as conn:
            if item_id is not None:
                row = self._one(
                    conn,
                    f"SELECT {_ITEM_COLUMNS} FROM items WHERE spool_id = ? AND item_id = ?",
                    (spool.id, item_id),
                )
            else:
                assert digest is not None
                row = self._one(
                    conn,
                    f"SELECT {_ITEM_COLUMNS} FROM items WHERE spool_id = ? AND digest = ? "
                    "ORDER BY seq LIMIT 1",
                    (spool.id, digest.hex()),
                )
        return None if row is None else _item(row)

    def find_item(self, item_id: str) -> tuple[Spool, Item] | None:
        """The item ``item_id`` in whichever spool holds it (ids include the spool's name)."""
        self.check_schema()
        with self._tx(write=False) as conn:
            row = self._one(
                conn,
                "SELECT s.name FROM items i JOIN spools s ON s.id = i.spool_id "
                "WHERE i.item_id = ? LIMIT 1",
                (item_id,),
            )
        if row is None:
            return None
        spool = self.spool(str(row[0]))
        item = self.item(spool, item_id=item_id)
        return None if item is None else (spool, item)

    def window_items(self, window_id: int) -> list[Item]:
        """The window's items in leaf order (item sequence)."""
        with self._tx(write=False) as conn:
            rows = self._exec(
                conn,
                f"SELECT {_ITEM_COLUMNS} FROM items WHERE window_id = ? ORDER BY seq",
                (window_id,),
            )
        return [_item(r) for r in rows]

    def window_rows(self, window_id: int) -> WindowRows:
        """The window's items in leaf order as :class:`WindowRows` (one query)."""
        with self._tx(write=False) as conn:
            return WindowRows.from_chunks(self._chunks(conn, _WINDOW_ROWS, (window_id,)))

    def block_digests(self, window_id: int, first: int, count: int) -> list[bytes]:
        """The digests of leaves ``first .. first+count-1`` of the window."""
        with self._tx(write=False) as conn:
            rows = self._exec(
                conn,
                "SELECT digest FROM items WHERE window_id = ? ORDER BY seq LIMIT ? OFFSET ?",
                (window_id, count, first),
            )
        return [bytes.fromhex(r[0]) for r in rows]

    def leaf_index(self, item: Item) -> int:
        """The item's leaf index: its rank by sequence in its window."""
        with self._tx(write=False) as conn:
            row = self._one(
                conn,
                "SELECT COUNT(*) FROM items WHERE window_id = ? AND seq < ?",
                (item.window_id, item.seq),
            )
        return int(row[0]) if row else 0

    # -- windows ---------------------------------------------------------------------
    def windows(self, spool: Spool, states: Sequence[str] | None = None) -> list[Window]:
        """The spool's windows in sequence order (optionally only those in ``states``)."""
        with self._tx(write=False) as conn:
            rows = self._exec(
                conn,
                f"SELECT {WINDOW_COLUMNS} FROM windows WHERE spool_id = ? ORDER BY seq",
                (spool.id,),
            )
        found = [Window(*r) for r in rows]
        return [w for w in found if states is None or w.state in states]

    def window(self, spool: Spool, seq: int) -> Window | None:
        """The window numbered ``seq``."""
        return next((w for w in self.windows(spool) if w.seq == seq), None)

    def counts(self, spool: Spool) -> dict[int, int]:
        """Item count per window id (each counted on the ``items_window`` index)."""
        with self._tx(write=False) as conn:
            rows = self._exec(
                conn,
                "SELECT w.id, (SELECT COUNT(*) FROM items i WHERE i.window_id = w.id) "
                "FROM windows w WHERE w.spool_id = ?",
                (spool.id,),
            )
        return {int(r[0]): int(r[1]) for r in rows}

    def attempts(self, window_id: int) -> list[Attempt]:
        """The window's attempts, oldest first."""
        with self._tx(write=False) as conn:
            rows = self._exec(
                conn,
                "SELECT window_id, n, tx_id, tx_bytes, record, ttl, inputs, fee, address "
                "FROM attempts WHERE window_id = ? ORDER BY n",
                (window_id,),
            )
        return [
            Attempt(
                r[0],
                r[1],
                r[2],
                bytes(r[3]),
                bytes(r[4]),
                r[5],
                tuple(json.loads(r[6])),
                r[7],
                r[8],
            )
            for r in rows
        ]

    def events(self, spool: Spool) -> list[tuple[int | None, str | None, str, int]]:
        """``(window id, old state, new state, epoch)`` of every logged change, in order."""
        with self._tx(write=False) as conn:
            rows = self._exec(
                conn,
                "SELECT window_id, old_state, new_state, epoch FROM events WHERE spool_id = ? "
                "ORDER BY id",
                (spool.id,),
            )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    # -- leases ----------------------------------------------------------------------
    def acquire(self, spool: Spool, holder: str, *, seconds: float) -> int:
        """Take the spool's lease for ``seconds``; its new epoch. :class:`LeaseHeld` if taken."""
        with self._tx() as conn:
            now = self.now()
            row = self._one(
                conn,
                "UPDATE leases SET holder = ?, epoch = epoch + 1, expires_at = ? "
                "WHERE spool_id = ? AND (holder = '' OR expires_at < ? OR holder = ?) "
                "RETURNING epoch",
                (holder, now + seconds, spool.id, now, holder),
            )
        if row is None:
            raise LeaseHeld(
                f"spool {spool.name!r} is being published by another process (lease held)",
                hint="wait for it, or pass --skip-if-locked in cron jobs",
            )
        return int(row[0])

    def lease(self, spool: Spool) -> tuple[str, int, float]:
        """``(holder, epoch, expires_at)`` of the spool's lease (holder '' when free)."""
        with self._tx(write=False) as conn:
            row = self._one(
                conn, "SELECT holder, epoch, expires_at FROM leases WHERE spool_id = ?", (spool.id,)
            )
        assert row is not None
        return str(row[0]), int(row[1]), float(row[2])

    def take_over(self, spool: Spool, old: tuple[str, int], holder: str, *, seconds: float) -> int:
        """Take the lease from ``old`` = (holder, epoch), known dead; :class:`LeaseHeld` if it moved."""
        with self._tx() as conn:
            row = self._one(
                conn,
                "UPDATE leases SET holder = ?, epoch = epoch + 1, expires_at = ? "
                "WHERE spool_id = ? AND holder = ? AND epoch = ? RETURNING epoch",
                (holder, self.now() + seconds, spool.id, old[0], old[1]),
            )
        if row is None:
            raise LeaseHeld(
                f"spool {spool.name!r} is being published by another process (lease held)"
            )
        return int(row[0])

    def renew(self, spool: Spool, holder: str, epoch: int, *, seconds: float) -> None:
        """Extend our lease; :class:`LeaseLost` if it is no longer ours."""
        with self._tx() as conn:
            self._fence(conn, spool.id, holder, epoch, seconds)

    def release(self, spool: Spool, holder: str, epoch: int) -> None:
        """Give the lease up (only if still ours)."""
        with self._tx() as conn:
            self._exec(
                conn,
                "UPDATE leases SET holder = '', expires_at = 0 WHERE spool_id = ? AND holder = ? "
                "AND epoch = ?",
                (spool.id, holder, epoch),
            )

    def _fence(self, conn: Any, spool_id: int, holder: str, epoch: int, seconds: float) -> None:
        row = self._one(
            conn,
            "UPDATE leases SET expires_at = ? WHERE spool_id = ? AND holder = ? AND epoch = ? "
            "RETURNING epoch",
            (self.now() + seconds, spool_id, holder, epoch),
        )
        if row is None:
            raise LeaseLost("another publisher took over this spool's lease; stopped")

    # -- state changes ---------------------------------------------------------------
    def seal(
        self, spool: Spool, *, holder: str, epoch: int, label: str | None, lease_seconds: float
    ) -> Window | None:
        """Seal the open window in one transaction; the sealed (or empty) window, or None."""
        return self.seal_rows(
            spool, holder=holder, epoch=epoch, label=label, lease_seconds=lease_seconds
        )[0]

    def seal_rows(
        self, spool: Spool, *, holder: str, epoch: int, label: str | None, lease_seconds: float
    ) -> tuple[Window | None, WindowRows | None]:
        """:meth:`seal`, also giving the rows it sealed (read once, inside the transaction)."""
        from anchor.publish.spool import faults

        with self._tx() as conn:
            self._fence(conn, spool.id, holder, epoch, lease_seconds)
            row = self._one(
                conn,
                f"SELECT {WINDOW_COLUMNS} FROM windows WHERE spool_id = ? AND state = 'open'"
                + self.for_update,
                (spool.id,),
            )
            if row is None:
                return None, None
            window = Window(*row)
            leaves = WindowRows.from_chunks(self._chunks(conn, _WINDOW_ROWS, (window.id,)))
            now = self.now()
            new = machine.SEALED if leaves.digests else machine.EMPTY
            fields: dict[str, Any] = {"sealed_at": now, "label": label}
            if leaves.digests:
                fields.update(root=leaves.root.hex(), leaf_count=len(leaves.digests))
            self._change(conn, window, new, epoch, fields)
            self._exec(
                conn,
                "INSERT INTO windows (spool_id, seq, state, lease_epoch, opened_at) "
                "VALUES (?, ?, 'open', ?, ?)",
                (spool.id, window.seq + 1, epoch, now),
            )
        faults.point("seal.commit")
        return self.window(spool, window.seq), leaves

    def transition(
        self,
        window: Window,
        new: str,
        *,
        holder: str,
        epoch: int,
        lease_seconds: float,
        fields: dict[str, Any] | None = None,
        attempt: Attempt | None = None,
        point: str | None = None,
    ) -> None:
        """One fenced state change of ``window`` (with its attempt row, if any)."""
        from anchor.publish.spool import faults

        with self._tx() as conn:
            self._fence(conn, window.spool_id, holder, epoch, lease_seconds)
            if attempt is not None:
                self._exec(
                    conn,
                    "INSERT INTO attempts (window_id, n, tx_id, tx_bytes, record, ttl, inputs, "
                    "fee, address, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        attempt.window_id, attempt.n, attempt.tx_id, attempt.tx_bytes,
                        attempt.record, attempt.ttl, json.dumps(list(attempt.inputs)),
                        attempt.fee, attempt.address, self.now(),
                    ),
                )  # fmt: skip
            self._change(conn, window, new, epoch, dict(fields or {}))
            item_state = machine.ITEM_STATE_FOR.get(new)
            if item_state is not None:
                self._exec(
                    conn,
                    "UPDATE items SET state = ? WHERE window_id = ? AND state <> ?",
                    (item_state, window.id, item_state),
                )
        if point:
            faults.point(point)

    def _change(
        self, conn: Any, window: Window, new: str, epoch: int, fields: dict[str, Any]
    ) -> None:
        machine.check_transition(window.state, new)
        sets = ", ".join(f"{k} = ?" for k in fields)
        sql = "UPDATE windows SET state = ?, lease_epoch = ?" + (", " + sets if sets else "")
        sql += " WHERE id = ? AND state = ? AND lease_epoch = ? RETURNING id"
        params = [new, epoch, *fields.values(), window.id, window.state, window.lease_epoch]
        if self._one(conn, sql, params) is None:
            raise LeaseLost(
                f"window {window.seq} changed under us (expected {window.state}); stopped"
            )
        detail = json.dumps({k: v for k, v in fields.items() if k != "reason"} or None)
        self._exec(
            conn,
            "INSERT INTO events (spool_id, window_id, at, old_state, new_state, epoch, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (window.spool_id, window.id, self.now(), window.state, new, epoch, detail),
        )


def ddl(*, pk: str, blob: str, real: str) -> list[str]:
    """The schema (version 1) with the backend's type names."""
    return [
        "CREATE TABLE schema_version (version BIGINT NOT NULL)",
        f"CREATE TABLE spools (id {pk}, name TEXT NOT NULL UNIQUE, network TEXT NOT NULL, "
        f"confirmations BIGINT NOT NULL, ttl_slots BIGINT NOT NULL, final_depth BIGINT NOT NULL, "
        f"created_at {real} NOT NULL)",
        f"CREATE TABLE windows (id {pk}, spool_id BIGINT NOT NULL REFERENCES spools(id), "
        f"seq BIGINT NOT NULL, state TEXT NOT NULL, lease_epoch BIGINT NOT NULL, label TEXT, "
        f"opened_at {real} NOT NULL, sealed_at {real}, root TEXT, leaf_count BIGINT, "
        "address TEXT, tx_id TEXT, block_height BIGINT, block_hash TEXT, block_slot BIGINT, "
        "block_time BIGINT, depth BIGINT, ttl_passed_height BIGINT, reason TEXT, anchored_at TEXT, "
        "UNIQUE (spool_id, seq))",
        f"CREATE TABLE items (seq {pk}, item_id TEXT NOT NULL UNIQUE, "
        "spool_id BIGINT NOT NULL REFERENCES spools(id), "
        "window_id BIGINT NOT NULL REFERENCES windows(id), source TEXT NOT NULL, "
        "name TEXT NOT NULL, digest TEXT NOT NULL, size BIGINT, state TEXT NOT NULL, "
        f"created_at {real} NOT NULL, UNIQUE (spool_id, source, name, digest), "
        "UNIQUE (window_id, source, name))",
        "CREATE INDEX items_window ON items (window_id, seq)",
        "CREATE INDEX items_digest ON items (spool_id, digest)",
        f"CREATE TABLE attempts (id {pk}, window_id BIGINT NOT NULL REFERENCES windows(id), "
        f"n BIGINT NOT NULL, tx_id TEXT NOT NULL, tx_bytes {blob} NOT NULL, record {blob} NOT NULL, "
        "ttl BIGINT NOT NULL, inputs TEXT NOT NULL, fee BIGINT NOT NULL, address TEXT NOT NULL, "
        f"created_at {real} NOT NULL, UNIQUE (window_id, n))",
        "CREATE TABLE leases (spool_id BIGINT PRIMARY KEY REFERENCES spools(id), "
        f"holder TEXT NOT NULL, epoch BIGINT NOT NULL, expires_at {real} NOT NULL)",
        f"CREATE TABLE events (id {pk}, spool_id BIGINT NOT NULL, window_id BIGINT, "
        f"at {real} NOT NULL, old_state TEXT, new_state TEXT NOT NULL, epoch BIGINT NOT NULL, "
        "detail TEXT)",
    ]
