"""Reservations: held funds count against balance and monthly limit at once; charges stay within
what is reserved; release returns the rest; expired reservations are swept."""

from __future__ import annotations

import time

import pytest

from charging.errors import (
    AccountSuspended,
    InsufficientBalance,
    MonthlyLimitExceeded,
    ReservationExceeded,
    TransactionLimitExceeded,
    UnknownReservation,
)
from charging.ledger import Ledger
from tests.charging.helpers import assert_reconciles, open_account


def test_reserved_funds_count_against_balance_and_monthly_limit(ledger):
    open_account(ledger, balance_minor=10_000, monthly_limit_minor=8_000)
    rid = ledger.reserve(
        app_id="shop", account="1001", amount_minor=6_000, currency="KRW", description="hotel"
    )
    assert len(rid) >= 20  # unguessable
    status = ledger.status("1001")
    assert (status.balance_minor, status.headroom_minor, status.reserved_minor) == (
        4_000,
        2_000,
        6_000,
    )
    with pytest.raises(MonthlyLimitExceeded):
        ledger.charge(
            app_id="shop",
            reference_code="c1",
            account="1001",
            amount_minor=2_001,
            currency="KRW",
            description="x",
        )
    ledger.set_limits("1001", monthly_limit_minor=None)
    with pytest.raises(InsufficientBalance):
        ledger.charge(
            app_id="shop",
            reference_code="c2",
            account="1001",
            amount_minor=4_001,
            currency="KRW",
            description="x",
        )
    with pytest.raises(InsufficientBalance):
        ledger.reserve_additional(
            app_id="shop",
            reservation_id=rid,
            amount_minor=4_001,
            currency="KRW",
            description="more",
        )
    assert (
        ledger.reserve_additional(
            app_id="shop",
            reservation_id=rid,
            amount_minor=4_000,
            currency="KRW",
            description="more",
        ).reserved_minor
        == 10_000
    )
    assert_reconciles(ledger, "1001")


def test_charges_never_exceed_what_is_reserved_and_release_returns_the_rest(ledger):
    open_account(ledger, balance_minor=10_000, low_balance_minor=5_000)
    rid = ledger.reserve(
        app_id="shop", account="1001", amount_minor=7_000, currency="KRW", description="checkout"
    )
    with pytest.raises(ReservationExceeded):
        ledger.charge_reservation(
            app_id="shop",
            reference_code="c1",
            reservation_id=rid,
            amount_minor=7_001,
            currency="KRW",
            description="too much",
        )
    first = ledger.charge_reservation(
        app_id="shop",
        reference_code="c2",
        reservation_id=rid,
        amount_minor=4_000,
        currency="KRW",
        description="first part",
    )
    assert first.balance_minor == 3_000  # reported balance is unchanged by charging held funds
    ledger.charge_reservation(
        app_id="shop",
        reference_code="c3",
        reservation_id=rid,
        amount_minor=1_000,
        currency="KRW",
        description="second part",
    )
    with pytest.raises(ReservationExceeded):
        ledger.charge_reservation(
            app_id="shop",
            reference_code="c4",
            reservation_id=rid,
            amount_minor=2_001,
            currency="KRW",
            description="over the rest",
        )
    released = ledger.release_reservation("shop", rid)
    assert (released.state, released.charged_minor, released.released_minor) == (
        "released",
        5_000,
        2_000,
    )
    assert ledger.release_reservation("shop", rid) == released  # releasing again changes nothing
    status = ledger.status("1001")
    assert (status.balance_minor, status.reserved_minor, status.month_spent_minor) == (
        5_000,
        0,
        5_000,
    )
    with pytest.raises(UnknownReservation):
        ledger.charge_reservation(
            app_id="shop",
            reference_code="c5",
            reservation_id=rid,
            amount_minor=1,
            currency="KRW",
            description="after release",
        )
    assert_reconciles(ledger, "1001")


