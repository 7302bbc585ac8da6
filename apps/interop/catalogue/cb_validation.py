"""CAMARA Carrier Billing v0.5: a payment the subscriber confirms with a one-time code
(``pending_validation`` -> ``validatePayment``). The code is read from the payer's handset through
the operator's hook (``[sms] inbox_command``)."""

from __future__ import annotations

from typing import Any

from apps.interop.camara_api import PAY, expect, payment_body
from apps.interop.catalogue.cb_common import (
    CAMARA,
    CB,
    amount,
    code_after,
    handset,
    other_code,
    payer,
    phone,
    prepare,
)
from apps.interop.model import tp

VALIDATE = f"{CB} preparePayment (pending_validation, validationInfo), validatePayment"
ATTEMPTS_MAX = 20  # more wrong codes than any surface allows


def held_for_code(ctx: Any) -> tuple[Any, str, str, str]:
    """(account, paymentId, authorizationId, the code texted) of a payment waiting for its code."""
    account = payer(ctx, "confirming")
    seen = len(handset(ctx, account.address))
    prepared = prepare(ctx, account)
    assert prepared["paymentStatus"] == "pending_validation", prepared
    info = prepared.get("validationInfo") or {}
    assert info.get("action") == "validate" and info.get("authorizationId"), prepared
    return account, prepared["paymentId"], info["authorizationId"], code_after(ctx, account, seen)


@tp("CB/VAL/BV-01", "The code texted to the payer validates the payment, once",
    clause=VALIDATE,
    pre="A tel: test account with role confirming (every payment needs a code); the inbox hook",
    stimulus="preparePayment; read the code; validatePayment(authorizationId, code) twice; "
             "confirmPayment",
    expected="201 pending_validation with validationInfo; 204, then 409 ALREADY_EXISTS; reserved; "
             "202 and succeeded",
    transports=CAMARA, destructive=True,
    covers=("validatePayment", "409 ALREADY_EXISTS", "SVC1109"))  # fmt: skip
def right_code(ctx: Any) -> None:
    account, pid, authorization, code = held_for_code(ctx)
    validate = f"{PAY}/{pid}/validate"
    expect(ctx.camara.post(validate, {"authorizationId": authorization, "code": code}), 204)
    assert expect(ctx.camara.get(f"{PAY}/{pid}"), 200)["paymentStatus"] == "reserved"
    expect(ctx.camara.post(validate, {"authorizationId": authorization, "code": code}), 409,
           "ALREADY_EXISTS")  # fmt: skip
    expect(ctx.camara.post(f"{PAY}/{pid}/confirm", {"phoneNumber": phone(account)}), 202)
    assert expect(ctx.camara.get(f"{PAY}/{pid}"), 200)["paymentStatus"] == "succeeded"


@tp("CB/VAL/BI-01", "A wrong code, a wrong authorizationId and an early confirm are refused",
    clause=f"{VALIDATE}; confirmPayment before validation",
    pre="A tel: test account with role confirming; the inbox hook",
    stimulus="preparePayment; validatePayment(wrong code); validatePayment(wrong "
             "authorizationId, the code); confirmPayment",
    expected="400 CARRIER_BILLING.INVALID_CODE; 400 CARRIER_BILLING.INVALID_AUTHORIZATION_ID; "
             "403 CARRIER_BILLING.PAYMENT_DENIED; still pending_validation",
    transports=CAMARA, destructive=True,
    covers=("400 CARRIER_BILLING.INVALID_CODE", "SVC1110",
            "400 CARRIER_BILLING.INVALID_AUTHORIZATION_ID", "403 CARRIER_BILLING.PAYMENT_DENIED",
            "POL1110"))  # fmt: skip
def wrong_code(ctx: Any) -> None:
    account, pid, authorization, code = held_for_code(ctx)
    validate = f"{PAY}/{pid}/validate"
    expect(ctx.camara.post(validate, {"authorizationId": authorization, "code": other_code(code)}),
           400, "CARRIER_BILLING.INVALID_CODE")  # fmt: skip
    expect(ctx.camara.post(validate, {"authorizationId": f"{authorization}x", "code": code}),
           400, "CARRIER_BILLING.INVALID_AUTHORIZATION_ID")  # fmt: skip
    expect(ctx.camara.post(f"{PAY}/{pid}/confirm", {"phoneNumber": phone(account)}), 403,
           "CARRIER_BILLING.PAYMENT_DENIED")  # fmt: skip
    found = expect(ctx.camara.get(f"{PAY}/{pid}"), 200)
    assert found["paymentStatus"] == "pending_validation", found


@tp("CB/VAL/BI-02", "Wrong codes until the attempts are used up deny the payment",
    clause=f"{VALIDATE}: 400 CARRIER_BILLING.VALIDATION_FAILED",
    pre="A tel: test account with role confirming; the inbox hook",
    stimulus="preparePayment; validatePayment(wrong code) until it is no longer INVALID_CODE",
    expected="INVALID_CODE, then 400 CARRIER_BILLING.VALIDATION_FAILED; the payment denied",
    transports=CAMARA, destructive=True,
    covers=("400 CARRIER_BILLING.VALIDATION_FAILED", "POL1111"))  # fmt: skip
def attempts_used_up(ctx: Any) -> None:
    _account, pid, authorization, code = held_for_code(ctx)
    wrong = {"authorizationId": authorization, "code": other_code(code)}
    for attempt in range(1, ATTEMPTS_MAX + 1):
        answer = ctx.camara.post(f"{PAY}/{pid}/validate", wrong)
        if answer.json().get("code") != "CARRIER_BILLING.INVALID_CODE":
            expect(answer, 400, "CARRIER_BILLING.VALIDATION_FAILED")
            ctx.note(f"VALIDATION_FAILED after {attempt} wrong codes")
            break
    else:
        raise AssertionError(f"{ATTEMPTS_MAX} wrong codes and the payment is still open")
    found = expect(ctx.camara.get(f"{PAY}/{pid}"), 200)
    assert found["paymentStatus"] == "denied", found


@tp("CB/VAL/BI-03", "A payment that needs a code cannot be taken in one step",
    clause=f"{CB} createPayment: 403 CARRIER_BILLING.PAYMENT_DENIED",
    pre="A tel: test account with role confirming",
    stimulus="createPayment(confirming phone, small, ref)",
    expected="403 CARRIER_BILLING.PAYMENT_DENIED; no payment",
    transports=CAMARA, destructive=True,
    covers=("403 CARRIER_BILLING.PAYMENT_DENIED", "POL1109"))  # fmt: skip
def one_step_refused(ctx: Any) -> None:
    account = payer(ctx, "confirming")
    body = payment_body(phone(account), amount(ctx, account), account.currency, ctx.ref())
    expect(ctx.camara.post(PAY, body), 403, "CARRIER_BILLING.PAYMENT_DENIED")
