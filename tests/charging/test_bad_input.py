"""Bad input: each gets its own typed error, and nothing is written."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from charging.errors import (
    CurrencyMismatch,
    InvalidAddress,
    InvalidAmount,
    InvalidInput,
    ReferenceCodeReused,
    UnknownCurrency,
    UnknownReservation,
    UnregisteredAccount,
)
from tests.charging.helpers import open_account, table_counts

CHARGE = {
    "app_id": "shop",
    "reference_code": "ref-1",
    "account": "1001",
    "amount_minor": 1_000,
    "currency": "KRW",
    "description": "item",
}

# (what is wrong, the charge's fields that differ, the error)
CHARGE_CASES = [
    ("zero amount", {"amount_minor": 0}, InvalidAmount),
    ("negative amount", {"amount_minor": -5}, InvalidAmount),
    ("float amount", {"amount_minor": 10.0}, InvalidAmount),
    ("decimal amount", {"amount_minor": Decimal("10")}, InvalidAmount),
    ("text amount", {"amount_minor": "10"}, InvalidAmount),
    ("boolean amount", {"amount_minor": True}, InvalidAmount),
    ("absurd amount", {"amount_minor": 10**16}, InvalidAmount),
    ("unknown currency", {"currency": "XXX"}, UnknownCurrency),
    ("lower-case currency", {"currency": "krw"}, UnknownCurrency),
    ("another currency", {"currency": "USD"}, CurrencyMismatch),
    ("unknown account", {"account": "9999"}, UnregisteredAccount),
    ("malformed account", {"account": "10 01"}, InvalidInput),
    ("over-long account", {"account": "1" * 33}, InvalidInput),
    ("empty reference", {"reference_code": ""}, InvalidInput),
    ("over-long reference", {"reference_code": "r" * 129}, InvalidInput),
    ("control characters", {"reference_code": "r\n1"}, InvalidInput),
    ("over-long description", {"description": "d" * 257}, InvalidInput),
    ("over-long application", {"app_id": "a" * 65}, InvalidInput),
    ("over-long code", {"code": "c" * 65}, InvalidInput),
    ("reference reused", {"reference_code": "used", "amount_minor": 999}, ReferenceCodeReused),
]


@pytest.mark.parametrize(
    ("change", "error"), [c[1:] for c in CHARGE_CASES], ids=[c[0] for c in CHARGE_CASES]
)
def test_bad_charges_are_refused_and_write_nothing(ledger, change, error):
    open_account(ledger)
    ledger.charge(**{**CHARGE, "reference_code": "used"})
    before, status = table_counts(ledger), ledger.status("1001")
    with pytest.raises(error):
        ledger.charge(**{**CHARGE, **change})
    assert table_counts(ledger) == before
    assert ledger.status("1001") == status


MSISDNS = [
    "+821012345678",  # no scheme
    "tel:",
    "tel:+",
    "tel:+0123456",  # a country code never starts with 0
    "tel:+82 10 1234",  # spaces are not visual separators
    "tel:+8210123456789012",  # longer than E.164
    "tel:+821012345678;phone-context=x",  # parameters refused
    "sip:alice@example.com",
    "tel:abc",
    "tel:+82" + "1" * 40,
]


@pytest.mark.parametrize("msisdn", MSISDNS)
def test_malformed_tel_uris_are_refused(ledger, msisdn):
    with pytest.raises(InvalidAddress):
        open_account(ledger, msisdn=msisdn)
    with pytest.raises(InvalidAddress):
        ledger.account_for_msisdn(msisdn)
    assert table_counts(ledger)["ledger_accounts"] == 0


ACCOUNT_CASES = [
    ("date in the past", {"valid_until": date(2026, 3, 9)}, InvalidInput),
    ("datetime for a date", {"valid_until": datetime(2027, 1, 1)}, InvalidInput),
    ("postpaid without limit", {"kind": "postpaid", "balance_minor": 0}, InvalidInput),
    ("postpaid with a balance", {"kind": "postpaid", "monthly_limit_minor": 5}, InvalidInput),
    ("unknown kind", {"kind": "credit"}, InvalidInput),
    ("negative balance", {"balance_minor": -1}, InvalidAmount),
    ("negative limit", {"monthly_limit_minor": -1}, InvalidAmount),
    ("unknown currency", {"currency": "ABC"}, UnknownCurrency),
    ("short PIN", {"pin": "12"}, InvalidInput),
    ("huge PIN", {"pin": "1" * 65}, InvalidInput),
]


@pytest.mark.parametrize(
    ("change", "error"), [c[1:] for c in ACCOUNT_CASES], ids=[c[0] for c in ACCOUNT_CASES]
)
def test_bad_accounts_are_refused(ledger, change, error):
    with pytest.raises(error):
        open_account(ledger, **change)
    assert table_counts(ledger)["ledger_accounts"] == 0


def test_duplicate_account_number_is_refused(ledger):
    open_account(ledger, "1001", msisdn="tel:+821011111111")
    with pytest.raises(InvalidInput):
        open_account(ledger, "1001", msisdn="tel:+821022222222")


def test_other_operations_refuse_bad_input_and_write_nothing(ledger):
    open_account(ledger)
    before = table_counts(ledger)
    cases = [
        (
            lambda: ledger.recharge(
                app_id="op",
                reference_code="t",
                account="1001",
                amount_minor=1,
                currency="KRW",
                extend_days=0,
            ),
            InvalidInput,
        ),
        (
            lambda: ledger.recharge(
                app_id="op",
                reference_code="t",
                account="1001",
                amount_minor=1,
                currency="KRW",
                extend_days=10**6,
            ),
            InvalidInput,
        ),
        (
            lambda: ledger.charge_reservation(
                app_id="shop",
                reference_code="c",
                reservation_id="no-such",
                amount_minor=1,
                currency="KRW",
                description="x",
            ),
            UnknownReservation,
        ),
        (lambda: ledger.release_reservation("shop", "no-such"), UnknownReservation),
        (
            lambda: ledger.reserve(
                app_id="shop", account="1001", amount_minor=0, currency="KRW", description="x"
            ),
            InvalidAmount,
        ),
        (lambda: ledger.issue_voucher(0, "KRW"), InvalidAmount),
        (lambda: ledger.issue_voucher(5, "KRW", valid_until=date(2020, 1, 1)), InvalidInput),
        (lambda: ledger.history("1001", entries_max=0), InvalidInput),
        (lambda: ledger.history("1001", entries_max=100_000), InvalidInput),
        (lambda: ledger.history("1001", since=datetime(2026, 1, 1)), InvalidInput),
        (lambda: ledger.events_after(-1), InvalidInput),
        (lambda: ledger.set_limits("1001", valid_until=date(2000, 1, 1)), InvalidInput),
        (lambda: ledger.set_status("1001", "frozen"), InvalidInput),
        (lambda: ledger.verify_pin("1001", "1" * 1000), InvalidInput),
    ]
    for call, error in cases:
        with pytest.raises(error):
            call()
    assert table_counts(ledger) == before
