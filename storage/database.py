"""Connections and transactions for SQLite and PostgreSQL behind one interface.

SQL is written once with ``?`` placeholders; :meth:`Transaction.execute` rewrites them to ``%s``
for PostgreSQL. Durability is never traded for speed here: SQLite runs in WAL mode with
``synchronous=FULL`` and PostgreSQL with its defaults (``synchronous_commit=on``); throughput comes
from callers batching work into one transaction (group commit), not from weaker settings.
"""

from __future__ import annotations

import contextlib
import enum
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_POOL_MAX = 16


class Dialect(enum.StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class StorageUnavailable(Exception):
    """The database cannot be reached or refused the connection (a transient condition)."""


class UniqueViolation(Exception):
    """A unique index refused a row. ``constraint`` is the index's name on both dialects.

    Components name their unique indexes (``CREATE UNIQUE INDEX name ...``) so that they can tell
    which rule the database enforced -- e.g. the ledger's idempotency key -- and turn it into their
    own typed error; no driver text leaves this layer.
    """

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


class TransactionConflict(Exception):
    """The database aborted the transaction to resolve a conflict (deadlock, serialization
    failure): nothing of it was applied, and running it again is the remedy."""


_PG_CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected


def _sqlite_unique_index(connection: sqlite3.Connection, message: str) -> str:
    """The name of the unique index behind SQLite's "UNIQUE constraint failed: t.a, t.b"."""
    columns = [c.strip() for c in message.split(":", 1)[1].split(",")]
    table = columns[0].split(".", 1)[0]
    wanted = {c.split(".", 1)[1] for c in columns}
    for _seq, name, unique, *_ in connection.execute(f'PRAGMA index_list("{table}")'):
        if unique and {r[2] for r in connection.execute(f'PRAGMA index_info("{name}")')} == wanted:
            return str(name)
    return ", ".join(columns)


class RoundTrips:
    """How many times a database's transactions waited for the server (PostgreSQL), counted
    where they do: the benchmark's "round trips per batch" (a test checks the count against
    libpq's own protocol trace)."""

    def __init__(self) -> None:
        self.count = 0


class Transaction:
    """One open transaction; ``execute`` takes ``?`` placeholders on every dialect.

    On PostgreSQL the transaction's ``BEGIN`` is not a round trip of its own: it goes out with
    the first statement (in the same pipeline), and :meth:`pipeline` ``(commit=True)`` sends the
    ``COMMIT`` with the block's statements -- a transaction of one read and one write costs two
    round trips, not four.
    """

    def __init__(
        self,
        connection: Any,
        dialect: Dialect,
        *,
        begin: str | None = None,
        counter: RoundTrips | None = None,
    ) -> None:
        self._connection = connection
        self.dialect = dialect
        self._round_trips = counter
        self._begin = begin  # PostgreSQL: not yet sent
        self._in_pipeline = False
        self.begun = begin is None
        self.committed = False

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect is Dialect.POSTGRESQL else sql

    def _translated(self, exc: Exception) -> Exception | None:
        """The storage-level error for a driver error, or None to let it pass unchanged."""
        if isinstance(exc, sqlite3.IntegrityError) and str(exc).startswith("UNIQUE constraint"):
            return UniqueViolation(_sqlite_unique_index(self._connection, str(exc)))
        sqlstate = getattr(exc, "sqlstate", None)
        if sqlstate == "23505":
            return UniqueViolation(exc.diag.constraint_name or "")  # type: ignore[attr-defined]
        if sqlstate in _PG_CONFLICT_SQLSTATES:
            return TransactionConflict(sqlstate)
        return None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self._begin is not None and not self._in_pipeline:
            with self.pipeline():  # BEGIN and the statement in one round trip
                return self.execute(sql, params)
        self._trip()
        cursor = self._connection.cursor()
        try:
            cursor.execute(self._sql(sql), tuple(params))
        except Exception as exc:
            translated = self._translated(exc)
            if translated is None:
                raise
            raise translated from exc
        return cursor

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if self._begin is not None and not self._in_pipeline:
            with self.pipeline():
                self.executemany(sql, rows)
            return
        self._trip()
        cursor = self._connection.cursor()
        try:
            cursor.executemany(self._sql(sql), [tuple(r) for r in rows])
        except Exception as exc:
            translated = self._translated(exc)
            if translated is None:
                raise
            raise translated from exc

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        return self.execute(sql, params).fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return list(self.execute(sql, params).fetchall())

    def _trip(self) -> None:
        """Count a round trip to the server (PostgreSQL; a statement outside a pipeline, or a
        pipeline)."""
        if self._round_trips is not None and not self._in_pipeline:
            self._round_trips.count += 1

    def savepoint(self, name: str) -> None:
        self.execute(f"SAVEPOINT {name}")

    def rollback_to(self, name: str) -> None:
        self.execute(f"ROLLBACK TO SAVEPOINT {name}")

    def release(self, name: str) -> None:
        self.execute(f"RELEASE SAVEPOINT {name}")

    @contextmanager
    def pipeline(self, *, commit: bool = False) -> Iterator[None]:
        """Send the statements of the block without waiting for each answer (PostgreSQL's
        pipeline mode): a block of statements costs one network round trip, and a cursor's
        rows arrive when they are first fetched. ``commit``: the transaction's COMMIT goes out
        with them (the block must be the transaction's last). SQLite runs in-process: nothing
        to save, and it commits when the transaction ends."""
        if self.dialect is not Dialect.POSTGRESQL or self._in_pipeline:
            yield
            return
        self._trip()
        try:
            with self._connection.pipeline():
                self._in_pipeline = True
                try:
                    if self._begin is not None:
                        self._connection.execute(self._begin)
                        self._begin, self.begun = None, True
                    yield
                    if commit:
                        self._connection.execute("COMMIT")
                        self.committed = True
                finally:
                    self._in_pipeline = False
        except Exception as exc:  # errors of a pipeline surface when it syncs
            self.committed = False
            translated = self._translated(exc)
            if translated is None:
                raise
            raise translated from exc


class Database:
    """A database reached by URL: ``sqlite:///path/to/file.db`` or ``postgresql://...``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.round_trips = RoundTrips()
        parts = urlsplit(url)
        if parts.scheme == "sqlite":
            self.dialect = Dialect.SQLITE
            # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy spells them.
            raw = url[len("sqlite:///") :]
            if not raw:
                raise ValueError("sqlite URL needs a file path: sqlite:///path/to/file.db")
            self.path = Path(raw)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._local = threading.local()
            self._pool = None
        elif parts.scheme in ("postgresql", "postgres"):
            self.dialect = Dialect.POSTGRESQL
            from psycopg_pool import ConnectionPool

            # Autocommit: each transaction sends its own BEGIN and COMMIT (see Transaction),
            # so that they can share round trips with its statements.
            self._pool = ConnectionPool(
                url, min_size=1, max_size=POSTGRES_POOL_MAX, open=True, kwargs={"autocommit": True}
            )
        else:
            raise ValueError(f"unsupported storage URL scheme {parts.scheme!r}")

    def redacted_url(self) -> str:
        """The URL without its password, for logs and ``--json`` output."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        return self.url.replace(f":{parts.password}@", ":***@", 1)

    # -- connections ---------------------------------------------------------------------------
    def _sqlite_connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                check_same_thread=True,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """Run a block in one transaction: committed (durably) on success, rolled back on error.

        On SQLite a writing transaction starts with ``BEGIN IMMEDIATE`` so that two writers queue
        on the database lock up front instead of failing on upgrade half-way through.
        """
        if self.dialect is Dialect.SQLITE:
            conn = self._sqlite_connection()
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield Transaction(conn, self.dialect)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        else:
            assert self._pool is not None
            import psycopg

            try:
                with self._pool.connection() as conn:
                    tx = Transaction(conn, self.dialect, begin="BEGIN", counter=self.round_trips)
                    try:
                        yield tx
                    except BaseException:
                        if tx.begun:
                            self.round_trips.count += 1
                        _rollback(conn)
                        raise
                    if tx.begun and not tx.committed:
                        self.round_trips.count += 1
                        conn.execute("COMMIT")
            except psycopg.OperationalError as exc:
                raise StorageUnavailable(type(exc).__name__) from exc

    def set_foreign_keys(self, on: bool) -> None:
        """SQLite: turn foreign-key enforcement of this thread's connection on or off (outside a
        transaction only; a migration that rebuilds a referenced table needs it off)."""
        if self.dialect is Dialect.SQLITE:
            self._sqlite_connection().execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        elif getattr(self._local, "conn", None) is not None:
            self._local.conn.close()
            self._local.conn = None


def _rollback(conn: Any) -> None:
    """End a failed PostgreSQL transaction, if the connection still has one open."""
    from psycopg.pq import TransactionStatus

    if conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        with contextlib.suppress(Exception):  # a broken connection: the pool discards it
            conn.execute("ROLLBACK")


def open_database(url: str) -> Database:
    return Database(url)
