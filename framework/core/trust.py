"""What every gateway on one database must see at once to keep the handshake honest.

- **Outstanding challenges**: the SHA-256 of each challenge value the framework sent an
  application and has not judged yet, so no gateway answers it as the client's challenge
  (RFC 1994 §6's reflection: take gateway 1's challenge, have gateway 2 answer it, hand the
  answer back to gateway 1).
- **Failures per (application, peer address)**: the lock-out counts the address that made the
  attempts, so an attacker elsewhere locks out only itself. Where the transport tells no
  address the peer is ``""`` and the count is the application's.
- **Used termination signatures**: a signed termination is accepted once, on whichever gateway.

Only digests are stored: a copy of the table is no list of challenges or signatures. Every
method is one short transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from framework.core import limits
from framework.core.records import from_text, to_text
from storage import Database, UniqueViolation


def _digest(value: bytes) -> str:
    return hashlib.sha256(value).hexdigest()


class TrustRecords:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- outstanding challenges ---------------------------------------------------------------
    def challenge_issued(self, app_id: str, value: bytes, now: datetime) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO fw_challenges (value_hash, app_id, issued_at) VALUES (?, ?, ?)",
                (_digest(value), app_id, to_text(now)),
            )

    def challenge_settled(self, value: bytes) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM fw_challenges WHERE value_hash = ?", (_digest(value),))

    def challenge_outstanding(self, app_id: str, value: bytes) -> bool:
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT 1 FROM fw_challenges WHERE value_hash = ? AND app_id = ?",
                (_digest(value), app_id),
            )
        return row is not None

    # -- failures per address -----------------------------------------------------------------
    def locked_until(self, app_id: str, peer: str, now: datetime) -> datetime | None:
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT locked_until FROM fw_auth_failures WHERE app_id = ? AND peer = ?",
                (app_id, peer),
            )
        until = from_text(row[0]) if row else None
        return until if until is not None and now < until else None

    def failure(
        self, app_id: str, peer: str, now: datetime, failures_max: int, lockout_base_s: float
    ) -> datetime | None:
        """Count one failure of ``peer``; from ``failures_max`` on, lock it out with a back-off
        that doubles per further failure (at most ``limits.auth_lockout_s_max``)."""
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT failures FROM fw_auth_failures WHERE app_id = ? AND peer = ?",
                (app_id, peer),
            )
            failures = (int(row[0]) if row else 0) + 1
            locked_until = None
            if failures >= failures_max:
                seconds = min(
                    lockout_base_s * 2 ** (failures - failures_max), limits.auth_lockout_s_max
                )
                locked_until = now + timedelta(seconds=seconds)
            values = (failures, to_text(locked_until) if locked_until else None, to_text(now))
            if row is None:
                tx.execute(
                    "INSERT INTO fw_auth_failures "
                    "(failures, locked_until, last_failure_at, app_id, peer) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (*values, app_id, peer),
                )
            else:
                tx.execute(
                    "UPDATE fw_auth_failures SET failures = ?, locked_until = ?, "
                    "last_failure_at = ? WHERE app_id = ? AND peer = ?",
                    (*values, app_id, peer),
                )
        return locked_until

    def success(self, app_id: str, peer: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM fw_auth_failures WHERE app_id = ? AND peer = ?", (app_id, peer))

    def clear_failures(self, app_id: str) -> None:
        """``micropay app enable``: every address of the application starts afresh."""
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM fw_auth_failures WHERE app_id = ?", (app_id,))

    def failing_peers(self, since: datetime) -> dict[str, int]:
        """Per application, how many addresses failed since ``since`` (the alarm's measure)."""
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT app_id, COUNT(*) FROM fw_auth_failures WHERE last_failure_at >= ? "
                "GROUP BY app_id",
                (to_text(since),),
            )
        return {str(app_id): int(count) for app_id, count in rows}

    def failures_of(self, app_id: str) -> list[tuple[str, int, datetime | None]]:
        """(peer, failures, locked until) of the application's failing addresses."""
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT peer, failures, locked_until FROM fw_auth_failures WHERE app_id = ? "
                "ORDER BY peer",
                (app_id,),
            )
        return [(str(p), int(f), from_text(u)) for p, f, u in rows]

    # -- used termination signatures ----------------------------------------------------------
    def first_use(self, app_id: str, signature: bytes, now: datetime) -> bool:
        """Remember ``signature``; False when any gateway saw it before."""
        with self.db.transaction() as tx:
            tx.savepoint("used_signature")
            try:
                tx.execute(
                    "INSERT INTO fw_used_signatures (signature_hash, app_id, used_at) "
                    "VALUES (?, ?, ?)",
                    (_digest(signature), app_id, to_text(now)),
                )
            except UniqueViolation:
                tx.rollback_to("used_signature")
                return False
            tx.release("used_signature")
        return True

    # -- housekeeping -------------------------------------------------------------------------
    def prune(self, now: datetime, challenge_ttl_s: float) -> None:
        """Drop challenges no handshake can still answer (a gateway died holding them) and
        failure counts of addresses quiet for longer than the longest lock-out."""
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM fw_challenges WHERE issued_at < ?",
                (to_text(now - timedelta(seconds=challenge_ttl_s)),),
            )
            tx.execute(
                "DELETE FROM fw_auth_failures WHERE last_failure_at < ? "
                "AND (locked_until IS NULL OR locked_until < ?)",
                (to_text(now - timedelta(seconds=limits.auth_lockout_s_max)), to_text(now)),
            )


class SharedOnce:
    """The used-signature memory of every gateway on the database (``memory.Once``)."""

    def __init__(self, trust: TrustRecords, clock: Callable[[], datetime]) -> None:
        self.trust = trust
        self.clock = clock

    def first_use(self, key: str, value: bytes) -> bool:
        return self.trust.first_use(key, value, self.clock())
