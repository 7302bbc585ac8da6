"""The subscriber's own protection in the ledger: the escalating PIN lock-out (on a clock the
test moves), self-care suspension, resumption and limits under the ``selfcare`` grant, the
thresholds getAccountStatus reports, and the alert outbox (charging.selfcare, charging.alerts).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from charging import alerts
from charging.errors import (
    AccountSuspended,
    NotEntitled,
    PinLocked,
    PinRequired,
    WrongPin,
)
from charging.ledger import Ledger
from charging.model import Status
from tests.charging.conftest import FakeClock

APP = "selfcare-app"
LOCKOUT_S = 300


@pytest.fixture
def ledger(ledger_url: str, clock: FakeClock) -> Iterator[Ledger]:
    with Ledger.open(
        ledger_url, clock=clock, pin_failures_max=3, pin_lockout_s=LOCKOUT_S,
        pin_lockout_s_max=1_000, pin_lockout_window_s=86_400, pin_lockouts_to_suspend=3,
        limit_raise_delay_s=3_600,
    ) as opened:  # fmt: skip
        opened.create_account(
            "1001", msisdn="tel:+821011110001", currency="KRW", balance_minor=100_000,
            monthly_limit_minor=50_000, pin="1234",
        )  # fmt: skip
        opened.grant(APP, "selfcare")
        yield opened


def kinds(ledger: Ledger) -> list[str]:
    return [a.kind for a in reversed(ledger.alerts_of("1001"))]


def guess_wrong(ledger: Ledger, times: int = 3) -> None:
    for _ in range(times):
        with pytest.raises(WrongPin):
            ledger.verify_pin("1001", "0000")


def test_each_lockout_doubles_and_the_third_suspends(ledger: Ledger, clock: FakeClock) -> None:
    guess_wrong(ledger)
    with pytest.raises(PinLocked):
        ledger.verify_pin("1001", "1234")  # locked: even the right PIN
    clock.advance(seconds=LOCKOUT_S - 1)
    with pytest.raises(PinLocked):
        ledger.verify_pin("1001", "1234")
    clock.advance(seconds=1)
    ledger.verify_pin("1001", "1234")  # the first lock-out lasted 300 s
    guess_wrong(ledger)
    clock.advance(seconds=2 * LOCKOUT_S - 1)
    with pytest.raises(PinLocked):
        ledger.verify_pin("1001", "1234")
    clock.advance(seconds=1)  # the second lasted 600 s
    assert ledger.get_account("1001").status is Status.ACTIVE
    guess_wrong(ledger)
    account = ledger.status("1001")
    assert account.state == "suspended" and account.suspended_by == "pin_lockout"
    clock.advance(seconds=999)
    with pytest.raises(PinLocked):  # the third: 1,200 s capped at pin_lockout_s_max 1,000
        ledger.verify_pin("1001", "1234")
    clock.advance(seconds=1)
    assert ledger.resume_by_subscriber(APP, "1001", pin="1234") is True
    assert kinds(ledger) == [alerts.PIN_LOCKED] * 3 + [alerts.SUSPENDED_PIN, alerts.RESUMED]
    [first, *_] = reversed(ledger.alerts_of("1001"))
    assert first.fields["minutes"] == LOCKOUT_S // 60 and first.msisdn == "tel:+821011110001"


def test_lockouts_count_within_their_window(ledger: Ledger, clock: FakeClock) -> None:
    for _ in range(2):
        guess_wrong(ledger)
        clock.advance(days=1, seconds=1)  # the window has passed: the count starts again
    guess_wrong(ledger)
    clock.advance(seconds=LOCKOUT_S)  # a first lock-out again
    ledger.verify_pin("1001", "1234")
    assert ledger.get_account("1001").status is Status.ACTIVE


def test_parallel_guesses_share_one_count(ledger: Ledger) -> None:
    """Guesses through any surface land on the same counter: three wrong, then locked."""
    guess_wrong(ledger, 3)
    with pytest.raises(PinLocked):
        ledger.resume_by_subscriber(APP, "1001", pin="1234")


def test_the_subscriber_stops_and_resumes(ledger: Ledger) -> None:
    assert ledger.suspend_by_subscriber(APP, "1001") is True
    assert ledger.suspend_by_subscriber(APP, "1001") is False  # already stopped
    assert ledger.status("1001").suspended_by == "subscriber"
    [event] = [e for e in ledger.events_after(0) if e.event.value == "P_AM_ACCOUNT_DISABLED"]
    assert event.account == "1001"
    with pytest.raises(PinRequired):
        ledger.resume_by_subscriber(APP, "1001", pin=None)
    with pytest.raises(WrongPin):
        ledger.resume_by_subscriber(APP, "1001", pin="9999")
    assert ledger.resume_by_subscriber(APP, "1001", pin="1234") is True
    assert ledger.resume_by_subscriber(APP, "1001", pin="1234") is False
    assert kinds(ledger) == [alerts.SUSPENDED, alerts.RESUMED]
    assert [a.app_id for a in ledger.alerts_of("1001")] == [APP, APP]


def test_an_operator_suspension_stays(ledger: Ledger) -> None:
    ledger.set_status("1001", "suspended")
    with pytest.raises(AccountSuspended):
        ledger.resume_by_subscriber(APP, "1001", pin="1234")
    ledger.set_status("1001", "active")
    assert kinds(ledger) == [alerts.SUSPENDED, alerts.RESUMED]


def test_self_care_needs_the_grant(ledger: Ledger) -> None:
    for call in (
        lambda: ledger.suspend_by_subscriber("shop", "1001"),
        lambda: ledger.request_monthly_limit("shop", "1001", 10_000),
        lambda: ledger.set_threshold("shop", "1001", which="confirm", amount_minor=0),
    ):
        with pytest.raises(NotEntitled):
            call()
    ledger.revoke(APP, "selfcare")
    with pytest.raises(NotEntitled):
        ledger.resume_by_subscriber(APP, "1001", pin="1234")
    assert ledger.alerts_of("1001") == []


def test_lowering_is_at_once_raising_waits(ledger: Ledger, clock: FakeClock) -> None:
    change = ledger.request_monthly_limit(APP, "1001", 30_000)
    assert change.monthly_limit_minor == 30_000 and change.pending_monthly_limit_minor is None
    assert ledger.status("1001").monthly_limit_minor == 30_000
    with pytest.raises(PinRequired):
        ledger.request_monthly_limit(APP, "1001", 80_000)
    with pytest.raises(WrongPin):
        ledger.request_monthly_limit(APP, "1001", 80_000, "0000")
    change = ledger.request_monthly_limit(APP, "1001", 80_000, "1234")
    assert change.monthly_limit_minor == 30_000 and change.pending_monthly_limit_minor == 80_000
    assert change.pending_from == clock.now + timedelta(hours=1)
    clock.advance(seconds=3_599)
    assert ledger.apply_due_limits() == 0
    assert ledger.status("1001").monthly_limit_minor == 30_000
    clock.advance(seconds=1)
    assert ledger.apply_due_limits() == 1
    status = ledger.status("1001")
    assert status.monthly_limit_minor == 80_000 and status.pending_monthly_limit_minor is None
    assert kinds(ledger) == [alerts.LIMIT_LOWERED, alerts.LIMIT_RAISE_PENDING, alerts.LIMIT_RAISED]


def test_lowering_cancels_a_pending_raise(ledger: Ledger, clock: FakeClock) -> None:
    ledger.request_monthly_limit(APP, "1001", 90_000, "1234")
    ledger.request_monthly_limit(APP, "1001", 40_000)
    clock.advance(hours=2)
    assert ledger.apply_due_limits() == 0
    assert ledger.status("1001").monthly_limit_minor == 40_000


def test_thresholds_and_large_payment_alerts(ledger: Ledger) -> None:
    assert ledger.set_threshold(APP, "1001", which="confirm", amount_minor=0) == 0
    ledger.set_threshold(APP, "1001", which="alert", amount_minor=20_000)
    status = ledger.status("1001")
    assert (status.confirm_above_minor, status.alert_above_minor) == (0, 20_000)
    ledger.charge(
        app_id="shop",
        reference_code="c-1",
        account="1001",
        amount_minor=20_000,
        currency="KRW",
        description="at the threshold",
    )
    ledger.charge(
        app_id="shop",
        reference_code="c-2",
        account="1001",
        amount_minor=20_001,
        currency="KRW",
        description="above it",
    )
    assert ledger.scan_large_payments() >= 2
    assert ledger.scan_large_payments() == 0  # the cursor moved
    [large] = ledger.alerts_of("1001")
    assert large.kind == alerts.LARGE_PAYMENT and large.fields["amount"] == 20_001
    assert large.app_id == "shop"
    ledger.set_threshold(APP, "1001", which="confirm", amount_minor=None)
    assert ledger.status("1001").confirm_above_minor is None


def test_alerts_are_sent_once(ledger: Ledger) -> None:
    ledger.suspend_by_subscriber(APP, "1001")
    [alert] = ledger.pending_alerts()
    assert ledger.alert_sent(alert.seq) is True
    assert ledger.alert_sent(alert.seq) is False
    assert ledger.pending_alerts() == []
