"""The charging-event outbox: events are written in the transaction of the change that caused
them, and read back in sequence order by whoever delivers them to applications.

A batch queues its events as it decides (``charging.batch.BatchState.event`` and ``changed``)
and numbers them from one counter row in its last write, just before it commits
(``charging.bulk.write``). The row lock is held until the commit, so transactions take their
numbers in commit order: a reader that has seen event N has also seen every event below N, on
PostgreSQL with many gateway processes too. Reading "after cursor N" therefore never skips an
event that commits later. A batch takes the lock once, for all its events.
"""

from __future__ import annotations

from charging import clock
from charging.model import ChargingEvent, EventName
from storage.database import Transaction

EVENTS_READ_MAX = 1000  # events_after returns at most this many per call


def after(tx: Transaction, cursor: int, limit: int) -> list[ChargingEvent]:
    rows = tx.all(
        "SELECT seq, account_number, msisdn, event, currency, balance_minor, amount_minor, "
        "transaction_id, occurred_at, app_id, reference_code FROM ledger_events "
        "WHERE seq > ? ORDER BY seq LIMIT ?",
        (cursor, min(limit, EVENTS_READ_MAX)),
    )
    return [
        ChargingEvent(
            seq=int(r[0]),
            account=r[1],
            msisdn=r[2],
            event=EventName(r[3]),
            currency=r[4],
            balance_minor=int(r[5]),
            amount_minor=None if r[6] is None else int(r[6]),
            transaction_id=None if r[7] is None else int(r[7]),
            occurred_at=clock.from_text(r[8]),
            app_id=r[9],
            reference_code=r[10],
        )
        for r in rows
    ]


def latest(tx: Transaction) -> int:
    """The highest sequence number committed so far (0 before the first event)."""
    row = tx.one("SELECT COALESCE(MAX(seq), 0) FROM ledger_events")
    assert row is not None
    return int(row[0])
