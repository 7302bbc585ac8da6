"""Refunds: total and partial, bounded by their payment, over real HTTP."""

from __future__ import annotations

import pytest

from tests.camara.harness import PAY, REF, CamaraGateway, payment_body


@pytest.fixture(scope="module")
def app(camara: CamaraGateway):  # noqa: ANN201
    return camara.register("cb-refunds")


def partial(amount: int, reference: str, **more: object) -> dict[str, object]:
    return {"type": "partial", "amountTransaction": {"referenceCode": reference, "refundAmount": {
        "chargingInformation": {"amount": amount, "currency": "KRW",
                                "description": "partial refund"}}, **more}}  # fmt: skip


def test_partial_then_total_then_nothing_left(camara: CamaraGateway, app) -> None:  # noqa: ANN001
    number, phone = camara.new_account()
    with camara.client(app) as http:
        pid = http.post(PAY, json=payment_body(phone, 5000, "rf-1")).json()["paymentId"]
        refunds = f"{REF}/payments/{pid}/refunds"
        r = http.post(refunds, json=partial(2000, "rf-1-a", clientCorrelator="rf-cc"))
        assert r.status_code == 201 and r.json()["refundStatus"] == "succeeded"
        refund_id = r.json()["refundId"]
        again = http.post(refunds, json=partial(2000, "rf-1-a", clientCorrelator="rf-cc"))
        assert again.json()["refundId"] == refund_id  # the same refund, refunded once
        left = http.get(f"{refunds}/remaining-amount").json()
        assert (left["amount"], left["currency"]) == (3000, "KRW")
        over = http.post(refunds, json=partial(3001, "rf-1-b"))
        assert (over.status_code, over.json()["code"]) == (
            422, "CARRIER_BILLING_REFUND.UNAUTHORIZED_AMOUNT")  # fmt: skip
        total = http.post(refunds, json={"type": "total", "reason": "returned", "amountTransaction": {
            "referenceCode": "rf-1-c", "refundAmount": {}}})  # fmt: skip
        assert total.status_code == 201 and total.json()["type"] == "total"
        assert http.get(f"{refunds}/remaining-amount").json()["amount"] == 0
        nothing = http.post(refunds, json=partial(1, "rf-1-d"))
        assert nothing.json()["code"] == "CARRIER_BILLING_REFUND.UNAUTHORIZED_AMOUNT"
        listed = http.get(refunds, params={"order": "asc"})
        assert listed.headers["x-total-count"] == "2"
        assert [x["type"] for x in listed.json()] == ["partial", "total"]
        one = http.get(f"{refunds}/{refund_id}")
        assert one.status_code == 200 and one.json()["refundId"] == refund_id
        unknown = http.get(f"{refunds}/no-such-refund")
        assert unknown.json()["code"] == "NOT_FOUND"
    assert camara.ledger.get_account(number).balance_minor == 50_000  # all given back
    kinds = [e.kind.value for e in camara.ledger.history(number)]
    assert kinds.count("refund") == 2


def test_only_a_succeeded_payment_is_refunded(camara: CamaraGateway, app) -> None:  # noqa: ANN001
    _number, phone = camara.new_account()
    with camara.client(app) as http:
        pid = http.post(f"{PAY}/prepare", json=payment_body(phone, 1000, "rf-2")).json()[
            "paymentId"
        ]
        r = http.post(f"{REF}/payments/{pid}/refunds", json=partial(500, "rf-2-a"))
        assert (r.status_code, r.json()["code"]) == (
            422, "CARRIER_BILLING_REFUND.INVALID_PAYMENT_STATUS")  # fmt: skip
        unknown = http.post(f"{REF}/payments/nope/refunds", json=partial(500, "rf-2-b"))
        assert (unknown.status_code, unknown.json()["code"]) == (404, "NOT_FOUND")
