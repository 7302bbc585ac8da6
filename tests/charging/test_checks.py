"""The precedence of the check table: when several checks would refuse, the first row wins."""

from __future__ import annotations

import re
from datetime import date

import pytest

from charging import checks
from charging.checks import CHECKS, Attempt, Operation, ReservationState
from charging.errors import (
    AccountClosed,
    AccountExpired,
    AccountSuspended,
    CurrencyMismatch,
    InsufficientBalance,
    MonthlyLimitExceeded,
    ReferenceCodeReused,
    TransactionLimitExceeded,
    UnregisteredAccount,
)
from charging.model import Account, Kind, Status
from tests.charging.conftest import START
from tests.charging.helpers import open_account

# (situation, account settings, status to set, charge changes, the error that must win)
PRECEDENCE = [
    (
        "reused reference beats everything",
        {"balance_minor": 0},
        None,
        {"reference_code": "used"},
        ReferenceCodeReused,
    ),
    (
        "unknown account beats currency",
        {},
        None,
        {"account": "9999", "currency": "USD"},
        UnregisteredAccount,
    ),
    ("currency beats suspension", {}, "suspended", {"currency": "USD"}, CurrencyMismatch),
    ("closed beats balance", {"balance_minor": 0}, "closed", {}, AccountClosed),
    (
        "suspension beats expiry",
        {"valid_until": date(2026, 3, 10)},
        "suspended",
        {},
        AccountSuspended,
    ),
    (
        "expiry beats limits",
        {"valid_until": date(2026, 3, 10), "transaction_limit_minor": 1},
        "expire",
        {},
        AccountExpired,
    ),
    (
        "per-transaction beats monthly",
        {"transaction_limit_minor": 10, "monthly_limit_minor": 10},
        None,
        {},
        TransactionLimitExceeded,
    ),
    (
        "monthly beats balance",
        {"balance_minor": 10, "monthly_limit_minor": 10},
        None,
        {},
        MonthlyLimitExceeded,
    ),
    ("balance last", {"balance_minor": 10}, None, {}, InsufficientBalance),
]


@pytest.mark.parametrize(
    ("settings", "status", "change", "error"),
    [case[1:] for case in PRECEDENCE],
    ids=[case[0] for case in PRECEDENCE],
)
def test_the_first_refusing_row_wins(ledger, clock, settings, status, change, error):
    open_account(ledger, "1001", **{"balance_minor": 10_000, **settings})
    ledger.recharge(
        app_id="operator", reference_code="used", account="1001", amount_minor=1, currency="KRW"
    )  # "used" now names another request
    if status == "expire":
        clock.advance(days=1)
    elif status:
        ledger.set_status("1001", status)
    charge = {"app_id": "operator", "reference_code": "new", "account": "1001", "amount_minor": 100}
    with pytest.raises(error):
        ledger.charge(**{**charge, "currency": "KRW", "description": "x", **change})


def test_the_documented_table_is_the_table():
    """The table in charging/checks.py's docstring lists the rows of CHECKS, in order, with
    the errors they raise."""
    documented = re.findall(r"^\| *(\d+) *\|[^|]*\|[^|]*\| *(\w+) *\|$", checks.__doc__ or "", re.M)
    assert [int(n) for n, _ in documented] == list(range(len(CHECKS)))
    account = Account(
        number="1001",
        msisdn="tel:+821000001001",
        kind=Kind.PREPAID,
        currency="KRW",
        ledger_balance_minor=0,
        reserved_minor=0,
        month_spent_minor=0,
        monthly_limit_minor=0,
        transaction_limit_minor=0,
        low_balance_minor=0,
        valid_until=None,
        status=Status.ACTIVE,
        has_pin=False,
        created_at=START,
    )
    sample = Attempt(
        Operation.CHARGE,
        "1001",
        account=account,
        reservation=ReservationState("app", "1001", 1, 0, True),
    )
    assert [name for _, name in documented] == [type(c.error(sample)).__name__ for c in CHECKS]
