"""Money movements: one entry in the account's history and the account's new figures, together.

Every movement goes through :func:`record`, so the invariant "the ledger balance is the sum of the
account's entries" holds by construction; the tests check it after every step.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from charging import accounts, clock, events
from charging.clock import Moment
from charging.events import PendingEvent
from charging.model import Account, EntryKind, EventName, HistoryEntry, TransactionResult
from storage.database import Transaction

DEBITS = frozenset({EntryKind.CHARGE, EntryKind.RESERVATION_CHARGE})
HISTORY_MAX_ENTRIES = 1000  # getHistory returns at most this many entries
HISTORY_DEFAULT_ENTRIES = 100  # ... and this many when maxEntries is not given


@dataclass(frozen=True)
class EntryInfo:
    """Who asked for a movement and why: kept on the entry for history and disputes."""

    app_id: str | None = None
    reference_code: str | None = None
    description: str = ""
    code: str | None = None
    reservation_id: str | None = None


def moved(account: Account, kind: EntryKind, amount_minor: int) -> Account:
    """The account after moving ``amount_minor`` (positive) as ``kind``.

    A refund lowers this month's spend -- restoring headroom -- but never below zero: refunding
    last month's charge gives the money back without adding headroom to this month.
    """
    assert amount_minor > 0
    if kind is EntryKind.CHARGE:
        return replace(
            account,
            ledger_balance_minor=account.ledger_balance_minor - amount_minor,
            month_spent_minor=account.month_spent_minor + amount_minor,
        )
    if kind is EntryKind.RESERVATION_CHARGE:
        assert account.reserved_minor >= amount_minor
        return replace(
            account,
            ledger_balance_minor=account.ledger_balance_minor - amount_minor,
            reserved_minor=account.reserved_minor - amount_minor,
            month_spent_minor=account.month_spent_minor + amount_minor,
        )
    if kind is EntryKind.REFUND:
        return replace(
            account,
            ledger_balance_minor=account.ledger_balance_minor + amount_minor,
            month_spent_minor=max(0, account.month_spent_minor - amount_minor),
        )
    return replace(account, ledger_balance_minor=account.ledger_balance_minor + amount_minor)


def record(
    tx: Transaction,
    moment: Moment,
    before: Account,
    kind: EntryKind,
    amount_minor: int,
    info: EntryInfo,
    *,
    valid_until: date | None = None,
) -> tuple[TransactionResult, list[PendingEvent]]:
    """Apply one movement to ``before`` (a locked row) and write its entry and events."""
    after = moved(before, kind, amount_minor)
    if valid_until is not None and valid_until != before.valid_until:
        after = replace(after, valid_until=valid_until)
        accounts.save_validity(tx, before.number, valid_until)
    accounts.save_money(tx, after, moment.month, moment.at)
    signed = -amount_minor if kind in DEBITS else amount_minor
    row = tx.one(
        "INSERT INTO ledger_entries (account_number, kind, amount_minor, currency, "
        "ledger_balance_after_minor, app_id, reference_code, reservation_id, description, code, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            before.number,
            kind.value,
            signed,
            before.currency,
            after.ledger_balance_minor,
            info.app_id,
            info.reference_code,
            info.reservation_id,
            info.description,
            info.code,
            clock.to_text(moment.at),
        ),
    )
    assert row is not None
    transaction_id = int(row[0])
    movement = EventName.P_AM_CHARGING if kind in DEBITS else EventName.P_AM_RECHARGING
    pending = events.for_change(before, after, moment.at, movement, amount_minor, transaction_id)
    result = TransactionResult(
        transaction_id=transaction_id,
        account=before.number,
        kind=kind,
        amount_minor=amount_minor,
        currency=before.currency,
        balance_minor=after.balance_minor,
        headroom_minor=after.headroom_minor,
        low_balance_crossed=events.crossed_low(before, after),
        valid_until=after.valid_until,
    )
    return result, pending


def open_account(tx: Transaction, account: Account) -> None:
    """The opening entry of a new account, so that its history sums to its balance."""
    if account.ledger_balance_minor:
        tx.execute(
            "INSERT INTO ledger_entries (account_number, kind, amount_minor, currency, "
            "ledger_balance_after_minor, description, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                account.number,
                EntryKind.OPENING.value,
                account.ledger_balance_minor,
                account.currency,
                account.ledger_balance_minor,
                "opening balance",
                clock.to_text(account.created_at),
            ),
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
    tx: Transaction, account: str, since: str | None, max_entries: int
) -> list[HistoryEntry]:
    """The most recent ``max_entries`` entries at or after ``since``, newest first."""
    rows = tx.all(
        "SELECT id, created_at, kind, amount_minor, currency, ledger_balance_after_minor, "
        "description, app_id, reference_code FROM ledger_entries "
        "WHERE account_number = ? AND created_at >= ? ORDER BY id DESC LIMIT ?",
        (account, since or "", max_entries),
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
