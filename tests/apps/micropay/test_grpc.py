"""The same shop over the gateway's gRPC surface (``endpoint = "grpc://..."``): payments, refusals
read from ErrorInfo variables, charging events and SMS from streams, and the streams resuming
from their stored cursors after the shop restarts."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.apps.micropay.conftest import make_account
from tests.apps.micropay.harness import Deployment


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    d = Deployment.start(tmp_path_factory.mktemp("grpc"), transport="grpc")
    try:
        yield d
    finally:
        d.stop()


def setting(deployment: Deployment, key: str) -> str | None:
    with deployment.shop_db() as db:
        row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def test_a_payment_over_grpc_sends_its_sms(deployment: Deployment) -> None:
    assert setting(deployment, "am.callback") == "grpc-stream"
    tel = make_account(deployment.ledger, "4001", balance=6_000, low_balance=5_000)
    page = deployment.pay(deployment.buy("song"), "4001")
    assert "₩1,500 was charged to account 4001" in page
    texts = sorted(m["text"] for m in deployment.wait_inbox(tel, 2))  # either order
    assert texts[0].startswith("[micropay] Paid 1,500 KRW to micropay shop")
    assert texts[1] == "[micropay] Your balance is low: 4,500 KRW. Please top up."
    assert deployment.ledger.get_account("4001").balance_minor == 4_500
    assert setting(deployment, "grpc.events.cursor")  # the stream's cursor is kept


def test_a_refusal_over_grpc_names_its_figures(deployment: Deployment) -> None:
    make_account(deployment.ledger, "4002", balance=1_000)
    page = deployment.pay(deployment.buy("song"), "4002")
    assert "Not enough balance: ₩1,000 available, ₩1,500 needed." in page
    assert deployment.ledger.get_account("4002").balance_minor == 1_000


def test_a_paid_order_is_refunded_over_grpc(deployment: Deployment) -> None:
    make_account(deployment.ledger, "4004", balance=5_000)
    order = deployment.buy("song")
    deployment.pay(order, "4004")
    deployment.wait_state(order, "notified")
    page = deployment.operator().act(order, "refund")
    assert f"Order {order.rsplit('/', 1)[1]} refunded: ₩1,500 given back to 4004." in page
    assert deployment.ledger.get_account("4004").balance_minor == 5_000


def test_streams_resume_after_a_restart(deployment: Deployment) -> None:
    tel = make_account(deployment.ledger, "4003", balance=10_000)
    assert "Paid" in deployment.pay(deployment.buy("song"), "4003")
    assert len(deployment.wait_inbox(tel, 1)) == 1
    assert deployment.stop_shop() == 0
    deployment.ledger.recharge(
        app_id="operator",
        reference_code="grpc-down-1",
        account="4003",
        amount_minor=2_000,
        currency="KRW",
        description="while down",
    )
    deployment.mo(tel, "BAL")
    deployment.start_shop()
    messages = deployment.wait_inbox(tel, 2, 20)
    assert messages[1]["text"].startswith("[micropay] Balance 10,500 KRW.")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with deployment.shop_db() as db:
            names = [r[0] for r in db.execute("SELECT name FROM events WHERE end_user = ?", (tel,))]
        if "P_AM_RECHARGING" in names:
            break
        time.sleep(0.1)
    assert sorted(names) == ["P_AM_CHARGING", "P_AM_RECHARGING"]
    time.sleep(0.5)
    assert len(deployment.inbox(tel)) == 2  # nothing acted on twice after the restart
