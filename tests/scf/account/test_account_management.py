"""Account Management over real omniORB: the Parlay X operations with and without the end
user's PIN, PIN lock-out, recharges and vouchers, history, and getAccountStatus."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from org.csapi.parlayx import account_management as am
from org.csapi.parlayx import common

from tests.scf.payment.gateway import DirectGateway, charge, new_account

GATEWAY_OPTIONS = ("--pin-failures-max", "3", "--pin-lockout-s", "2")
PIN = "2468"


def members(struct) -> tuple:
    """An IDL struct's members in order (omniORB structs do not compare by value)."""
    return tuple(getattr(struct, name) for name in struct.__init__.__code__.co_varnames[1:])


def service_fault(call, message_id: str, variables: list[str]) -> None:
    with pytest.raises(common.ServiceException) as caught:
        call()
    assert (caught.value.messageId, caught.value.variables) == (message_id, variables)


def policy_fault(call, message_id: str) -> common.PolicyException:
    with pytest.raises(common.PolicyException) as caught:
        call()
    assert caught.value.messageId == message_id
    return caught.value


def test_reads_with_and_without_the_pin(gateway: DirectGateway) -> None:
    until = date.today() + timedelta(days=30)
    number, msisdn = new_account(gateway.ledger, pin=PIN, valid_until=until)
    mgr = gateway.account()
    for pin in ("", PIN):
        [balance] = mgr.getBalance(msisdn, pin)
        assert (balance.balanceType, balance.amount) == ("MICROPAY", "10000")
        assert mgr.getBalanceTypes(f"acct:{number}", pin) == ["MICROPAY"]
        [expiry] = mgr.getCreditExpiryDate(msisdn, pin)
        # valid through the whole day in the ledger's zone (Asia/Seoul, UTC+9)
        assert expiry.date == f"{until.isoformat()}T15:00:00Z"
    _, never = new_account(gateway.ledger)
    assert mgr.getCreditExpiryDate(never, "")[0].date == ""


def test_a_wrong_pin_fails_and_repeated_failures_lock_pin_use(gateway: DirectGateway) -> None:
    _, msisdn = new_account(gateway.ledger, pin=PIN)
    mgr = gateway.account()
    for _ in range(3):
        service_fault(lambda: mgr.getBalance(msisdn, "0000"), "SVC0250", [])
    locked = policy_fault(lambda: mgr.getBalance(msisdn, PIN), "POL1103")  # even the right one
    [until] = locked.variables
    assert datetime.fromisoformat(until) > datetime.now(UTC)
    policy_fault(lambda: mgr.balanceUpdate(msisdn, PIN, "lk", "MICROPAY", "1", []), "POL1103")
    time.sleep(2.1)  # the gateway locks PIN use for 2 s
    assert mgr.getBalance(msisdn, PIN)[0].amount == "10000"
    _, no_pin = new_account(gateway.ledger)  # an account without a PIN matches no PIN
    service_fault(lambda: mgr.getBalance(no_pin, PIN), "SVC0250", [])


def test_balance_update_recharges_and_extends_validity(gateway: DirectGateway) -> None:
    until = date.today() + timedelta(days=3)
    number, msisdn = new_account(gateway.ledger, valid_until=until)
    mgr = gateway.account()
    mgr.balanceUpdate(msisdn, "", "topup-1", "MICROPAY", "5000", [90])
    mgr.balanceUpdate(msisdn, "", "topup-1", "MICROPAY", "5000", [90])  # a retry
    account = gateway.ledger.get_account(number)
    assert account.balance_minor == 15_000
    assert account.valid_until is not None and account.valid_until >= date.today() + timedelta(89)
    mgr.balanceUpdate(f"acct:{number}", "", "topup-2", "MICROPAY", "1", [])
    assert gateway.ledger.get_account(number).valid_until == account.valid_until
    service_fault(
        lambda: mgr.balanceUpdate(msisdn, "", "topup-3", "VOICE", "1", []),
        "SVC0002",
        ["balanceType"],
    )
    service_fault(
        lambda: mgr.balanceUpdate(msisdn, "", "topup-4", "MICROPAY", "1.5", []),
        "SVC0007",
        ["1.5", "KRW has 0 decimal places at most"],
    )
    service_fault(
        lambda: mgr.balanceUpdate(msisdn, "", "topup-1", "MICROPAY", "6000", [90]),
        "SVC1102",
        ["topup-1"],
    )
    _, postpaid = new_account(
        gateway.ledger, kind="postpaid", balance_minor=0, monthly_limit_minor=50_000
    )
    service_fault(
        lambda: mgr.balanceUpdate(postpaid, "", "topup-5", "MICROPAY", "1", []),
        "SVC0002",
        ["endUserIdentifier"],
    )


