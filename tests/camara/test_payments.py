"""Payments over real HTTP against a real gateway: 1-step, 2-step confirm / cancel / expiry,
clientCorrelator and referenceCode replays, paging -- every response validated against the
gateway's own OpenAPI document (the harness's response hook)."""

from __future__ import annotations

import time

import pytest

from tests.camara.harness import PAY, CamaraGateway, payment_body


@pytest.fixture(scope="module")
def app(camara: CamaraGateway):  # noqa: ANN201
    return camara.register("cb-payments")


def test_one_step_charges_the_account_once(camara: CamaraGateway, app) -> None:  # noqa: ANN001
    number, phone = camara.new_account()
    with camara.client(app) as http:
        r = http.post(PAY, json=payment_body(phone, 1500, "p1-ref", clientCorrelator="p1-cc"),
                      headers={"x-correlator": "abc-123"})  # fmt: skip
        assert r.status_code == 201 and r.headers["x-correlator"] == "abc-123"
        created = r.json()
        assert created["paymentStatus"] == "succeeded"
        assert (
            created["amountTransaction"]["paymentAmount"]["chargingInformation"]["amount"] == 1500
        )
        again = http.post(PAY, json=payment_body(phone, 1500, "p1-ref", clientCorrelator="p1-cc"))
        assert again.status_code == 201 and again.json()["paymentId"] == created["paymentId"]
        other = http.post(PAY, json=payment_body(phone, 2000, "p1-ref-2", clientCorrelator="p1-cc"))
        assert (other.status_code, other.json()["code"]) == (400, "INVALID_ARGUMENT")
        reused = http.post(PAY, json=payment_body(phone, 2000, "p1-ref"))
        assert (reused.status_code, reused.json()["code"]) == (409, "ALREADY_EXISTS")
        got = http.get(f"{PAY}/{created['paymentId']}")
        assert got.status_code == 200 and got.json()["paymentStatus"] == "succeeded"
    assert camara.ledger.get_account(number).balance_minor == 48_500  # once
    [charge] = [e for e in camara.ledger.history(number) if e.kind.value == "charge"]
    assert charge.reference_code == "p1-ref"  # the Parlay X referenceCode of the same charge


def test_decimal_amounts_stay_exact(camara: CamaraGateway, app) -> None:  # noqa: ANN001
    number, phone = camara.new_account(currency="USD", balance_minor=10_000)
    body = payment_body(phone, 12.5, "usd-1")
    body["amountTransaction"]["paymentAmount"]["chargingInformation"]["currency"] = "USD"
    with camara.client(app) as http:
        r = http.post(PAY, content=r'{"amountTransaction":' + _json(body["amountTransaction"])
                      .replace("12.5", "12.50") + "}",
                      headers={"content-type": "application/json"})  # fmt: skip
        assert r.status_code == 201, r.text
        assert '"amount":12.50' in r.text  # the client's own digits, never a float
    assert camara.ledger.get_account(number).balance_minor == 10_000 - 1_250


def _json(value: object) -> str:
    import json

    return json.dumps(value)


def test_two_step_confirm(camara: CamaraGateway, app) -> None:  # noqa: ANN001
    number, phone = camara.new_account()
    with camara.client(app) as http:
        r = http.post(f"{PAY}/prepare", json=payment_body(phone, 3000, "two-1"))
        assert r.status_code == 201 and r.json()["paymentStatus"] == "reserved"
        assert "validationInfo" not in r.json()
        payment_id = r.json()["paymentId"]
        assert camara.ledger.get_account(number).reserved_minor == 3000
        assert (
            http.post(f"{PAY}/{payment_id}/confirm", json={"phoneNumber": phone}).status_code == 202
        )
        assert http.get(f"{PAY}/{payment_id}").json()["paymentStatus"] == "succeeded"
        again = http.post(f"{PAY}/{payment_id}/confirm", json={"phoneNumber": phone})
        assert again.json()["code"] == "CARRIER_BILLING.PAYMENT_CONFIRMED"
        cancel = http.post(f"{PAY}/{payment_id}/cancel", json={"phoneNumber": phone})
        assert (cancel.status_code, cancel.json()["code"]) == (
            409,
            "CARRIER_BILLING.PAYMENT_CONFIRMED",
        )
        missing = http.post(f"{PAY}/{payment_id}/confirm", json={})
        assert (missing.status_code, missing.json()["code"]) == (422, "MISSING_IDENTIFIER")
    account = camara.ledger.get_account(number)
    assert (account.balance_minor, account.reserved_minor) == (47_000, 0)
    assert camara.ledger.open_reservations(number) == []


