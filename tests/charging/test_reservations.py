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
    rid = ledger.reserve("shop", "1001", 6_000, "KRW", "hotel")
    assert len(rid) >= 20  # unguessable
    status = ledger.status("1001")
    assert (status.balance_minor, status.headroom_minor, status.reserved_minor) == (
        4_000,
        2_000,
        6_000,
    )
    with pytest.raises(MonthlyLimitExceeded):
        ledger.charge("shop", "c1", "1001", 2_001, "KRW", "x")
    ledger.set_limits("1001", monthly_limit_minor=None)
    with pytest.raises(InsufficientBalance):
        ledger.charge("shop", "c2", "1001", 4_001, "KRW", "x")
    with pytest.raises(InsufficientBalance):
        ledger.reserve_additional("shop", rid, 4_001, "KRW", "more")
    assert ledger.reserve_additional("shop", rid, 4_000, "KRW", "more").reserved_minor == 10_000
    assert_reconciles(ledger, "1001")


def test_charges_never_exceed_what_is_reserved_and_release_returns_the_rest(ledger):
    open_account(ledger, balance_minor=10_000, low_balance_minor=5_000)
    rid = ledger.reserve("shop", "1001", 7_000, "KRW", "checkout")
    with pytest.raises(ReservationExceeded):
        ledger.charge_reservation("shop", "c1", rid, 7_001, "KRW", "too much")
    first = ledger.charge_reservation("shop", "c2", rid, 4_000, "KRW", "first part")
    assert first.balance_minor == 3_000  # reported balance is unchanged by charging held funds
    ledger.charge_reservation("shop", "c3", rid, 1_000, "KRW", "second part")
    with pytest.raises(ReservationExceeded):
        ledger.charge_reservation("shop", "c4", rid, 2_001, "KRW", "over the rest")
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
        ledger.charge_reservation("shop", "c5", rid, 1, "KRW", "after release")
    assert_reconciles(ledger, "1001")


def test_a_reservation_belongs_to_its_application(ledger):
    open_account(ledger)
    rid = ledger.reserve("shop", "1001", 1_000, "KRW", "mine")
    with pytest.raises(UnknownReservation):
        ledger.charge_reservation("thief", "c1", rid, 1_000, "KRW", "not yours")
    with pytest.raises(UnknownReservation):
        ledger.release_reservation("thief", rid)
    with pytest.raises(UnknownReservation):
        ledger.reserve_additional("thief", rid, 1, "KRW", "not yours")


def test_reservations_obey_the_account_checks(ledger):
    open_account(ledger, balance_minor=10_000, transaction_limit_minor=3_000)
    with pytest.raises(TransactionLimitExceeded):
        ledger.reserve("shop", "1001", 3_001, "KRW", "x")
    rid = ledger.reserve("shop", "1001", 2_000, "KRW", "x")
    with pytest.raises(TransactionLimitExceeded):  # the reservation as a whole is one transaction
        ledger.reserve_additional("shop", rid, 1_001, "KRW", "x")
    ledger.set_status("1001", "suspended")
    with pytest.raises(AccountSuspended):
        ledger.charge_reservation("shop", "c1", rid, 1_000, "KRW", "lost phone")
    ledger.set_status("1001", "closed")  # closing releases what is held
    assert ledger.status("1001").reserved_minor == 0
    assert ledger.release_reservation("shop", rid).state == "released"


def test_expired_reservations_refuse_charges_and_are_swept(ledger, clock):
    open_account(ledger, balance_minor=10_000)
    old = ledger.reserve("shop", "1001", 3_000, "KRW", "abandoned cart")
    clock.advance(seconds=30)
    kept = ledger.reserve("shop", "1001", 2_000, "KRW", "active cart")
    clock.advance(seconds=31)  # the first is 61 s old (ttl 60 s), the second 31 s
    with pytest.raises(UnknownReservation):
        ledger.charge_reservation("shop", "c1", old, 1_000, "KRW", "too late")
    assert ledger.status("1001").reserved_minor == 5_000  # held until swept
    assert ledger.sweep_expired_reservations() == 1
    assert ledger.sweep_expired_reservations() == 0
    assert ledger.status("1001").reserved_minor == 2_000
    assert ledger.release_reservation("shop", old).state == "expired"
    ledger.reserve_additional("shop", kept, 500, "KRW", "one more item")  # restarts its expiry
    clock.advance(seconds=59)
    assert ledger.sweep_expired_reservations() == 0
    ledger.charge_reservation("shop", "c2", kept, 2_500, "KRW", "paid")
    assert [r.reservation_id for r in ledger.open_reservations("1001")] == [kept]
    assert_reconciles(ledger, "1001")


def test_the_sweeper_thread_releases_expired_reservations(ledger_url):
    with Ledger.open(ledger_url, reservation_ttl_s=1) as ledger:
        open_account(ledger, balance_minor=10_000)
        ledger.reserve("shop", "1001", 4_000, "KRW", "abandoned")
        sweeper = ledger.start_sweeper(interval_ms=200)
        deadline = time.monotonic() + 10
        while ledger.status("1001").reserved_minor and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ledger.status("1001").reserved_minor == 0
        sweeper.stop()  # the count is kept after the sweep's commit: join before reading it
        assert sweeper.swept == 1
