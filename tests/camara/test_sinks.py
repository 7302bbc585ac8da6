"""CloudEvents to a real local HTTPS sink: the r3.2 event types and schema, the sink's access
token, at least once and in order, redelivered with back-off after failures, given up on 410."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_core import OpenAPI
from openapi_schema_validator import OAS30Validator

from tests.camara.harness import PAY, REF, CamaraGateway, payment_body
from tests.camara.sink import Sink


@pytest.fixture
def sink(camara: CamaraGateway) -> Iterator[Sink]:
    s = Sink(camara.tls)
    try:
        yield s
    finally:
        s.close()


def event_validator(camara: CamaraGateway, schema: str) -> Any:
    document = camara.client().get("/openapi.json").json()
    OpenAPI.from_dict(document)  # the document itself is valid
    return OAS30Validator({"$ref": f"#/components/schemas/{schema}",
                           "components": document["components"]})  # fmt: skip


CREDENTIAL = {
    "credentialType": "ACCESSTOKEN",
    "accessToken": "sink-token-1",
    "accessTokenType": "bearer",
    "accessTokenExpiresUtc": "2099-01-01T00:00:00Z",
}


def test_events_arrive_in_order_after_failures(camara: CamaraGateway, sink: Sink) -> None:
    app = camara.register("cb-sinks")
    number, phone = camara.new_account()
    sink.fail_next = 3  # the first three posts fail: the gateway backs off and sends again
    started = time.monotonic()
    with camara.client(app) as http:
        r = http.post(f"{PAY}/prepare", json=payment_body(
            phone, 2000, "sink-1", sink=sink.url, sinkCredential=CREDENTIAL))  # fmt: skip
        assert r.status_code == 201 and r.json()["sink"] == sink.url
        payment_id = r.json()["paymentId"]
        assert (
            http.post(f"{PAY}/{payment_id}/confirm", json={"phoneNumber": phone}).status_code == 202
        )
        refund = http.post(f"{REF}/payments/{payment_id}/refunds", json={
            "type": "total", "sink": sink.url, "amountTransaction": {
                "referenceCode": "sink-1-refund", "refundAmount": {}}})  # fmt: skip
        assert refund.status_code == 201
    events = sink.wait_for(3)
    assert sink.refused == 3 and time.monotonic() - started >= 0.1 + 0.2  # backed off
    assert [e.body["type"] for e in events] == [
        "org.camaraproject.carrier-billing.v0.payment-reserved",
        "org.camaraproject.carrier-billing.v0.payment-completed",
        "org.camaraproject.carrier-billing-refund.v0.refund-completed",
    ]
    assert all(e.headers["content-type"] == "application/cloudevents+json" for e in events)
    assert events[0].headers["authorization"] == "Bearer sink-token-1"
    payment_events = event_validator(camara, "CloudEvent")
    for e, schema in zip(events, ("EventPaymentReserved", "EventPaymentCompleted",
                                  "EventRefundCompleted"), strict=True):  # fmt: skip
        event_validator(camara, schema).validate(e.body)
        assert e.body["data"]["paymentId"] == payment_id
    payment_events.validate(events[0].body)
    assert len({e.body["id"] for e in events}) == 3
    assert camara.ledger.get_account(number).balance_minor == 50_000


def test_a_gone_sink_is_given_up_and_charging_goes_on(camara: CamaraGateway, sink: Sink) -> None:
    app = camara.register("cb-sinks-gone")
    number, phone = camara.new_account()
    sink.gone = True
    with camara.client(app) as http:
        for i in range(3):
            started = time.monotonic()
            r = http.post(PAY, json=payment_body(phone, 100, f"gone-{i}", sink=sink.url))
            assert r.status_code == 201 and time.monotonic() - started < 5
    deadline = time.monotonic() + 10
    while sink.refused < 3:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert sink.received == [] and camara.ledger.get_account(number).balance_minor == 49_700
