"""Spool store fixtures: every conformance test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from anchor.publish.spool.store import Store
from tests.pgcluster import MISSING, pg_bindir, pg_cluster

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """One throwaway cluster for the session (skipped when the binaries are absent)."""
    if pg_bindir() is None:
        pytest.skip(MISSING)
    with pg_cluster() as dsn:
        yield dsn


def fresh_pg_dsn(server: str) -> str:
    """A new empty database on ``server``."""
    import psycopg

    name = f"spool_{next(_counter)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL for an empty spool database of each backend."""
    if request.param == "sqlite":
        return f"sqlite:{tmp_path / 'spool.db'}"
    return fresh_pg_dsn(request.getfixturevalue("pg_server"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    from anchor.publish.spool.api import open_store

    opened = open_store(store_url)
    yield opened
    opened.close()
