"""The service as a subscriber and a shop see it: a real browser on the real shop, paying
through the real gateway, with the SMS arriving at the embedded SMSC's handsets."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from charging.ledger import Ledger
from charging.model import Kind
from tests.apps.micropay.conftest import make_account, msisdn_of, national
from tests.apps.micropay.harness import SHORT_CODE, Deployment

PAY_TIMEOUT_MS = 20_000


def buy(page: Any, url: str, product: str, quantity: int = 1) -> str:
    """Open the shop, order ``product``; the order page's URL."""
    page.goto(f"{url}/")
    if quantity != 1:
        page.fill(f"#qty-{product}", str(quantity))
    page.click(f"#product-{product} button")
    page.wait_for_url(re.compile(r"/orders/[\w-]+$"))
    return page.url


def pay(page: Any, account: str, pin: str = "") -> None:
    page.fill("#account", account)
    if pin:
        page.fill("#pin", pin)
    page.click("#pay-form button[type=submit]")
    page.wait_for_selector("#outcome, #refusal", timeout=PAY_TIMEOUT_MS)


def history_len(ledger: Ledger, number: str) -> int:
    return len(ledger.history(number))


def test_a_purchase_and_its_sms_in_the_phone_view(
    deployment: Deployment, page: Any, artifacts: Path
) -> None:
    tel = make_account(deployment.ledger, "2001", balance=100_000)
    page.goto(f"{deployment.url}/")
    assert page.title() == "micropay shop"
    page.screenshot(path=str(artifacts / "shop.png"), full_page=True)
    buy(page, deployment.url, "song")
    page.screenshot(path=str(artifacts / "shop-checkout.png"), full_page=True)
    pay(page, "2001")
    outcome = page.inner_text("#outcome")
    assert "Paid" in outcome and "₩1,500 was charged to account 2001" in outcome
    assert "Paid 1,500 KRW to micropay shop" in outcome  # the SMS text, as sent
    page.screenshot(path=str(artifacts / "shop-paid.png"), full_page=True)
    assert deployment.ledger.get_account("2001").balance_minor == 98_500
    [entry] = deployment.ledger.history("2001")[:1]
    assert entry.app_id == "micropay-shop" and entry.reference_code.startswith("order-")

    page.goto(f"{deployment.url}/phone/{national(tel)}")
    texts = page.locator(".messages .text").all_inner_texts()
    assert any("Paid 1,500 KRW to micropay shop" in t and "Balance 98,500 KRW" in t for t in texts)
    page.screenshot(path=str(artifacts / "phone.png"), full_page=True)
    assert [m["from"] for m in deployment.inbox(tel)] == [SHORT_CODE]


# -- every refusal: a clear reason, nothing written -------------------------------------------------
@pytest.fixture(scope="module")
def refusal_accounts(deployment: Deployment) -> dict[str, str]:
    ledger = deployment.ledger
    make_account(ledger, "2101", balance=30_000)
    ledger.set_status("2101", "suspended")
    # the gateway tells the subscriber of the suspension: let that SMS arrive before the tests
    deployment.wait_text(msisdn_of("2101"), "suspended by the operator")
    past = datetime.now(UTC) - timedelta(days=60)
    with Ledger.open(
        f"sqlite:///{deployment.gateway.data_dir / 'ledger.db'}", clock=lambda: past
    ) as old:
        make_account(old, "2102", balance=30_000, valid_until=(past + timedelta(days=30)).date())
    make_account(ledger, "2103", kind=Kind.POSTPAID, monthly_limit=50_000)
    ledger.charge(
        app_id="seed",
        reference_code="seed-2103",
        account="2103",
        amount_minor=48_000,
        currency="KRW",
        description="earlier this month",
    )
    make_account(ledger, "2104", balance=100_000, transaction_limit=50_000)
    make_account(ledger, "2105", balance=4_000)
    make_account(ledger, "2106", balance=50_000, pin="4321")
    return {}


REFUSALS = [
    # (reason, what is typed, PIN, product, words the user reads)
    ("suspended", "2101", "", "song", "This account is suspended"),
    ("expired", "2102", "", "song", "This account expired on"),
    ("monthly_limit", "2103", "", "ebook", "would pass the monthly limit: ₩48,000 of ₩50,000"),
    ("transaction_limit", "2104", "", "concert", "₩60,000 is over this account's limit of ₩50,000"),
    ("insufficient_balance", "2105", "", "game-coins", "Not enough balance: ₩4,000 available"),
    ("wrong_pin", "2106", "9999", "song", "The PIN is wrong."),
    ("pin_required", "2106", "", "song", "This account has a PIN: please enter it."),
    ("unregistered", "2999", "", "song", "not registered for micro-payments"),
]


