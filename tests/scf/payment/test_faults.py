"""Every Payment fault over real omniORB, as the one fault table renders it: the exception
class, messageId, the template as text, and the variables in order."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from org.csapi.parlayx import common

from scf.common.faults import SPECS
from tests.scf.payment.gateway import DirectGateway, charge, new_account

COVERED: set[str] = set()


def expect(call, code: str, variables: list[str]) -> None:
    spec = SPECS[code]
    kind = (
        common.ServiceException if spec.kind.value == "ServiceException" else common.PolicyException
    )
    with pytest.raises(kind) as caught:
        call()
    e = caught.value
    assert (e.messageId, e.text, e.variables) == (spec.message_id, spec.template, variables)
    COVERED.add(code)


@pytest.mark.parametrize(
    "end_user",
    [
        "tel:+82 10",
        "tel:+0821012345678",
        "mailto:someone@example.com",
        "acct:",
        "acct:no spaces",
        "",
    ],
)
def test_malformed_end_user(gateway: DirectGateway, end_user: str) -> None:
    expect(
        lambda: gateway.payment().chargeAmount(end_user, charge("1"), "bad-address"),
        "invalid_address",
        ["endUserIdentifier"],
    )


@pytest.mark.parametrize("end_user", ["tel:+821099990000", "acct:NOSUCH"])
def test_unregistered_end_user(gateway: DirectGateway, end_user: str) -> None:
    expect(
        lambda: gateway.payment().chargeAmount(end_user, charge("1"), "unregistered"),
        "unregistered_account",
        ["micro-payment"],
    )


@pytest.mark.parametrize(
    ("info", "code", "variables"),
    [
        (charge("12.5"), "invalid_amount", ["12.5", "KRW has 0 decimal places at most"]),
        (charge("1e3"), "invalid_amount", ["1e3", "not a decimal number"]),
        (charge("-5"), "invalid_amount", ["-5", "amount must be greater than zero"]),
        (charge("0"), "invalid_amount", ["0", "amount must be greater than zero"]),
        (charge(""), "invalid_amount", ["", "charge.amount is required"]),
        (charge("10", "XYZ"), "unknown_currency", ["XYZ"]),
        (charge("10", "USD"), "currency_mismatch", ["USD", "KRW"]),
    ],
)
def test_charging_information_faults(gateway: DirectGateway, info, code, variables) -> None:
    _, msisdn = new_account(gateway.ledger)
    expect(lambda: gateway.payment().chargeAmount(msisdn, info, "bad-charge"), code, variables)


def test_account_state_faults(gateway: DirectGateway) -> None:
    ledger, mgr = gateway.ledger, gateway.payment()
    suspended, s_tel = new_account(ledger)
    ledger.set_status(suspended, "suspended")
    expect(
        lambda: mgr.chargeAmount(s_tel, charge("1"), "s"), "account_suspended", ["micro-payment"]
    )
    closed, c_tel = new_account(ledger)
    ledger.set_status(closed, "closed")
    expect(lambda: mgr.chargeAmount(c_tel, charge("1"), "c"), "account_closed", ["micro-payment"])
    expired, e_tel = new_account(ledger, valid_until=date.today() + timedelta(days=2))
    with ledger.db.transaction() as tx:  # validity ended years ago (the API refuses past dates)
        tx.execute(
            "UPDATE ledger_accounts SET valid_until = '2020-01-31' WHERE number = ?", (expired,)
        )
    expect(
        lambda: mgr.chargeAmount(e_tel, charge("1"), "e"),
        "account_expired",
        ["micro-payment", "2020-01-31"],
    )


def test_limit_and_balance_faults(gateway: DirectGateway) -> None:
    ledger, mgr = gateway.ledger, gateway.payment()
    _, tel = new_account(ledger, transaction_limit_minor=5000, monthly_limit_minor=8000)
    expect(
        lambda: mgr.chargeAmount(tel, charge("5001"), "big"),
        "transaction_limit_exceeded",
        ["5000", "5001", "KRW"],
    )
    mgr.chargeAmount(tel, charge("4000"), "first")
    mgr.reserveAmount(tel, charge("3000"))
    expect(
        lambda: mgr.chargeAmount(tel, charge("1001"), "over-month"),
        "monthly_limit_exceeded",
        ["monthly", "8000", "4000", "3000", "1001", "KRW"],
    )
    _, poor = new_account(ledger, balance_minor=300)
    expect(
        lambda: mgr.chargeAmount(poor, charge("301"), "poor"),
        "insufficient_balance",
        ["300", "301", "KRW"],
    )
    _, usd = new_account(ledger, currency="USD", balance_minor=1000)
    expect(
        lambda: mgr.chargeAmount(usd, charge("10.01"), "poor-usd"),
        "insufficient_balance",
        ["10.00", "10.01", "USD"],
    )


def test_every_payment_fault_is_covered() -> None:
    """The cases above (with those of test_amount_charging and test_reservations_and_volume)
    reach every fault a Payment operation can raise."""
    elsewhere = {
        "reference_code_reused",
        "refund_exceeds_charges",
        "too_many_addresses",
        "unknown_reservation",
        "reservation_exceeded",
        "invalid_input",
    }
    payment_faults = {
        "invalid_input",
        "invalid_address",
        "invalid_amount",
        "unknown_currency",
        "currency_mismatch",
        "unknown_reservation",
        "reference_code_reused",
        "reservation_exceeded",
        "unregistered_account",
        "account_suspended",
        "account_expired",
        "account_closed",
        "transaction_limit_exceeded",
        "monthly_limit_exceeded",
        "insufficient_balance",
        "refund_exceeds_charges",
        "too_many_addresses",
    }
    assert payment_faults <= COVERED | elsewhere
