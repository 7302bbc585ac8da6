"""Versioned schema migrations that upgrade a database in place.

Each component (ledger, framework, sms) owns an ordered list of :class:`Migration`. Applied
versions are recorded per component in ``schema_migrations``; each migration runs in its own
transaction together with its record, so a crash half-way leaves the previous version intact.
On PostgreSQL an advisory lock keeps two gateways starting at once from migrating twice.

A migration is SQL statements, then optionally a Python step (``then``) for what SQL says badly
(moving data with running figures), in the same transaction. One that rebuilds a table other
tables reference sets ``rebuilds_tables``: on SQLite it then runs with foreign keys off and ends
with ``PRAGMA foreign_key_check`` before it commits, as SQLite's documented procedure for
changing a table's constraints requires (https://www.sqlite.org/lang_altertable.html).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from storage.database import Database, Dialect, Transaction

logger = logging.getLogger("micropay.storage.migrations")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str  # statements separated by ';' on lines of their own; same text for both dialects
    sql_by_dialect: dict[str, str] = field(default_factory=dict)  # overrides per dialect
    then: Callable[[Transaction], None] | None = None  # a Python step after the statements
    rebuilds_tables: bool = False  # SQLite: run with foreign keys off, checked before commit

    def statements(self, dialect: Dialect) -> list[str]:
        text = self.sql_by_dialect.get(dialect.value, self.sql)
        return [s.strip() for s in text.split(";\n") if s.strip().rstrip(";").strip()]


_BOOKKEEPING = """CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (component, version)
)"""


def migrate(db: Database, component: str, migrations: Sequence[Migration]) -> int:
    """Apply the pending migrations of ``component``; return the version now in force."""
    versions = [m.version for m in migrations]
    assert versions == sorted(set(versions)), "migrations must have increasing unique versions"
    lock_key = zlib.crc32(component.encode())
    with db.transaction() as tx:
        if db.dialect is Dialect.POSTGRESQL:
            tx.execute("SELECT pg_advisory_xact_lock(?)", (lock_key,))
        tx.execute(_BOOKKEEPING)
    current = 0
    for migration in migrations:
        _apply(db, component, lock_key, migration)
        current = migration.version
    return current


def _apply(db: Database, component: str, lock_key: int, migration: Migration) -> None:
    sqlite_rebuild = migration.rebuilds_tables and db.dialect is Dialect.SQLITE
    if sqlite_rebuild:
        with db.transaction(write=False) as tx:
            if _done(tx, component, migration):
                return
        db.set_foreign_keys(False)  # only outside a transaction, as SQLite requires
    try:
        with db.transaction() as tx:
            if db.dialect is Dialect.POSTGRESQL:
                tx.execute("SELECT pg_advisory_xact_lock(?)", (lock_key,))
            if _done(tx, component, migration):
                return
            logger.info(
                "migrating %s to version %d (%s)", component, migration.version, migration.name
            )
            for statement in migration.statements(db.dialect):
                tx.execute(statement)
            if migration.then is not None:
                migration.then(tx)
            if sqlite_rebuild:
                broken = tx.all("PRAGMA foreign_key_check")
                if broken:
                    raise RuntimeError(f"migration {migration.version} broke references: {broken}")
            tx.execute(
                "INSERT INTO schema_migrations (component, version, name, applied_at) "
                "VALUES (?, ?, ?, ?)",
                (component, migration.version, migration.name, datetime.now(UTC).isoformat()),
            )
    finally:
        if sqlite_rebuild:
            db.set_foreign_keys(True)


def _done(tx: Transaction, component: str, migration: Migration) -> bool:
    row = tx.one(
        "SELECT 1 FROM schema_migrations WHERE component = ? AND version = ?",
        (component, migration.version),
    )
    return row is not None
