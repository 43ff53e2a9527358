"""A throwaway PostgreSQL cluster for the spool tests (Debian's initdb/pg_ctl, 127.0.0.1).

:func:`pg_cluster` initdb's a cluster in a fresh temporary folder, starts it on a free
port bound to 127.0.0.1 only (socket in the same folder), yields its DSN and removes
everything afterwards. initdb refuses to run as root, so as root the cluster runs as
``nobody`` (the folder is handed to that user). Without the binaries the caller skips
with :data:`MISSING` as the reason.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

MISSING = (
    "PostgreSQL binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin or on "
    "PATH; install Debian's postgresql package (.ci/run does)"
)


def pg_bindir() -> str | None:
    """The folder holding ``initdb`` and ``pg_ctl``, or None."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(folder, "initdb")):
            return folder
    found = shutil.which("initdb")
    return os.path.dirname(found) if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def pg_cluster() -> Iterator[str]:
    """Start a cluster; yield ``postgresql://postgres@127.0.0.1:PORT/postgres``."""
    bindir = pg_bindir()
    assert bindir is not None, MISSING
    root = tempfile.mkdtemp(prefix="anchor-pg-")
    data = os.path.join(root, "data")
    if os.geteuid() == 0:
        shutil.chown(root, "nobody")
    port = _free_port()
    run = {"check": True, "capture_output": True, "timeout": 120}
    subprocess.run(
        _as_owner([f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-N"]), **run
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    log = os.path.join(root, "log")
    subprocess.run(
        _as_owner([f"{bindir}/pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "start"]), **run
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_owner([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]),
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(root, ignore_errors=True)


_counter = itertools.count()


@pytest.fixture(name="pg_server", scope="session")
def pg_server_fixture() -> Iterator[str]:
    """One throwaway cluster per test session (skipped when the binaries are absent)."""
    if pg_bindir() is None:
        pytest.skip(MISSING)
    with pg_cluster() as dsn:
        yield dsn


def fresh_pg_dsn(server: str) -> str:
    """A new empty database on the cluster ``server``; its DSN."""
    import psycopg

    name = f"spool_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + "/" + name
