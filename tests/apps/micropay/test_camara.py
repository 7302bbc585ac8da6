"""The same shop with its payments over CAMARA Carrier Billing (``[camara] url``; the account
status, SMS and charging events over CORBA): a real gateway with its CAMARA surface on TLS, the
real shop. The shopper sees what the other transports show -- the receipt and its SMS, the
refusal with its figures (read back from the CAMARA answer), the code sent by SMS (the gateway's
own, validated by the gateway), the two-step hold charged when shipped -- and the ledger and the
CAMARA payments agree."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator

import pytest

from tests.apps.micropay.conftest import make_account, national
from tests.apps.micropay.harness import APP_ID, Deployment

CODE_TTL_S = 8  # the shop's confirmation_code_ttl_s and the surface's code_ttl_s


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    d = Deployment.start(tmp_path_factory.mktemp("camara"), transport="camara",
                         code_ttl_s=CODE_TTL_S)  # fmt: skip
    try:
        yield d
    finally:
        d.stop()


def camara_payments(deployment: Deployment, phone: str) -> list[tuple[str, str, str]]:
    """(referenceCode, status, flow) of the CAMARA payments of ``phone``, oldest first."""
    with sqlite3.connect(deployment.gateway.data_dir / "ledger.db") as db:
        rows = db.execute(
            "SELECT reference_code, status, flow FROM camara_payments WHERE phone_number = ?"
            " ORDER BY created_at",
            (phone.removeprefix("tel:"),),
        ).fetchall()
    return [tuple(r) for r in rows]


def code_sent_to(deployment: Deployment, tel: str, count: int) -> str:
    """The gateway's one-time code in the ``count``-th code SMS ``tel`` received."""
    text = deployment.wait_text(tel, "confirms the payment", count)
    found = re.search(r"code (\d{6}) confirms", text)
    assert found, text
    return found.group(1)


def untouched(deployment: Deployment, number: str, balance: int) -> None:
    account = deployment.ledger.get_account(number)
    assert (account.balance_minor, account.reserved_minor) == (balance, 0)
    assert deployment.ledger.open_reservations(number) == []


def test_a_payment_over_camara_sends_its_sms(deployment: Deployment) -> None:
    tel = make_account(deployment.ledger, "5001", balance=6_000, low_balance=5_000)
    order = deployment.buy("song")
    page = deployment.pay(order, national(tel))
    assert f"₩1,500 was charged to account {tel.removeprefix('tel:')}" in page
    texts = sorted(m["text"] for m in deployment.wait_inbox(tel, 2))  # either order
    assert texts[0].startswith("[micropay] Paid 1,500 KRW to micropay shop")
    assert texts[1] == "[micropay] Your balance is low: 4,500 KRW. Please top up."
    assert deployment.ledger.get_account("5001").balance_minor == 4_500
    order_id = order.rsplit("/", 1)[1]
    assert camara_payments(deployment, tel) == [(f"order-{order_id}", "succeeded", "one_step")]
    assert "₩1,500 was charged" in deployment.pay(order, national(tel))  # paid: shown again
    assert deployment.ledger.get_account("5001").balance_minor == 4_500


def test_an_account_number_cannot_pay_over_camara(deployment: Deployment) -> None:
    tel = make_account(deployment.ledger, "5002", balance=6_000)
    page = deployment.pay(deployment.buy("song"), "5002")
    assert "pay with the account's mobile number" in page
    assert camara_payments(deployment, tel) == []
    untouched(deployment, "5002", 6_000)


def test_a_refusal_at_the_charge_names_its_figures(deployment: Deployment) -> None:
    """The shop's own check passes (2,000 on the account); the gateway refuses the charge (1,000
    of it held by another payment): the shopper reads the words of the other transports, with
    the figures the CAMARA answer carried."""
    tel = make_account(deployment.ledger, "5003", balance=2_000)
    deployment.ledger.reserve(app_id=APP_ID, account="5003", amount_minor=1_000, currency="KRW",
                              description="held elsewhere")  # fmt: skip
    page = deployment.pay(deployment.buy("song"), national(tel))
    assert "Not enough balance: ₩1,000 available, ₩1,500 needed." in page
    assert "Nothing was charged" in page
    assert camara_payments(deployment, tel) == []  # a refused payment leaves none (r3.2)
    account = deployment.ledger.get_account("5003")
    assert (account.ledger_balance_minor, account.reserved_minor) == (2_000, 1_000)


def test_the_gateways_code_confirms_the_payment(deployment: Deployment) -> None:
    tel = make_account(deployment.ledger, "5004", balance=50_000)
    deployment.ledger.set_threshold(APP_ID, "5004", which="confirm", amount_minor=0)
    order = deployment.buy("ebook")
    page = deployment.pay(order, national(tel))
    assert "Confirm with the code sent by SMS" in page
    assert deployment.ledger.get_account("5004").reserved_minor == 3_000  # held, not charged
    [(_ref, status, _flow)] = camara_payments(deployment, tel)
    assert status == "pending_validation"
    assert "Paid" in deployment.confirm(order, code_sent_to(deployment, tel, 1))
    account = deployment.ledger.get_account("5004")
    assert (account.balance_minor, account.reserved_minor) == (47_000, 0)
    assert deployment.ledger.open_reservations("5004") == []
    assert [s for _r, s, _f in camara_payments(deployment, tel)] == ["succeeded"]
    deployment.wait_text(tel, "[micropay] Paid 3,000 KRW")  # the charging event's SMS