@pytest.mark.parametrize(("reason", "typed", "pin", "product", "words"), REFUSALS)
def test_each_refusal_shows_its_reason_and_writes_nothing(
    deployment: Deployment,
    refusal_accounts: dict[str, str],
    page: Any,
    artifacts: Path,
    reason: str,
    typed: str,
    pin: str,
    product: str,
    words: str,
) -> None:
    ledger = deployment.ledger
    registered = reason != "unregistered"
    before = (ledger.get_account(typed), history_len(ledger, typed)) if registered else None
    sms_before = deployment.inbox(msisdn_of(typed)) if registered else []
    buy(page, deployment.url, product)
    pay(page, typed, pin)
    refusal = page.locator("#refusal")
    assert refusal.locator(".reason").get_attribute("data-reason") == reason
    assert words in refusal.inner_text()
    assert "Nothing was charged." in refusal.inner_text()
    assert page.locator("#pay-form").is_visible()  # the user may pay again, another way
    page.screenshot(path=str(artifacts / f"shop-refused-{reason}.png"), full_page=True)
    if before is not None:
        account, entries = before
        after = ledger.get_account(typed)
        assert (after.balance_minor, after.reserved_minor, after.month_spent_minor) == (
            account.balance_minor,
            account.reserved_minor,
            account.month_spent_minor,
        )
        assert history_len(ledger, typed) == entries
        assert ledger.open_reservations(typed) == []
        assert deployment.inbox(msisdn_of(typed)) == sms_before  # no SMS for a refusal


def test_an_unregistered_number_gets_the_unregistered_sms(
    deployment: Deployment, page: Any
) -> None:
    tel = "tel:+821099990001"
    buy(page, deployment.url, "song")
    pay(page, national(tel))
    assert page.locator("#refusal .reason").get_attribute("data-reason") == "unregistered"
    assert f"We sent an SMS to {tel.removeprefix('tel:')}" in page.inner_text("#refusal")
    [sms] = deployment.wait_inbox(tel, 1)
    assert sms["text"] == (
        "[micropay] This number is not registered for micro-payments. To register, call your"
        " mobile operator on 114 from this phone."
    )
    # An unregistered account NUMBER: the page asks where to send the SMS.
    buy(page, deployment.url, "song")
    pay(page, "2998")
    page.fill("#phone", "010-9999-0002")
    page.click("#refusal form button")
    page.wait_for_selector("text=it gets an SMS telling how to register")
    assert len(deployment.wait_inbox("tel:+821099990002", 1)) == 1


def test_the_low_balance_sms_follows_the_payment(deployment: Deployment, page: Any) -> None:
    tel = make_account(deployment.ledger, "2201", balance=6_000, low_balance=5_000)
    buy(page, deployment.url, "ebook")
    pay(page, "2201")
    assert "Your balance is low: 3,000 KRW" in page.inner_text("#outcome")
    # Two messages, sent one after the other; the SMS pipeline (a window of submissions) may
    # deliver them in either order, as a network may.
    texts = sorted(m["text"] for m in deployment.wait_inbox(tel, 2))
    assert texts[0].startswith("[micropay] Paid 3,000 KRW to micropay shop")
    assert texts[1] == "[micropay] Your balance is low: 3,000 KRW. Please top up."
    # Still under the threshold after the next payment: the balance SMS again.
    buy(page, deployment.url, "news-pass")
    pay(page, "2201")
    texts = [m["text"] for m in deployment.wait_inbox(tel, 4)]
    assert "[micropay] Your balance is low: 2,200 KRW. Please top up." in texts[2:]


def test_the_right_pin_pays(deployment: Deployment, page: Any) -> None:
    make_account(deployment.ledger, "2301", balance=10_000, pin="2468")
    buy(page, deployment.url, "song")
    pay(page, "2301", "1357")
    assert page.locator("#refusal .reason").get_attribute("data-reason") == "wrong_pin"
    pay(page, "2301", "2468")
    assert "Paid" in page.inner_text("#outcome")
    assert deployment.ledger.get_account("2301").balance_minor == 8_500


