"""End to end over real SMPP: the SMS service and its sender against the embedded SMSC process."""

from __future__ import annotations

import pytest

from scf.sms.model import DeliveryStatus, SimpleReference
from scf.sms.runtime import SmsRuntime
from tests.sms.conftest import Listener, Smsc, wait_until

A, B = "tel:+821011112222", "tel:+821033334444"
SHORT = "short:1555"


def statuses(sms: SmsRuntime, request_id: str, app: str = "app1") -> dict[str, str]:
    return {i.address: i.deliveryStatus for i in sms.service.getSmsDeliveryStatus(app, request_id)}


def all_delivered(sms: SmsRuntime, request_id: str) -> bool:
    return set(statuses(sms, request_id).values()) == {DeliveryStatus.DeliveredToTerminal}


def test_send_receipt_status_and_notification(
    sms: SmsRuntime, smsc: Smsc, listener: Listener
) -> None:
    ref = SimpleReference("app1-endpoint", "SmsNotification", "corr-1")
    rid = sms.service.sendSms("app1", [A, B], None, None, "Your code is 1234", ref)
    assert set(statuses(sms, rid).values()) <= {
        DeliveryStatus.MessageWaiting,
        DeliveryStatus.DeliveredToNetwork,
        DeliveryStatus.DeliveredToTerminal,
    }
    wait_until(lambda: all_delivered(sms, rid), what="DeliveredToTerminal")
    wait_until(lambda: len(listener.receipts) == 2, what="two receipts")
    assert sorted((c, d.address, d.deliveryStatus) for c, d in listener.receipts) == [
        ("corr-1", A, DeliveryStatus.DeliveredToTerminal),
        ("corr-1", B, DeliveryStatus.DeliveredToTerminal),
    ]
    for number in (A, B):
        [msg] = smsc.inbox(number)
        assert msg["text"] == "Your code is 1234" and msg["from"] == SHORT


def test_korean_and_long_messages_round_trip_exactly(
    sms: SmsRuntime, smsc: Smsc, listener: Listener
) -> None:
    texts = {
        "tel:+821000000001": "결제가 완료되었습니다. 감사합니다!",
        "tel:+821000000002": "가나다라마바사" * 40 + "😀 끝",  # 282 chars, UCS-2, 5 parts
        "tel:+821000000003": "{curly} [square] €uro ~tilde " * 30,  # GSM, 1050 septets: 7 parts
        "tel:+821000000004": "a" * 1530,  # the configured maximum, 10 parts
    }
    ref = SimpleReference("ep", "SmsNotification", "long")
    ids = {n: sms.service.sendSms("app1", [n], "micropay", None, t, ref) for n, t in texts.items()}
    for number, rid in ids.items():
        wait_until(lambda rid=rid: all_delivered(sms, rid), what=f"delivery to {number}")
        [msg] = smsc.inbox(number)
        assert msg["text"] == texts[number]
        assert msg["from"] == "micropay"
    assert [m["parts"] for n in texts for m in smsc.inbox(n)] == [1, 5, 7, 10]
    # one receipt notification per address, only once all parts arrived
    wait_until(lambda: len(listener.receipts) == 4, what="receipts")
    assert {d.address for _, d in listener.receipts} == set(texts)


def test_delivery_failure_is_delivery_impossible(
    sms: SmsRuntime, smsc: Smsc, listener: Listener
) -> None:
    smsc.admin("rule", number=B, fail="UNDELIV")
    ref = SimpleReference("ep", "SmsNotification", "fail")
    rid = sms.service.sendSms("app1", [A, B], None, None, "x" * 200, ref)
    wait_until(lambda: len(listener.receipts) == 2, what="receipts")
    assert statuses(sms, rid) == {
        A: DeliveryStatus.DeliveredToTerminal,
        B: DeliveryStatus.DeliveryImpossible,
    }
    assert smsc.inbox(B) == []


def test_rejected_submit_is_delivery_impossible(sms: SmsRuntime, smsc: Smsc) -> None:
    smsc.admin("rule", number=B, reject=0x0B)  # ESME_RINVDSTADR
    rid = sms.service.sendSms("app1", [B], None, None, "hello", None)
    wait_until(lambda: statuses(sms, rid)[B] == DeliveryStatus.DeliveryImpossible, what="failure")


def test_delayed_delivery_shows_delivered_to_network_first(sms: SmsRuntime, smsc: Smsc) -> None:
    smsc.admin("rule", number=A, delay_ms=1500)
    rid = sms.service.sendSms("app1", [A], None, None, "later", None)
    wait_until(lambda: statuses(sms, rid)[A] == DeliveryStatus.DeliveredToNetwork, what="network")
    assert smsc.inbox(A) == []
    wait_until(lambda: all_delivered(sms, rid), what="terminal")


