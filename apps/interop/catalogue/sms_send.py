"""Short Messaging: SendSms, delivery, SmsNotificationManager and ReceiveSms (TS 29.199-4).

SMS go only to the handsets the operator names (tel: test accounts or ``[sms] recipients``);
received messages are stimulated through the operator's MO hook (``[sms] mo_command``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.interop.catalogue.common import (
    PX1,
    PX4,
    recipient,
    sms_property,
    wait_until,
)
from apps.interop.faces import DELIVERY_STATUSES, Charge
from apps.interop.model import Inconclusive, tp
from apps.interop.refusals import expect_refusal

SEND = f"{PX4} SendSms"
NOTIFY = f"{PX4} SmsNotificationManager"
RECEIVE = f"{PX4} ReceiveSms"
KOREAN = "결제가 완료되었습니다 (interop)"


def _text(ctx: Any, what: str) -> str:
    return f"micropay interop {ctx.run_id}: {what}"


def _delivered(ctx: Any, request: str, address: str) -> str:
    """Wait until the address's status is final; the last status seen."""
    final = ("DeliveredToTerminal", "DeliveryImpossible")
    seen: dict[str, str] = {}

    def look() -> bool:
        seen.update(ctx.sms.getSmsDeliveryStatus(request))
        return seen.get(address) in final

    wait_until(look, ctx.wait_s, 0.25)
    return seen.get(address, "")


# -- SendSms ------------------------------------------------------------------------------------
@tp("SMS/SND/BV-01", "sendSms stores the message and reports its delivery per address",
    clause=f"{SEND}.sendSms, getSmsDeliveryStatus",
    pre="A test handset (tel: test account or [sms] recipients)",
    stimulus="sendSms([handset], '', no charging, text, no receipt); getSmsDeliveryStatus(id)",
    expected="A request identifier; one DeliveryInformation for the handset with a Parlay X "
             "DeliveryStatus",
    covers=("sendSms", "getSmsDeliveryStatus"))  # fmt: skip
def send(ctx: Any) -> None:
    to = recipient(ctx)
    request = ctx.sms.sendSms([to], "", None, _text(ctx, "hello"))
    assert request, "an empty request identifier"
    statuses = ctx.sms.getSmsDeliveryStatus(request)
    assert [a for a, _ in statuses] == [to], f"statuses for {statuses}"
    assert statuses[0][1] in DELIVERY_STATUSES, statuses[0][1]


@tp("SMS/SND/BV-02", "A message to two handsets has a status for each",
    clause=f"{SEND}.sendSms (addresses[1..n]), getSmsDeliveryStatus",
    pre="Two test handsets",
    stimulus="sendSms([a, b], '', no charging, text, no receipt); getSmsDeliveryStatus(id)",
    expected="One DeliveryInformation for each address",
    covers=("sendSms",))  # fmt: skip
def send_two(ctx: Any) -> None:
    handsets = ctx.profile.recipients[:2]
    if len(handsets) < 2:
        raise Inconclusive("needs two test handsets")
    request = ctx.sms.sendSms(handsets, "", None, _text(ctx, "to two"))
    addresses = sorted(a for a, _ in ctx.sms.getSmsDeliveryStatus(request))
    assert addresses == sorted(handsets), f"statuses for {addresses}"


@tp("SMS/SND/BV-03", "A long message is concatenated and delivered",
    clause=f"{SEND}.sendSms",
    pre="A test handset",
    stimulus="sendSms([handset], '', no charging, 400 characters, no receipt)",
    expected="DeliveredToTerminal",
    covers=("sendSms",))  # fmt: skip
def send_long(ctx: Any) -> None:
    to = recipient(ctx)
    body = (_text(ctx, "long ") + "0123456789" * 40)[:400]
    request = ctx.sms.sendSms([to], "", None, body)
    status = _delivered(ctx, request, to)
    assert status == "DeliveredToTerminal", f"status {status or 'none'} after {ctx.wait_s:.0f} s"


@tp("SMS/SND/BV-04", "A Korean (UCS-2) message is accepted and delivered",
    clause=f"{SEND}.sendSms (message: xsd:string)",
    pre="A test handset",
    stimulus="sendSms([handset], '', no charging, Korean text, no receipt)",
    expected="DeliveredToTerminal",
    covers=("sendSms",))  # fmt: skip
def send_korean(ctx: Any) -> None:
    to = recipient(ctx)
    request = ctx.sms.sendSms([to], "", None, f"{KOREAN} {ctx.run_id}")
    status = _delivered(ctx, request, to)
    assert status == "DeliveredToTerminal", f"status {status or 'none'} after {ctx.wait_s:.0f} s"


@tp("SMS/SND/BV-05", "A sender name is accepted",
    clause=f"{SEND}.sendSms (senderName)",
    pre="A test handset",
    stimulus="sendSms([handset], 'INTEROP', no charging, text, no receipt)",
    expected="A request identifier",
    covers=("sendSms",))  # fmt: skip
def send_named(ctx: Any) -> None:
    assert ctx.sms.sendSms([recipient(ctx)], "INTEROP", None, _text(ctx, "named")), "no identifier"


