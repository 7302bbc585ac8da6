"""Payment confirmation by a one-time code sent by SMS, in a real browser on the real shop and
gateway: the right code pays, five wrong codes or a code too late release the hold -- and the
ledger says so afterwards (nothing charged, nothing held)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from charging.ledger import Ledger
from tests.apps.micropay.conftest import make_account, national
from tests.apps.micropay.harness import APP_ID, Deployment
from tests.apps.micropay.test_browser import buy, pay

CODE_TTL_S = 8  # the shop's confirmation_code_ttl_s in this deployment


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    d = Deployment.start(tmp_path_factory.mktemp("otp"), code_ttl_s=CODE_TTL_S)
    try:
        yield d
    finally:
        d.stop()


def confirming_account(ledger: Ledger, number: str, above: int = 0) -> str:
    """An account whose subscriber asked for codes above ``above`` (``OTP`` by SMS does this
    through the same setThreshold)."""
    tel = make_account(ledger, number, balance=50_000)
    ledger.set_threshold(APP_ID, number, which="confirm", amount_minor=above)
    return tel


def code_sent_to(deployment: Deployment, tel: str, count: int) -> str:
    messages = deployment.wait_inbox(tel, count)
    assert len(messages) >= count, messages
    found = re.search(r"Code (\d{6}) confirms", messages[count - 1]["text"])
    assert found, messages[count - 1]["text"]
    return found.group(1)


def untouched(ledger: Ledger, number: str, balance: int = 50_000) -> None:
    assert ledger.get_account(number).balance_minor == balance
    assert ledger.open_reservations(number) == []
    assert [e.kind.value for e in ledger.history(number)] == ["opening"]


def test_the_right_code_pays(deployment: Deployment, page: Any, artifacts: Path) -> None:
    ledger = deployment.ledger
    tel = confirming_account(ledger, "3001")
    buy(page, deployment.url, "ebook")
    pay(page, national(tel))
    assert "Confirm with the code sent by SMS" in page.inner_text("#outcome")
    assert ledger.get_account("3001").reserved_minor == 3_000  # held, not charged
    page.screenshot(path=str(artifacts / "shop-confirm-code.png"), full_page=True)
    page.fill("#code", code_sent_to(deployment, tel, 1))
    page.click("#confirm-form button[type=submit]")
    page.wait_for_selector("#outcome >> text=Paid")
    page.screenshot(path=str(artifacts / "shop-confirm-paid.png"), full_page=True)
    account = ledger.get_account("3001")
    assert (account.balance_minor, account.reserved_minor) == (47_000, 0)
    [charge] = [e for e in ledger.history("3001") if e.kind.value == "reservation_charge"]
    assert charge.amount_minor == -3_000 and charge.reference_code.startswith("order-")
    assert ledger.open_reservations("3001") == []
    page.goto(f"{deployment.url}/phone/{national(tel)}")
    page.screenshot(path=str(artifacts / "phone-confirm-code.png"), full_page=True)


def test_five_wrong_codes_release_the_hold(deployment: Deployment, page: Any) -> None:
    ledger = deployment.ledger
    tel = confirming_account(ledger, "3002")
    buy(page, deployment.url, "ebook")
    pay(page, national(tel))
    right = code_sent_to(deployment, tel, 1)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        page.fill("#code", wrong)
        page.click("#confirm-form button[type=submit]")
        page.wait_for_selector(f"#wrong-code >> text={left} tr")
    page.fill("#code", wrong)
    page.click("#confirm-form button[type=submit]")
    page.wait_for_selector("#refusal")
    assert "wrong too many times" in page.inner_text("#refusal")
    assert "Nothing was charged" in page.inner_text("#refusal")
    untouched(ledger, "3002")
    [_, told] = deployment.wait_inbox(tel, 2)
    assert "was not confirmed and is cancelled. Nothing was charged." in told["text"]
    # the right code now is of no use: the order is refused and the code closed
    page.goto(page.url)
    assert page.locator("#confirm-form").count() == 0


def test_a_code_too_late_releases_the_hold(deployment: Deployment, page: Any) -> None:
    ledger = deployment.ledger
    tel = confirming_account(ledger, "3003")
    order = buy(page, deployment.url, "ebook")
    pay(page, national(tel))
    right = code_sent_to(deployment, tel, 1)
    assert ledger.get_account("3003").reserved_minor == 3_000
    deadline = time.monotonic() + CODE_TTL_S + 10
    while ledger.get_account("3003").reserved_minor and time.monotonic() < deadline:
        time.sleep(0.5)  # the shop's sweep releases it, nobody typing
    untouched(ledger, "3003")
    page.goto(order)
    assert "not entered in time" in page.inner_text("#refusal")
    [_, told] = deployment.wait_inbox(tel, 2)
    assert "Nothing was charged" in told["text"]
    assert right  # it was sent, and never used


def test_a_payment_below_the_threshold_needs_no_code(deployment: Deployment, page: Any) -> None:
    ledger = deployment.ledger
    tel = confirming_account(ledger, "3004", above=2_000)
    buy(page, deployment.url, "song")  # 1,500: not above 2,000
    pay(page, national(tel))
    assert "Paid" in page.inner_text("#outcome")
    buy(page, deployment.url, "ebook")  # 3,000 with the account number: the code needs a phone
    pay(page, "3004")
    assert "pay with the account's mobile number" in page.inner_text("#refusal")
    assert ledger.get_account("3004").balance_minor == 48_500
    assert ledger.open_reservations("3004") == []
