"""The SQLite backend (the default): one file, WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE``.

Every write starts with ``BEGIN IMMEDIATE``, which takes the write lock up front and
waits up to ``busy_timeout`` for it; a deferred transaction that reads and then writes
gets "database is locked" at once when another writer got in between, ignoring the
busy timeout. ``synchronous=FULL`` in WAL mode makes a commit durable before
:meth:`~anchor.publish.spool.store.Store.add` returns, so `spool add` exits 0 only
after the item is on disk.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from anchor.publish.spool.store import Store, StoreUnavailable, _BulkConflict, ddl

BUSY_TIMEOUT_MS = 30_000
_FETCH = 65_536
_BIG_BATCH = 10_000
_BIG_BATCH_CACHE_KIB = 256 * 1024  # grown as pages are used, for this connection only


class SqliteStore(Store):
    """A spool store in the SQLite file ``path``."""

    backend = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise StoreUnavailable(
                f"cannot open {self.path}: folder {self.path.parent} does not exist"
            )
        try:
            self._conn = sqlite3.connect(
                str(self.path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
            )
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            self._conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open {self.path}: {exc}") from exc

    def now(self) -> float:
        return time.time()

    def close(self) -> None:
        self._conn.close()

    @contextlib.contextmanager
    def _begin(self, write: bool) -> Iterator[Any]:
        try:
            self._conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"{self.path}: {exc}") from exc
        try:
            yield self._conn
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
            raise
        try:
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")
            raise StoreUnavailable(f"{self.path}: commit failed: {exc}") from exc

    def _exec(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return list(conn.execute(sql, tuple(params)).fetchall())
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"{self.path}: {exc}") from exc

    def _chunks(
        self, conn: Any, sql: str, params: Sequence[Any] = ()
    ) -> Iterator[list[tuple[Any, ...]]]:
        try:
            cursor = conn.execute(sql, tuple(params))
            while chunk := cursor.fetchmany(_FETCH):
                yield chunk
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"{self.path}: {exc}") from exc

    def _executemany(self, conn: Any, sql: str, rows: list[tuple[Any, ...]]) -> int:
        try:
            if len(rows) >= _BIG_BATCH:
                # Random item ids make index inserts scattered: with the default 2 MB page
                # cache a million-row batch spills dirty pages to the WAL again and again.
                conn.execute(f"PRAGMA cache_size = -{_BIG_BATCH_CACHE_KIB}")
            return int(conn.executemany(sql, rows).rowcount)
        except sqlite3.IntegrityError as exc:
            raise _BulkConflict(str(exc)) from exc
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"{self.path}: {exc}") from exc

    def _version(self, conn: Any) -> int | None:
        found = self._exec(
            conn, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        )
        if not found:
            return None
        row = self._exec(conn, "SELECT MAX(version) FROM schema_version")
        return int(row[0][0]) if row and row[0][0] is not None else None

    def _ddl(self) -> list[str]:
        return ddl(pk="INTEGER PRIMARY KEY", blob="BLOB", real="REAL")
