"""Settlement: what the operator collected for each application in a month, and so owes it.

The paper's integrated billing: the subscriber pays the operator, the operator pays the merchant.
Every charge credits the application's settlement account and every refund debits it
(``charging.movements``), so one month of an application's settlement postings is its
statement: collected (charges, also against reservations), refunded, net, and how many of each.
Months are calendar months in the ledger's zone, as the monthly limits are.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from charging import clock
from charging.errors import InvalidInput
from charging.model import EntryKind
from storage.database import Transaction

_PAYMENTS = (EntryKind.CHARGE.value, EntryKind.RESERVATION_CHARGE.value)


@dataclass(frozen=True)
class Statement:
    """One application's month in one currency (amounts in minor units)."""

    app_id: str
    currency: str
    month: str  # YYYY-MM
    payments: int
    collected_minor: int
    refunds: int
    refunded_minor: int
    balance_minor: int  # the settlement account's balance now: collected and not yet paid out

    @property
    def net_minor(self) -> int:
        return self.collected_minor - self.refunded_minor


def month_range(month: str, tz: ZoneInfo) -> tuple[str, str]:
    """:func:`charging.clock.month_bounds`, refusing what is not a month."""
    try:
        return clock.month_bounds(month, tz)
    except ValueError:
        raise InvalidInput(field="month", reason="a month as YYYY-MM") from None


def statements(
    tx: Transaction, month: str, tz: ZoneInfo, app_id: str | None = None
) -> list[Statement]:
    """Every application's statement for ``month`` (or ``app_id``'s), by application."""
    start, end = month_range(month, tz)
    accounts = tx.all(
        "SELECT number, app_id, currency, ledger_balance_minor FROM ledger_accounts "
        "WHERE kind = 'settlement'"
        + (" AND app_id = ?" if app_id is not None else "")
        + " ORDER BY app_id, currency",
        (app_id,) if app_id is not None else (),
    )
    result = []
    for number, app, currency, balance in accounts:
        counts = {kind: (0, 0) for kind in (*_PAYMENTS, EntryKind.REFUND.value)}
        for kind, count, total in tx.all(
            "SELECT kind, COUNT(*), COALESCE(SUM(amount_minor), 0) FROM ledger_entries "
            "WHERE account_number = ? AND created_at >= ? AND created_at < ? GROUP BY kind",
            (number, start, end),
        ):
            counts[kind] = (int(count), int(total))
        payments = sum(counts[k][0] for k in _PAYMENTS)
        collected = sum(counts[k][1] for k in _PAYMENTS)
        refunds, refunded = counts[EntryKind.REFUND.value]
        if payments or refunds:
            result.append(
                Statement(
                    app, currency, month, payments, collected, refunds, -refunded, int(balance)
                )
            )
    return result
