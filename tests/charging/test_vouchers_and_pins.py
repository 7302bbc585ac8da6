"""Vouchers (issued with a PIN, redeemed once) and account PINs (salted hashes, lockout)."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from charging.errors import (
    CurrencyMismatch,
    InvalidInput,
    PinLocked,
    UnregisteredAccount,
    VoucherInvalid,
    WrongPin,
)
from tests.charging.helpers import assert_reconciles, open_account


@pytest.fixture(autouse=True)
def ivr_redeems_vouchers(ledger):
    """The application of these tests may redeem vouchers (charging.grants)."""
    ledger.grant("ivr", "voucher")


def test_a_voucher_is_redeemed_once(ledger):
    open_account(ledger, "1001", balance_minor=0)
    open_account(ledger, "1002", balance_minor=0)
    voucher_id, pin = ledger.issue_voucher(5_000, "KRW")
    assert len(pin) == 16 and pin.isdigit()
    with pytest.raises(VoucherInvalid):
        ledger.redeem_voucher(
            app_id="ivr",
            reference_code="v0",
            account="1001",
            voucher_id=voucher_id,
            voucher_pin="0000000000000000",
        )
    result = ledger.redeem_voucher(
        app_id="ivr", reference_code="v1", account="1001", voucher_id=voucher_id, voucher_pin=pin
    )
    assert result.balance_minor == 5_000
    assert ledger.redeem_voucher(
        app_id="ivr", reference_code="v1", account="1001", voucher_id=voucher_id, voucher_pin=pin
    ).replayed
    with pytest.raises(VoucherInvalid):
        ledger.redeem_voucher(
            app_id="ivr",
            reference_code="v2",
            account="1002",
            voucher_id=voucher_id,
            voucher_pin=pin,
        )
    [voucher] = ledger.list_vouchers()
    assert (voucher.state, voucher.redeemed_by) == ("redeemed", "1001")
    assert ledger.status("1002").balance_minor == 0
    assert_reconciles(ledger, "1001")


def test_the_pin_itself_is_never_stored(ledger):
    voucher_id, pin = ledger.issue_voucher(1_000, "KRW")
    open_account(ledger, pin="4321")
    with ledger.db.transaction(write=False) as tx:
        stored = [r[0] for r in tx.all("SELECT pin_hash FROM ledger_vouchers")]
        stored += [
            r[0] for r in tx.all("SELECT pin_hash FROM ledger_accounts WHERE msisdn IS NOT NULL")
        ]
    assert all(h.startswith("$argon2") for h in stored)
    assert not any(pin in h or "4321" in h for h in stored)


def test_vouchers_refuse_wrong_currency_expiry_and_postpaid(ledger, clock):
    open_account(ledger, "1001", balance_minor=0)
    open_account(ledger, "1002", kind="postpaid", balance_minor=0, monthly_limit_minor=1_000)
    usd_id, usd_pin = ledger.issue_voucher(500, "USD")
    with pytest.raises(CurrencyMismatch):
        ledger.redeem_voucher(
            app_id="ivr",
            reference_code="v1",
            account="1001",
            voucher_id=usd_id,
            voucher_pin=usd_pin,
        )
    krw_id, krw_pin = ledger.issue_voucher(500, "KRW", valid_until=date(2026, 3, 11))
    with pytest.raises(InvalidInput):
        ledger.redeem_voucher(
            app_id="ivr",
            reference_code="v2",
            account="1002",
            voucher_id=krw_id,
            voucher_pin=krw_pin,
        )
    with pytest.raises(UnregisteredAccount):
        ledger.redeem_voucher(
            app_id="ivr",
            reference_code="v3",
            account="9999",
            voucher_id=krw_id,
            voucher_pin=krw_pin,
        )
    clock.advance(days=2)
    with pytest.raises(VoucherInvalid):
        ledger.redeem_voucher(
            app_id="ivr",
            reference_code="v4",
            account="1001",
            voucher_id=krw_id,
            voucher_pin=krw_pin,
        )
    assert [v.state for v in ledger.list_vouchers("issued")] == ["issued", "issued"]


def test_concurrent_redemptions_credit_once(ledger):
    numbers = [f"10{i:02d}" for i in range(6)]
    for number in numbers:
        open_account(ledger, number, balance_minor=0)
    voucher_id, pin = ledger.issue_voucher(7_000, "KRW")
    outcomes: list[str] = []

    def redeem(number: str) -> None:
        try:
            ledger.redeem_voucher(
                app_id="ivr",
                reference_code=f"v-{number}",
                account=number,
                voucher_id=voucher_id,
                voucher_pin=pin,
            )
            outcomes.append("ok")
        except VoucherInvalid:
            outcomes.append("invalid")

    threads = [threading.Thread(target=redeem, args=(n,)) for n in numbers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["invalid"] * 5 + ["ok"]
    assert sum(ledger.status(n).balance_minor for n in numbers) == 7_000


def test_wrong_pins_lock_pin_use_for_a_while(ledger, clock):
    open_account(ledger, pin="2468")
    ledger.verify_pin("1001", "2468")
    for _ in range(2):
        with pytest.raises(WrongPin):
            ledger.verify_pin("1001", "1111")
    ledger.verify_pin("1001", "2468")  # a right PIN resets the count
    for _ in range(3):
        with pytest.raises(WrongPin):
            ledger.verify_pin("1001", "1111")
    with pytest.raises(PinLocked):
        ledger.verify_pin("1001", "2468")  # even the right PIN, while locked
    clock.advance(seconds=299)
    with pytest.raises(PinLocked):
        ledger.verify_pin("1001", "2468")
    clock.advance(seconds=2)
    ledger.verify_pin("1001", "2468")


def test_parallel_guesses_get_no_more_verdicts_than_allowed(ledger):
    open_account(ledger, pin="97531")
    verdicts: list[str] = []

    def guess(i: int) -> None:
        try:
            ledger.verify_pin("1001", f"{1000 + i}")
            verdicts.append("right")
        except WrongPin:
            verdicts.append("wrong")
        except PinLocked:
            verdicts.append("locked")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert verdicts.count("wrong") == 3 and verdicts.count("locked") == 5
    with pytest.raises(PinLocked):
        ledger.verify_pin("1001", "97531")


def test_set_pin_and_accounts_without_a_pin(ledger):
    open_account(ledger)
    with pytest.raises(WrongPin):
        ledger.verify_pin("1001", "1234")  # no PIN matches no PIN
    ledger.set_pin("1001", "1234")
    ledger.verify_pin("1001", "1234")
    assert ledger.get_account("1001").has_pin
    ledger.set_pin("1001", None)
    assert not ledger.get_account("1001").has_pin
    with pytest.raises(UnregisteredAccount):
        ledger.verify_pin("9999", "1234")
