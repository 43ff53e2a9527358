"""Spool store fixtures: every conformance test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from anchor.publish.spool.store import Store
from tests.pgcluster import fresh_pg_dsn
from tests.pgcluster import pg_server_fixture as pg_server  # noqa: F401


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
