"""Reading subscribers' account rows, opening one, and their PINs.

An account row keeps the month-to-date spend together with the month it belongs to
(``month_key``); a row whose month is not the current one is read as having spent nothing yet, and
the next write stores the new month. No job has to run at midnight on the first of the month.

Writers do not come here for money: the batch reads and locks the rows it touches and writes them
back set-based (``charging.batch``, ``charging.bulk``). The rows of the operator's system
accounts (``charging.movements``) share the table; these reads never return them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from charging import clock
from charging.model import Account, Kind, Status, SystemAccount, SystemKind
from storage import Dialect
from storage.database import Transaction

_COLUMNS = (
    "number, msisdn, kind, currency, ledger_balance_minor, reserved_minor, month_key, "
    "month_spent_minor, monthly_limit_minor, transaction_limit_minor, low_balance_minor, "
    "valid_until, status, pin_hash IS NOT NULL, created_at"
)


_SUBSCRIBERS = "kind IN ('prepaid', 'postpaid')"


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


def load(tx: Transaction, number: str, month: str) -> Account | None:
    row = tx.one(
        f"SELECT {_COLUMNS} FROM ledger_accounts WHERE number = ? AND {_SUBSCRIBERS}", (number,)
    )
    return None if row is None else _account(row, month)


def by_msisdn(tx: Transaction, msisdn: str, month: str) -> Account | None:
    """The open account of an MSISDN, else its most recently closed one."""
    row = tx.one(
        f"SELECT {_COLUMNS} FROM ledger_accounts WHERE msisdn = ? AND {_SUBSCRIBERS} "
        "ORDER BY status = 'closed', created_at DESC LIMIT 1",
        (msisdn,),
    )
    return None if row is None else _account(row, month)


def list_all(tx: Transaction, month: str) -> list[Account]:
    rows = tx.all(f"SELECT {_COLUMNS} FROM ledger_accounts WHERE {_SUBSCRIBERS} ORDER BY number")
    return [_account(r, month) for r in rows]


def system_accounts(tx: Transaction) -> list[SystemAccount]:
    rows = tx.all(
        "SELECT number, kind, app_id, currency, ledger_balance_minor FROM ledger_accounts "
        f"WHERE NOT ({_SUBSCRIBERS}) ORDER BY number"
    )
    return [SystemAccount(r[0], SystemKind(r[1]), r[2], r[3], int(r[4])) for r in rows]


def insert(tx: Transaction, account: Account, pin_hash: str | None, month: str) -> None:
    """The row of a new account, empty: its opening balance is paid in by a transfer."""
    now = clock.to_text(account.created_at)
    tx.execute(
        "INSERT INTO ledger_accounts (number, msisdn, kind, currency, ledger_balance_minor, "
        "reserved_minor, month_key, month_spent_minor, monthly_limit_minor, "
        "transaction_limit_minor, low_balance_minor, valid_until, status, pin_hash, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, 0, 0, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            account.number,
            account.msisdn,
            account.kind.value,
            account.currency,
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


@dataclass(frozen=True)
class PinState:
    pin_hash: str | None
    failures: int  # wrong PINs in a row since the last right one or lock-out
    locked_until: datetime | None
    lockouts: int = 0  # lock-outs in the window that started at window_start
    window_start: datetime | None = None


_PIN_COLUMNS = "pin_hash, pin_failures, pin_locked_until, pin_lockouts, pin_lockout_window_start"


def load_pin(tx: Transaction, number: str, *, lock: bool = False) -> PinState | None:
    sql = f"SELECT {_PIN_COLUMNS} FROM ledger_accounts WHERE number = ?"
    if lock and tx.dialect is Dialect.POSTGRESQL:
        sql += " FOR UPDATE"
    row = tx.one(sql, (number,))
    if row is None:
        return None
    return PinState(row[0], int(row[1]), _instant(row[2]), int(row[3]), _instant(row[4]))


def _instant(text: str | None) -> datetime | None:
    return None if text is None else clock.from_text(text)


def _text(instant: datetime | None) -> str | None:
    return None if instant is None else clock.to_text(instant)


def save_pin(tx: Transaction, number: str, state: PinState) -> None:
    tx.execute(
        "UPDATE ledger_accounts SET pin_hash = ?, pin_failures = ?, pin_locked_until = ?, "
        "pin_lockouts = ?, pin_lockout_window_start = ? WHERE number = ?",
        (
            state.pin_hash,
            state.failures,
            _text(state.locked_until),
            state.lockouts,
            _text(state.window_start),
            number,
        ),
    )
