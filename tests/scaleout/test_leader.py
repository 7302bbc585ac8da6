"""storage.cluster: one holder at a time, takeover when the holder dies or steps down, on a real
PostgreSQL (advisory lock and lease row) and on SQLite (lease row)."""

from __future__ import annotations

import time

import psycopg
import pytest

from storage import Database, open_database
from storage.cluster import ADVISORY_LOCK, LEASE, Leadership

RETRY_MS = 50


def eventually(check, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def pair(db: Database, mode: str, ttl_ms: int = 600) -> tuple[Leadership, Leadership]:
    return tuple(  # type: ignore[return-value]
        Leadership(db, "job", mode=mode, ttl_ms=ttl_ms, retry_ms=RETRY_MS, check_ms=0, holder=h)
        for h in ("first", "second")
    )


@pytest.fixture(
    params=[
        pytest.param(("postgresql", ADVISORY_LOCK), marks=pytest.mark.postgres),
        pytest.param(("postgresql", LEASE), marks=pytest.mark.postgres),
        ("sqlite", LEASE),
    ],
    ids=["pg-advisory", "pg-lease", "sqlite-lease"],
)
def setup(request, sqlite_url: str):
    dialect, mode = request.param
    url = request.getfixturevalue("postgres_url") if dialect == "postgresql" else sqlite_url
    db = open_database(url)
    try:
        yield db, mode
    finally:
        db.close()


def test_one_holder_at_a_time_and_handover_on_release(setup) -> None:
    db, mode = setup
    first, second = pair(db, mode)
    assert first.held() and first.mode == mode
    for _ in range(5):
        assert not second.held()
        time.sleep(RETRY_MS / 1000)
        assert first.held()
    first.release()
    eventually(second.held)
    assert not first.held() and second.leading and second.changes == 1


def test_a_dead_holder_is_replaced(setup) -> None:
    db, mode = setup
    first, second = pair(db, mode)
    assert first.held()
    if mode == ADVISORY_LOCK:  # the server ends the leader's session, as when its process dies
        pid = first._conn.info.backend_pid
        with psycopg.connect(db.url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    started = time.monotonic()
    eventually(second.held)  # lease: once the silent holder's row expired
    if mode == LEASE:
        assert time.monotonic() - started >= 0.3  # not before (most of) its ttl
    eventually(lambda: not first.held())  # the old holder notices and steps down
    assert second.held()


def test_advisory_lock_needs_postgresql(sqlite_url: str) -> None:
    db = open_database(sqlite_url)
    try:
        with pytest.raises(ValueError):
            Leadership(db, "job", mode=ADVISORY_LOCK)
        with pytest.raises(ValueError):
            Leadership(db, "job", mode="raft")
    finally:
        db.close()
