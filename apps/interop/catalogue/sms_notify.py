"""Short Messaging: SmsNotificationManager, notifySmsReception and ReceiveSms (TS 29.199-4).

Received messages are stimulated through the operator's MO hook (``[sms] mo_command``).
"""

from __future__ import annotations

from typing import Any

from apps.interop.catalogue.common import (
    PX1,
    PX4,
    SmsRegistration,
    recipient,
    send_mo,
    sms_property,
    wait_until,
)
from apps.interop.model import Inconclusive, tp
from apps.interop.refusals import Refusal, expect_refusal

NOTIFY = f"{PX4} SmsNotificationManager"
RECEIVE = f"{PX4} ReceiveSms"


def _activation_number(ctx: Any) -> str:
    number = ctx.profile.sms.get("activation_number") or sms_property(ctx, "P_SMS_SHORT_CODE")
    if not number:
        raise Inconclusive("no activation number: profile [sms] activation_number or a "
                           "P_SMS_SHORT_CODE property")  # fmt: skip
    return number


def _start(ctx: Any, number: str, criteria: str, correlator: str | None = None) -> str:
    correlator = correlator or ctx.ref("sms")
    ctx.sms.startSmsNotification(correlator, number, criteria)
    ctx.own(SmsRegistration(ctx.sms, correlator))
    return correlator


def _registration(ctx: Any) -> tuple[str, str, str]:
    sms = ctx.profile.sms
    if not sms.get("registration"):
        raise Inconclusive("no off-line registration in the profile ([sms] registration, "
                           "registration_number, registration_criteria)")  # fmt: skip
    number = sms.get("registration_number") or _activation_number(ctx)
    return sms["registration"], number, sms.get("registration_criteria", "")


@tp("SMS/NOT/BV-01", "A started notification receives the handset's message",
    clause=f"{NOTIFY}.startSmsNotification; SmsNotification.notifySmsReception",
    pre="An activation number; the MO hook; a test handset",
    stimulus="startSmsNotification({our SmsNotification, correlator}, number, a unique word); "
             "the handset sends 'WORD text' to the number",
    expected="notifySmsReception(correlator, {the text, the handset, the number})",
    covers=("startSmsNotification", "SmsNotification.notifySmsReception", "StreamSmsReceptions"))  # fmt: skip
def reception(ctx: Any) -> None:
    number, word, handset = _activation_number(ctx), ctx.word(), recipient(ctx)
    correlator = _start(ctx, number, word)
    text = f"{word} interop {ctx.run_id}"
    send_mo(ctx, handset, number, text)
    message = ctx.sms.wait_reception(correlator, ctx.wait_s)
    assert message is not None, f"no notifySmsReception within {ctx.wait_s:.0f} s"
    assert message.message == text, f"message {message.message!r}"
    assert message.sender.replace("-", "") == handset.replace("-", ""), f"sender {message.sender}"


@tp("SMS/NOT/BV-02", "stopSmsNotification ends the registration",
    clause=f"{NOTIFY}.stopSmsNotification",
    pre="An activation number",
    stimulus="startSmsNotification(correlator, number, a unique word); stopSmsNotification("
             "correlator) twice",
    expected="The first stop is accepted; the second is refused with SVC0002 (it is gone)",
    covers=("stopSmsNotification",))  # fmt: skip
def stop(ctx: Any) -> None:
    correlator = ctx.ref("sms")
    ctx.sms.startSmsNotification(correlator, _activation_number(ctx), ctx.word())
    ctx.sms.stopSmsNotification(correlator)
    expect_refusal(lambda: ctx.sms.stopSmsNotification(correlator), "SVC0002", part="correlator")


@tp("SMS/NOT/BI-01", "A correlator already started is refused",
    clause=f"{NOTIFY}.startSmsNotification; {PX1} SVC0005 (Correlator %1 ... is a duplicate)",
    pre="An activation number",
    stimulus="startSmsNotification(correlator C, number, word 1); again with C and word 2",
    expected="ServiceException SVC0005",
    covers=("SVC0005",))  # fmt: skip
def duplicate_correlator(ctx: Any) -> None:
    number = _activation_number(ctx)
    correlator = _start(ctx, number, ctx.word())
    expect_refusal(lambda: ctx.sms.startSmsNotification(correlator, number, ctx.word()), "SVC0005")


@tp("SMS/NOT/BI-02", "The same number and criteria twice are refused",
    clause=f"{NOTIFY}.startSmsNotification; {PX1} SVC0008 (Overlapped Criteria %1)",
    pre="An activation number",
    stimulus="startSmsNotification(C1, number, word W); startSmsNotification(C2, number, W)",
    expected="ServiceException SVC0008",
    covers=("SVC0008",))  # fmt: skip
def overlapped(ctx: Any) -> None:
    number, word = _activation_number(ctx), ctx.word()
    _start(ctx, number, word)
    other = ctx.ref("sms")
    expect_refusal(
        lambda: ctx.sms.startSmsNotification(other, number, word), "SVC0008",
        on_success=lambda _: ctx.sms.stopSmsNotification(other),
    )  # fmt: skip


@tp("SMS/NOT/BI-03", "A malformed activation number is refused",
    clause=f"{NOTIFY}.startSmsNotification (smsServiceActivationNumber: anyURI); SVC0002",
    pre="None",
    stimulus="startSmsNotification(correlator, 'not a number', word)",
    expected="ServiceException SVC0002 naming smsServiceActivationNumber",
    covers=("SVC0002",))  # fmt: skip
def bad_number(ctx: Any) -> None:
    expect_refusal(
        lambda: ctx.sms.startSmsNotification(ctx.ref("sms"), "not a number", ctx.word()),
        "SVC0002", part="smsServiceActivationNumber",
    )  # fmt: skip


