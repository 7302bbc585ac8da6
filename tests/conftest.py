"""Fixtures shared by the whole suite. Component-specific fixtures live beside their tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.ports import free_port as free_port  # the tests' one allocator (bench/ports.py)

ROOT = Path(__file__).resolve().parent.parent

# The suite writes configuration and secret files as docs/operations.md tells an operator to:
# private. micropay refuses a configuration or secret file the group or others may read, so a
# test that means to check that refusal (or the gateway's own umask) sets the mode itself.
os.umask(0o077)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


# -- PostgreSQL: one throwaway server per test session, a fresh database per test ----------------
@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL 15 (initdb + postgres in a temporary folder on a free port; as the
    ``nobody`` user when the suite runs as root). Stopped and removed at the end of the session."""
    from bench.pgserver import PostgresServer

    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """The URL of a new, empty database on the session's PostgreSQL server."""
    import uuid

    return postgres_server.create_database(f"t_{uuid.uuid4().hex[:16]}")
