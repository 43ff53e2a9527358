"""The PostgreSQL backend (psycopg 3, extra ``[postgres]``): same schema, server clock.

Nothing is bound to the session (no advisory locks, no temporary tables, no prepared
statements kept across transactions; the cursor that reads a window lives inside one
transaction), so it works behind pgbouncer in transaction
pooling mode. ``add`` reads the open window ``FOR KEY SHARE`` and ``seal`` ``FOR UPDATE``,
so a seal waits for adds in progress and no add can enter a sealed window. The clock
is the server's (``clock_timestamp()``), so publishers on several runners agree on
lease expiry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from anchor.publish.spool.store import Store, StoreUnavailable, _BulkConflict, ddl

_FETCH = 65_536
_COPY_ITEMS = (
    "COPY items (item_id, spool_id, window_id, source, name, digest, size, state, created_at) "
    "FROM STDIN"
)


class PostgresStore(Store):
    """A spool store in the PostgreSQL database at ``dsn`` (``postgresql://…``)."""

    backend = "postgresql"
    # KEY SHARE is the one lock FOR UPDATE conflicts with that nothing else needs: the
    # foreign-key check of the item's INSERT takes it on the same row anyway, so a second,
    # different mode (FOR SHARE) only made every concurrent add write a multixact.
    for_share = " FOR KEY SHARE"
    for_update = " FOR UPDATE"
    _now_column = ", EXTRACT(EPOCH FROM clock_timestamp())::float8"

    def __init__(self, dsn: str) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise StoreUnavailable(
                "a postgresql:// spool needs psycopg",
                hint="pip install 'evidence-anchor[postgres]'",
            ) from exc
        self._psycopg = psycopg
        try:
            self._conn = psycopg.connect(dsn, autocommit=True, prepare_threshold=None)
        except psycopg.Error as exc:
            raise StoreUnavailable(f"cannot connect to the spool database: {_line(exc)}") from exc

    def now(self) -> float:
        rows = self._exec(self._conn, "SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8")
        return float(rows[0][0])

    def close(self) -> None:
        self._conn.close()

    @contextlib.contextmanager
    def _begin(self, write: bool) -> Iterator[Any]:
        try:
            tx = self._conn.transaction()
            tx.__enter__()
        except self._psycopg.Error as exc:
            raise StoreUnavailable(f"spool database: {_line(exc)}") from exc
        try:
            yield self._conn
        except BaseException as exc:
            with contextlib.suppress(self._psycopg.Error):
                tx.__exit__(type(exc), exc, exc.__traceback__)
            raise
        try:
            tx.__exit__(None, None, None)
        except self._psycopg.Error as exc:
            raise StoreUnavailable(f"spool database: commit failed: {_line(exc)}") from exc

    def _exec(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            cur = conn.execute(sql.replace("?", "%s"), tuple(params))
            return list(cur.fetchall()) if cur.description is not None else []
        except self._psycopg.Error as exc:
            raise StoreUnavailable(f"spool database: {_line(exc)}") from exc

    def _chunks(
        self, conn: Any, sql: str, params: Sequence[Any] = ()
    ) -> Iterator[list[tuple[Any, ...]]]:
        # A server-side cursor, inside the caller's transaction (so still nothing bound
        # to the session): the client never holds the whole result at once.
        try:
            with conn.cursor(name="anchor_rows") as cur:
                cur.itersize = _FETCH
                cur.execute(sql.replace("?", "%s"), tuple(params))
                while chunk := cur.fetchmany(_FETCH):
                    yield chunk
        except self._psycopg.Error as exc:
            raise StoreUnavailable(f"spool database: {_line(exc)}") from exc

    def _executemany(self, conn: Any, sql: str, rows: list[tuple[Any, ...]]) -> int:
        try:
            with conn.cursor() as cur:
                cur.executemany(sql.replace("?", "%s"), rows)
                return int(cur.rowcount)
        except self._psycopg.errors.IntegrityError as exc:
            raise _BulkConflict(_line(exc)) from exc
        except self._psycopg.Error as exc:
            raise StoreUnavailable(f"spool database: {_line(exc)}") from exc

    def _insert_fresh(self, conn: Any, rows: list[tuple[Any, ...]]) -> bool:
        # COPY: several times cheaper per row than an executemany on the server. Any
        # existing or conflicting item fails it (a unique violation aborts the
        # transaction), and the store redoes the batch the careful way.
        try:
            with conn.cursor() as cur, cur.copy(_COPY_ITEMS) as copy:
                for iid, spool_id, window_id, source, name, digest, size, at in rows:
                    copy.write_row(
                        (iid, spool_id, window_id, source, name, digest, size, "pending", at)
                    )
        except self._psycopg.errors.IntegrityError:
            return False
        except self._psycopg.Error as exc:
            raise StoreUnavailable(f"spool database: {_line(exc)}") from exc
        return True

    def _version(self, conn: Any) -> int | None:
        found = self._exec(conn, "SELECT to_regclass('schema_version') IS NOT NULL")
        if not found or not found[0][0]:
            return None
        row = self._exec(conn, "SELECT MAX(version) FROM schema_version")
        return int(row[0][0]) if row and row[0][0] is not None else None

    def _ddl(self) -> list[str]:
        return ddl(
            pk="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            blob="BYTEA",
            real="DOUBLE PRECISION",
        )


def _line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
