"""The charging-event outbox: events are written in the transaction of the change that caused
them, and read back in sequence order by whoever delivers them to applications.

Sequence numbers come from one counter row that a transaction increments just before it commits
(``before_commit`` of the group commit). The row lock is held until the commit, so transactions
take their numbers in commit order: a reader that has seen event N has also seen every event
below N, on PostgreSQL with many gateway processes too. Reading "after cursor N" therefore never
skips an event that commits later. A batch takes the lock once, for all its events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from charging import clock
from charging.model import Account, ChargingEvent, EventName, Status
from charging.schema import EVENT_SEQ_COUNTER
from storage.database import Transaction

EVENTS_READ_MAX = 1000  # events_after returns at most this many per call


@dataclass(frozen=True)
class PendingEvent:
    """An event not yet numbered (numbers are handed out at commit)."""

    account: str
    msisdn: str
    event: EventName
    currency: str
    balance_minor: int
    amount_minor: int | None
    transaction_id: int | None
    occurred_at: datetime


def crossed_low(before: Account, after: Account) -> bool:
    """The reported balance went from at or above the threshold to below it."""
    low = after.low_balance_minor
    return low > 0 and before.balance_minor >= low > after.balance_minor


def for_change(
    before: Account,
    after: Account,
    now: datetime,
    movement: EventName | None = None,
    amount_minor: int | None = None,
    transaction_id: int | None = None,
) -> list[PendingEvent]:
    """The events of one change of an account: the movement itself (P_AM_CHARGING or
    P_AM_RECHARGING), then P_AM_ACCOUNT_LOW / P_AM_ACCOUNT_ZERO when the reported balance crosses
    the threshold or reaches zero, then P_AM_ACCOUNT_DISABLED when the account stops being active.
    """
    names: list[EventName] = []
    if movement is not None:
        names.append(movement)
    if crossed_low(before, after):
        names.append(EventName.P_AM_ACCOUNT_LOW)
    if after.balance_minor <= 0 < before.balance_minor:
        names.append(EventName.P_AM_ACCOUNT_ZERO)
    if before.status is Status.ACTIVE and after.status is not Status.ACTIVE:
        names.append(EventName.P_AM_ACCOUNT_DISABLED)
    return [
        PendingEvent(
            account=after.number,
            msisdn=after.msisdn,
            event=name,
            currency=after.currency,
            balance_minor=after.balance_minor,
            amount_minor=amount_minor if name is movement else None,
            transaction_id=transaction_id if name is movement else None,
            occurred_at=now,
        )
        for name in names
    ]


def flush(tx: Transaction, events: list[PendingEvent]) -> None:
    """Number ``events`` in order and write them; call last in the transaction."""
    if not events:
        return
    row = tx.one(
        "UPDATE ledger_counters SET value = value + ? WHERE name = ? RETURNING value",
        (len(events), EVENT_SEQ_COUNTER),
    )
    assert row is not None, "the event counter row is created by the first migration"
    first = int(row[0]) - len(events) + 1
    tx.executemany(
        "INSERT INTO ledger_events (seq, account_number, msisdn, event, currency, balance_minor, "
        "amount_minor, transaction_id, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                first + i,
                e.account,
                e.msisdn,
                e.event.value,
                e.currency,
                e.balance_minor,
                e.amount_minor,
                e.transaction_id,
                clock.to_text(e.occurred_at),
            )
            for i, e in enumerate(events)
        ],
    )


def after(tx: Transaction, cursor: int, limit: int) -> list[ChargingEvent]:
    rows = tx.all(
        "SELECT e.seq, e.account_number, e.msisdn, e.event, e.currency, e.balance_minor, "
        "e.amount_minor, e.transaction_id, e.occurred_at, n.app_id, n.reference_code "
        "FROM ledger_events e LEFT JOIN ledger_entries n ON n.id = e.transaction_id "
        "WHERE e.seq > ? ORDER BY e.seq LIMIT ?",
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