def test_five_wrong_codes_then_paying_anew(deployment: Deployment) -> None:
    tel = make_account(deployment.ledger, "5005", balance=50_000)
    deployment.ledger.set_threshold(APP_ID, "5005", which="confirm", amount_minor=0)
    order = deployment.buy("ebook")
    deployment.pay(order, national(tel))
    right = code_sent_to(deployment, tel, 1)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        assert f"That code is wrong. {left} tr" in deployment.confirm(order, wrong)
    page = deployment.confirm(order, wrong)
    assert "The code was wrong too many times: the payment is cancelled." in page
    assert "Nothing was charged" in page
    untouched(deployment, "5005", 50_000)
    deployment.wait_text(tel, "was not confirmed and is cancelled. Nothing was charged.")
    assert [s for _r, s, _f in camara_payments(deployment, tel)] == ["denied"]
    # the order may be paid again: a fresh payment (the ended one keeps its referenceCode)
    deployment.pay(order, national(tel))
    assert "Paid" in deployment.confirm(order, code_sent_to(deployment, tel, 2))
    order_id = order.rsplit("/", 1)[1]
    assert camara_payments(deployment, tel) == [
        (f"order-{order_id}", "denied", "two_step"),
        (f"order-{order_id}.2", "succeeded", "two_step"),
    ]
    assert deployment.ledger.get_account("5005").balance_minor == 47_000
    deployment.wait_text(tel, "[micropay] Paid 3,000 KRW")  # order-<id>.2 is the order's


def test_a_code_too_late_cancels_the_payment(deployment: Deployment) -> None:
    tel = make_account(deployment.ledger, "5006", balance=50_000)
    deployment.ledger.set_threshold(APP_ID, "5006", which="confirm", amount_minor=0)
    order = deployment.buy("ebook")
    deployment.pay(order, national(tel))
    right = code_sent_to(deployment, tel, 1)
    deadline = time.monotonic() + CODE_TTL_S + 15
    while deployment.ledger.get_account("5006").reserved_minor and time.monotonic() < deadline:
        time.sleep(0.5)  # the shop's sweep cancels it, nobody typing
    untouched(deployment, "5006", 50_000)
    assert "not entered in time" in deployment.confirm(order, right)
    # the shop's sweep cancelled it, or the gateway's denied it first (its code expired too)
    assert [s for _r, s, _f in camara_payments(deployment, tel)] in (["cancelled"], ["denied"])
    deployment.wait_text(tel, "Nothing was charged")


def test_a_shipped_order_is_confirmed_a_cancelled_one_released(deployment: Deployment) -> None:
    tel = make_account(deployment.ledger, "5007", balance=50_000)
    shipped, cancelled = deployment.buy("mug"), deployment.buy("mug")
    for order in (shipped, cancelled):
        assert "is held on account" in deployment.pay(order, national(tel))
    assert deployment.ledger.get_account("5007").reserved_minor == 24_000
    operator = deployment.operator()
    assert "shipped: ₩12,000 charged" in operator.act(shipped, "ship")
    assert "cancelled: the hold of ₩12,000 was released." in operator.act(cancelled, "cancel")
    account = deployment.ledger.get_account("5007")
    assert (account.balance_minor, account.reserved_minor) == (38_000, 0)
    assert deployment.ledger.open_reservations("5007") == []
    assert sorted(s for _r, s, _f in camara_payments(deployment, tel)) == [
        "cancelled", "succeeded"]  # fmt: skip


def test_a_paid_order_is_refunded(deployment: Deployment) -> None:
    """The operator's refund is CAMARA's createRefund (total) of the order's payment."""
    tel = make_account(deployment.ledger, "5008", balance=10_000)
    order = deployment.buy("song")
    deployment.pay(order, national(tel))
    deployment.wait_state(order, "notified")
    operator = deployment.operator()
    order_id = order.rsplit("/", 1)[1]
    page = operator.act(order, "refund")
    assert f"refunded: ₩1,500 given back to {tel.removeprefix('tel:')}." in page
    assert f"/operator/orders/{order_id}/refund" not in page  # no button for a second one
    assert f"Order {order_id} refunded" in operator.act(order, "refund")  # again: nothing more
    assert deployment.ledger.get_account("5008").balance_minor == 10_000
    with sqlite3.connect(deployment.gateway.data_dir / "ledger.db") as db:
        refunds = db.execute("SELECT refund_type, status, reference_code FROM camara_refunds"
                             " WHERE payment_id IN (SELECT payment_id FROM camara_payments"
                             " WHERE phone_number = ?)", (tel.removeprefix("tel:"),)).fetchall()  # fmt: skip
    assert refunds == [("total", "succeeded", f"refund-{order_id}")]
    assert "Refunded" in deployment.show(order)  # the shopper's page says so