def test_bal_by_sms_is_answered(deployment: Deployment, page: Any, artifacts: Path) -> None:
    tel = make_account(deployment.ledger, "2401", balance=12_345, monthly_limit=100_000)
    deployment.ledger.charge(
        app_id="seed",
        reference_code="seed-2401",
        account="2401",
        amount_minor=5_000,
        currency="KRW",
        description="earlier",
    )
    page.goto(f"{deployment.url}/phone/{national(tel)}")
    for text, count in (("BAL", 1), ("잔액", 2), ("hello", 3)):
        page.fill("#text", text)
        page.click("form.inline button[type=submit] >> text=Send")
        page.wait_for_url(re.compile(r"\?sent="))
        assert len(deployment.wait_inbox(tel, count)) == count, text
    page.goto(f"{deployment.url}/phone/{national(tel)}")
    texts = page.locator(".messages .text").all_inner_texts()  # newest first
    assert texts[2] == (
        "[micropay] Balance 7,345 KRW. This month 5,000 of 100,000 KRW spent, 95,000 KRW left."
    )
    assert texts[1].startswith("[micropay] 잔액 7,345KRW. 이번 달 한도 100,000KRW 중 5,000KRW 사용")
    assert texts[0].startswith("[micropay] Text 1555: BAL balance / HIST last payments / STOP")
    page.screenshot(path=str(artifacts / "phone-bal.png"), full_page=True)
    # an unregistered number asking gets the unregistered text
    deployment.mo("tel:+821099990003", "BAL")
    [reply] = deployment.wait_inbox("tel:+821099990003", 1)
    assert "not registered for micro-payments" in reply["text"]


def test_two_tabs_paying_at_once_never_overspend(deployment: Deployment, context: Any) -> None:
    make_account(deployment.ledger, "2501", balance=5_000)
    tabs = [context.new_page(), context.new_page()]
    for tab in tabs:
        buy(tab, deployment.url, "game-coins")
        tab.fill("#account", "2501")
    for tab in tabs:  # both submitted before either answers
        tab.click("#pay-form button[type=submit]", no_wait_after=True)
    outcomes = []
    for tab in tabs:
        tab.wait_for_selector("#outcome, #refusal", timeout=PAY_TIMEOUT_MS)
        outcomes.append(
            "paid"
            if tab.locator("#outcome").count()
            else tab.locator(".reason").get_attribute("data-reason")
        )
    assert sorted(outcomes) == ["insufficient_balance", "paid"]
    account = deployment.ledger.get_account("2501")
    assert account.balance_minor == 0 and len(deployment.ledger.history("2501")) == 2  # open + 1


def test_a_double_submit_charges_once(deployment: Deployment, context: Any) -> None:
    make_account(deployment.ledger, "2601", balance=10_000)
    first = context.new_page()
    order_url = buy(first, deployment.url, "song")
    second = context.new_page()
    second.goto(order_url)
    for tab in (first, second):
        tab.fill("#account", "2601")
    for tab in (first, second):
        tab.click("#pay-form button[type=submit]", no_wait_after=True)
    for tab in (first, second):
        tab.wait_for_selector("#outcome", timeout=PAY_TIMEOUT_MS)
        assert "Paid" in tab.inner_text("#outcome")
    assert deployment.ledger.get_account("2601").balance_minor == 8_500
    first.reload()  # reloading the receipt submits nothing
    assert deployment.ledger.get_account("2601").balance_minor == 8_500


