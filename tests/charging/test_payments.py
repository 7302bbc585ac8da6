"""Charge, refund and recharge on both backends: limits, balances, headroom and history."""

from __future__ import annotations

from datetime import date

import pytest

from charging.errors import (
    AccountClosed,
    AccountExpired,
    AccountSuspended,
    InsufficientBalance,
    InvalidInput,
    MonthlyLimitExceeded,
    RefundExceedsCharges,
    TransactionLimitExceeded,
    UnregisteredAccount,
)
from charging.model import EntryKind, Kind
from tests.charging.helpers import assert_reconciles, open_account


def test_charge_draws_down_a_prepaid_balance(ledger):
    open_account(ledger, balance_minor=10_000, low_balance_minor=3_000)
    first = ledger.charge(
        app_id="shop",
        reference_code="r1",
        account="1001",
        amount_minor=6_000,
        currency="KRW",
        description="game credits",
    )
    assert (first.balance_minor, first.low_balance_crossed) == (4_000, False)
    second = ledger.charge(
        app_id="shop",
        reference_code="r2",
        account="1001",
        amount_minor=1_500,
        currency="KRW",
        description="sticker",
    )
    assert (second.balance_minor, second.low_balance_crossed) == (2_500, True)
    assert second.transaction_id > first.transaction_id
    with pytest.raises(InsufficientBalance):
        ledger.charge(
            app_id="shop",
            reference_code="r3",
            account="1001",
            amount_minor=2_501,
            currency="KRW",
            description="too much",
        )
    assert (
        ledger.charge(
            app_id="shop",
            reference_code="r4",
            account="1001",
            amount_minor=2_500,
            currency="KRW",
            description="all of it",
        ).balance_minor
        == 0
    )
    assert_reconciles(ledger, "1001")


def test_postpaid_reports_monthly_headroom_as_its_balance(ledger):
    open_account(
        ledger,
        kind="postpaid",
        balance_minor=0,
        monthly_limit_minor=50_000,
        low_balance_minor=10_000,
    )
    result = ledger.charge(
        app_id="shop",
        reference_code="p1",
        account="1001",
        amount_minor=45_000,
        currency="KRW",
        description="ticket",
    )
    assert result.balance_minor == result.headroom_minor == 5_000
    assert result.low_balance_crossed
    with pytest.raises(MonthlyLimitExceeded):
        ledger.charge(
            app_id="shop",
            reference_code="p2",
            account="1001",
            amount_minor=5_001,
            currency="KRW",
            description="over",
        )
    status = ledger.status("1001")
    assert (status.kind, status.balance_minor, status.month_spent_minor) == (
        Kind.POSTPAID,
        5_000,
        45_000,
    )
    assert status.ledger_balance_minor == -45_000  # what accrued to the bill
    assert_reconciles(ledger, "1001")


def test_per_transaction_and_monthly_limits_bound_prepaid_too(ledger):
    open_account(
        ledger, balance_minor=100_000, monthly_limit_minor=30_000, transaction_limit_minor=20_000
    )
    with pytest.raises(TransactionLimitExceeded):
        ledger.charge(
            app_id="shop",
            reference_code="t1",
            account="1001",
            amount_minor=20_001,
            currency="KRW",
            description="big",
        )
    ledger.charge(
        app_id="shop",
        reference_code="t2",
        account="1001",
        amount_minor=20_000,
        currency="KRW",
        description="ok",
    )
    with pytest.raises(MonthlyLimitExceeded):
        ledger.charge(
            app_id="shop",
            reference_code="t3",
            account="1001",
            amount_minor=10_001,
            currency="KRW",
            description="over the month",
        )
    assert (
        ledger.charge(
            app_id="shop",
            reference_code="t4",
            account="1001",
            amount_minor=10_000,
            currency="KRW",
            description="to the limit",
        ).headroom_minor
        == 0
    )


