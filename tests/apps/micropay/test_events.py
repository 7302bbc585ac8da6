"""Charging events and subscriber SMS reach the shop at least once and are acted on once:
a redelivered event sends no second SMS, and what happens while the shop is down is delivered
and acted on after it restarts, at the same callback references."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from org.csapi.parlayx import account_management as am

from client.orb import client_orb
from tests.apps.micropay.conftest import make_account, msisdn_of
from tests.apps.micropay.harness import Deployment

WAIT_S = 20


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    d = Deployment.start(tmp_path_factory.mktemp("events"))
    try:
        yield d
    finally:
        d.stop()


def rows(deployment: Deployment, sql: str, args: tuple = ()) -> list[tuple]:
    with deployment.shop_db() as db:
        return db.execute(sql, args).fetchall()


def wait_until(what: str, check: Any, timeout_s: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not reached in {timeout_s}s: {what}")


def callback(deployment: Deployment) -> Any:
    [(ior,)] = rows(deployment, "SELECT value FROM settings WHERE key = 'am.callback'")
    return client_orb().orb.string_to_object(ior)._narrow(am.IpAppAccountManager)


def event_info(event_id: str, reference: str, user: str) -> Any:
    return am.TpChargingEventInfo(
        am.P_AM_CHARGING,
        am.BalanceInfo("KRW", "100"),
        "2026-11-27T09:00:00Z",
        user,
        "1500",
        reference,
        "",
        event_id,
    )


def test_a_redelivered_event_is_acted_on_once(deployment: Deployment) -> None:
    tel = make_account(deployment.ledger, "3001", balance=10_000)
    page = deployment.pay(deployment.buy("song"), "3001")
    assert "Paid" in page
    [(event_id, reference, assignment)] = rows(
        deployment,
        "SELECT event_id, reference_code, assignment_id FROM events WHERE end_user = ?",
        (tel,),
    )
    assert len(deployment.wait_inbox(tel, 1)) == 1
    target = callback(deployment)
    target.reportNotification(event_info(event_id, reference, tel), assignment)  # the same event
    target.reportNotification(event_info("999001", reference, tel), assignment)  # same order
    wait_until(
        "the forged event is acted on",
        lambda: (
            rows(deployment, "SELECT action FROM events WHERE event_id = '999001'")
            == [("already notified",)]
        ),
    )
    assert len(deployment.inbox(tel)) == 1
    assert rows(deployment, "SELECT COUNT(*) FROM events WHERE event_id = ?", (event_id,)) == [(1,)]


def test_what_happens_while_the_shop_is_down_arrives_after_its_restart(
    deployment: Deployment,
) -> None:
    tel = make_account(deployment.ledger, "3002", balance=10_000)
    assert "Paid" in deployment.pay(deployment.buy("song"), "3002")
    assert len(deployment.wait_inbox(tel, 1)) == 1
    [(assignment,)] = rows(deployment, "SELECT value FROM settings WHERE key = 'am.assignment'")
    assert deployment.stop_shop() == 0

    deployment.ledger.recharge(
        app_id="operator",
        reference_code="down-1",
        account="3002",
        amount_minor=5_000,
        currency="KRW",
        description="top-up while down",
    )
    deployment.mo(tel, "BAL")
    time.sleep(1.0)  # the gateway tries, finds nobody, backs off
    deployment.start_shop()

    recharged = wait_until(
        "the recharge event arrives",
        lambda: rows(
            deployment,
            "SELECT name, amount, acted_at FROM events WHERE end_user = ? AND name = "
            "'P_AM_RECHARGING'",
            (tel,),
        ),
    )
    assert recharged[0][:2] == ("P_AM_RECHARGING", "5000")
    messages = wait_until("BAL is answered", lambda: deployment.wait_inbox(tel, 2, 1)[1:])
    assert messages[0]["text"].startswith("[micropay] Balance 13,500 KRW.")
    time.sleep(1.0)
    assert len(deployment.inbox(tel)) == 2  # no second payment SMS, no second answer
    assert rows(deployment, "SELECT value FROM settings WHERE key = 'am.assignment'") == [
        (assignment,)
    ]  # the same subscription: nothing was redone
    assert msisdn_of("3002") == tel