@tp("SMS/SND/BV-06", "A charged message debits the application's billing account",
    clause=f"{SEND}.sendSms (charging); {PX1} §5.2 (charging information)",
    pre="A test handset; the application's billing account (profile [sms] billing_account, "
        "charge_amount)",
    stimulus="sendSms([handset], '', {description, currency, amount}, text, no receipt)",
    expected="Accepted; the billing account falls by the amount (refunded afterwards)",
    destructive=True, covers=("sendSms",))  # fmt: skip
def send_charged(ctx: Any) -> None:
    billing = ctx.profile.sms.get("billing_account")
    if not billing:
        raise Inconclusive("no billing account in the profile ([sms] billing_account)")
    from apps.interop.profile import TestAccount

    account = next((a for a in ctx.profile.accounts if a.address == billing), TestAccount(billing))
    ctx.classify_accounts()
    if account.status is None:
        account.status = ctx.status(account)
    amount = Decimal(str(ctx.profile.sms.get("charge_amount", "10")))
    charging = Charge(f"interop SMS ({ctx.run_id})", account.status.currency, f"{amount:f}")
    moved = ctx.delta(
        account, lambda: ctx.sms.sendSms([recipient(ctx)], "", charging, _text(ctx, "charged"))
    )
    assert moved == -amount, f"the billing account moved by {moved}, expected -{amount}"


@tp("SMS/SND/BI-01", "An empty message is refused",
    clause=f"{SEND}.sendSms; SVC0002",
    pre="A test handset",
    stimulus="sendSms([handset], '', no charging, '', no receipt)",
    expected="ServiceException SVC0002 naming message",
    covers=("SVC0002",))  # fmt: skip
def send_empty(ctx: Any) -> None:
    expect_refusal(
        lambda: ctx.sms.sendSms([recipient(ctx)], "", None, ""), "SVC0002", part="message"
    )


@tp("SMS/SND/BI-02", "A message over the maximum length is refused",
    clause=f"{SEND}.sendSms; {PX4} SVC0280 (Message too long. Maximum length is %1 characters)",
    pre="A test handset; the maximum (P_SMS_MAX_LENGTH property, else 10000 characters are sent)",
    stimulus="sendSms([handset], '', no charging, maximum + 1 characters, no receipt)",
    expected="ServiceException SVC0280 naming the maximum",
    covers=("SVC0280",))  # fmt: skip
def send_too_long(ctx: Any) -> None:
    maximum = sms_property(ctx, "P_SMS_MAX_LENGTH")
    length = int(maximum) + 1 if maximum.isdigit() else 10_000
    refusal = expect_refusal(
        lambda: ctx.sms.sendSms([recipient(ctx)], "", None, "x" * length), "SVC0280"
    )
    if maximum.isdigit():
        named = refusal.variable("maxLength", 0)
        assert named == maximum, f"SVC0280 names {named}, the service declares {maximum}"


@tp("SMS/SND/BI-03", "A message without addresses is refused",
    clause=f"{SEND}.sendSms (addresses[1..n]); SVC0002",
    pre="None",
    stimulus="sendSms([], '', no charging, text, no receipt)",
    expected="ServiceException SVC0002 naming addresses",
    covers=("SVC0002",))  # fmt: skip
def send_nobody(ctx: Any) -> None:
    expect_refusal(
        lambda: ctx.sms.sendSms([], "", None, _text(ctx, "to nobody")), "SVC0002", part="addresses"
    )


@tp("SMS/SND/BI-04", "A malformed address is refused",
    clause=f"{SEND}.sendSms; {PX1} §5.1; SVC0002",
    pre="None",
    stimulus="sendSms(['mailto:someone'], '', no charging, text, no receipt)",
    expected="ServiceException SVC0002 naming addresses",
    covers=("SVC0002",))  # fmt: skip
def send_malformed(ctx: Any) -> None:
    expect_refusal(
        lambda: ctx.sms.sendSms(["mailto:someone"], "", None, _text(ctx, "malformed")),
        "SVC0002", part="addresses",
    )  # fmt: skip


@tp("SMS/SND/BI-05", "A malformed sender name is refused",
    clause=f"{SEND}.sendSms (senderName); SVC0002",
    pre="A test handset",
    stimulus="sendSms([handset], '<<not a sender name!>>', no charging, text, no receipt)",
    expected="ServiceException SVC0002 naming senderName",
    covers=("SVC0002",))  # fmt: skip
def send_bad_sender(ctx: Any) -> None:
    expect_refusal(
        lambda: ctx.sms.sendSms([recipient(ctx)], "<<not a sender name!>>", None, _text(ctx, "x")),
        "SVC0002", part="senderName",
    )  # fmt: skip


@tp("SMS/SND/BI-06", "A receipt endpoint that is not an object reference is refused",
    clause=f"{SEND}.sendSms (receiptRequest: SimpleReference); docs/idl-mapping.md; SVC0002",
    pre="A test handset",
    stimulus="sendSms([handset], '', no charging, text, [{endpoint 'http-is-not-corba', "
             "SmsNotification, correlator}])",
    expected="ServiceException SVC0002 naming receiptRequest",
    transports=("corba",), covers=("SVC0002",))  # fmt: skip
