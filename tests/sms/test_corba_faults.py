"""Every refusal of the SMS SCF as the Parlay X fault it is over CORBA, and charging on sendSms.

One gateway process (``micropay serve`` plus a ledger: ``tests.sms.corba_server``) serves the
module, with billing accounts configured for two applications; the faults are read from real
IIOP replies of managers obtained through the real handshake.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from org.csapi.parlayx import common
from org.csapi.parlayx import sms as sms_idl

from charging.ledger import Ledger
from scf.corba_edge import parlayx_faults
from storage.database import StorageUnavailable
from tests.framework.gateway import Gateway
from tests.sms.corba_harness import (
    AppSmsNotification,
    SmsApp,
    cli_json,
    fault,
    obtain_sms,
    start_gateway,
    wait_status,
)

TO = "tel:+821066601001"
BILLED = "sms-biller"
BILLING_ACCOUNT = "B-SMS-1"
SVC = "ServiceException"
POL = "PolicyException"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    settings = {"sms": {"billing_accounts": f"{BILLED}={BILLING_ACCOUNT}, sms-ghost=B-NOWHERE"}}
    gw = start_gateway(tmp_path_factory.mktemp("sms-faults"), settings, with_ledger=True)
    try:
        yield gw
    finally:
        gw.stop()


@pytest.fixture(scope="module")
def ledger(gateway: Gateway) -> Iterator[Ledger]:
    opened = Ledger.open(f"sqlite:///{gateway.data_dir / 'ledger.db'}")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="module")
def sms(gateway: Gateway) -> Iterator[SmsApp]:
    app = obtain_sms(gateway, "sms-faulty")
    try:
        yield app
    finally:
        app.session.terminate()


@pytest.fixture(scope="module")
def listener() -> Iterator[AppSmsNotification]:
    servant = AppSmsNotification()
    try:
        yield servant
    finally:
        servant.close()


def charge(amount: str, currency: str = "", description: str = "score alert") -> Any:
    return common.ChargingInformation(description, currency, amount, "")


def ref(endpoint: str, correlator: str) -> Any:
    return common.SimpleReference(endpoint, "SmsNotification", correlator)


SEND_CASES = [
    # addresses, senderName, charging, message, receiptRequest -> fault
    ([TO], "", [], "", [], (SVC, "SVC0002", ["message"])),
    ([TO], "", [], "a" * 1531, [], (SVC, "SVC0280", ["1530"])),
    ([TO], "", [], "가" * 1531, [], (SVC, "SVC0280", ["1530"])),
    ([], "", [], "hi", [], (SVC, "SVC0002", ["addresses"])),
    (["tel:+8210abc"], "", [], "hi", [], (SVC, "SVC0002", ["addresses"])),
    (["+821066601001"], "", [], "hi", [], (SVC, "SVC0002", ["addresses"])),
    (["mailto:someone@example.com"], "", [], "hi", [], (SVC, "SVC0002", ["addresses"])),
    ([TO, "tel:"], "", [], "hi", [], (SVC, "SVC0002", ["addresses"])),
    ([TO], "much-too-long-name", [], "hi", [], (SVC, "SVC0002", ["senderName"])),
    ([TO], "", [], "hi", [ref("not-a-reference", "c")], (SVC, "SVC0002", ["receiptRequest"])),
    ([TO], "", [charge("1e3")], "hi", [], (SVC, "SVC0007", ["1e3", "not a decimal number"])),
    ([TO], "", [charge("10", "XXX")], "hi", [], (SVC, "SVC0007", ["XXX"])),
    ([TO], "", [charge("10")], "hi", [], (POL, "POL0008", [])),
]


@pytest.mark.parametrize(
    "addresses, sender, charging, message, receipt, expected",
    SEND_CASES,
    ids=[
        "empty-message",
        "too-long",
        "too-long-korean",
        "no-addresses",
        "letters-in-number",
        "not-a-uri",
        "mailto",
        "one-bad-of-two",
        "sender-name",
        "receipt-endpoint",
        "amount-syntax",
        "currency",
        "no-billing-account",
    ],
)
def test_send_sms_faults(
    sms: SmsApp,
    addresses: list,
    sender: str,
    charging: list,
    message: str,
    receipt: list,
    expected: tuple,
) -> None:
    got = fault(lambda: sms.manager.sendSms(addresses, sender, charging, message, receipt))
    assert got == expected


def test_receipt_request_without_correlator(sms: SmsApp, listener: AppSmsNotification) -> None:
    assert fault(lambda: sms.manager.sendSms([TO], "", [], "hi", [ref(listener.endpoint, "")])) == (
        SVC,
        "SVC0002",
        ["receiptRequest"],
    )


def test_request_identifiers_are_per_application(gateway: Gateway, sms: SmsApp) -> None:
    assert fault(lambda: sms.manager.getSmsDeliveryStatus("no-such-request")) == (
        SVC,
        "SVC0002",
        ["requestIdentifier"],
    )
    request_id = sms.manager.sendSms([TO], "", [], "mine", [])
    other = obtain_sms(gateway, "sms-nosy")
    try:
        assert fault(lambda: other.manager.getSmsDeliveryStatus(request_id)) == (
            SVC,
            "SVC0002",
            ["requestIdentifier"],
        )
    finally:
        other.session.terminate()
    assert sms.manager.getSmsDeliveryStatus(request_id)[0].address == TO


def test_notification_faults(gateway: Gateway, sms: SmsApp, listener: AppSmsNotification) -> None:
    number = "short:1555801"
    start = sms.manager.startSmsNotification
    start(listener.reference("dup-1"), number, "QUIZ")
    assert fault(lambda: start(listener.reference("dup-1"), "short:1555802", "")) == (
        SVC,
        "SVC0005",
        ["dup-1", "reference"],
    )
    other = obtain_sms(gateway, "sms-rival")
    try:
        assert fault(
            lambda: other.manager.startSmsNotification(listener.reference("r-1"), number, "quiz")
        ) == (SVC, "SVC0008", ["quiz"])
        assert fault(lambda: other.manager.stopSmsNotification("dup-1")) == (
            SVC,
            "SVC0002",
            ["correlator"],
        )
    finally:
        other.session.terminate()
    assert fault(lambda: start(listener.reference("n-1"), "tel:+82abc", "")) == (
        SVC,
        "SVC0002",
        ["smsServiceActivationNumber"],
    )
    assert fault(lambda: start(listener.reference("n-2"), "short:1555803", "two words")) == (
        SVC,
        "SVC0002",
        ["criteria"],
    )
    assert fault(lambda: start(ref("IOR:nonsense", "n-3"), "short:1555804", "")) == (
        SVC,
        "SVC0002",
        ["reference"],
    )
    assert fault(lambda: start(ref("", "n-4"), "short:1555805", "")) == (
        SVC,
        "SVC0002",
        ["reference"],
    )
    assert fault(lambda: sms.manager.stopSmsNotification("never-started")) == (
        SVC,
        "SVC0002",
        ["correlator"],
    )
    assert fault(lambda: sms.manager.getReceivedSms("no-such-registration")) == (
        SVC,
        "SVC0002",
        ["registrationIdentifier"],
    )
    sms.manager.stopSmsNotification("dup-1")


def test_charging_debits_the_applications_billing_account(gateway: Gateway, ledger: Ledger) -> None:
    ledger.create_account(
        BILLING_ACCOUNT, msisdn="tel:+821066609999", currency="KRW", balance_minor=10_000
    )
    biller = obtain_sms(gateway, BILLED)
    to = ["tel:+821066601101", "tel:+821066601102"]
    try:
        request_id = biller.manager.sendSms(to, "", [charge("100")], "goal!", [])
        assert ledger.get_account(BILLING_ACCOUNT).ledger_balance_minor == 9_800
        (entry,) = ledger.history(BILLING_ACCOUNT, entries_max=1)
        assert (entry.amount_minor, entry.app_id) == (-200, BILLED)
        assert entry.reference_code == f"sms-{request_id}"
        wait_status(biller.manager, request_id, sms_idl.DeliveredToTerminal)

        refused = ["tel:+821066601103", "tel:+821066601104", "tel:+821066601105"]
        assert fault(lambda: biller.manager.sendSms(refused, "", [charge("5000")], "x", [])) == (
            POL,
            "POL1000",
            ["9800", "15000", "KRW"],  # available, attempted (3 x 5000), currency
        )
        assert fault(lambda: biller.manager.sendSms(to, "", [charge("1", "USD")], "x", [])) == (
            SVC,
            "SVC0007",
            ["USD", "KRW"],
        )
        assert fault(lambda: biller.manager.sendSms(to, "", [charge("")], "x", [])) == (
            SVC,
            "SVC0007",
            ["", "charging.amount is required"],
        )
        assert ledger.get_account(BILLING_ACCOUNT).ledger_balance_minor == 9_800
        assert cli_json(gateway, "sms", "inbox", refused[0]) == []
    finally:
        biller.session.terminate()


def test_a_billing_account_missing_from_the_ledger_is_no_charging(gateway: Gateway) -> None:
    ghost = obtain_sms(gateway, "sms-ghost")
    try:
        assert fault(lambda: ghost.manager.sendSms([TO], "", [charge("10")], "x", [])) == (
            POL,
            "POL0008",
            [],
        )
    finally:
        ghost.session.terminate()


def test_unexpected_errors_say_nothing_of_themselves() -> None:
    def boom() -> None:
        raise RuntimeError("SELECT secret FROM sms_part -- internal detail")

    with pytest.raises(common.ServiceException) as caught:
        parlayx_faults(boom)
    exc = caught.value
    assert exc.messageId == "SVC0001"
    assert exc.text == "A service error occurred. Error code is %1"
    (incident,) = exc.variables
    assert len(incident) == 12 and "SELECT" not in incident
    with pytest.raises(common.ServiceException) as transient:
        parlayx_faults(lambda: (_ for _ in ()).throw(StorageUnavailable("OperationalError")))
    assert (transient.value.messageId, list(transient.value.variables)) == ("SVC1000", [])
