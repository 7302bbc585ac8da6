"""The screens in the subscriber's words and time zone, on a phone too: a real Chromium on the real
shop and gateway (issue 16: times labelled in the ledger's zone, no jargon, one error style, the
hold of a two-step order, 390 px, a favicon, Korean glyphs)."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.apps.micropay.conftest import make_account, national
from tests.apps.micropay.harness import Deployment
from tests.apps.micropay.test_browser import buy, login, pay

PHONE = {"width": 390, "height": 844}
STAMP = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d):\d\d KST")


def visible_text(page: Any) -> str:
    return page.inner_text("main")


def test_times_are_the_ledgers_zone_labelled(deployment: Deployment, page: Any) -> None:
    tel = make_account(deployment.ledger, "3001", balance=50_000)
    buy(page, deployment.url, "song")
    pay(page, "3001")
    [sms] = deployment.wait_inbox(tel, 1)
    sent_at = re.search(r"on (\d{4}-\d\d-\d\d \d\d:\d\d)\.", sms["text"]).group(1)  # type: ignore[union-attr]
    page.goto(f"{deployment.url}/phone/{national(tel)}")
    shown = page.locator(".messages .meta time").first.inner_text()
    stamp = STAMP.fullmatch(shown)
    assert stamp, shown  # 2026-12-03 16:53:34 KST, not bare UTC
    minutes = abs(
        datetime.fromisoformat(stamp.group(1)) - datetime.fromisoformat(sent_at)
    ).total_seconds()
    assert minutes <= 60, (shown, sms["text"])  # the SMS and the phone tell the same time
    login(page, deployment)
    assert "UTC" not in visible_text(page)
    assert STAMP.fullmatch(page.locator("#orders tbody tr td time").first.inner_text())


def test_screens_say_things_in_words(deployment: Deployment, page: Any) -> None:
    make_account(deployment.ledger, "3101", balance=50_000)
    shopper = page.context.new_page()
    buy(shopper, deployment.url, "song")
    pay(shopper, "3101")
    buy(shopper, deployment.url, "ebook")  # left unpaid
    login(page, deployment)
    orders = page.locator("#orders").inner_text()
    assert "paid, SMS sent" in orders and "awaiting payment" in orders
    assert not re.search(r"\b(notified|idle|account_entered)\b", orders), orders
    page.goto(f"{deployment.url}/operator/accounts/3101")
    headings = page.locator("main h2, main h3").all_inner_texts()
    assert {"Top up", "Suspend", "Limits", "Recent transactions"} <= set(headings), headings
    text = visible_text(page)
    for jargon in ("balanceUpdate", "getHistory", "micropay account", "Account Management"):
        assert jargon not in text, jargon
    assert "balanceUpdate" in page.locator("h3", has_text="Top up").get_attribute("title")


def test_one_error_style(deployment: Deployment, page: Any) -> None:
    make_account(deployment.ledger, "3201", balance=10_000)
    login(page, deployment)
    page.goto(f"{deployment.url}/operator/accounts/3201")
    for field, typed, button in (
        ("#amount", "abc", "Top up"),
        ("#monthly_limit", "lots", "Save limits"),
    ):
        page.fill(field, typed)
        page.click(f"button:text-is('{button}')")
        error = page.locator(".alert.error").inner_text()
        assert error == f"“{typed}” is not an amount: type a number such as 10,000.", error
    page.fill("#amount", "200,000")  # over the shop's cap of ₩100,000 a top-up
    page.click("button:text-is('Top up')")
    error = page.locator(".alert.error").inner_text()
    assert error == "₩200,000 is over this shop's top-up limit of ₩100,000 per top-up.", error
    assert deployment.ledger.get_account("3201").balance_minor == 10_000


def test_a_hold_shows_as_a_hold_and_shipping_closes_it(
    deployment: Deployment, page: Any, artifacts: Path
) -> None:
    make_account(deployment.ledger, "3301", balance=50_000)
    shopper = page.context.new_page()
    order_url = buy(shopper, deployment.url, "mug")
    pay(shopper, "3301")
    other_url = buy(shopper, deployment.url, "mug")
    pay(shopper, "3301")
    login(page, deployment)
    page.goto(f"{deployment.url}/operator/accounts/3301")
    holds = page.locator("#history li.hold").all_inner_texts()
    assert len(holds) == 2, holds
    assert all(
        "Held ₩12,000 for Coffee mug (shipped) × 1: charged when shipped" in h for h in holds
    )
    assert "₩26,000" in page.inner_text("#account-status")  # 50,000 less both holds
    page.screenshot(path=str(artifacts / "operator-hold.png"), full_page=True)
    history = json.loads(deployment.gateway.cli("--json", "account", "history", "3301").stdout)
    assert [h["kind"] for h in history[:2]] == ["hold", "hold"]
    assert [h["amount"] for h in history[:2]] == ["-12000", "-12000"]
    page.goto(f"{deployment.url}/operator")
    for url, action in ((order_url, "ship"), (other_url, "cancel")):
        order_id = url.rsplit("/", 1)[1]
        page.click(f"form[action='/operator/orders/{order_id}/{action}'] button")
    assert "cancelled: the hold of ₩12,000 was released." in visible_text(page)
    assert deployment.ledger.open_reservations("3301") == []  # shipped whole: closed too
    account = deployment.ledger.get_account("3301")
    assert (account.balance_minor, account.reserved_minor) == (38_000, 0)
    page.goto(f"{deployment.url}/operator/accounts/3301")
    assert page.locator("#history li.hold").count() == 0


def test_the_operator_view_on_a_phone(
    deployment: Deployment, browser: Any, artifacts: Path
) -> None:
    for number in ("3401", "3402"):
        make_account(deployment.ledger, number, balance=100_000, monthly_limit=50_000)
    deployment.ledger.charge(
        app_id="seed",
        reference_code="seed-3401",
        account="3401",
        amount_minor=25_500,
        currency="KRW",
        description="earlier",
    )
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale="en-US")
    try:
        page = context.new_page()
        login(page, deployment)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page is {width} px wide"
        row = page.locator("#accounts tbody tr", has=page.locator("a", has_text="3401"))
        for cell in row.locator("th, td").all():
            box = cell.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, box
        spent = row.locator("td", has_text="₩25,500")
        label = spent.evaluate("td => getComputedStyle(td, '::before').content")
        assert label == '"Spent this month: "', label  # each value labelled on its card
        chart = page.locator("svg.chart").bounding_box()
        assert chart and chart["width"] <= PHONE["width"]
        for text in page.locator("svg.chart text").all():
            box = text.bounding_box()
            assert box and box["x"] + box["width"] <= chart["x"] + chart["width"] + 1, (
                text.inner_html(), box, chart)  # fmt: skip
        assert "₩25,500 of ₩50,000 (51%)" in page.inner_html("svg.chart")
        page.screenshot(path=str(artifacts / "operator-390.png"), full_page=True)
    finally:
        context.close()


def test_no_page_misses_a_favicon(deployment: Deployment, page: Any) -> None:
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    order_url = buy(page, deployment.url, "song")
    for path in ("/", "/phone", "/operator/login"):
        page.goto(f"{deployment.url}{path}")
    page.goto(order_url)
    time.sleep(0.5)  # the icon is fetched after the page
    assert failed == []
    icon = page.request.get(f"{deployment.url}/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_open_a_phone_with_a_non_number_says_so(deployment: Deployment, page: Any) -> None:
    response = page.goto(f"{deployment.url}/phone?number=abc")
    assert response is not None and response.status == 422
    assert "“abc” is not a mobile number" in page.inner_text("#open-error")
    assert page.locator("#open-number").input_value() == "abc"
    page.fill("#open-number", "010-1111-0001")
    page.click("button:text-is('Open')")
    page.wait_for_url(re.compile(r"/phone/(%2B|\+)821011110001$"))


def test_the_unregistered_pages_tell_the_truth(deployment: Deployment, page: Any) -> None:
    tel = "tel:+821099990011"
    buy(page, deployment.url, "song")
    pay(page, national(tel))
    told = page.inner_text("#refusal")
    assert re.search(
        rf"We sent an SMS to {re.escape(tel[4:])} telling how to register \(.+ KST\)\.", told
    ), told
    assert len(deployment.wait_inbox(tel, 1)) == 1
    buy(
        page, deployment.url, "song"
    )  # again at once: no second SMS, the page says when the first went
    pay(page, national(tel))
    assert "We sent an SMS to" in page.inner_text("#refusal")
    assert len(deployment.inbox(tel)) == 1
    buy(page, deployment.url, "song")
    pay(page, "3999")
    page.fill("#phone", "010-9999-0012")
    page.click("#refusal form button")
    notice = page.locator("#notice").inner_text()
    assert "at most once a minute" in notice and "already on the phone" in notice


def test_korean_glyphs_render(deployment: Deployment, page: Any, artifacts: Path) -> None:
    """Debian's fonts-noto-cjk draws Hangul: two different syllables come out as different
    pixels, and neither is the box a missing glyph is drawn as (which would be the same box
    for both: tofu)."""
    page.goto(f"{deployment.url}/")
    drawn = page.evaluate(
        """() => {
        const draw = (text) => {
          const canvas = document.createElement('canvas');
          canvas.width = 64; canvas.height = 64;
          const c = canvas.getContext('2d');
          c.font = '48px sans-serif';
          c.fillText(text, 4, 52);
          return Array.from(c.getImageData(0, 0, 64, 64).data).join(',');
        };
        return {jan: draw('잔'), aek: draw('액'), tofu: draw(String.fromCodePoint(0x10FFFD))};
    }"""
    )
    assert drawn["jan"] != drawn["tofu"] and drawn["aek"] != drawn["tofu"], "Hangul drawn as tofu"
    assert drawn["jan"] != drawn["aek"], "two Hangul syllables drawn alike: tofu"
    tel = make_account(deployment.ledger, "3501", balance=12_345)
    deployment.mo(tel, "잔액")
    deployment.wait_inbox(tel, 1)
    page.goto(f"{deployment.url}/phone/{national(tel)}")
    assert "잔액 12,345KRW" in page.inner_text(".messages")
    page.screenshot(path=str(artifacts / "phone-korean.png"), full_page=True)
