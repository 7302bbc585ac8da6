"""Coordination of several gateway processes on one database: leadership and exclusive sections.

**Leadership**: one process among several on one database does a job at a time.

Some work must run in exactly one gateway process at a time even when several share a database:
the charging-event dispatcher, or every event would reach the applications once per gateway.
A :class:`Leadership` names the job; the job calls :meth:`Leadership.held` before each round and
works only while it answers True. The first caller takes the lead; the others follow and take
over when the leader dies (or stops: :meth:`Leadership.release`).

Two mechanisms behind one interface (``mode``):

- ``advisory_lock`` (PostgreSQL; what ``auto`` picks there): a session-level advisory lock held
  on a dedicated connection. When the leader process dies, the server ends its connection and
  the lock is free at once: a follower has it on its next try (``retry_ms``). The connection
  sets TCP keepalives on both ends, so a leader cut off by the network loses the lock within
  ``KEEPALIVE_*`` seconds too; the leader checks its connection at least every ``check_ms``.
- ``lease`` (any dialect; what ``auto`` picks on SQLite; the choice for distributed SQL engines
  that have no advisory locks): a row of ``cluster_leases`` with an expiry on the database's
  clock, renewed by the holder every ``ttl_ms / 3`` and taken over by another process once it
  has expired. A holder that could not renew stops leading by its own clock before the row
  expires (it counts from the moment it asked), so two processes never lead at once even when
  the gateways' clocks differ.

Either way delivery stays at-least-once across a change of leader (a leader may be cut off in
the middle of a round); receivers de-duplicate, as they must anyway.

**Exclusive sections**: :func:`exclusive` makes transactions that name the same section run one
at a time across processes: it locks that section's row of ``cluster_locks`` (``SELECT ... FOR
UPDATE``, portable to distributed SQL engines), and under READ COMMITTED every statement after it
sees what the previous holder committed. SQLite needs nothing: its writers are serialized
already. Take it first in the transaction, before any other row lock, so it cannot deadlock.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
import uuid
import zlib
from typing import Any

from storage.database import Database, Dialect, Transaction
from storage.migrations import Migration, migrate

logger = logging.getLogger("micropay.cluster")

AUTO, ADVISORY_LOCK, LEASE = "auto", "advisory_lock", "lease"
MODES = (AUTO, ADVISORY_LOCK, LEASE)
LEADER_RETRY_MS = 500  # a follower tries to take the lead this often
LEADER_CHECK_MS = 500  # a leader checks its lock connection at least this often
LEADER_LEASE_TTL_MS = 10_000  # lease mode: a dead leader's row expires after this
CONNECT_TIMEOUT_S = 5
KEEPALIVE_IDLE_S, KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT = 5, 2, 3
ADVISORY_CLASS = 0x6D70  # "mp": the first key of micropay's two-key advisory locks

_V1 = """
CREATE TABLE cluster_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL
)
"""
_V2 = """
CREATE TABLE cluster_locks (
    name TEXT PRIMARY KEY
)
"""
MIGRATIONS = [
    Migration(1, "leases of jobs one gateway runs at a time", _V1),
    Migration(2, "rows that serialize sections across gateways", _V2),
]

# The database's clock in milliseconds since the epoch, per dialect.
_DB_NOW_MS = {
    Dialect.POSTGRESQL: "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT",
    Dialect.SQLITE: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
}


def prepare(db: Database) -> None:
    """Create (or upgrade) the coordination tables; idempotent."""
    migrate(db, "cluster", MIGRATIONS)


def exclusive(tx: Transaction, section: str) -> None:
    """Hold ``section`` until ``tx`` ends; other processes' transactions naming it wait here."""
    if tx.dialect is Dialect.SQLITE:
        return
    sql = "SELECT name FROM cluster_locks WHERE name = ? FOR UPDATE"
    if tx.one(sql, (section,)) is None:
        tx.execute("INSERT INTO cluster_locks (name) VALUES (?) ON CONFLICT DO NOTHING", (section,))
        row = tx.one(sql, (section,))
        assert row is not None, "the lock row was just written"


def advisory_key(name: str) -> int:
    """The second key (a signed 32-bit int) of the advisory lock for ``name``."""
    value = zlib.crc32(name.encode())
    return value - 2**32 if value >= 2**31 else value


