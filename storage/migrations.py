"""Versioned schema migrations that upgrade a database in place.

Each component (ledger, framework, sms) owns an ordered list of :class:`Migration`. Applied
versions are recorded per component in ``schema_migrations``; each migration runs in its own
transaction together with its record, so a crash half-way leaves the previous version intact.
On PostgreSQL an advisory lock keeps two gateways starting at once from migrating twice.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from storage.database import Database, Dialect


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str  # statements separated by ';' on lines of their own; same text for both dialects
    sql_by_dialect: dict[str, str] = field(default_factory=dict)  # overrides per dialect

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
        with db.transaction() as tx:
            if db.dialect is Dialect.POSTGRESQL:
                tx.execute("SELECT pg_advisory_xact_lock(?)", (lock_key,))
            done = tx.one(
                "SELECT 1 FROM schema_migrations WHERE component = ? AND version = ?",
                (component, migration.version),
            )
            if done is None:
                for statement in migration.statements(db.dialect):
                    tx.execute(statement)
                tx.execute(
                    "INSERT INTO schema_migrations (component, version, name, applied_at) "
                    "VALUES (?, ?, ?, ?)",
                    (component, migration.version, migration.name, datetime.now(UTC).isoformat()),
                )
        current = migration.version
    return current