def test_the_month_is_counted_in_the_ledger_time_zone(ledger, clock):
    from datetime import UTC, datetime

    open_account(ledger, balance_minor=100_000, monthly_limit_minor=10_000)
    clock.now = datetime(2026, 3, 31, 14, 59, tzinfo=UTC)  # 23:59 on 31 March in Seoul
    ledger.charge(
        app_id="shop",
        reference_code="m1",
        account="1001",
        amount_minor=10_000,
        currency="KRW",
        description="end of March",
    )
    with pytest.raises(MonthlyLimitExceeded):
        ledger.charge(
            app_id="shop",
            reference_code="m2",
            account="1001",
            amount_minor=1,
            currency="KRW",
            description="still March",
        )
    clock.now = datetime(2026, 3, 31, 15, 0, tzinfo=UTC)  # 00:00 on 1 April in Seoul
    assert ledger.status("1001").month_spent_minor == 0
    assert (
        ledger.charge(
            app_id="shop",
            reference_code="m3",
            account="1001",
            amount_minor=10_000,
            currency="KRW",
            description="April",
        ).headroom_minor
        == 0
    )
    assert_reconciles(ledger, "1001")


def test_account_state_refuses_charges(ledger, clock):
    open_account(ledger, "1001", valid_until=date(2026, 3, 20))
    open_account(ledger, "1002")
    open_account(ledger, "1003")
    ledger.set_status("1002", "suspended")
    ledger.set_status("1003", "closed")
    with pytest.raises(AccountSuspended):
        ledger.charge(
            app_id="shop",
            reference_code="s1",
            account="1002",
            amount_minor=1,
            currency="KRW",
            description="x",
        )
    with pytest.raises(AccountClosed):
        ledger.charge(
            app_id="shop",
            reference_code="s2",
            account="1003",
            amount_minor=1,
            currency="KRW",
            description="x",
        )
    with pytest.raises(AccountClosed):
        ledger.set_status("1003", "active")
    with pytest.raises(UnregisteredAccount):
        ledger.charge(
            app_id="shop",
            reference_code="s3",
            account="9999",
            amount_minor=1,
            currency="KRW",
            description="x",
        )
    ledger.charge(
        app_id="shop",
        reference_code="s4",
        account="1001",
        amount_minor=1,
        currency="KRW",
        description="valid through the 20th",
    )
    clock.advance(days=11)  # 21 March in Seoul
    with pytest.raises(AccountExpired):
        ledger.charge(
            app_id="shop",
            reference_code="s5",
            account="1001",
            amount_minor=1,
            currency="KRW",
            description="x",
        )
    assert ledger.status("1001").state == "expired"
    ledger.set_status("1002", "active")
    ledger.charge(
        app_id="shop",
        reference_code="s6",
        account="1002",
        amount_minor=1,
        currency="KRW",
        description="resumed",
    )


def test_refund_credits_and_restores_this_months_headroom(ledger):
    open_account(ledger, balance_minor=10_000, monthly_limit_minor=8_000)
    ledger.charge(
        app_id="shop",
        reference_code="c1",
        account="1001",
        amount_minor=5_000,
        currency="KRW",
        description="item",
    )
    refunded = ledger.refund(
        app_id="shop",
        reference_code="f1",
        account="1001",
        amount_minor=2_000,
        currency="KRW",
        description="partial refund",
    )
    assert refunded.kind is EntryKind.REFUND
    assert (refunded.balance_minor, refunded.headroom_minor) == (7_000, 5_000)
    with pytest.raises(RefundExceedsCharges):
        ledger.refund(
            app_id="shop",
            reference_code="f2",
            account="1001",
            amount_minor=3_001,
            currency="KRW",
            description="more than charged",
        )
    with pytest.raises(RefundExceedsCharges):
        ledger.refund(
            app_id="other-app",
            reference_code="f3",
            account="1001",
            amount_minor=1,
            currency="KRW",
            description="never charged it",
        )
    ledger.refund(
        app_id="shop",
        reference_code="f4",
        account="1001",
        amount_minor=3_000,
        currency="KRW",
        description="the rest",
    )
    assert ledger.status("1001").month_spent_minor == 0
    assert_reconciles(ledger, "1001")


