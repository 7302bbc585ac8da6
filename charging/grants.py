"""What the operator allows each application beyond taking payments: its grants.

Payment needs only a signed service agreement. Putting money *into* a subscriber's account is
different -- an application that could recharge at will could mint money for other merchants to
collect -- so Account Management is read-only for an application until the operator grants it:

- ``recharge`` in a currency (balanceUpdate), optionally capped per recharge (``cap_minor``) and
  per day in the ledger's zone (``daily_cap_minor``); the money comes from the application's own
  float (``charging.movements``), which the operator funds;
- ``voucher`` (voucherUpdate): redeeming vouchers the operator issued;
- ``selfcare``: the Account Management self-care extension (suspendAccount, resumeAccount,
  changeMonthlyLimit, setThreshold; ``charging.selfcare``) -- acting for the subscriber, which
  only the operator's own self-care application should do.

The checks (``charging.checks`` rows 1 and 15-17) read a grant inside the writing transaction,
locked, and a recharge adds to the day's use in the same transaction, so parallel recharges on
several gateways never exceed a daily cap.
"""

from __future__ import annotations

from dataclasses import dataclass

from charging.batch import BatchState
from charging.checks import GrantState
from storage import Dialect
from storage.database import Transaction

OPERATIONS = ("recharge", "voucher", "selfcare")
ANY_CURRENCY = ""  # the currency of a grant that has no amounts (voucher, selfcare)


@dataclass(frozen=True)
class Grant:
    app_id: str
    operation: str
    currency: str  # "" for voucher
    cap_minor: int | None
    daily_cap_minor: int | None
    day_key: str
    day_used_minor: int
    granted_at: str


_COLUMNS = (
    "app_id, operation, currency, cap_minor, daily_cap_minor, day_key, day_used_minor, granted_at"
)


def _grant(row: tuple) -> Grant:
    return Grant(
        row[0],
        row[1],
        row[2],
        None if row[3] is None else int(row[3]),
        None if row[4] is None else int(row[4]),
        row[5],
        int(row[6]),
        row[7],
    )


def load(state: BatchState, app_id: str, operation: str, currency: str) -> GrantState | None:
    """The grant of ``operation`` in ``currency`` (locked), with today's use; None: not granted."""
    lock = " FOR UPDATE" if state.tx.dialect is Dialect.POSTGRESQL else ""
    row = state.tx.one(
        "SELECT cap_minor, daily_cap_minor, day_key, day_used_minor FROM ledger_grants "
        f"WHERE app_id = ? AND operation = ? AND currency = ?{lock}",
        (app_id, operation, currency),
    )
    if row is None:
        return None
    used = int(row[3]) if row[2] == state.today.isoformat() else 0
    return GrantState(
        None if row[0] is None else int(row[0]), None if row[1] is None else int(row[1]), used
    )


def use(
    state: BatchState, app_id: str, operation: str, currency: str, grant: GrantState, amount: int
) -> None:
    """Add ``amount`` to today's use of the grant."""
    state.tx.execute(
        "UPDATE ledger_grants SET day_key = ?, day_used_minor = ? "
        "WHERE app_id = ? AND operation = ? AND currency = ?",
        (state.today.isoformat(), grant.day_used_minor + amount, app_id, operation, currency),
    )


def put(
    tx: Transaction,
    app_id: str,
    operation: str,
    currency: str,
    cap_minor: int | None,
    daily_cap_minor: int | None,
    at: str,
) -> None:
    """Grant (or change the caps of) ``operation``; today's use is kept."""
    tx.execute(
        f"INSERT INTO ledger_grants ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, '', 0, ?) "
        "ON CONFLICT (app_id, operation, currency) DO UPDATE SET cap_minor = excluded.cap_minor, "
        "daily_cap_minor = excluded.daily_cap_minor, granted_at = excluded.granted_at",
        (app_id, operation, currency, cap_minor, daily_cap_minor, at),
    )


def remove(tx: Transaction, app_id: str, operation: str, currency: str | None) -> int:
    """Revoke ``operation`` (in ``currency``, or in every currency); returns how many grants."""
    sql = "DELETE FROM ledger_grants WHERE app_id = ? AND operation = ?"
    params: tuple = (app_id, operation)
    if currency is not None:
        sql += " AND currency = ?"
        params += (currency,)
    return int(tx.execute(sql, params).rowcount)


def list_all(tx: Transaction, app_id: str | None = None) -> list[Grant]:
    sql = f"SELECT {_COLUMNS} FROM ledger_grants"
    params: tuple = ()
    if app_id is not None:
        sql += " WHERE app_id = ?"
        params = (app_id,)
    return [_grant(r) for r in tx.all(sql + " ORDER BY app_id, operation, currency", params)]