def _monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class Leadership:
    """Whether this process leads the job ``name`` on ``db`` (see the module docstring)."""

    def __init__(
        self,
        db: Database,
        name: str,
        *,
        mode: str = AUTO,
        ttl_ms: int = LEADER_LEASE_TTL_MS,
        retry_ms: int = LEADER_RETRY_MS,
        check_ms: int = LEADER_CHECK_MS,
        holder: str | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"leader election mode must be one of {', '.join(MODES)}")
        if mode == AUTO:
            mode = ADVISORY_LOCK if db.dialect is Dialect.POSTGRESQL else LEASE
        if mode == ADVISORY_LOCK and db.dialect is not Dialect.POSTGRESQL:
            raise ValueError("advisory_lock leader election needs PostgreSQL")
        assert ttl_ms >= 3 * retry_ms > 0, "renewals must fit in the lease several times"
        self.db, self.name, self.mode = db, name, mode
        self.ttl_ms, self.retry_ms, self.check_ms = ttl_ms, retry_ms, check_ms
        self.holder = holder or f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leading = False  # as of the last held(); read by health and metrics
        self.changes = 0  # times this process took the lead
        self._conn: Any = None  # advisory_lock: the dedicated connection
        self._next_try_ms = 0
        self._checked_ms = 0
        self._valid_until_ms = 0  # lease: this process leads until then by its own clock
        prepare(db)

    # -- the interface -------------------------------------------------------------------------
    def held(self) -> bool:
        """Whether this process leads now; takes the lead when it is free (call every round)."""
        try:
            leading = self._advisory() if self.mode == ADVISORY_LOCK else self._lease()
        except Exception as exc:  # the database is away: nobody here leads until it is back
            logger.warning("leadership of %s unknown (%s)", self.name, type(exc).__name__)
            self._drop_connection()
            leading = False
        if leading and not self.leading:
            self.changes += 1
            logger.info("took the lead of %s as %s", self.name, self.holder)
        elif self.leading and not leading:
            logger.warning("lost the lead of %s", self.name)
        self.leading = leading
        return leading

    def release(self) -> None:
        """Step down now, so another process takes over without waiting (clean stop)."""
        if self.mode == ADVISORY_LOCK:
            self._drop_connection()
        elif self.leading:
            with contextlib.suppress(Exception), self.db.transaction() as tx:
                tx.execute(
                    "DELETE FROM cluster_leases WHERE name = ? AND holder = ?",
                    (self.name, self.holder),
                )
        self.leading = False
        self._valid_until_ms = 0

    # -- advisory_lock -------------------------------------------------------------------------
    def _connect(self) -> Any:
        import psycopg

        conn = psycopg.connect(
            self.db.url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            keepalives=1,
            keepalives_idle=KEEPALIVE_IDLE_S,
            keepalives_interval=KEEPALIVE_INTERVAL_S,
            keepalives_count=KEEPALIVE_COUNT,
            application_name=f"micropay leader {self.name}"[:63],
        )
        # The server side of the same: a leader that vanished from the network loses the lock.
        conn.execute(f"SET tcp_keepalives_idle = {KEEPALIVE_IDLE_S}")
        conn.execute(f"SET tcp_keepalives_interval = {KEEPALIVE_INTERVAL_S}")
        conn.execute(f"SET tcp_keepalives_count = {KEEPALIVE_COUNT}")
        return conn

    def _advisory(self) -> bool:
        now = _monotonic_ms()
        if self.leading and self._conn is not None:
            if now - self._checked_ms < self.check_ms:
                return True
            self._conn.execute("SELECT 1")  # raises if the connection (and so the lock) is gone
            self._checked_ms = now
            return True
        if now < self._next_try_ms:
            return False
        self._next_try_ms = now + self.retry_ms
        if self._conn is None:
            self._conn = self._connect()
        row = self._conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (ADVISORY_CLASS, advisory_key(self.name))
        ).fetchone()
        self._checked_ms = now
        return bool(row and row[0])

    def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()  # the server frees the lock with the session

    # -- lease ---------------------------------------------------------------------------------
    def _lease(self) -> bool:
        now = _monotonic_ms()
        if self.leading and now < self._valid_until_ms - 2 * self.ttl_ms // 3:
            return True  # renewed less than ttl/3 ago
        if not self.leading and now < self._next_try_ms:
            return False
        self._next_try_ms = now + self.retry_ms
        db_now = _DB_NOW_MS[self.db.dialect]
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO cluster_leases (name, holder, expires_at_ms) "
                f"VALUES (?, ?, {db_now} + ?) ON CONFLICT (name) DO UPDATE "
                "SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms "
                f"WHERE cluster_leases.holder = excluded.holder "
                f"OR cluster_leases.expires_at_ms < {db_now}",
                (self.name, self.holder, self.ttl_ms),
            )
            row = tx.one("SELECT holder FROM cluster_leases WHERE name = ?", (self.name,))
        if row is not None and row[0] == self.holder:
            self._valid_until_ms = now + self.ttl_ms  # counted from before we asked
            return True
        return False
