"""The SMS SCF through ``micropay serve``: the framework hands out P_SMS, the embedded SMSC
delivers, and the gateway calls the application's SmsNotification back over IIOP.

One gateway process (``micropay serve`` itself, embedded SMSC on a free port) serves the module;
each test obtains P_SMS for its own application with the real handshake, so tests do not depend
on each other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from omniORB import CORBA
from org.csapi.parlayx import sms as sms_idl

from tests.framework.gateway import Gateway
from tests.sms.conftest import wait_until
from tests.sms.corba_harness import (
    AppProcess,
    AppSmsNotification,
    cli_json,
    fault,
    obtain_sms,
    register_activation_number,
    start_gateway,
    wait_status,
)

SHORT_CODE = "short:1555"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(tmp_path_factory.mktemp("sms-gateway"))
    try:
        yield gw
    finally:
        gw.stop()


@pytest.fixture
def listener() -> Iterator[AppSmsNotification]:
    servant = AppSmsNotification()
    try:
        yield servant
    finally:
        servant.close()


def test_serve_starts_the_embedded_smsc_and_offers_p_sms(gateway: Gateway) -> None:
    checks = gateway.health()["checks"]
    assert checks["smsc"]["ok"] and checks["smpp"]["ok"], checks
    assert checks["smpp"]["detail"].startswith("bound to 127.0.0.1:")
    assert checks["sms_outbox"]["detail"].startswith("queued=")
    sms = obtain_sms(gateway, "sms-discovery")
    try:
        (offer,) = sms.session.discover("P_SMS")
        properties = {
            p.ServicePropertyName: list(p.ServicePropertyValueList)
            for p in offer.ServiceDescription.ServicePropertyList
        }
        assert properties["P_SMS_SHORT_CODE"] == [SHORT_CODE]
        assert properties["P_SMS_MAX_LENGTH"] == ["1530"]
    finally:
        sms.session.terminate()


def test_send_delivers_to_the_handset_and_reports_the_receipt(
    gateway: Gateway, listener: AppSmsNotification
) -> None:
    sms = obtain_sms(gateway, "sms-sender")
    to = "tel:+821055501001"
    try:
        request_id = sms.manager.sendSms(
            [to], "", [], "Your order 42 ships today. 감사합니다", [listener.reference("order-42")]
        )
        (info,) = wait_status(sms.manager, request_id, sms_idl.DeliveredToTerminal)
        assert info.address == to
        inbox = cli_json(gateway, "sms", "inbox", to)
        assert [m["text"] for m in inbox] == ["Your order 42 ships today. 감사합니다"]
        assert inbox[0]["from"] == SHORT_CODE
        wait_until(lambda: listener.receipts, what="notifySmsDeliveryReceipt")
        ((correlator, receipt),) = listener.receipts
        assert correlator == "order-42"
        assert (receipt.address, receipt.deliveryStatus) == (to, sms_idl.DeliveredToTerminal)
    finally:
        sms.session.terminate()


def test_a_failing_callback_is_retried_until_it_answers(gateway: Gateway) -> None:
    listener = AppSmsNotification(fail_first=1)
    sms = obtain_sms(gateway, "sms-flaky")
    try:
        request_id = sms.manager.sendSms(
            ["tel:+821055501002"], "", [], "retry me", [listener.reference("flaky-1")]
        )
        wait_status(sms.manager, request_id, sms_idl.DeliveredToTerminal)
        wait_until(lambda: listener.receipts, what="the retried receipt")
        assert listener.calls == 2 and listener.receipts[0][0] == "flaky-1"
    finally:
        sms.session.terminate()
        listener.close()


def test_mo_message_reaches_the_started_notification(
    gateway: Gateway, listener: AppSmsNotification
) -> None:
    sms = obtain_sms(gateway, "sms-keyword")
    number, handset = "short:1555701", "tel:+821055501003"
    try:
        sms.manager.startSmsNotification(listener.reference("vote-1"), number, "VOTE")
        cli_json(gateway, "sms", "mo", handset, number, "vote blue please")
        wait_until(lambda: listener.receptions, what="notifySmsReception")
        ((correlator, message),) = listener.receptions
        assert correlator == "vote-1"
        assert message.message == "vote blue please"
        assert (message.senderAddress, message.smsServiceActivationNumber) == (handset, number)
        assert message.dateTime.endswith("Z")
        sms.manager.stopSmsNotification("vote-1")
        assert fault(lambda: sms.manager.stopSmsNotification("vote-1")) == (
            "ServiceException",
            "SVC0002",
            ["correlator"],
        )
    finally:
        sms.session.terminate()


def test_an_application_process_is_told_of_korean_mo_text(gateway: Gateway, tmp_path: Path) -> None:
    """A separate application process, with the client library's ORB, gets non-Latin text
    through notifySmsReception: both ORBs carry IDL strings as UTF-8."""
    app = gateway.register("sms-korean-app", services=("P_SMS",))
    number, handset, text = "short:1555703", "tel:+821055501007", "안녕하세요 micropay 😀"
    spec = {"number": number, "criteria": "", "correlator": "ko-1", "count": 1, "wait_s": 20}
    process = AppProcess(gateway, app, tmp_path, **spec)
    try:
        assert process.next_line() == "ready"
        cli_json(gateway, "sms", "mo", handset, number, text)
        got = json.loads(process.next_line())
        assert got["correlator"] == "ko-1"
        assert (got["message"], got["senderAddress"]) == (text, handset)
        assert got["smsServiceActivationNumber"] == number
        assert process.wait() == 0
    finally:
        process.kill()


def test_get_received_sms_hands_each_message_over_once(gateway: Gateway) -> None:
    sms = obtain_sms(gateway, "sms-poller")
    number = "short:1555702"
    try:
        registration = register_activation_number(gateway, "sms-poller", number)
        cli_json(gateway, "sms", "mo", "tel:+821055501004", number, "first")
        cli_json(gateway, "sms", "mo", "tel:+821055501005", number, "두 번째")
        got: list = []
        wait_until(
            lambda: got.extend(sms.manager.getReceivedSms(registration)) or len(got) == 2,
            what="two received messages",
        )
        assert [(m.message, m.senderAddress) for m in got] == [
            ("first", "tel:+821055501004"),
            ("두 번째", "tel:+821055501005"),
        ]
        assert all(m.smsServiceActivationNumber == number for m in got)
        assert sms.manager.getReceivedSms(registration) == []
        other = obtain_sms(gateway, "sms-other-poller")
        try:
            assert fault(lambda: other.manager.getReceivedSms(registration)) == (
                "ServiceException",
                "SVC0002",
                ["registrationIdentifier"],
            )
        finally:
            other.session.terminate()
    finally:
        sms.session.terminate()


def test_the_manager_dies_with_its_agreement(gateway: Gateway) -> None:
    sms = obtain_sms(gateway, "sms-leaver")
    try:
        request_id = sms.manager.sendSms(["tel:+821055501006"], "", [], "bye", [])
        sms.session.terminate_agreement(sms.token)
        with pytest.raises(CORBA.OBJECT_NOT_EXIST):
            sms.manager.getSmsDeliveryStatus(request_id)
        again = sms.session.obtain_service("P_SMS")._narrow(sms_idl.IpSmsManager)
        assert again.getSmsDeliveryStatus(request_id)[0].address == "tel:+821055501006"
    finally:
        sms.session.terminate()
