"""CAMARA Carrier Billing Refund v0.3: total and partial refunds, bounded by their payment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.interop.camara_api import REFUNDS, expect, refund_body
from apps.interop.catalogue.cb_common import CAMARA, CBR, amount, pay, payer, prepare
from apps.interop.model import tp


def refunds_of(payment_id: str) -> str:
    return f"{REFUNDS}/{payment_id}/refunds"


def remaining(ctx: Any, payment_id: str) -> Decimal:
    return Decimal(expect(ctx.camara.get(f"{refunds_of(payment_id)}/remaining-amount"), 200)[
        "amount"])  # fmt: skip


@tp("CB/REF/BV-01", "A total refund gives the whole payment back",
    clause=f"{CBR} createRefund (total), retrieveRefunds, retrieveRefund",
    pre="A funded tel: test account",
    stimulus="createPayment(2 small); createRefund(total); retrieveRefunds; retrieveRefund",
    expected="201 succeeded, type total; nothing left to refund; listed; retrieved",
    transports=CAMARA, destructive=True,
    covers=("createRefund", "retrieveRefunds", "retrieveRefund"))  # fmt: skip
def total(ctx: Any) -> None:
    account = payer(ctx)
    pid = pay(ctx, account, 2)["paymentId"]
    refund = expect(ctx.camara.post(refunds_of(pid), refund_body(ctx.ref())), 201)
    assert refund["type"] == "total" and refund["refundStatus"] == "succeeded", refund
    assert remaining(ctx, pid) == 0
    listed = expect(ctx.camara.get(refunds_of(pid)), 200)
    assert [r["refundId"] for r in listed] == [refund["refundId"]], listed
    one = expect(ctx.camara.get(f"{refunds_of(pid)}/{refund['refundId']}"), 200)
    assert one["refundId"] == refund["refundId"], one


@tp("CB/REF/BV-02", "Partial refunds give back part by part",
    clause=f"{CBR} createRefund (partial), retrievePaymentRemainingAmount",
    pre="A funded tel: test account",
    stimulus="createPayment(3 small); createRefund(partial 1 small); createRefund(partial 2 small)",
    expected="201 each; 2 small left, then nothing",
    transports=CAMARA, destructive=True, covers=("createRefund partial",))  # fmt: skip
def partial(ctx: Any) -> None:
    account = payer(ctx)
    pid = pay(ctx, account, 3)["paymentId"]
    small = amount(ctx, account)
    for part, left in ((small, small * 2), (small * 2, Decimal(0))):
        refund = expect(ctx.camara.post(refunds_of(pid),
                                        refund_body(ctx.ref(), part, account.currency)), 201)  # fmt: skip
        assert refund["type"] == "partial", refund
        assert remaining(ctx, pid) == left, f"expected {left} left"


@tp("CB/REF/BI-01", "A refund of more than is left of the payment is refused",
    clause=f"{CBR} createRefund: 422 CARRIER_BILLING_REFUND.UNAUTHORIZED_AMOUNT",
    pre="A funded tel: test account",
    stimulus="createPayment(small); createRefund(partial 2 small)",
    expected="422 CARRIER_BILLING_REFUND.UNAUTHORIZED_AMOUNT; all of it still refundable",
    transports=CAMARA, destructive=True,
    covers=("422 CARRIER_BILLING_REFUND.UNAUTHORIZED_AMOUNT",))  # fmt: skip
def over_refund(ctx: Any) -> None:
    account = payer(ctx)
    pid = pay(ctx, account)["paymentId"]
    body = refund_body(ctx.ref(), amount(ctx, account, 2), account.currency)
    expect(ctx.camara.post(refunds_of(pid), body), 422,
           "CARRIER_BILLING_REFUND.UNAUTHORIZED_AMOUNT")  # fmt: skip
    assert remaining(ctx, pid) == amount(ctx, account)


@tp("CB/REF/BI-02", "Only a succeeded payment is refunded",
    clause=f"{CBR} createRefund: 422 CARRIER_BILLING_REFUND.INVALID_PAYMENT_STATUS",
    pre="A funded tel: test account whose payments need no code",
    stimulus="preparePayment(small) (reserved); createRefund(partial small)",
    expected="422 CARRIER_BILLING_REFUND.INVALID_PAYMENT_STATUS",
    transports=CAMARA, destructive=True,
    covers=("422 CARRIER_BILLING_REFUND.INVALID_PAYMENT_STATUS", "POL1112"))  # fmt: skip
def not_succeeded(ctx: Any) -> None:
    account = payer(ctx)
    pid = prepare(ctx, account)["paymentId"]
    body = refund_body(ctx.ref(), amount(ctx, account), account.currency)
    expect(ctx.camara.post(refunds_of(pid), body), 422,
           "CARRIER_BILLING_REFUND.INVALID_PAYMENT_STATUS")  # fmt: skip


@tp("CB/REF/BI-03", "An unknown refund is not found",
    clause=f"{CBR} retrieveRefund: 404 NOT_FOUND",
    pre="A funded tel: test account",
    stimulus="createPayment(small); retrieveRefund(payment, 'iop-...-no-such-refund')",
    expected="404 NOT_FOUND",
    transports=CAMARA, destructive=True, covers=("404 NOT_FOUND", "SVC1105"))  # fmt: skip
def unknown_refund(ctx: Any) -> None:
    account = payer(ctx)
    pid = pay(ctx, account)["paymentId"]
    expect(ctx.camara.get(f"{refunds_of(pid)}/iop-{ctx.run_id}-no-such-refund"), 404, "NOT_FOUND")