# -- the operator -------------------------------------------------------------------------------------
def login(page: Any, deployment: Deployment) -> None:
    page.goto(f"{deployment.url}/operator")
    page.wait_for_url(re.compile(r"/operator/login$"))
    page.fill("#password", "not it")
    page.click("button[type=submit]")
    assert "That password is not right." in page.inner_text("main")
    page.fill("#password", deployment.operator_password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/operator$"))


def test_the_operator_view(deployment: Deployment, page: Any, artifacts: Path) -> None:
    make_account(deployment.ledger, "2701", balance=20_000, monthly_limit=50_000, low_balance=1_000)
    shopper = page.context.new_page()
    buy(shopper, deployment.url, "game-coins", quantity=2)
    pay(shopper, "2701")
    assert "Paid" in shopper.inner_text("#outcome")

    login(page, deployment)
    row = page.locator("#accounts tr", has=page.locator("a", has_text="2701"))
    assert re.sub(r"\s+", " ", row.inner_text()).split(" ")[:4] == [
        "2701",
        "+821027010001",
        "Active",
        "₩10,000",
    ]
    assert "₩10,000 of ₩50,000 (20%)" in page.inner_html("svg.chart")
    assert page.locator("svg.chart").get_attribute("role") == "img"
    events = page.locator("#events").inner_text()
    assert "payment" in events and "payment SMS to tel:+821027010001" in events
    assert "P_AM_CHARGING" not in events  # the standard name is the tooltip
    assert page.locator("#events abbr[title=P_AM_CHARGING]").count() >= 1
    page.screenshot(path=str(artifacts / "operator.png"), full_page=True)

    page.click("#accounts a:text-is('2701')")
    page.click("button:text-is('Suspend account')")
    assert "Account 2701: suspended." in page.inner_text("main")
    assert "Suspended" in page.inner_text("#account-status")
    buy(shopper, deployment.url, "song")
    pay(shopper, "2701")
    assert shopper.locator("#refusal .reason").get_attribute("data-reason") == "suspended"
    page.click("button:text-is('Resume account')")
    assert "Active" in page.inner_text("#account-status")

    page.fill("#amount", "5,000")
    page.click("button:text-is('Top up')")
    assert "Topped up ₩5,000." in page.inner_text("main")
    assert deployment.ledger.get_account("2701").balance_minor == 15_000
    page.fill("#monthly_limit", "80000")
    page.click("button:text-is('Save limits')")
    assert "₩10,000 of ₩80,000" in page.inner_text("#account-status")
    assert "charge" in page.inner_text("#history")
    page.screenshot(path=str(artifacts / "operator-account.png"), full_page=True)
    deadline = time.monotonic() + 10
    recharged = "#events abbr[title=P_AM_RECHARGING]"
    while page.locator(recharged).count() == 0 and time.monotonic() < deadline:
        page.goto(f"{deployment.url}/operator")
    assert page.locator(recharged).first.inner_text() == "top-up"
    assert page.locator("#events abbr[title=P_AM_ACCOUNT_DISABLED]").first.inner_text() == (
        "account suspended"
    )


def test_a_shipped_order_is_charged_on_shipment(deployment: Deployment, page: Any) -> None:
    tel = make_account(deployment.ledger, "2801", balance=20_000)
    shopper = page.context.new_page()
    order_url = buy(shopper, deployment.url, "mug")
    pay(shopper, "2801")
    assert "₩12,000 is held on account 2801" in shopper.inner_text("#outcome")
    account = deployment.ledger.get_account("2801")
    assert (account.balance_minor, account.reserved_minor) == (8_000, 12_000)
    assert deployment.inbox(tel) == []
    login(page, deployment)
    order_id = order_url.rsplit("/", 1)[1]
    page.click(f"form[action='/operator/orders/{order_id}/ship'] button")
    assert f"Order {order_id} shipped: ₩12,000 charged to 2801." in page.inner_text("main")
    account = deployment.ledger.get_account("2801")
    assert (account.balance_minor, account.reserved_minor) == (8_000, 0)
    [sms] = deployment.wait_inbox(tel, 1)
    assert sms["text"].startswith("[micropay] Paid 12,000 KRW to micropay shop")
    shopper.goto(order_url)
    assert "Paid" in shopper.inner_text("#outcome")


def test_a_paid_order_is_refunded(deployment: Deployment, page: Any) -> None:
    """The operator refunds a paid order (refundAmount of the whole order, once)."""
    tel = make_account(deployment.ledger, "2802", balance=10_000)
    shopper = page.context.new_page()
    order_url = buy(shopper, deployment.url, "song")
    pay(shopper, "2802")
    deployment.wait_state(order_url, "notified")
    login(page, deployment)
    order_id = order_url.rsplit("/", 1)[1]
    page.click(f"form[action='/operator/orders/{order_id}/refund'] button")
    assert f"Order {order_id} refunded: ₩1,500 given back to 2802." in page.inner_text("main")
    assert page.locator(f"form[action='/operator/orders/{order_id}/refund']").count() == 0
    assert deployment.ledger.get_account("2802").balance_minor == 10_000
    [refund] = [e for e in deployment.ledger.history("2802") if e.kind.value == "refund"]
    assert (refund.amount_minor, refund.reference_code) == (1_500, f"refund-{order_id}")
    shopper.goto(order_url)
    assert "₩1,500 was given back to account 2802" in shopper.inner_text("#outcome")
    assert len(deployment.inbox(tel)) == 1  # the payment SMS; nothing charged again


def test_everything_works_without_javascript(deployment: Deployment, browser: Any) -> None:
    tel = make_account(deployment.ledger, "2901", balance=10_000)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        buy(page, deployment.url, "news-pass")
        pay(page, "2901")
        assert "Paid" in page.inner_text("#outcome")
        for path in ("/", "/phone", "/operator/login"):
            page.goto(f"{deployment.url}{path}")
            assert page.locator("script").count() == 0
        assert len(deployment.wait_inbox(tel, 1)) == 1
    finally:
        context.close()