def test_a_reservation_belongs_to_its_application(ledger):
    open_account(ledger)
    rid = ledger.reserve(
        app_id="shop", account="1001", amount_minor=1_000, currency="KRW", description="mine"
    )
    with pytest.raises(UnknownReservation):
        ledger.charge_reservation(
            app_id="thief",
            reference_code="c1",
            reservation_id=rid,
            amount_minor=1_000,
            currency="KRW",
            description="not yours",
        )
    with pytest.raises(UnknownReservation):
        ledger.release_reservation("thief", rid)
    with pytest.raises(UnknownReservation):
        ledger.reserve_additional(
            app_id="thief",
            reservation_id=rid,
            amount_minor=1,
            currency="KRW",
            description="not yours",
        )


def test_reservations_obey_the_account_checks(ledger):
    open_account(ledger, balance_minor=10_000, transaction_limit_minor=3_000)
    with pytest.raises(TransactionLimitExceeded):
        ledger.reserve(
            app_id="shop", account="1001", amount_minor=3_001, currency="KRW", description="x"
        )
    rid = ledger.reserve(
        app_id="shop", account="1001", amount_minor=2_000, currency="KRW", description="x"
    )
    with pytest.raises(TransactionLimitExceeded):  # the reservation as a whole is one transaction
        ledger.reserve_additional(
            app_id="shop", reservation_id=rid, amount_minor=1_001, currency="KRW", description="x"
        )
    ledger.set_status("1001", "suspended")
    with pytest.raises(AccountSuspended):
        ledger.charge_reservation(
            app_id="shop",
            reference_code="c1",
            reservation_id=rid,
            amount_minor=1_000,
            currency="KRW",
            description="lost phone",
        )
    ledger.set_status("1001", "closed")  # closing releases what is held
    assert ledger.status("1001").reserved_minor == 0
    assert ledger.release_reservation("shop", rid).state == "released"


def test_expired_reservations_refuse_charges_and_are_swept(ledger, clock):
    open_account(ledger, balance_minor=10_000)
    old = ledger.reserve(
        app_id="shop",
        account="1001",
        amount_minor=3_000,
        currency="KRW",
        description="abandoned cart",
    )
    clock.advance(seconds=30)
    kept = ledger.reserve(
        app_id="shop", account="1001", amount_minor=2_000, currency="KRW", description="active cart"
    )
    clock.advance(seconds=31)  # the first is 61 s old (ttl 60 s), the second 31 s
    with pytest.raises(UnknownReservation):
        ledger.charge_reservation(
            app_id="shop",
            reference_code="c1",
            reservation_id=old,
            amount_minor=1_000,
            currency="KRW",
            description="too late",
        )
    assert ledger.status("1001").reserved_minor == 5_000  # held until swept
    assert ledger.sweep_expired_reservations() == 1
    assert ledger.sweep_expired_reservations() == 0
    assert ledger.status("1001").reserved_minor == 2_000
    assert ledger.release_reservation("shop", old).state == "expired"
    ledger.reserve_additional(
        app_id="shop",
        reservation_id=kept,
        amount_minor=500,
        currency="KRW",
        description="one more item",
    )  # restarts its expiry
    clock.advance(seconds=59)
    assert ledger.sweep_expired_reservations() == 0
    ledger.charge_reservation(
        app_id="shop",
        reference_code="c2",
        reservation_id=kept,
        amount_minor=2_500,
        currency="KRW",
        description="paid",
    )
    assert [r.reservation_id for r in ledger.open_reservations("1001")] == [kept]
    assert_reconciles(ledger, "1001")


def test_the_sweeper_thread_releases_expired_reservations(ledger_url):
    with Ledger.open(ledger_url, reservation_ttl_s=1) as ledger:
        open_account(ledger, balance_minor=10_000)
        ledger.reserve(
            app_id="shop",
            account="1001",
            amount_minor=4_000,
            currency="KRW",
            description="abandoned",
        )
        sweeper = ledger.start_sweeper(interval_ms=200)
        deadline = time.monotonic() + 10
        while ledger.status("1001").reserved_minor and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ledger.status("1001").reserved_minor == 0
        sweeper.stop()  # the count is kept after the sweep's commit: join before reading it
        assert sweeper.swept == 1