def send_bad_endpoint(ctx: Any) -> None:
    reference = ctx.sms.reference(ctx.ref(), endpoint="not-an-object-reference")
    expect_refusal(
        lambda: ctx.sms.m.sendSms([recipient(ctx)], "", [], _text(ctx, "x"), [reference]),
        "SVC0002", part="receiptRequest",
    )  # fmt: skip


@tp("SMS/SND/BI-07", "The status of an unknown request is refused",
    clause=f"{SEND}.getSmsDeliveryStatus; SVC0002",
    pre="None",
    stimulus="getSmsDeliveryStatus('iop-...-no-such-request')",
    expected="ServiceException SVC0002 naming requestIdentifier",
    covers=("SVC0002",))  # fmt: skip
def status_unknown(ctx: Any) -> None:
    expect_refusal(
        lambda: ctx.sms.getSmsDeliveryStatus(f"iop-{ctx.run_id}-no-such-request"),
        "SVC0002", part="requestIdentifier",
    )  # fmt: skip


@tp("SMS/SND/BI-08", "Another application cannot read the request's status",
    clause=f"{SEND}.getSmsDeliveryStatus; docs/sms.md (an application sees only its own requests)",
    pre="A test handset; a peer application with SMS (profile [peer])",
    stimulus="We sendSms; the peer calls getSmsDeliveryStatus(our id)",
    expected="ServiceException SVC0002",
    covers=("SVC0002",))  # fmt: skip
def status_isolated(ctx: Any) -> None:
    peer = ctx.peer("sms")
    request = ctx.sms.sendSms([recipient(ctx)], "", None, _text(ctx, "mine"))
    expect_refusal(lambda: peer.getSmsDeliveryStatus(request), "SVC0002", part="requestIdentifier")


@tp("SMS/SND/BI-09", "Charging by an application without a billing contract is refused",
    clause=f"{SEND}.sendSms (charging); {PX1} POL0008 (Charging is not supported)",
    pre="A test handset; a peer application the operator gave no SMS billing account",
    stimulus="The peer calls sendSms([handset], '', {description, currency, amount}, text)",
    expected="PolicyException POL0008; nothing is sent",
    covers=("POL0008",))  # fmt: skip
def charging_refused(ctx: Any) -> None:
    peer = ctx.peer("sms")
    expect_refusal(
        lambda: peer.sendSms([recipient(ctx)], "", Charge("interop", "KRW", "10"), _text(ctx, "x")),
        "POL0008",
    )


@tp("SMS/SND/BI-10", "Charging information with an unknown currency is refused",
    clause=f"{SEND}.sendSms (charging); {PX1} SVC0007",
    pre="A test handset",
    stimulus="sendSms([handset], '', {currency 'ZZZ', amount 10}, text, no receipt)",
    expected="ServiceException SVC0007; nothing is sent",
    covers=("SVC0007",))  # fmt: skip
def charging_currency(ctx: Any) -> None:
    expect_refusal(
        lambda: ctx.sms.sendSms(
            [recipient(ctx)], "", Charge("interop", "ZZZ", "10"), _text(ctx, "x")
        ),
        "SVC0007",
    )


# -- delivery -----------------------------------------------------------------------------------
@tp("SMS/DLV/BV-01", "A message reaches the handset",
    clause=f"{SEND}.getSmsDeliveryStatus (DeliveredToTerminal)",
    pre="A test handset reachable through the IUT's SMSC",
    stimulus="sendSms([handset], ...); poll getSmsDeliveryStatus",
    expected="DeliveredToTerminal",
    covers=("getSmsDeliveryStatus",))  # fmt: skip
def delivered(ctx: Any) -> None:
    to = recipient(ctx)
    request = ctx.sms.sendSms([to], "", None, _text(ctx, "deliver"))
    status = _delivered(ctx, request, to)
    assert status == "DeliveredToTerminal", f"status {status or 'none'} after {ctx.wait_s:.0f} s"


@tp("SMS/DLV/BV-02", "A receipt request is answered with notifySmsDeliveryReceipt",
    clause=f"{PX4} SmsNotification.notifySmsDeliveryReceipt; sendSms (receiptRequest)",
    pre="A test handset reachable through the IUT's SMSC",
    stimulus="sendSms([handset], '', no charging, text, {our SmsNotification, correlator}); gRPC: "
             "receipt_correlator, read StreamDeliveryReceipts",
    expected="notifySmsDeliveryReceipt(correlator, {handset, DeliveredToTerminal})",
    covers=("SmsNotification.notifySmsDeliveryReceipt", "StreamDeliveryReceipts"))  # fmt: skip
def receipt(ctx: Any) -> None:
    to, correlator = recipient(ctx), ctx.ref("receipt")
    ctx.sms.sendSms([to], "", None, _text(ctx, "receipt"), correlator)
    got = ctx.sms.wait_receipt(correlator, ctx.wait_s)
    assert got is not None, f"no receipt within {ctx.wait_s:.0f} s"
    assert got == (to, "DeliveredToTerminal"), f"receipt {got}"
