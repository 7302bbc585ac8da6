"""CAMARA Carrier Billing v0.5: the document and the tokens, 1-step and 2-step payments,
clientCorrelator, paging. Every answer is also checked against the served document."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from apps.interop.camara_api import PAY, CamaraApi, expect, payment_body
from apps.interop.catalogue.cb_common import CAMARA, CB, amount, pay, payer, phone, prepare
from apps.interop.model import tp
from apps.interop.openapi_check import r32_problems

OAUTH = "CAMARA Security and Interoperability Profile: client credentials, private_key_jwt (RFC 7523 §2.2)"


# -- the document and the tokens ------------------------------------------------------------------
@tp("CB/TOK/BV-01", "The served OpenAPI document is CAMARA r3.2's Carrier Billing",
    clause=f"{CB} and {'Carrier Billing Refund v0.3'}: paths, operationIds, security",
    pre="The surface serves its document at /openapi.json",
    stimulus="GET /openapi.json",
    expected="OpenAPI 3; every r3.2 operationId at its path; an openIdConnect security scheme",
    transports=CAMARA, covers=("openapi.json",))  # fmt: skip
def document(ctx: Any) -> None:
    problems = r32_problems(ctx.surface.document)
    assert not problems, "; ".join(problems)
    ctx.note(f"token endpoint {ctx.surface.token_url}")


@tp("CB/TOK/BV-02", "Client credentials with a private_key_jwt assertion give a bearer token",
    clause=f"{OAUTH}; RFC 6749 §4.4, §5.1",
    pre="The application is registered with its public key",
    stimulus="POST token endpoint: client_credentials, a client assertion signed with the key",
    expected="200 with access_token, token_type Bearer, expires_in; the token reads payments",
    transports=CAMARA, covers=("client_credentials", "retrievePayments"))  # fmt: skip
def token(ctx: Any) -> None:
    answer = ctx.camara.token_answer()
    assert answer.status_code == 200, f"token endpoint: {answer.status_code} {answer.text[:200]}"
    body = answer.json()
    assert body.get("token_type", "").lower() == "bearer", body
    assert int(body.get("expires_in", 0)) > 0, body
    fresh = ctx.camara_api(token=body["access_token"])
    expect(fresh.get(PAY, perPage=1), 200)


@tp("CB/TOK/BI-01", "A request without an access token is refused",
    clause=f"{CB} common errors: 401 UNAUTHENTICATED",
    pre="None",
    stimulus="GET payments; POST createPayment -- no Authorization header",
    expected="401 UNAUTHENTICATED for both",
    transports=CAMARA, covers=("401 UNAUTHENTICATED",))  # fmt: skip
def no_token(ctx: Any) -> None:
    anonymous = ctx.camara_api(token="")
    expect(anonymous.get(PAY), 401, "UNAUTHENTICATED")
    body = payment_body("+10000000000", Decimal(10), "KRW", ctx.ref())
    expect(anonymous.post(PAY, body), 401, "UNAUTHENTICATED")


@tp("CB/TOK/BI-02", "A client assertion signed with another key gets no token",
    clause=f"{OAUTH}; RFC 6749 §5.2 invalid_client",
    pre="None",
    stimulus="POST token endpoint with an assertion for the application, signed with a new key",
    expected="401 invalid_client",
    transports=CAMARA, covers=("invalid_client",))  # fmt: skip
def forged(ctx: Any) -> None:
    impostor = CamaraApi(ctx.surface, ctx.creds.app_id, ed25519.Ed25519PrivateKey.generate(),
                         ctx.openapi, ctx.verify)  # fmt: skip
    try:
        answer = impostor.token_answer()
    finally:
        impostor.close()
    assert answer.status_code in (400, 401), f"{answer.status_code} {answer.text[:200]}"
    assert answer.json().get("error") == "invalid_client", answer.text[:200]


@tp("CB/TOK/BI-03", "Another application's payment is unknown to it",
    clause=f"{CB} retrievePayment, confirmPayment, cancelPayment: 404 NOT_FOUND (privacy)",
    pre="A funded tel: test account; the profile's [peer] application",
    stimulus="main: createPayment; peer: retrievePayment, cancelPayment of it",
    expected="404 NOT_FOUND for each, as for an unknown payment",
    transports=CAMARA, destructive=True, covers=("404 NOT_FOUND", "SVC1104"))  # fmt: skip
def privacy(ctx: Any) -> None:
    account = payer(ctx)
    paid = pay(ctx, account)
    peer = ctx.camara_api("peer")
    pid = paid["paymentId"]
    expect(peer.get(f"{PAY}/{pid}"), 404, "NOT_FOUND")
    expect(peer.post(f"{PAY}/{pid}/cancel", {"phoneNumber": phone(account)}), 404, "NOT_FOUND")
    expect(ctx.camara.get(f"{PAY}/iop-{ctx.run_id}-no-such-payment"), 404, "NOT_FOUND")


# -- 1-step ---------------------------------------------------------------------------------------
@tp("CB/ONE/BV-01", "createPayment charges at once",
    clause=f"{CB} createPayment, retrievePayment; Refund v0.3 retrievePaymentRemainingAmount",
    pre="A funded tel: test account",
    stimulus="createPayment(phone, small, ref); retrievePayment; remaining amount",
    expected="201 succeeded with its paymentId; retrieved succeeded; all of it refundable",
    transports=CAMARA, destructive=True,
    covers=("createPayment", "retrievePayment", "retrievePaymentRemainingAmount"))  # fmt: skip
def one_step(ctx: Any) -> None:
    account = payer(ctx)
    paid = pay(ctx, account)
    assert paid["paymentStatus"] == "succeeded", paid
    assert paid["amountTransaction"]["phoneNumber"] == phone(account), paid
    found = expect(ctx.camara.get(f"{PAY}/{paid['paymentId']}"), 200)
    assert found["paymentStatus"] == "succeeded", found
    left = expect(ctx.camara.get(
        f"/carrier-billing-refund/v0.3/payments/{paid['paymentId']}/refunds/remaining-amount"), 200)  # fmt: skip
    assert left["amount"] == amount(ctx, account) and left["currency"] == account.currency, left


@tp("CB/ONE/BI-01", "A payment without a phone number is refused with a two-legged token",
    clause=f"{CB} createPayment: 422 MISSING_IDENTIFIER",
    pre="A funded tel: test account (for the currency)",
    stimulus="createPayment without amountTransaction.phoneNumber",
    expected="422 MISSING_IDENTIFIER; no payment",
    transports=CAMARA, destructive=True, covers=("422 MISSING_IDENTIFIER",))  # fmt: skip
def no_phone(ctx: Any) -> None:
    account = payer(ctx)
    body = payment_body(None, amount(ctx, account), account.currency, ctx.ref())
    expect(ctx.camara.post(PAY, body), 422, "MISSING_IDENTIFIER")


@tp("CB/ONE/BI-02", "A referenceCode already used for another payment is refused",
    clause=f"{CB} createPayment: 409 ALREADY_EXISTS",
    pre="A funded tel: test account",
    stimulus="createPayment(small, ref); createPayment(2 small, the same ref)",
    expected="the first 201, the second 409 ALREADY_EXISTS",
    transports=CAMARA, destructive=True, covers=("409 ALREADY_EXISTS", "SVC1102"))  # fmt: skip
def reference_reused(ctx: Any) -> None:
    account = payer(ctx)
    ref = ctx.ref()
    pay(ctx, account, reference=ref)
    body = payment_body(phone(account), amount(ctx, account, 2), account.currency, ref)
    expect(ctx.camara.post(PAY, body), 409, "ALREADY_EXISTS")


@tp("CB/ONE/BI-03", "A phone number without an account is refused",
    clause=f"{CB} createPayment: 404 IDENTIFIER_NOT_FOUND",
    pre="A tel: test account with role unregistered, and a currency",
    stimulus="createPayment(unregistered phone, small, ref)",
    expected="404 IDENTIFIER_NOT_FOUND",
    transports=CAMARA, destructive=True,
    covers=("404 IDENTIFIER_NOT_FOUND", "POL1009"))  # fmt: skip
def unregistered(ctx: Any) -> None:
    account = payer(ctx, "unregistered")
    body = payment_body(phone(account), amount(ctx, account), account.currency, ctx.ref())
    expect(ctx.camara.post(PAY, body), 404, "IDENTIFIER_NOT_FOUND")


# -- 2-step ---------------------------------------------------------------------------------------
@tp("CB/TWO/BV-01", "preparePayment reserves, confirmPayment charges",
    clause=f"{CB} preparePayment, confirmPayment",
    pre="A funded tel: test account whose payments need no code",
    stimulus="preparePayment(small, ref); confirmPayment(phone); retrievePayment",
    expected="201 reserved; 202; succeeded",
    transports=CAMARA, destructive=True,
    covers=("preparePayment", "confirmPayment"))  # fmt: skip
def prepare_confirm(ctx: Any) -> None:
    account = payer(ctx)
    prepared = prepare(ctx, account)
    assert prepared["paymentStatus"] == "reserved", prepared
    pid = prepared["paymentId"]
    expect(ctx.camara.post(f"{PAY}/{pid}/confirm", {"phoneNumber": phone(account)}), 202)
    found = expect(ctx.camara.get(f"{PAY}/{pid}"), 200)
    assert found["paymentStatus"] == "succeeded", found


@tp("CB/TWO/BV-02", "cancelPayment releases the reservation; it cannot be confirmed after",
    clause=f"{CB} cancelPayment; confirmPayment: 409 CARRIER_BILLING.PAYMENT_CANCELLED",
    pre="A funded tel: test account whose payments need no code",
    stimulus="preparePayment(small, ref); cancelPayment; retrievePayment; confirmPayment",
    expected="202; cancelled; 409 CARRIER_BILLING.PAYMENT_CANCELLED",
    transports=CAMARA, destructive=True,
    covers=("cancelPayment", "409 CARRIER_BILLING.PAYMENT_CANCELLED", "SVC1108"))  # fmt: skip
def prepare_cancel(ctx: Any) -> None:
    account = payer(ctx)
    pid = prepare(ctx, account)["paymentId"]
    expect(ctx.camara.post(f"{PAY}/{pid}/cancel", {"phoneNumber": phone(account)}), 202)
    assert expect(ctx.camara.get(f"{PAY}/{pid}"), 200)["paymentStatus"] == "cancelled"
    expect(ctx.camara.post(f"{PAY}/{pid}/confirm", {"phoneNumber": phone(account)}), 409,
           "CARRIER_BILLING.PAYMENT_CANCELLED")  # fmt: skip


@tp("CB/TWO/BI-01", "A confirmed payment cannot be confirmed again",
    clause=f"{CB} confirmPayment: 409 CARRIER_BILLING.PAYMENT_CONFIRMED",
    pre="A funded tel: test account whose payments need no code",
    stimulus="preparePayment; confirmPayment; confirmPayment",
    expected="202, then 409 CARRIER_BILLING.PAYMENT_CONFIRMED",
    transports=CAMARA, destructive=True,
    covers=("409 CARRIER_BILLING.PAYMENT_CONFIRMED", "SVC1107"))  # fmt: skip
def confirm_twice(ctx: Any) -> None:
    account = payer(ctx)
    pid = prepare(ctx, account)["paymentId"]
    confirm = f"{PAY}/{pid}/confirm"
    expect(ctx.camara.post(confirm, {"phoneNumber": phone(account)}), 202)
    expect(ctx.camara.post(confirm, {"phoneNumber": phone(account)}), 409,
           "CARRIER_BILLING.PAYMENT_CONFIRMED")  # fmt: skip


# -- clientCorrelator -----------------------------------------------------------------------------
@tp("CB/IDM/BV-01", "The same request with its clientCorrelator again returns the same payment",
    clause=f"{CB} createPayment: clientCorrelator",
    pre="A funded tel: test account",
    stimulus="createPayment(small, ref, clientCorrelator) twice; retrievePayments since then",
    expected="both 201 with the same paymentId; one payment listed with that clientCorrelator",
    transports=CAMARA, destructive=True, covers=("clientCorrelator",))  # fmt: skip
def replay(ctx: Any) -> None:
    account = payer(ctx)
    ref, correlator = ctx.ref(), ctx.ref("cc")
    first = pay(ctx, account, reference=ref, clientCorrelator=correlator)
    again = pay(ctx, account, reference=ref, clientCorrelator=correlator)
    assert again["paymentId"] == first["paymentId"], (first["paymentId"], again["paymentId"])
    since = first["paymentCreationDate"]
    listed = expect(ctx.camara.get(PAY, **{"paymentCreationDate.gte": since, "perPage": 100}), 200)
    same = [p for p in listed
            if p["amountTransaction"].get("clientCorrelator") == correlator]  # fmt: skip
    assert len(same) == 1, f"{len(same)} payments with clientCorrelator {correlator}"


@tp("CB/IDM/BI-01", "A clientCorrelator already used for another request is refused",
    clause=f"{CB} createPayment: 400 INVALID_ARGUMENT (clientCorrelator already exists)",
    pre="A funded tel: test account",
    stimulus="createPayment(small, ref1, cc); createPayment(small, ref2, the same cc)",
    expected="the first 201, the second 400 INVALID_ARGUMENT",
    transports=CAMARA, destructive=True, covers=("400 INVALID_ARGUMENT", "SVC1106"))  # fmt: skip
def correlator_reused(ctx: Any) -> None:
    account = payer(ctx)
    correlator = ctx.ref("cc")
    pay(ctx, account, clientCorrelator=correlator)
    body = payment_body(phone(account), amount(ctx, account), account.currency, ctx.ref(),
                        clientCorrelator=correlator)  # fmt: skip
    expect(ctx.camara.post(PAY, body), 400, "INVALID_ARGUMENT")


# -- paging -----------------------------------------------------------------------------------------
@tp("CB/PAG/BV-01", "retrievePayments pages, filters and orders",
    clause=f"{CB} retrievePayments: page, perPage, order, paymentCreationDate.gte, "
           "X-Total-Count, Content-Last-Key",
    pre="A funded tel: test account",
    stimulus="3 createPayment; retrievePayments created since the first, ascending, 1 per page, "
             "pages 1-3",
    expected="the 3 in creation order, one a page; X-Total-Count 3; Content-Last-Key the page",
    transports=CAMARA, destructive=True, covers=("X-Total-Count", "Content-Last-Key"))  # fmt: skip
def paging(ctx: Any) -> None:
    account = payer(ctx)
    made = [pay(ctx, account) for _ in range(3)]
    since = made[0]["paymentCreationDate"]  # the surface's clock, not ours
    made_ids = [p["paymentId"] for p in made]
    seen = []
    for page in (1, 2, 3):
        answer = ctx.camara.get(PAY, order="asc", perPage=1, page=page,
                                **{"paymentCreationDate.gte": since})  # fmt: skip
        body = expect(answer, 200)
        assert answer.headers.get("x-total-count") == "3", dict(answer.headers)
        assert answer.headers.get("content-last-key") == str(page), dict(answer.headers)
        seen += [p["paymentId"] for p in body]
    assert seen == made_ids, f"pages gave {seen}, created {made_ids}"
