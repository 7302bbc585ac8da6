"""The subscriber's alerts: an outbox of SMS the operator owes the subscriber.

A change that the subscriber must hear about -- PIN use locked, the account suspended or
resumed, its monthly limit changed or a raise scheduled, a payment above the amount the
subscriber chose -- writes one row of ``ledger_alerts`` in the transaction that makes the change,
so an alert is never lost and never sent for a change that did not commit. The gateway's alert
sender (``scf.account.alerts``) turns each row into an SMS from an operator-editable template
(kind = template name) and marks it sent. The rows are also the journal of those changes: who
(``app_id``: the self-care application, the operator, or none for the lock-out) did what, when.

Large payments are found after the fact, from the charging events (``scan_large_payments``), so
that the payment's own path writes nothing more: the scan keeps its cursor in
``ledger_counters`` and moves it in the transaction that writes the alerts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from charging.schema import ALERT_CURSOR
from storage import Dialect
from storage.database import Transaction

SCAN_BATCH_MAX = 500  # charging events looked at per scan
PENDING_READ_MAX = 100

# Alert kinds (also the names of their SMS templates, scf/sms/templates.py).
PIN_LOCKED = "alert_pin_locked"
SUSPENDED = "alert_suspended"
SUSPENDED_PIN = "alert_suspended_pin"
RESUMED = "alert_resumed"
LIMIT_LOWERED = "alert_limit_lowered"
LIMIT_RAISE_PENDING = "alert_limit_raise_pending"
LIMIT_RAISED = "alert_limit_raised"
LARGE_PAYMENT = "alert_large_payment"
KINDS = (
    PIN_LOCKED, SUSPENDED, SUSPENDED_PIN, RESUMED, LIMIT_LOWERED, LIMIT_RAISE_PENDING,
    LIMIT_RAISED, LARGE_PAYMENT,
)  # fmt: skip


@dataclass(frozen=True)
class Alert:
    seq: int
    account: str
    msisdn: str
    kind: str
    fields: dict[str, Any]  # amounts as minor units beside "currency"; instants as UTC text
    app_id: str | None
    created_at: str
    sent_at: str | None


def add(
    tx: Transaction,
    *,
    at: str,
    number: str,
    msisdn: str,
    kind: str,
    app_id: str | None,
    **fields: Any,
) -> None:
    """Queue one alert (in the caller's transaction)."""
    assert kind in KINDS, kind
    tx.execute(
        "INSERT INTO ledger_alerts (account_number, msisdn, kind, fields, app_id, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (number, msisdn, kind, json.dumps(fields, sort_keys=True), app_id or None, at),
    )


_COLUMNS = "seq, account_number, msisdn, kind, fields, app_id, created_at, sent_at"


def _alert(row: tuple) -> Alert:
    return Alert(int(row[0]), row[1], row[2], row[3], json.loads(row[4]), row[5], row[6], row[7])


def pending(tx: Transaction, limit: int = PENDING_READ_MAX) -> list[Alert]:
    """Alerts not sent yet, oldest first."""
    rows = tx.all(
        f"SELECT {_COLUMNS} FROM ledger_alerts WHERE sent_at IS NULL ORDER BY seq LIMIT ?",
        (limit,),
    )
    return [_alert(r) for r in rows]


def of_account(tx: Transaction, number: str, limit: int = 100) -> list[Alert]:
    """The account's alerts, newest first (the journal of its protective changes)."""
    rows = tx.all(
        f"SELECT {_COLUMNS} FROM ledger_alerts WHERE account_number = ? ORDER BY seq DESC LIMIT ?",
        (number, limit),
    )
    return [_alert(r) for r in rows]


def mark_sent(tx: Transaction, seq: int, at: str) -> bool:
    """Mark one alert sent; False when it already was."""
    done = tx.execute(
        "UPDATE ledger_alerts SET sent_at = ? WHERE seq = ? AND sent_at IS NULL", (at, seq)
    )
    return int(done.rowcount) == 1


def scan_large_payments(tx: Transaction, at: str) -> int:
    """Queue a large-payment alert for each charge after the cursor above its account's alert
    amount; move the cursor. Returns how many charging events were looked at."""
    lock = " FOR UPDATE" if tx.dialect is Dialect.POSTGRESQL else ""
    row = tx.one(f"SELECT value FROM ledger_counters WHERE name = ?{lock}", (ALERT_CURSOR,))
    cursor = int(row[0]) if row else 0
    events = tx.all(
        "SELECT e.seq, e.event, e.account_number, e.msisdn, e.currency, e.amount_minor, e.balance_minor,"
        " e.occurred_at, e.app_id, a.alert_above_minor FROM ledger_events e"
        " JOIN ledger_accounts a ON a.number = e.account_number"
        " WHERE e.seq > ? ORDER BY e.seq LIMIT ?",
        (cursor, SCAN_BATCH_MAX),
    )
    last = cursor
    for seq, event, number, msisdn, currency, amount, balance, occurred, app, above in events:
        last = max(last, int(seq))
        if event != "P_AM_CHARGING" or above is None or amount is None or amount <= above:
            continue
        add(tx, at=at, number=number, msisdn=msisdn, kind=LARGE_PAYMENT, app_id=app,
            amount=int(amount), currency=currency, balance=int(balance), above=int(above),
            occurred_at=occurred, seq=int(seq))  # fmt: skip
    if last != cursor:
        tx.execute("UPDATE ledger_counters SET value = ? WHERE name = ?", (last, ALERT_CURSOR))
    return len(events)
