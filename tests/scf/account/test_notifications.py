"""Charging-event notifications end to end: the gateway process calls a real application
process's IpAppAccountManager.reportNotification, in order, with what the application may see,
and keeps every event while the application is unreachable."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from org.csapi.parlayx import common

from tests.scf.account.app import ALL_EVENTS, CallbackApp, criteria
from tests.scf.payment.gateway import DirectGateway, charge, new_account

GATEWAY_OPTIONS = (
    "--retry-ms-min",
    "200",
    "--retry-ms-max",
    "1000",
    "--callback-timeout-ms",
    "3000",
)


@pytest.fixture
def app(tmp_path) -> Iterator[CallbackApp]:
    application = CallbackApp(tmp_path).start()
    try:
        yield application
    finally:
        application.stop()


def test_events_arrive_in_order_with_their_details(gateway: DirectGateway, app) -> None:
    number, msisdn = new_account(gateway.ledger, low_balance_minor=3000)
    mgr, pay = gateway.account(), gateway.payment()
    assignment = mgr.createNotification(app.reference(gateway.orb), criteria(ALL_EVENTS, [msisdn]))
    pay.chargeAmount(msisdn, charge("8000"), "n-1")  # CHARGING, then LOW (10000 -> 2000)
    mgr.balanceUpdate(msisdn, "", "n-2", "MICROPAY", "500", [])  # RECHARGING
    pay.chargeAmount(msisdn, charge("2500"), "n-3")  # CHARGING, then ZERO
    gateway.ledger.set_status(number, "suspended")  # DISABLED
    got = app.wait_for(6)
    assert [(g["event"], g["balance"], g["amount"], g["reference"]) for g in got] == [
        ("P_AM_CHARGING", "2000", "8000", "n-1"),
        ("P_AM_ACCOUNT_LOW", "2000", "", ""),
        ("P_AM_RECHARGING", "2500", "500", "n-2"),
        ("P_AM_CHARGING", "0", "2500", "n-3"),
        ("P_AM_ACCOUNT_ZERO", "0", "", ""),
        ("P_AM_ACCOUNT_DISABLED", "0", "", ""),
    ]
    assert {(g["assignment"], g["user"], g["currency"]) for g in got} == {
        (assignment, msisdn, "KRW")
    }
    assert got[-1]["info"] == "suspended"
    ids = [int(g["id"]) for g in got]
    assert ids == sorted(ids) and len(set(ids)) == 6
    assert all(g["time"].endswith("Z") for g in got)


def test_criteria_select_events_and_users(gateway: DirectGateway, app) -> None:
    watched, w_tel = new_account(gateway.ledger, low_balance_minor=9000)
    _, other_tel = new_account(gateway.ledger, low_balance_minor=9000)
    mgr = gateway.account()
    mgr.createNotification(
        app.reference(gateway.orb), criteria(["P_AM_CHARGING"], [f"acct:{watched}"])
    )
    gateway.payment().chargeAmount(other_tel, charge("100"), "c-other")  # another account
    gateway.payment().chargeAmount(w_tel, charge("2000"), "c-mine")  # CHARGING (+ LOW: not asked)
    gateway.payment("other-app").chargeAmount(w_tel, charge("300"), "their-secret")
    got = app.wait_for(2)
    time.sleep(0.5)  # nothing else comes
    got = app.received()
    assert [(g["event"], g["amount"], g["reference"]) for g in got] == [
        ("P_AM_CHARGING", "2000", "c-mine"),
        ("P_AM_CHARGING", "300", ""),  # another application's referenceCode is not shown
    ]


def test_without_users_the_accounts_the_application_charged(gateway: DirectGateway, app) -> None:
    mine_number, mine = new_account(gateway.ledger)
    _, theirs = new_account(gateway.ledger)
    gateway.payment().chargeAmount(mine, charge("10"), "before")
    gateway.account().createNotification(
        app.reference(gateway.orb), criteria(["P_AM_CHARGING", "P_AM_RECHARGING"], [])
    )
    gateway.payment("other-app").chargeAmount(theirs, charge("20"), "not-mine")
    gateway.ledger.recharge(
        app_id="operator",
        reference_code="op-topup",
        account=mine_number,
        amount_minor=30,
        currency="KRW",
    )
    app.wait_for(1)
    time.sleep(0.5)
    assert [(g["event"], g["amount"], g["user"]) for g in app.received()] == [
        ("P_AM_RECHARGING", "30", mine)
    ]


def test_get_change_and_destroy(gateway: DirectGateway, app) -> None:
    _, a_tel = new_account(gateway.ledger)
    _, b_tel = new_account(gateway.ledger)
    mgr = gateway.account()
    ref = app.reference(gateway.orb)
    first = mgr.createNotification(ref, criteria(["P_AM_CHARGING"], [a_tel]))
    second = mgr.createNotification(ref, criteria(["P_AM_ACCOUNT_LOW"], []))
    found = {r.AssignmentID: r.ChargingEventCriteria for r in mgr.getNotification()}
    assert set(found) >= {first, second}
    assert ([str(e) for e in found[first].ChargingEvents], found[first].Users) == (
        ["P_AM_CHARGING"],
        [a_tel],
    )
    assert gateway.account("other-app").getNotification() == []
    mgr.changeNotification(first, criteria(["P_AM_CHARGING", "P_AM_RECHARGING"], [b_tel]))
    changed = {r.AssignmentID: r.ChargingEventCriteria for r in mgr.getNotification()}[first]
    assert (len(changed.ChargingEvents), changed.Users) == (2, [b_tel])
    gateway.payment().chargeAmount(b_tel, charge("5"), "after-change")
    assert app.wait_for(1)[0]["reference"] == "after-change"
    for other in (lambda: gateway.account("other-app").destroyNotification(first),):
        with pytest.raises(common.ServiceException) as caught:
            other()
        assert (caught.value.messageId, caught.value.variables) == ("SVC0002", ["assignmentId"])
    mgr.destroyNotification(first)
    mgr.destroyNotification(second)
    for call in (
        lambda: mgr.destroyNotification(first),
        lambda: mgr.changeNotification(second, criteria(["P_AM_CHARGING"], [])),
    ):
        with pytest.raises(common.ServiceException) as caught:
            call()
        assert (caught.value.messageId, caught.value.variables) == ("SVC0002", ["assignmentId"])


def test_notification_faults(gateway: DirectGateway, app) -> None:
    mgr, ref = gateway.account(), app.reference(gateway.orb)
    _, tel = new_account(gateway.ledger)
    cases = [
        (lambda: mgr.createNotification(ref, criteria([], [tel])), "SVC0002", ["ChargingEvents"]),
        (lambda: mgr.createNotification(ref, criteria(ALL_EVENTS, ["sip:x"])), "SVC0002", ["Users"]),
        (lambda: mgr.createNotification(None, criteria(ALL_EVENTS, [tel])), "SVC0002",
         ["appAccountManager"]),
        (lambda: mgr.createNotification(ref, criteria(ALL_EVENTS, ["tel:+821066660000"])),
         "POL1009", ["micro-payment"]),
        (lambda: mgr.createNotification(ref, criteria(ALL_EVENTS, [tel] * 101)), "POL0003",
         ["Users"]),
    ]  # fmt: skip
    for call, message_id, variables in cases:
        with pytest.raises((common.ServiceException, common.PolicyException)) as caught:
            call()
        assert (caught.value.messageId, caught.value.variables) == (message_id, variables)


def test_too_many_notifications(gateway: DirectGateway, app) -> None:
    mgr, ref = gateway.account("other-app"), app.reference(gateway.orb)
    made = [mgr.createNotification(ref, criteria(["P_AM_ACCOUNT_ZERO"], [])) for _ in range(16)]
    with pytest.raises(common.PolicyException) as caught:
        mgr.createNotification(ref, criteria(["P_AM_ACCOUNT_ZERO"], []))
    assert (caught.value.messageId, caught.value.variables) == ("POL0005", [])
    for assignment in made:
        mgr.destroyNotification(assignment)


def test_nothing_is_lost_while_the_application_is_unreachable(gateway: DirectGateway, app) -> None:
    number, msisdn = new_account(gateway.ledger, balance_minor=100_000)
    gateway.account().createNotification(
        app.reference(gateway.orb), criteria(["P_AM_CHARGING"], [msisdn])
    )
    pay = gateway.payment()
    pay.chargeAmount(msisdn, charge("1"), "u-0")
    app.wait_for(1)
    app.stop()
    for i in range(1, 11):
        pay.chargeAmount(msisdn, charge(str(i + 1)), f"u-{i}")
    time.sleep(2.5)  # several delivery attempts fail meanwhile
    app.start()
    got = app.wait_for(11)
    ids = [int(g["id"]) for g in got]
    assert ids == sorted(ids)  # in order; a redelivery (at least once) repeats an id in place
    references = list(dict.fromkeys(g["reference"] for g in got))
    assert references == [f"u-{i}" for i in range(11)]
