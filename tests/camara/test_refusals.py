"""Every refusal of docs/faults.md the CAMARA operations can meet, in its CAMARA form (the
table's third column), over real HTTP; and the table itself: every row has a CAMARA form, and
every form's code is one r3.2 documents (or a generic CAMARA code)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from camara.openapi import ERRORS
from scf.common.faults import CAMARA_FORMS, FAULT_TABLE, TRANSIENT, UNEXPECTED
from tests.camara.harness import PAY, CamaraGateway, payment_body

GENERIC = {"INTERNAL", "UNAVAILABLE", "TOO_MANY_REQUESTS", "UNAUTHENTICATED"}


def test_every_row_has_a_camara_form_of_r32() -> None:
    documented = {code for statuses in ERRORS.values() for codes in statuses.values()
                  for code in codes} | GENERIC  # fmt: skip
    for spec in (*FAULT_TABLE, UNEXPECTED, TRANSIENT):
        form = CAMARA_FORMS[spec.code]
        codes = {form.code, form.refund_code or form.code, *(c for _, c in form.operations)}
        assert codes <= documented, (spec.code, codes - documented)


@pytest.fixture(scope="module")
def http(camara: CamaraGateway):  # noqa: ANN201
    with camara.client(camara.register("cb-refusals")) as client:
        yield client


def refused(http: Any, phone: str | None, amount: Any = 1000, **more: Any) -> tuple[int, str]:
    body = payment_body(phone, amount, f"ref-{id(more)}-{amount}-{phone}", **more)
    r = http.post(PAY, json=body)
    return r.status_code, r.json().get("code", "")


def test_account_states_and_limits(camara: CamaraGateway, http: Any) -> None:
    denied = (403, "CARRIER_BILLING.PAYMENT_DENIED")
    number, phone = camara.new_account()
    camara.ledger.set_status(number, "suspended")
    assert refused(http, phone) == denied  # account_suspended
    number, phone = camara.new_account()
    with camara.ledger.db.transaction() as tx:  # as if its last valid day had passed
        tx.execute(
            "UPDATE ledger_accounts SET valid_until = ? WHERE number = ?",
            ((date.today() - timedelta(days=2)).isoformat(), number),
        )
    assert refused(http, phone) == denied  # account_expired
    number, phone = camara.new_account()
    camara.ledger.set_status(number, "closed")
    assert refused(http, phone) == denied  # account_closed
    _, phone = camara.new_account(balance_minor=500)
    assert refused(http, phone) == denied  # insufficient_balance
    _, phone = camara.new_account(transaction_limit_minor=900)
    assert refused(http, phone) == (422, "CARRIER_BILLING.UNAUTHORIZED_AMOUNT")
    _, phone = camara.new_account(kind="postpaid", monthly_limit_minor=999, balance_minor=0)
    assert refused(http, phone) == (422, "CARRIER_BILLING.USER_AMOUNT_THRESHOLD_OVERPASSED")
    assert refused(http, "+821099999999") == (404, "IDENTIFIER_NOT_FOUND")  # unregistered


def test_input(camara: CamaraGateway, http: Any) -> None:
    bad = (400, "INVALID_ARGUMENT")
    _, phone = camara.new_account()
    assert refused(http, None) == (422, "MISSING_IDENTIFIER")
    assert refused(http, "01012345678") == bad  # not E.164
    assert refused(http, phone, 10.5) == bad  # KRW has no minor unit: never rounded
    assert refused(http, phone, -5) == bad
    assert refused(http, phone, sink="http://example.com/sink") == (400, "INVALID_SINK")
    plain = {"credentialType": "PLAIN", "identifier": "a", "secret": "b"}
    assert refused(http, phone, sink="https://example.com/s", sinkCredential=plain) == (
        400, "INVALID_CREDENTIAL")  # fmt: skip
    mac = {"credentialType": "ACCESSTOKEN", "accessToken": "t", "accessTokenType": "mac",
           "accessTokenExpiresUtc": "2030-01-01T00:00:00Z"}  # fmt: skip
    assert refused(http, phone, sink="https://example.com/s", sinkCredential=mac)[0] == 400
    usd = payment_body(phone, 10, "usd-on-krw")
    usd["amountTransaction"]["paymentAmount"]["chargingInformation"]["currency"] = "USD"
    r = http.post(PAY, json=usd)
    assert (r.status_code, r.json()["code"]) == bad  # currency_mismatch
    r = http.post(PAY, content=b"{not json", headers={"content-type": "application/json"})
    assert (r.status_code, r.json()["code"]) == bad
    r = http.post(PAY, json={})
    assert (r.status_code, r.json()["code"]) == bad
    r = http.get(f"{PAY}/nope", headers={"x-correlator": "bad correlator!"})
    assert r.status_code == 400


def test_second_step_refusals(camara: CamaraGateway, http: Any) -> None:
    _, phone = camara.new_account()
    _, other_phone = camara.new_account()
    pid = http.post(f"{PAY}/prepare", json=payment_body(phone, 1000, "second-1")).json()[
        "paymentId"
    ]
    r = http.post(f"{PAY}/{pid}/confirm", json={"phoneNumber": other_phone})
    assert (r.status_code, r.json()["code"]) == (404, "NOT_FOUND")
    r = http.post(f"{PAY}/unknown/cancel", json={"phoneNumber": phone})
    assert (r.status_code, r.json()["code"]) == (404, "NOT_FOUND")
    assert http.post(f"{PAY}/{pid}/cancel", json={"phoneNumber": phone}).status_code == 202
