"""Fixtures of the application's tests: one gateway + one shop per module, and a real headless
Chromium (Debian's /usr/bin/chromium, driven by Playwright; no browser download). Without
Chromium the browser tests FAIL, loudly: ``./build.sh test`` installs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from charging.ledger import Ledger
from charging.model import Kind
from tests.apps.micropay.harness import Deployment
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts"
NAVIGATION_TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    d = Deployment.start(tmp_path_factory.mktemp("shop"))
    try:
        yield d
    finally:
        d.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
            "(apt-get install -y chromium, or ./build.sh test which installs it)",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-US")
    ctx.set_default_timeout(NAVIGATION_TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def msisdn_of(number: str) -> str:
    """Test accounts' phones: account 2001 has tel:+821020010001."""
    return f"tel:+8210{int(number):04d}0001"


def national(tel: str) -> str:
    digits = "0" + tel.removeprefix("tel:+82")
    return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"


def make_account(
    ledger: Ledger,
    number: str,
    *,
    balance: int = 100_000,
    kind: Kind = Kind.PREPAID,
    monthly_limit: int | None = 300_000,
    transaction_limit: int | None = None,
    low_balance: int = 0,
    pin: str | None = None,
    valid_until: date | None = None,
) -> str:
    ledger.create_account(
        number,
        msisdn=msisdn_of(number),
        currency="KRW",
        kind=kind,
        balance_minor=balance if kind is Kind.PREPAID else 0,
        monthly_limit_minor=monthly_limit,
        transaction_limit_minor=transaction_limit,
        low_balance_minor=low_balance,
        pin=pin,
        valid_until=valid_until,
    )
    return msisdn_of(number)
