"""Reading and writing account rows.

An account row keeps the month-to-date spend together with the month it belongs to
(``month_key``); a row whose month is not the current one is read as having spent nothing yet, and
the next write stores the new month. No job has to run at midnight on the first of the month.

Writers read the row with ``lock=True``: on PostgreSQL that is ``SELECT ... FOR UPDATE``, so a
second gateway process charging the same account waits for this transaction to end and then sees
its result; on SQLite the writing transaction already holds the database's write lock
(``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from charging import clock
from charging.model import Account, Kind, Status
from storage import Dialect
from storage.database import Transaction

_COLUMNS = (
    "number, msisdn, kind, currency, ledger_balance_minor, reserved_minor, month_key, "
    "month_spent_minor, monthly_limit_minor, transaction_limit_minor, low_balance_minor, "
    "valid_until, status, pin_hash IS NOT NULL, created_at"
)


def _account(row: tuple, month: str) -> Account:
    (number, msisdn, kind, currency, balance, reserved, month_key, spent, monthly, per_tx, low,
     valid_until, status, has_pin, created_at) = row  # fmt: skip
    return Account(
        number=number,
        msisdn=msisdn,
        kind=Kind(kind),
        currency=currency,
        ledger_balance_minor=int(balance),
        reserved_minor=int(reserved),
        month_spent_minor=int(spent) if month_key == month else 0,
        monthly_limit_minor=None if monthly is None else int(monthly),
        transaction_limit_minor=None if per_tx is None else int(per_tx),
        low_balance_minor=int(low),
        valid_until=None if valid_until is None else date.fromisoformat(valid_until),
        status=Status(status),
        has_pin=bool(has_pin),
        created_at=clock.from_text(created_at),
    )


def load(tx: Transaction, number: str, month: str, *, lock: bool = False) -> Account | None:
    sql = f"SELECT {_COLUMNS} FROM ledger_accounts WHERE number = ?"
    if lock and tx.dialect is Dialect.POSTGRESQL:
        sql += " FOR UPDATE"
    row = tx.one(sql, (number,))
    return None if row is None else _account(row, month)


def by_msisdn(tx: Transaction, msisdn: str, month: str) -> Account | None:
    """The open account of an MSISDN, else its most recently closed one."""
    row = tx.one(
        f"SELECT {_COLUMNS} FROM ledger_accounts WHERE msisdn = ? "
        "ORDER BY status = 'closed', created_at DESC LIMIT 1",
        (msisdn,),
    )
    return None if row is None else _account(row, month)


def list_all(tx: Transaction, month: str) -> list[Account]:
    rows = tx.all(f"SELECT {_COLUMNS} FROM ledger_accounts ORDER BY number")
    return [_account(r, month) for r in rows]


def insert(tx: Transaction, account: Account, pin_hash: str | None, month: str) -> None:
    now = clock.to_text(account.created_at)
    tx.execute(
        "INSERT INTO ledger_accounts (number, msisdn, kind, currency, ledger_balance_minor, "
        "reserved_minor, month_key, month_spent_minor, monthly_limit_minor, "
        "transaction_limit_minor, low_balance_minor, valid_until, status, pin_hash, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            account.number,
            account.msisdn,
            account.kind.value,
            account.currency,
            account.ledger_balance_minor,
            month,
            account.monthly_limit_minor,
            account.transaction_limit_minor,
            account.low_balance_minor,
            None if account.valid_until is None else account.valid_until.isoformat(),
            account.status.value,
            pin_hash,
            now,
            now,
        ),
    )


def save_money(tx: Transaction, account: Account, month: str, now: datetime) -> None:
    """Store the money figures of ``account`` (balance, reserved, month-to-date spend)."""
    tx.execute(
        "UPDATE ledger_accounts SET ledger_balance_minor = ?, reserved_minor = ?, month_key = ?, "
        "month_spent_minor = ?, updated_at = ? WHERE number = ?",
        (
            account.ledger_balance_minor,
            account.reserved_minor,
            month,
            account.month_spent_minor,
            clock.to_text(now),
            account.number,
        ),
    )


def save_settings(tx: Transaction, account: Account, now: datetime) -> None:
    """Store what an operator may change: status, limits, threshold, validity."""
    tx.execute(
        "UPDATE ledger_accounts SET status = ?, monthly_limit_minor = ?, "
        "transaction_limit_minor = ?, low_balance_minor = ?, valid_until = ?, updated_at = ? "
        "WHERE number = ?",
        (
            account.status.value,
            account.monthly_limit_minor,
            account.transaction_limit_minor,
            account.low_balance_minor,
            None if account.valid_until is None else account.valid_until.isoformat(),
            clock.to_text(now),
            account.number,
        ),
    )


def save_validity(tx: Transaction, number: str, valid_until: date | None) -> None:
    tx.execute(
        "UPDATE ledger_accounts SET valid_until = ? WHERE number = ?",
        (None if valid_until is None else valid_until.isoformat(), number),
    )


@dataclass(frozen=True)
class PinState:
    pin_hash: str | None
    failures: int
    locked_until: datetime | None


def load_pin(tx: Transaction, number: str, *, lock: bool = False) -> PinState | None:
    sql = "SELECT pin_hash, pin_failures, pin_locked_until FROM ledger_accounts WHERE number = ?"
    if lock and tx.dialect is Dialect.POSTGRESQL:
        sql += " FOR UPDATE"
    row = tx.one(sql, (number,))
    if row is None:
        return None
    return PinState(row[0], int(row[1]), None if row[2] is None else clock.from_text(row[2]))


def save_pin(tx: Transaction, number: str, state: PinState) -> None:
    tx.execute(
        "UPDATE ledger_accounts SET pin_hash = ?, pin_failures = ?, pin_locked_until = ? "
        "WHERE number = ?",
        (
            state.pin_hash,
            state.failures,
            None if state.locked_until is None else clock.to_text(state.locked_until),
            number,
        ),
    )
