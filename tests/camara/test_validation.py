"""Payments that need the subscriber's one-time code: preparePayment answers
``pending_validation`` and the gateway texts the code through the SMS SCF and the embedded SMSC
(read here from the handset's inbox); validatePayment counts attempts."""

from __future__ import annotations

import pytest

from tests.camara.harness import PAY, CamaraGateway, payment_body


@pytest.fixture(scope="module")
def app(camara: CamaraGateway):  # noqa: ANN201
    return camara.register("cb-validation")


def test_the_right_code_validates(camara: CamaraGateway, app) -> None:  # noqa: ANN001
    number, phone = camara.new_account()
    camara.confirming(number, above=1000)
    with camara.client(app) as http:
        one_step = http.post(PAY, json=payment_body(phone, 3000, "v1-direct"))
        assert (one_step.status_code, one_step.json()["code"]) == (
            403, "CARRIER_BILLING.PAYMENT_DENIED")  # fmt: skip
        small = http.post(PAY, json=payment_body(phone, 500, "v1-small"))  # below the threshold
        assert small.status_code == 201
        r = http.post(f"{PAY}/prepare", json=payment_body(phone, 3000, "v1"))
        assert r.status_code == 201 and r.json()["paymentStatus"] == "pending_validation"
        info = r.json()["validationInfo"]
        assert info["action"] == "validate"
        payment_id = r.json()["paymentId"]
        code = camara.code_sent_to(phone, 1)
        wrong = "000000" if code != "000000" else "111111"
        bad = http.post(
            f"{PAY}/{payment_id}/validate",
            json={"authorizationId": info["authorizationId"], "code": wrong},
        )
        assert (bad.status_code, bad.json()["code"]) == (400, "CARRIER_BILLING.INVALID_CODE")
        other_id = http.post(
            f"{PAY}/{payment_id}/validate", json={"authorizationId": "nope", "code": code}
        )
        assert other_id.json()["code"] == "CARRIER_BILLING.INVALID_AUTHORIZATION_ID"
        early = http.post(f"{PAY}/{payment_id}/confirm", json={"phoneNumber": phone})
        assert early.json()["code"] == "CARRIER_BILLING.PAYMENT_DENIED"  # not validated yet
        ok = http.post(
            f"{PAY}/{payment_id}/validate",
            json={"authorizationId": info["authorizationId"], "code": code},
        )
        assert ok.status_code == 204
        assert http.get(f"{PAY}/{payment_id}").json()["paymentStatus"] == "reserved"
        twice = http.post(
            f"{PAY}/{payment_id}/validate",
            json={"authorizationId": info["authorizationId"], "code": code},
        )
        assert (twice.status_code, twice.json()["code"]) == (409, "ALREADY_EXISTS")
        assert (
            http.post(f"{PAY}/{payment_id}/confirm", json={"phoneNumber": phone}).status_code == 202
        )
    assert camara.ledger.get_account(number).balance_minor == 50_000 - 500 - 3000


def test_attempts_run_out(camara: CamaraGateway, app) -> None:  # noqa: ANN001
    number, phone = camara.new_account()
    camara.confirming(number, above=0)
    with camara.client(app) as http:
        r = http.post(f"{PAY}/prepare", json=payment_body(phone, 2000, "v2")).json()
        payment_id, auth = r["paymentId"], r["validationInfo"]["authorizationId"]
        code = camara.code_sent_to(phone, 1)
        wrong = "000000" if code != "000000" else "111111"
        answers = [http.post(f"{PAY}/{payment_id}/validate",
                             json={"authorizationId": auth, "code": wrong}).json()["code"]
                   for _ in range(5)]  # fmt: skip
        assert answers == ["CARRIER_BILLING.INVALID_CODE"] * 4 + [
            "CARRIER_BILLING.VALIDATION_FAILED"
        ]
        assert http.get(f"{PAY}/{payment_id}").json()["paymentStatus"] == "denied"
        late = http.post(f"{PAY}/{payment_id}/validate", json={"authorizationId": auth,
                                                                "code": code})  # fmt: skip
        assert late.status_code == 403  # the right code no longer helps
    account = camara.ledger.get_account(number)
    assert (account.balance_minor, account.reserved_minor) == (50_000, 0)
