"""Service access tokens in the shared database, so a token issued by one gateway works on all.

``SignServiceAgreement`` on gateway A remembers which agreement its new service access token
stands for; gateway B, handed a token it has never seen, finds it here and honours it while that
agreement is in force (:meth:`shim.access.GrpcAccess.adopt`). Only the SHA-256 of each token is
stored: a token is 256 random bits, so a fast hash is enough, and a copy of the database is no
list of working tokens. Rows are never needed again once their agreement has ended; the
agreement, not this table, says whether a token works.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from framework.core.store import to_text
from storage import Database, Migration, migrate

COMPONENT = "grpc"
_V1 = """
CREATE TABLE grpc_service_tokens (
    token_hash TEXT PRIMARY KEY,
    agreement_id TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""
MIGRATIONS = [Migration(1, "service access tokens by agreement", _V1)]


def prepare(db: Database) -> None:
    migrate(db, COMPONENT, MIGRATIONS)


def token_hash(bearer: str) -> str:
    return hashlib.sha256(bearer.encode()).hexdigest()


def remember(db: Database, bearer: str, agreement_id: str, now: datetime) -> None:
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO grpc_service_tokens (token_hash, agreement_id, created_at) "
            "VALUES (?, ?, ?)",
            (token_hash(bearer), agreement_id, to_text(now)),
        )


def agreement_of(db: Database, bearer: str) -> str | None:
    """The agreement a token was issued for, by any gateway; None for a token never issued."""
    with db.transaction(write=False) as tx:
        row = tx.one(
            "SELECT agreement_id FROM grpc_service_tokens WHERE token_hash = ?",
            (token_hash(bearer),),
        )
    return str(row[0]) if row else None
