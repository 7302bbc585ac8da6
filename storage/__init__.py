"""Relational storage shared by the ledger, the framework registry and the SMS outbox.

One small layer over two engines: SQLite (the embedded default) and PostgreSQL (many gateway
processes on one database). It hides only what differs between them -- connecting, placeholder
style, transaction start and migrations -- and nothing else, so each component writes plain SQL.
"""

from storage.database import (
    Database,
    Dialect,
    StorageUnavailable,
    TransactionConflict,
    UniqueViolation,
    open_database,
)
from storage.migrations import Migration, migrate

__all__ = [
    "Database",
    "Dialect",
    "Migration",
    "StorageUnavailable",
    "TransactionConflict",
    "UniqueViolation",
    "migrate",
    "open_database",
]
