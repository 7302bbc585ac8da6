"""Money movements on a subscriber's account: its figures, its postings and its events, together.

Every movement of a subscriber's money goes through :func:`record`: the subscriber's book changes
as the movement's kind says, the transfer to or from the other side (``charging.movements``) is
posted, and the charging events follow -- so "the ledger balance is the sum of the account's
entries" and "the ledger sums to zero" hold by construction; the tests check both after every
step. The reads of history live here too.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from charging import clock
from charging.model import EntryKind, EventName, HistoryEntry, TransactionResult
from storage.database import Transaction

if TYPE_CHECKING:
    from charging.batch import BatchState, Book, Command

DEBITS = frozenset({EntryKind.CHARGE, EntryKind.RESERVATION_CHARGE})
HISTORY_ENTRIES_MAX = 1000  # getHistory returns at most this many entries
HISTORY_DEFAULT_ENTRIES = 100  # ... and this many when maxEntries is not given


def record(
    state: BatchState,
    command: Command,
    kind: EntryKind,
    subscriber: Book,
    other: Book,
    amount: int,
    *,
    reservation_id: str | None = None,
    valid_until: date | None = None,
    description: str | None = None,
) -> TransactionResult:
    """Move ``amount`` (positive) between ``subscriber`` and ``other`` as ``kind``.

    A debit adds to this month's spend (a reservation charge also takes it from what is held);
    a refund lowers the spend -- restoring headroom -- but never below zero: refunding last
    month's charge gives the money back without adding headroom to this month.
    """
    before = subscriber.balance_minor
    status = subscriber.status
    key = (subscriber.number, command.app_id)
    if kind in DEBITS:
        subscriber.month_spent_minor += amount
        if kind is EntryKind.RESERVATION_CHARGE:
            subscriber.reserved_minor -= amount
        state.charged[key] = state.charged.get(key, 0) + amount
        source, destination, movement = subscriber, other, EventName.P_AM_CHARGING
    else:
        if kind is EntryKind.REFUND:
            subscriber.month_spent_minor = max(0, subscriber.month_spent_minor - amount)
            state.charged[key] = state.charged.get(key, 0) - amount
        source, destination, movement = other, subscriber, EventName.P_AM_RECHARGING
    if valid_until is not None and valid_until != subscriber.valid_until:
        subscriber.valid_until = valid_until
        subscriber.settled = True
    tid = state.transfer(
        kind.value, source, destination, amount, command, reservation_id, description
    )
    state.event(subscriber, movement, amount, tid, command)
    state.changed(subscriber, before, status)
    after = subscriber.balance_minor
    low = subscriber.low_balance_minor
    return TransactionResult(
        tid,
        subscriber.number,
        kind,
        amount,
        subscriber.currency,
        after,
        subscriber.headroom_minor,
        low > 0 and before >= low > after,
        subscriber.valid_until,
    )


def refundable_minor(tx: Transaction, account: str, app_id: str) -> int:
    """What ``app_id`` charged ``account`` (directly or on reservations), net of its refunds."""
    row = tx.one(
        "SELECT COALESCE(SUM(amount_minor), 0) FROM ledger_entries "
        "WHERE account_number = ? AND app_id = ? AND kind IN (?, ?, ?)",
        (
            account,
            app_id,
            *(k.value for k in (EntryKind.CHARGE, EntryKind.RESERVATION_CHARGE, EntryKind.REFUND)),
        ),
    )
    assert row is not None
    return -int(row[0])


def app_has_charged(tx: Transaction, account: str, app_id: str) -> bool:
    """Whether ``app_id`` ever charged ``account`` (directly or on a reservation)."""
    row = tx.one(
        "SELECT 1 FROM ledger_entries WHERE account_number = ? AND app_id = ? AND kind IN (?, ?) "
        "LIMIT 1",
        (account, app_id, EntryKind.CHARGE.value, EntryKind.RESERVATION_CHARGE.value),
    )
    return row is not None


def history(
    tx: Transaction, account: str, since: str | None, entries_max: int
) -> list[HistoryEntry]:
    """The most recent ``entries_max`` entries at or after ``since``, newest first."""
    rows = tx.all(
        "SELECT transfer_id, created_at, kind, amount_minor, currency, "
        "ledger_balance_after_minor, description, app_id, reference_code FROM ledger_entries "
        "WHERE account_number = ? AND created_at >= ? ORDER BY id DESC LIMIT ?",
        (account, since or "", entries_max),
    )
    return [
        HistoryEntry(
            transaction_id=int(r[0]),
            date=clock.from_text(r[1]),
            kind=EntryKind(r[2]),
            amount_minor=int(r[3]),
            currency=r[4],
            ledger_balance_after_minor=int(r[5]),
            description=r[6],
            app_id=r[7],
            reference_code=r[8],
        )
        for r in rows
    ]
