"""The charging-event outbox: written with the change, numbered in commit order, read by cursor."""

from __future__ import annotations

import threading

import pytest

from charging.errors import InsufficientBalance
from charging.model import EventName
from tests.charging.helpers import open_account

CHARGING, RECHARGING = EventName.P_AM_CHARGING, EventName.P_AM_RECHARGING
LOW, ZERO, DISABLED = (
    EventName.P_AM_ACCOUNT_LOW,
    EventName.P_AM_ACCOUNT_ZERO,
    EventName.P_AM_ACCOUNT_DISABLED,
)


def names(events):
    return [e.event for e in events]


def test_each_change_writes_its_events(ledger):
    open_account(ledger, balance_minor=10_000, low_balance_minor=3_000)
    ledger.charge(
        app_id="shop",
        reference_code="c1",
        account="1001",
        amount_minor=5_000,
        currency="KRW",
        description="a",
    )
    ledger.charge(
        app_id="shop",
        reference_code="c2",
        account="1001",
        amount_minor=3_000,
        currency="KRW",
        description="b",
    )  # 5,000 -> 2,000: crosses 3,000
    ledger.charge(
        app_id="shop",
        reference_code="c3",
        account="1001",
        amount_minor=1_000,
        currency="KRW",
        description="c",
    )  # already below: no second LOW
    ledger.charge(
        app_id="shop",
        reference_code="c4",
        account="1001",
        amount_minor=1_000,
        currency="KRW",
        description="d",
    )  # reaches zero
    ledger.recharge(
        app_id="operator", reference_code="t1", account="1001", amount_minor=10_000, currency="KRW"
    )
    ledger.set_status("1001", "suspended")
    events = ledger.events_after(0)
    assert names(events) == [
        CHARGING,
        CHARGING,
        LOW,
        CHARGING,
        CHARGING,
        ZERO,
        RECHARGING,
        DISABLED,
    ]
    assert [e.seq for e in events] == list(range(1, 9))
    low = events[2]
    assert (low.balance_minor, low.msisdn, low.currency) == (2_000, "tel:+821000001001", "KRW")
    assert events[1].transaction_id is not None and events[1].amount_minor == 3_000


def test_reservations_and_postpaid_headroom_cross_the_threshold_too(ledger):
    open_account(
        ledger,
        kind="postpaid",
        balance_minor=0,
        monthly_limit_minor=10_000,
        low_balance_minor=4_000,
    )
    rid = ledger.reserve(
        app_id="shop", account="1001", amount_minor=7_000, currency="KRW", description="hold"
    )  # headroom 10,000 -> 3,000
    assert names(ledger.events_after(0)) == [LOW]
    ledger.release_reservation("shop", rid)
    ledger.charge(
        app_id="shop",
        reference_code="c1",
        account="1001",
        amount_minor=10_000,
        currency="KRW",
        description="all",
    )
    assert names(ledger.events_after(1)) == [CHARGING, LOW, ZERO]


def test_refused_requests_write_no_events_and_cursor_reads_page(ledger):
    open_account(ledger, balance_minor=1_000)
    for i in range(5):
        ledger.charge(
            app_id="shop",
            reference_code=f"c{i}",
            account="1001",
            amount_minor=100,
            currency="KRW",
            description="x",
        )
    with pytest.raises(InsufficientBalance):
        ledger.charge(
            app_id="shop",
            reference_code="too-much",
            account="1001",
            amount_minor=10_000,
            currency="KRW",
            description="x",
        )
    page1 = ledger.events_after(0, limit=2)
    page2 = ledger.events_after(page1[-1].seq, limit=10)
    assert [e.seq for e in page1 + page2] == [1, 2, 3, 4, 5]


def test_sequence_is_gapless_under_concurrent_writers(ledger):
    for i in range(4):
        open_account(ledger, f"20{i:02d}", balance_minor=100_000)

    def work(i: int) -> None:
        for n in range(25):
            ledger.charge(
                app_id="shop",
                reference_code=f"w{i}-{n}",
                account=f"20{i:02d}",
                amount_minor=10,
                currency="KRW",
                description="x",
            )

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    events = ledger.events_after(0, limit=1000)
    assert [e.seq for e in events] == list(range(1, 101))
    per_account = {}
    for e in events:  # in order per account: each account's balance only goes down
        per_account.setdefault(e.account, []).append(e.balance_minor)
    assert all(b == sorted(b, reverse=True) for b in per_account.values())
