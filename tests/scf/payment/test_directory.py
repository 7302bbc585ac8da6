"""The Payment SCF remembers which account an end user is (scf.account.end_user.Directory):
never the wrong account, and an MSISDN that moved to a new account is followed after ttl_ms."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from charging.errors import AccountClosed, UnregisteredAccount
from charging.ledger import Ledger
from scf.account.end_user import Directory


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def ledger(sqlite_url: str) -> Iterator[Ledger]:
    with Ledger.open(sqlite_url) as opened:
        yield opened


def test_a_moved_msisdn_is_followed_after_the_ttl(ledger: Ledger) -> None:
    clock = Clock()
    directory = Directory(ledger, ttl_ms=5000, clock=clock)
    ledger.create_account("OLD", msisdn="tel:+821011112222", currency="KRW", balance_minor=100)
    assert directory.target("tel:+82-10-1111-2222") == ("OLD", "KRW")
    ledger.set_status("OLD", "closed")
    ledger.create_account("NEW", msisdn="tel:+821011112222", currency="USD", balance_minor=100)
    number, currency = directory.target("tel:+821011112222")
    assert (number, currency) == ("OLD", "KRW")  # remembered: a charge is refused, not misbooked
    with pytest.raises(AccountClosed):
        ledger.charge(
            app_id="app",
            reference_code="r-1",
            account=number,
            amount_minor=1,
            currency=currency,
            description="x",
        )
    clock.now += 5001
    assert directory.target("tel:+821011112222") == ("NEW", "USD")
    assert directory.target("tel:+821011112222", "KRW") == ("NEW", "KRW")  # the request's


def test_account_numbers_and_unknown_end_users(ledger: Ledger) -> None:
    directory = Directory(ledger)
    ledger.create_account("A1", msisdn="tel:+821033334444", currency="USD")
    assert directory.target("acct:A1") == ("A1", "USD")
    assert directory.target("ACCT:A1", "KRW") == ("A1", "KRW")  # no read: the ledger checks
    with pytest.raises(UnregisteredAccount):
        directory.target("acct:NOSUCH")
    with pytest.raises(UnregisteredAccount):
        directory.target("tel:+821099998888")
    ledger.create_account("B1", msisdn="tel:+821099998888", currency="KRW")
    assert directory.target("tel:+821099998888") == ("B1", "KRW")  # misses are not remembered
