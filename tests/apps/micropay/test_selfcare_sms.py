"""SMS self-care from the phone alone, through the real SMSC path: a message from a handset
(the embedded SMSC's ``sms mo``) reaches the gateway over SMPP, the shop's SmsNotification, the
Account Management self-care extension and the ledger; the answer and the gateway's alert come
back over SMPP to the handset. Every keyword in both languages, a number without an account,
malformed commands, and PIN attempts that lock."""

from __future__ import annotations

import time

import pytest

from charging.errors import PinLocked
from tests.apps.micropay.conftest import make_account
from tests.apps.micropay.harness import LIMIT_RAISE_DELAY_S, Deployment


def test_stop_and_resume_in_both_languages(deployment: Deployment) -> None:
    tel = make_account(deployment.ledger, "4001", pin="1234")
    deployment.mo(tel, "STOP")
    assert "Your account is stopped" in deployment.wait_text(tel, "stopped")
    assert "RESUME and your PIN" in deployment.wait_text(tel, "stopped")
    deployment.wait_text(tel, "Your account is suspended")  # the gateway's alert
    status = deployment.ledger.status("4001")
    assert (status.state, status.suspended_by) == ("suspended", "subscriber")
    deployment.mo(tel, "재개 1234")
    deployment.wait_text(tel, "계정이 다시 사용 가능합니다")
    assert deployment.ledger.status("4001").state == "active"
    deployment.mo(tel, "분실")
    deployment.wait_text(tel, "계정을 정지했습니다")
    deployment.mo(tel, "RESUME 1234")
    deployment.wait_text(tel, "active again", count=2)  # the first alert's, then these
    assert deployment.ledger.status("4001").state == "active"
    kinds = [a.kind for a in reversed(deployment.ledger.alerts_of("4001"))]
    assert kinds == ["alert_suspended", "alert_resumed"] * 2


def test_an_operator_suspension_is_not_resumed_by_sms(deployment: Deployment) -> None:
    tel = make_account(deployment.ledger, "4002", pin="1234")
    deployment.ledger.set_status("4002", "suspended")
    deployment.mo(tel, "RESUME 1234")
    assert "cannot be resumed by SMS" in deployment.wait_text(tel, "cannot be resumed")
    assert deployment.ledger.status("4002").state == "suspended"


def test_limits_lower_at_once_and_rise_after_the_cooling_off(deployment: Deployment) -> None:
    tel = make_account(deployment.ledger, "4003", pin="1234", monthly_limit=50_000)
    deployment.mo(tel, "LIMIT 30,000")
    deployment.wait_text(tel, "Your monthly limit is now 30,000 KRW.")
    assert deployment.ledger.status("4003").monthly_limit_minor == 30_000
    deployment.mo(tel, "한도 80000")
    deployment.wait_text(tel, "한도를 올리려면 PIN이 필요합니다")
    deployment.mo(tel, "LIMIT 80000 1234")
    assert "rises to 80,000 KRW" in deployment.wait_text(tel, "until then it is 30,000 KRW")
    assert deployment.ledger.status("4003").pending_monthly_limit_minor == 80_000
    deadline = time.monotonic() + LIMIT_RAISE_DELAY_S + 10
    while deployment.ledger.status("4003").monthly_limit_minor != 80_000:
        assert time.monotonic() < deadline, "the raise did not apply"
        time.sleep(0.2)
    deployment.wait_text(tel, "Your monthly limit is now 80,000 KRW.")


def test_history_help_codes_and_alerts(deployment: Deployment) -> None:
    ledger = deployment.ledger
    tel = make_account(ledger, "4004", balance=100_000)
    deployment.mo(tel, "HIST")
    deployment.wait_text(tel, "No payments yet.")
    for i, amount in enumerate((1_000, 2_000, 3_000, 4_000)):
        ledger.charge(
            app_id="seed",
            reference_code=f"seed-4004-{i}",
            account="4004",
            amount_minor=amount,
            currency="KRW",
            description="earlier",
        )
    ledger.recharge(
        app_id="operator",
        reference_code="top-4004",
        account="4004",
        amount_minor=500,
        currency="KRW",
    )  # not a payment
    time.sleep(1.1)  # the shop takes one text, sender and second as one message (redelivery)
    deployment.mo(tel, "HIST")
    last = deployment.wait_text(tel, "Last payments:")
    assert [p.split()[-1] for p in last.split(": ", 1)[1].split(", ")] == [
        "4,000KRW", "3,000KRW", "2,000KRW"
    ]  # fmt: skip
    deployment.mo(tel, "내역")
    deployment.wait_text(tel, "최근 결제: ")
    deployment.mo(tel, "HELP")
    deployment.wait_text(tel, "Text 1555: BAL balance")
    deployment.mo(tel, "도움말")
    deployment.wait_text(tel, "1555로 보내세요")
    deployment.mo(tel, "OTP 0")
    deployment.wait_text(tel, "Every payment now needs a code")
    assert ledger.status("4004").confirm_above_minor == 0
    deployment.mo(tel, "인증 해제")
    deployment.wait_text(tel, "결제 인증번호 확인을 해제했습니다")
    assert ledger.status("4004").confirm_above_minor is None
    deployment.mo(tel, "인증 5000")
    deployment.wait_text(tel, "5,000KRW를 넘는 결제는")
    assert ledger.status("4004").confirm_above_minor == 5_000
    deployment.mo(tel, "ALERT 10000")
    deployment.wait_text(tel, "every payment above 10,000 KRW")
    ledger.charge(
        app_id="seed",
        reference_code="seed-4004-big",
        account="4004",
        amount_minor=10_001,
        currency="KRW",
        description="big",
    )
    assert "A payment of 10,001 KRW was made" in deployment.wait_text(tel, "10,001 KRW")
    deployment.mo(tel, "알림 해제")
    deployment.wait_text(tel, "큰 결제 알림을 해제했습니다")
    for malformed in ("LIMIT lots", "RESUME", "STOP now", "hello"):
        before = len(deployment.inbox(tel))
        deployment.mo(tel, malformed)
        assert "BAL balance" in deployment.wait_inbox(tel, before + 1)[before]["text"]


def test_a_number_without_an_account(deployment: Deployment) -> None:
    tel = "tel:+821099990017"
    for text in ("STOP", "재개 1234"):
        deployment.mo(tel, text)
    deployment.wait_inbox(tel, 2)
    texts = [m["text"] for m in deployment.inbox(tel)]
    assert "not registered for micro-payments" in texts[0]
    assert "소액결제에 등록되지 않은 번호입니다" in texts[1]


def test_pin_attempts_by_sms_lock(deployment: Deployment) -> None:
    ledger = deployment.ledger
    tel = make_account(ledger, "4005", pin="1234")
    deployment.mo(tel, "STOP")
    deployment.wait_text(tel, "Your account is stopped")
    for _ in range(3):
        before = len([m for m in deployment.inbox(tel) if "Wrong PIN" in m["text"]])
        time.sleep(1.1)  # one text per sender and second (see above)
        deployment.mo(tel, "RESUME 0000")
        deadline = time.monotonic() + 15
        while len([m for m in deployment.inbox(tel) if "Wrong PIN" in m["text"]]) == before:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert "3 wrong PINs were entered" in deployment.wait_text(tel, "wrong PINs were entered")
    deployment.mo(tel, "RESUME 1234")  # the right PIN, but locked
    deployment.wait_text(tel, "Too many wrong PINs")
    assert ledger.status("4005").state == "suspended"
    with pytest.raises(PinLocked):  # the same lock-out holds on every surface
        ledger.verify_pin("4005", "1234")
