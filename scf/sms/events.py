"""The notification outbox: events for applications, written in the transaction that caused them.

The dispatcher (:mod:`scf.sms.notifications`) claims due events, calls the application, and marks
them delivered, or schedules a retry with back-off; so each event is delivered at least once.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storage.database import Dialect, Transaction

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


@dataclass(frozen=True)
class Event:
    event_id: int
    kind: str  # "receipt" or "reception"
    app_id: str
    endpoint: str
    correlator: str
    payload: dict[str, Any]
    attempts: int


def insert_event(
    tx: Transaction, *, kind: str, app_id: str, endpoint: str, correlator: str, payload: dict
) -> None:
    tx.execute(
        "INSERT INTO sms_event (kind, app_id, endpoint, correlator, payload, attempts,"
        " next_attempt_ms, state, created_at) VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?)",
        (
            kind,
            app_id,
            endpoint,
            correlator,
            json.dumps(payload, ensure_ascii=False, sort_keys=True),
            PENDING,
            datetime.now(UTC).isoformat(timespec="milliseconds"),
        ),
    )


def claim_events(tx: Transaction, limit: int, lease_ms: int) -> list[Event]:
    """Take due events and push their next attempt ``lease_ms`` ahead (so a crash retries them)."""
    now = time.time_ns() // 1_000_000
    lock = " FOR UPDATE SKIP LOCKED" if tx.dialect is Dialect.POSTGRESQL else ""
    rows = tx.all(
        "SELECT event_id, kind, app_id, endpoint, correlator, payload, attempts FROM sms_event"
        f" WHERE state = ? AND next_attempt_ms <= ? ORDER BY event_id LIMIT ?{lock}",
        (PENDING, now, limit),
    )
    tx.executemany(
        "UPDATE sms_event SET next_attempt_ms = ?, attempts = attempts + 1 WHERE event_id = ?",
        [(now + lease_ms, r[0]) for r in rows],
    )
    return [Event(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6] + 1) for r in rows]


def mark_delivered(tx: Transaction, event_id: int) -> None:
    tx.execute(
        "UPDATE sms_event SET state = ?, last_error = NULL WHERE event_id = ?",
        (DELIVERED, event_id),
    )


def mark_retry(tx: Transaction, event_id: int, delay_ms: int, error: str, dead: bool) -> None:
    tx.execute(
        "UPDATE sms_event SET state = ?, next_attempt_ms = ?, last_error = ? WHERE event_id = ?",
        (DEAD if dead else PENDING, time.time_ns() // 1_000_000 + delay_ms, error[:500], event_id),
    )