def test_refund_of_last_months_charge_adds_no_headroom(ledger, clock):
    open_account(ledger, balance_minor=10_000, monthly_limit_minor=5_000)
    ledger.charge(
        app_id="shop",
        reference_code="c1",
        account="1001",
        amount_minor=4_000,
        currency="KRW",
        description="March",
    )
    clock.advance(days=30)  # April
    ledger.charge(
        app_id="shop",
        reference_code="c2",
        account="1001",
        amount_minor=1_000,
        currency="KRW",
        description="April",
    )
    result = ledger.refund(
        app_id="shop",
        reference_code="f1",
        account="1001",
        amount_minor=4_000,
        currency="KRW",
        description="March refund",
    )
    assert result.headroom_minor == 5_000  # spend floored at zero, not -3,000
    assert result.balance_minor == 9_000
    assert_reconciles(ledger, "1001")


def test_recharge_extends_validity_and_only_for_prepaid(ledger, clock):
    open_account(ledger, "1001", balance_minor=0, valid_until=date(2026, 3, 12))
    result = ledger.recharge(
        app_id="operator",
        reference_code="top1",
        account="1001",
        amount_minor=5_000,
        currency="KRW",
        extend_days=30,
    )
    assert result.valid_until == date(2026, 4, 9)
    assert ledger.get_account("1001").valid_until == date(2026, 4, 9)
    shorter = ledger.recharge(
        app_id="operator",
        reference_code="top2",
        account="1001",
        amount_minor=1_000,
        currency="KRW",
        extend_days=1,
    )
    assert shorter.valid_until == date(2026, 4, 9)  # never shortened
    open_account(ledger, "1002", kind="postpaid", balance_minor=0, monthly_limit_minor=1_000)
    with pytest.raises(InvalidInput):
        ledger.recharge(
            app_id="operator",
            reference_code="top3",
            account="1002",
            amount_minor=1_000,
            currency="KRW",
        )
    assert ledger.status("1001").balance_minor == 6_000
    assert_reconciles(ledger, "1001")


def test_history_is_newest_first_bounded_and_from_a_date(ledger, clock):
    open_account(ledger, balance_minor=10_000)
    for i in range(5):
        ledger.charge(
            app_id="shop",
            reference_code=f"h{i}",
            account="1001",
            amount_minor=100 + i,
            currency="KRW",
            description=f"item {i}",
        )
        clock.advance(days=1)
    entries = ledger.history("1001", entries_max=3)
    assert [e.amount_minor for e in entries] == [-104, -103, -102]
    since = ledger.history("1001", since=date(2026, 3, 12))  # midnight in Seoul
    assert [e.reference_code for e in since] == ["h4", "h3", "h2"]
    everything = ledger.history("1001")
    assert everything[-1].kind is EntryKind.OPENING
    assert (
        sum(e.amount_minor for e in everything) == ledger.get_account("1001").ledger_balance_minor
    )
    with pytest.raises(UnregisteredAccount):
        ledger.history("9999")


def test_msisdn_finds_the_open_account(ledger):
    open_account(ledger, "1001", msisdn="tel:+82-10-1234-5678")
    assert ledger.account_for_msisdn("tel:+821012345678").number == "1001"
    with pytest.raises(InvalidInput):
        open_account(ledger, "1002", msisdn="tel:+821012345678")
    ledger.set_status("1001", "closed")
    open_account(ledger, "1002", msisdn="tel:+821012345678")
    assert ledger.account_for_msisdn("tel:+821012345678").number == "1002"
    with pytest.raises(UnregisteredAccount):
        ledger.account_for_msisdn("tel:+821000000000")
    assert [a.number for a in ledger.list_accounts()] == ["1001", "1002"]
    assert not ledger.status("5555").registered