def test_two_step_cancel(camara: CamaraGateway, app) -> None:  # noqa: ANN001
    number, phone = camara.new_account()
    with camara.client(app) as http:
        payment_id = http.post(f"{PAY}/prepare", json=payment_body(phone, 3000, "two-2")).json()[
            "paymentId"
        ]
        assert (
            http.post(f"{PAY}/{payment_id}/cancel", json={"phoneNumber": phone}).status_code == 202
        )
        assert http.get(f"{PAY}/{payment_id}").json()["paymentStatus"] == "cancelled"
        late = http.post(f"{PAY}/{payment_id}/confirm", json={"phoneNumber": phone})
        assert late.json()["code"] == "CARRIER_BILLING.PAYMENT_CANCELLED"
    account = camara.ledger.get_account(number)
    assert (account.balance_minor, account.reserved_minor) == (50_000, 0)


def test_a_prepared_payment_expires(camara: CamaraGateway, app) -> None:  # noqa: ANN001
    """The gateway holds for ledger.reservation_ttl_s (6 s here); then the payment is
    discarded: cancelled, nothing held, and confirming it is refused."""
    number, phone = camara.new_account()
    with camara.client(app) as http:
        payment_id = http.post(f"{PAY}/prepare", json=payment_body(phone, 3000, "two-3")).json()[
            "paymentId"
        ]
        deadline = time.monotonic() + 30
        while http.get(f"{PAY}/{payment_id}").json()["paymentStatus"] != "cancelled":
            assert time.monotonic() < deadline, "the prepared payment never expired"
            time.sleep(0.5)
        late = http.post(f"{PAY}/{payment_id}/confirm", json={"phoneNumber": phone})
        assert late.json()["code"] == "CARRIER_BILLING.PAYMENT_CANCELLED"
    account = camara.ledger.get_account(number)
    assert (account.balance_minor, account.reserved_minor) == (50_000, 0)


def test_paging_filters_and_order(camara: CamaraGateway) -> None:
    app = camara.register("cb-paging")
    _number, phone = camara.new_account()
    with camara.client(app) as http:
        ids = [http.post(PAY, json=payment_body(phone, 100 + i, f"page-{i}")).json()["paymentId"]
               for i in range(5)]  # fmt: skip
        prepared = http.post(f"{PAY}/prepare", json=payment_body(phone, 100, "page-p")).json()
        first = http.get(PAY, params={"perPage": 2, "page": 1, "paymentStatus": "succeeded"})
        assert first.headers["x-total-count"] == "5" and first.headers["content-last-key"] == "2"
        assert [p["paymentId"] for p in first.json()] == ids[::-1][:2]  # newest first
        last = http.get(PAY, params={"perPage": 2, "page": 3, "paymentStatus": "succeeded",
                                     "order": "asc"})  # fmt: skip
        assert [p["paymentId"] for p in last.json()] == ids[4:]
        assert last.headers["content-last-key"] == "5"
        reserved = http.get(PAY, params=[("paymentStatus", "reserved")]).json()
        assert [p["paymentId"] for p in reserved] == [prepared["paymentId"]]
        beyond = http.get(PAY, params={"perPage": 2, "page": 9})
        assert (beyond.status_code, beyond.json()["code"]) == (400, "OUT_OF_RANGE")
        too_big = http.get(PAY, params={"perPage": 1000})
        assert too_big.json()["code"] == "OUT_OF_RANGE"
        backwards = http.get(
            PAY,
            params={
                "paymentCreationDate.gte": "2030-01-01T00:00:00Z",
                "paymentCreationDate.lte": "2020-01-01T00:00:00Z",
            },
        )
        assert backwards.json()["code"] == "CARRIER_BILLING.INVALID_DATE_RANGE"
        future = http.get(PAY, params={"paymentCreationDate.gte": "2020-01-01T00:00:00Z"})
        assert future.headers["x-total-count"] == "6"
    other = camara.register("cb-paging-other")
    with camara.client(other) as http:
        assert http.get(PAY).json() == []  # only the caller's own payments
        hidden = http.get(f"{PAY}/{ids[0]}")  # another application's payment: as unknown
        assert (hidden.status_code, hidden.json()["code"]) == (404, "NOT_FOUND")
