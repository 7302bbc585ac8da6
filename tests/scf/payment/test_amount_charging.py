"""AmountCharging over real omniORB: chargeAmount, refundAmount, chargeSplitAmount, the two
end-user forms, idempotent retries, and each application's own referenceCode namespace."""

from __future__ import annotations

import pytest
from org.csapi.parlayx import common, payment

from tests.scf.payment.gateway import DirectGateway, charge, new_account


def balance(gateway: DirectGateway, number: str) -> int:
    return gateway.ledger.get_account(number).balance_minor


def test_charge_by_tel_uri_and_by_account_number(gateway: DirectGateway) -> None:
    number, msisdn = new_account(gateway.ledger)
    mgr = gateway.payment()
    assert mgr.chargeAmount(msisdn, charge("1500", "KRW"), "tel-1") is None
    assert mgr.chargeAmount(f"acct:{number}", charge("500"), "acct-1") is None  # account currency
    spaced = msisdn.replace("tel:+8210", "tel:+82-10-")
    mgr.chargeAmount(spaced, charge("1000"), "tel-2")  # visual separators are the same number
    assert balance(gateway, number) == 7000
    [last, *_] = gateway.ledger.history(number)
    assert (last.app_id, last.reference_code, last.description) == ("test-app", "tel-2", "Song 42")


def test_a_retry_changes_nothing_and_a_reused_code_is_refused(gateway: DirectGateway) -> None:
    number, msisdn = new_account(gateway.ledger)
    mgr = gateway.payment()
    for _ in range(3):
        mgr.chargeAmount(msisdn, charge("700"), "order-1")
    assert balance(gateway, number) == 9300
    with pytest.raises(common.ServiceException) as caught:
        mgr.chargeAmount(msisdn, charge("701"), "order-1")
    assert (caught.value.messageId, caught.value.variables) == ("SVC1102", ["order-1"])
    # the same referenceCode is another application's own: no clash across applications
    gateway.payment("other-app").chargeAmount(msisdn, charge("701"), "order-1")
    assert balance(gateway, number) == 9300 - 701


def test_refund_up_to_what_the_application_charged(gateway: DirectGateway) -> None:
    number, msisdn = new_account(gateway.ledger)
    mgr = gateway.payment()
    mgr.chargeAmount(msisdn, charge("3000"), "c-1")
    mgr.refundAmount(msisdn, charge("1000"), "r-1")
    mgr.refundAmount(msisdn, charge("1000"), "r-1")  # a retry
    assert balance(gateway, number) == 8000
    with pytest.raises(common.PolicyException) as caught:
        mgr.refundAmount(msisdn, charge("2001"), "r-2")
    assert (caught.value.messageId, caught.value.variables) == ("POL1104", ["2001", "2000", "KRW"])
    with pytest.raises(common.PolicyException) as caught:  # other-app charged nothing here
        gateway.payment("other-app").refundAmount(msisdn, charge("1"), "r-3")
    assert caught.value.messageId == "POL1104"


def split(*shares: tuple[str, int]) -> list:
    return [payment.EndUserSplit(uri, pct) for uri, pct in shares]


def test_split_charge_shares_by_percent_with_the_remainder_to_the_first(
    gateway: DirectGateway,
) -> None:
    a, a_tel = new_account(gateway.ledger)
    b, _ = new_account(gateway.ledger)
    c, c_tel = new_account(gateway.ledger)
    mgr = gateway.payment()
    shares = split((a_tel, 34), (f"acct:{b}", 33), (c_tel, 33))
    mgr.chargeSplitAmount(shares, charge("1000"), "split-1")
    mgr.chargeSplitAmount(shares, charge("1000"), "split-1")  # a retry
    assert [balance(gateway, n) for n in (a, b, c)] == [10_000 - 340, 10_000 - 330, 10_000 - 330]


def test_split_charge_is_all_or_nothing(gateway: DirectGateway) -> None:
    a, a_tel = new_account(gateway.ledger)
    b, b_tel = new_account(gateway.ledger, balance_minor=100)
    mgr = gateway.payment()
    events_before = gateway.ledger.latest_event_seq()
    with pytest.raises(common.PolicyException) as caught:
        mgr.chargeSplitAmount(split((a_tel, 50), (b_tel, 50)), charge("1000"), "split-2")
    assert (caught.value.messageId, caught.value.variables) == ("POL1000", ["100", "500", "KRW"])
    assert (balance(gateway, a), balance(gateway, b)) == (10_000, 100)
    assert gateway.ledger.latest_event_seq() == events_before
    # after a top-up the same request (same referenceCode) goes through: a refusal wrote nothing
    gateway.ledger.recharge(
        app_id="operator",
        reference_code="topup-split-2",
        account=b,
        amount_minor=1000,
        currency="KRW",
    )
    mgr.chargeSplitAmount(split((a_tel, 50), (b_tel, 50)), charge("1000"), "split-2")
    assert (balance(gateway, a), balance(gateway, b)) == (9500, 600)


@pytest.mark.parametrize(
    ("shares", "message_id", "variables"),
    [
        ([("A", 50), ("B", 40)], "SVC0002", ["percentage"]),
        ([("A", 100), ("B", 0)], "SVC0002", ["percentage"]),
        ([("A", 50), ("A", 50)], "SVC0002", ["shares"]),
        ([], "SVC0002", ["endUserIdentifiers"]),
    ],
)
def test_split_charge_input_faults(gateway: DirectGateway, shares, message_id, variables) -> None:
    a, _ = new_account(gateway.ledger)
    b, _ = new_account(gateway.ledger)
    names = {"A": f"acct:{a}", "B": f"acct:{b}"}
    with pytest.raises(common.ServiceException) as caught:
        gateway.payment().chargeSplitAmount(
            split(*[(names[k], p) for k, p in shares]), charge("100"), "bad-split"
        )
    assert (caught.value.messageId, caught.value.variables) == (message_id, variables)


def test_split_charge_among_too_many_end_users(gateway: DirectGateway) -> None:
    shares = split(*[(f"tel:+8210000000{i:02d}", 9) for i in range(11)])
    with pytest.raises(common.PolicyException) as caught:
        gateway.payment().chargeSplitAmount(shares, charge("100"), "eleven")
    assert (caught.value.messageId, caught.value.variables) == ("POL0003", ["endUserIdentifiers"])


def test_the_ior_is_the_application(gateway: DirectGateway) -> None:
    """Each manager is bound to its application: the ledger records who charged."""
    number, msisdn = new_account(gateway.ledger)
    gateway.payment("other-app").chargeAmount(msisdn, charge("10"), "who-1")
    [entry, *_] = gateway.ledger.history(number)
    assert entry.app_id == "other-app"