def test_mo_reaches_notification_then_getreceivedsms(
    sms: SmsRuntime, smsc: Smsc, listener: Listener
) -> None:
    service = sms.service
    reg = service.register_activation_number("app1", SHORT)
    service.startSmsNotification(
        "app1", SimpleReference("ep", "SmsNotification", "mo-1"), SHORT, "PAY"
    )
    long_korean = "PAY 1000 " + "한국어 긴 메시지 " * 20
    smsc.admin("mo", **{"from": A, "to": SHORT, "text": long_korean})
    smsc.admin("mo", **{"from": B, "to": SHORT, "text": "balance please"})
    wait_until(lambda: listener.receptions, what="notifySmsReception")
    [(correlator, message)] = listener.receptions
    assert correlator == "mo-1"
    assert (message.message, message.senderAddress, message.smsServiceActivationNumber) == (
        long_korean,
        A,
        SHORT,
    )
    # criteria did not match: the other message waits for getReceivedSms
    got = wait_until(lambda: service.getReceivedSms("app1", reg), what="getReceivedSms")
    assert [(m.message, m.senderAddress) for m in got] == [("balance please", B)]
    assert service.getReceivedSms("app1", reg) == []  # handed over once
    # after stopSmsNotification, PAY messages wait for polling too
    service.stopSmsNotification("app1", "mo-1")
    smsc.admin("mo", **{"from": A, "to": SHORT, "text": "pay again"})
    got = wait_until(lambda: service.getReceivedSms("app1", reg), what="poll after stop")
    assert [m.message for m in got] == ["pay again"]
    assert len(listener.receptions) == 1


def test_notifications_are_retried_until_the_application_answers(config, smsc: Smsc) -> None:
    from scf.sms.runtime import start_sms

    flaky = Listener(fail_first=2)
    runtime = start_sms(config, resolver=lambda endpoint: flaky, lease_ms=2_000)
    try:
        rid = runtime.service.sendSms(
            "app1", [A], None, None, "retry me", SimpleReference("ep", "SmsNotification", "r")
        )
        wait_until(lambda: flaky.receipts, what="receipt after retries")
        assert flaky.calls == 3
        assert [d.deliveryStatus for _, d in flaky.receipts] == [DeliveryStatus.DeliveredToTerminal]
        assert (
            runtime.service.getSmsDeliveryStatus("app1", rid)[0].deliveryStatus
            == "DeliveredToTerminal"
        )
    finally:
        runtime.stop()


def test_notify_subscriber_uses_templates(sms: SmsRuntime, smsc: Smsc, config) -> None:
    (config.data_dir / "sms-templates.toml").write_text(
        '[low_balance]\nko = "잔액 부족: {balance}원 남음"\n', encoding="utf-8"
    )
    sms.service.notify_subscriber("low_balance", A, lang="ko", balance="1,500", currency="KRW")
    sms.service.notify_subscriber(
        "payment_details",
        B,
        lang="en",
        merchant="Shop",
        amount="3000",
        currency="KRW",
        balance="12000",
        date="2026-01-02",
    )
    wait_until(lambda: smsc.inbox(A) and smsc.inbox(B), what="subscriber SMS")
    assert smsc.inbox(A)[0]["text"] == "잔액 부족: 1,500원 남음"
    assert smsc.inbox(B)[0]["text"] == (
        "[micropay] Paid 3000 KRW to Shop on 2026-01-02. Balance 12000 KRW"
    )


@pytest.mark.postgres
def test_send_and_mo_on_postgresql(
    postgres_url: str, smsc: Smsc, config, listener: Listener
) -> None:
    from gateway.config import load_config
    from scf.sms.runtime import start_sms

    pg_config = load_config(
        env={
            "MICROPAY_DATA_DIR": str(config.data_dir),
            "MICROPAY_SMSC_PORT": str(smsc.port),
            "MICROPAY_LEDGER_URL": postgres_url,
        }
    )
    runtime = start_sms(pg_config, resolver=lambda e: listener, lease_ms=2_000)
    try:
        ref = SimpleReference("ep", "SmsNotification", "pg")
        rid = runtime.service.sendSms("app1", [A], None, None, "한국어 " * 40, ref)
        wait_until(lambda: all_delivered(runtime, rid), what="delivered on PostgreSQL")
        reg = runtime.service.register_activation_number("app1", SHORT)
        smsc.admin("mo", **{"from": B, "to": SHORT, "text": "조회 " * 50})
        got = wait_until(
            lambda: runtime.service.getReceivedSms("app1", reg), what="MO on PostgreSQL"
        )
        assert got[0].message == "조회 " * 50
        assert smsc.inbox(A)[0]["text"] == "한국어 " * 40
    finally:
        runtime.stop()