@tp("SMS/NOT/BI-04", "Criteria of more than one word are refused",
    clause=f"{NOTIFY}.startSmsNotification (criteria); SVC0002",
    pre="An activation number",
    stimulus="startSmsNotification(correlator, number, 'TWO WORDS')",
    expected="ServiceException SVC0002 naming criteria",
    covers=("SVC0002",))  # fmt: skip
def two_words(ctx: Any) -> None:
    expect_refusal(
        lambda: ctx.sms.startSmsNotification(ctx.ref("sms"), _activation_number(ctx), "TWO WORDS"),
        "SVC0002", part="criteria",
    )  # fmt: skip


@tp("SMS/NOT/BI-05", "Stopping an unknown correlator is refused",
    clause=f"{NOTIFY}.stopSmsNotification; SVC0002",
    pre="None",
    stimulus="stopSmsNotification('iop-...-never-started')",
    expected="ServiceException SVC0002 naming correlator",
    covers=("SVC0002",))  # fmt: skip
def stop_unknown(ctx: Any) -> None:
    expect_refusal(
        lambda: ctx.sms.stopSmsNotification(f"iop-{ctx.run_id}-never-started"),
        "SVC0002",
        part="correlator",
    )


@tp("SMS/NOT/BI-06", "A notification endpoint that is not an object reference is refused",
    clause=f"{NOTIFY}.startSmsNotification (reference: SimpleReference); docs/idl-mapping.md",
    pre="An activation number",
    stimulus="startSmsNotification({endpoint 'not-an-object-reference', ...}, number, word)",
    expected="ServiceException SVC0002 naming reference",
    transports=("corba",), covers=("SVC0002",))  # fmt: skip
def bad_reference(ctx: Any) -> None:
    reference = ctx.sms.reference(ctx.ref("sms"), endpoint="not-an-object-reference")
    expect_refusal(
        lambda: ctx.sms.m.startSmsNotification(reference, _activation_number(ctx), ctx.word()),
        "SVC0002", part="reference",
    )  # fmt: skip


@tp("SMS/NOT/BI-07", "Resuming a stream from an unknown cursor is refused",
    clause="proto/micropay/v1/sms.proto StreamSmsReceptions, StreamDeliveryReceipts (after_cursor)",
    pre="None",
    stimulus="StreamSmsReceptions and StreamDeliveryReceipts with a made-up after_cursor",
    expected="INVALID_ARGUMENT for both",
    transports=("grpc",), covers=("StreamSmsReceptions", "StreamDeliveryReceipts"))  # fmt: skip
def unknown_cursors(ctx: Any) -> None:
    from micropay.v1 import sms_pb2 as spb

    from apps.interop.grpc_scf import _first

    for name, request in (
        ("StreamSmsReceptions", spb.StreamSmsReceptionsRequest(after_cursor="iop-no-such-cursor")),
        (
            "StreamDeliveryReceipts",
            spb.StreamDeliveryReceiptsRequest(after_cursor="iop-no-such-cursor"),
        ),
    ):
        stream = ctx.sms.raw.stream(name, request, 5.0)
        try:
            _first(stream, lambda _: True)
        except Refusal as refusal:
            assert refusal.grpc_code == "INVALID_ARGUMENT", f"{name}: {refusal.describe()}"
            continue
        raise AssertionError(f"{name} accepted a made-up cursor")


@tp("SMS/RCV/BV-01", "getReceivedSms hands over messages for a registration",
    clause=f"{RECEIVE}.getReceivedSms",
    pre="An off-line registration of the application (number, criteria); the MO hook; a handset",
    stimulus="The handset sends 'CRITERIA text' to the number; poll getReceivedSms(registration)",
    expected="The message, with its sender and the number; handed over once",
    covers=("getReceivedSms",))  # fmt: skip
def received(ctx: Any) -> None:
    registration, number, criteria = _registration(ctx)
    ctx.sms.getReceivedSms(registration)  # empty the queue first
    handset = recipient(ctx)
    text = f"{criteria} interop {ctx.run_id}".strip()
    send_mo(ctx, handset, number, text)
    found = wait_until(
        lambda: [m for m in ctx.sms.getReceivedSms(registration) if m.message == text],
        ctx.wait_s,
        0.3,
    )
    assert found, f"the message did not arrive within {ctx.wait_s:.0f} s"
    assert found[0].sender.replace("-", "") == handset.replace("-", ""), f"sender {found[0].sender}"


@tp("SMS/RCV/BI-01", "getReceivedSms of an unknown registration is refused",
    clause=f"{RECEIVE}.getReceivedSms; SVC0002",
    pre="None",
    stimulus="getReceivedSms('iop-...-no-such-registration')",
    expected="ServiceException SVC0002 naming registrationIdentifier",
    covers=("SVC0002",))  # fmt: skip
def received_unknown(ctx: Any) -> None:
    expect_refusal(
        lambda: ctx.sms.getReceivedSms(f"iop-{ctx.run_id}-no-such-registration"),
        "SVC0002", part="registrationIdentifier",
    )  # fmt: skip


@tp("SMS/RCV/BI-02", "Another application cannot read the registration",
    clause=f"{RECEIVE}.getReceivedSms; docs/sms.md (an application sees only its own registrations)",
    pre="An off-line registration of the application; a peer application with SMS",
    stimulus="The peer calls getReceivedSms(our registration)",
    expected="ServiceException SVC0002",
    covers=("SVC0002",))  # fmt: skip
def received_isolated(ctx: Any) -> None:
    registration, _, _ = _registration(ctx)
    peer = ctx.peer("sms")
    expect_refusal(
        lambda: peer.getReceivedSms(registration), "SVC0002", part="registrationIdentifier"
    )