def test_voucher_update(gateway: DirectGateway) -> None:
    number, msisdn = new_account(gateway.ledger)
    voucher, voucher_pin = gateway.ledger.issue_voucher(3000, "KRW")
    mgr = gateway.account()
    service_fault(
        lambda: mgr.voucherUpdate(msisdn, "", "v-0", voucher, "1111222233334444"),
        "SVC0251",
        [voucher],
    )
    service_fault(lambda: mgr.voucherUpdate(msisdn, "", "v-0", voucher, ""), "SVC0251", [voucher])
    mgr.voucherUpdate(msisdn, "", "v-1", voucher, voucher_pin)
    mgr.voucherUpdate(msisdn, "", "v-1", voucher, voucher_pin)  # a retry
    assert gateway.ledger.get_account(number).balance_minor == 13_000
    _, other = new_account(gateway.ledger)
    service_fault(  # used once: no one can use it again
        lambda: mgr.voucherUpdate(other, "", "v-2", voucher, voucher_pin), "SVC0251", [voucher]
    )
    _, postpaid = new_account(
        gateway.ledger, kind="postpaid", balance_minor=0, monthly_limit_minor=50_000
    )
    fresh, fresh_pin = gateway.ledger.issue_voucher(100, "KRW")
    e = policy_fault(lambda: mgr.voucherUpdate(postpaid, "", "v-3", fresh, fresh_pin), "POL0220")
    assert (e.text, e.variables) == ("Vouchers not accepted.", [])


def test_history_newest_first_and_other_applications_texts_hidden(gateway: DirectGateway) -> None:
    number, msisdn = new_account(gateway.ledger)
    pay, other_pay = gateway.payment(), gateway.payment("other-app")
    pay.chargeAmount(msisdn, charge("1500", description="Song 42"), "h-1")
    other_pay.chargeAmount(msisdn, charge("700", description="secret shop"), "h-secret")
    pay.refundAmount(msisdn, charge("500", description="sorry"), "h-2")
    mgr = gateway.account()
    lines = mgr.getHistory(msisdn, "", "", [])
    details = [t.transactionDetails for t in lines]
    assert details[0].startswith("refund +500 KRW; balance 8300; sorry; ref h-2; id ")
    assert details[1].startswith("charge -700 KRW; balance 7800; by another application; id ")
    assert details[2].startswith("charge -1500 KRW; balance 8500; Song 42; ref h-1; id ")
    assert details[3].startswith("opening +10000 KRW; balance 10000; opening balance; id ")
    assert "secret" not in repr(lines)
    assert all(t.transactionDate.endswith("Z") for t in lines)
    assert len(mgr.getHistory(msisdn, "", "", [2])) == 2
    assert len(gateway.account("other-app").getHistory(msisdn, "", "", [])) == 4
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert mgr.getHistory(msisdn, "", later, []) == []
    service_fault(lambda: mgr.getHistory(msisdn, "", "yesterday", []), "SVC0002", ["date"])
    service_fault(lambda: mgr.getHistory(msisdn, "", "", [0]), "SVC0002", ["maxEntries"])


def test_account_status_answers_the_eligibility_question(gateway: DirectGateway) -> None:
    until = date.today() + timedelta(days=10)
    number, msisdn = new_account(
        gateway.ledger,
        balance_minor=20_000,
        monthly_limit_minor=30_000,
        transaction_limit_minor=15_000,
        low_balance_minor=2000,
        valid_until=until,
    )
    gateway.payment().chargeAmount(msisdn, charge("6000"), "st-1")
    mgr = gateway.account()
    status = mgr.getAccountStatus(f"acct:{number}", "")
    assert members(status) == (
        f"acct:{number}", True, am.Active, f"{until.isoformat()}T15:00:00Z", "KRW",
        "14000", "30000", "6000", "14000", "15000", "2000", False, "",
    )  # fmt: skip
    gateway.ledger.set_status(number, "suspended")
    status = mgr.getAccountStatus(msisdn, "")
    assert (status.state, status.remainingHeadroom) == (am.Suspended, "0")
    missing = mgr.getAccountStatus("tel:+821077770000", "")
    assert members(missing) == (
        "tel:+821077770000",
        False,
        am.Unregistered,
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        False,
        "",
    )
    _, plain = new_account(gateway.ledger)  # no limits, no threshold, no expiry
    status = mgr.getAccountStatus(plain, "")
    assert (status.monthlyLimit, status.transactionLimit, status.lowBalanceThreshold) == (
        "",
        "",
        "",
    )
    assert (status.validUntil, status.remainingHeadroom) == ("", "10000")
    service_fault(lambda: mgr.getAccountStatus("tel:12ab", ""), "SVC0002", ["endUserIdentifier"])
    gateway.ledger.set_pin(number, "2580")  # Payment carries no PIN: the app must ask for it
    assert mgr.getAccountStatus(f"acct:{number}", "").pinRequired is True
    # the subscriber's confirmation threshold (self-care), for every application to honour
    gateway.ledger.grant("selfcare-app", "selfcare")
    gateway.ledger.set_threshold("selfcare-app", number, which="confirm", amount_minor=5000)
    assert mgr.getAccountStatus(f"acct:{number}", "").confirmationThreshold == "5000"


def test_unregistered_end_users_are_pol1009(gateway: DirectGateway) -> None:
    mgr = gateway.account()
    for call in (
        lambda: mgr.getBalance("tel:+821055550000", ""),
        lambda: mgr.getHistory("acct:NOSUCH", "", "", []),
        lambda: mgr.balanceUpdate("tel:+821055550000", "", "u-1", "MICROPAY", "1", []),
    ):
        e = policy_fault(call, "POL1009")
        assert e.variables == ["micro-payment"]
