"""Helpers shared by the ledger's tests."""

from __future__ import annotations

from typing import Any

from charging.ledger import Ledger
from charging.model import Account


def open_account(ledger: Ledger, number: str = "1001", **settings: Any) -> Account:
    """A prepaid KRW account with 10,000 on it unless told otherwise."""
    options: dict[str, Any] = {
        "msisdn": f"tel:+8210{int(number) % 10**8:08d}"
        if number.isdigit()
        else "tel:+821099999999",
        "currency": "KRW",
        "balance_minor": 10_000,
    }
    options.update(settings)
    return ledger.create_account(number, **options)


def entry_totals(ledger: Ledger, number: str) -> tuple[int, int]:
    """(sum of the account's entries, how many there are), read straight from the table."""
    with ledger.db.transaction(write=False) as tx:
        row = tx.one(
            "SELECT COALESCE(SUM(amount_minor), 0), COUNT(*) FROM ledger_entries "
            "WHERE account_number = ?",
            (number,),
        )
    assert row is not None
    return int(row[0]), int(row[1])


def assert_reconciles(ledger: Ledger, number: str) -> None:
    """The account's balance is the sum of its history, and nothing is over-spent."""
    account = ledger.get_account(number)
    total, _count = entry_totals(ledger, number)
    assert total == account.ledger_balance_minor
    if account.kind.value == "prepaid":
        assert account.ledger_balance_minor - account.reserved_minor >= 0
    if account.monthly_limit_minor is not None:
        assert account.month_spent_minor + account.reserved_minor <= account.monthly_limit_minor


def table_counts(ledger: Ledger) -> dict[str, int]:
    """Rows per ledger table: a refused request must leave every count as it was."""
    tables = (
        "ledger_accounts",
        "ledger_entries",
        "ledger_requests",
        "ledger_reservations",
        "ledger_vouchers",
        "ledger_events",
    )
    with ledger.db.transaction(write=False) as tx:
        return {t: int(tx.one(f"SELECT COUNT(*) FROM {t}")[0]) for t in tables}  # type: ignore[index]
