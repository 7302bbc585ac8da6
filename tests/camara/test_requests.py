"""Request bodies are checked against schemas resolved once (``camara.requests.inlined``): the
same verdicts as resolving every ``$ref`` on each request, without the per-request lookups."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

from camara import jsonio, openapi, requests
from camara.requests import _validator

SCHEMAS = ("CreatePayment", "BodyAmountReservationTransactionForReserveInput", "ValidatePayment",
           "PhoneNumber", "CreateRefund", "CreateTotalRefund", "CreatePartialRefund")  # fmt: skip
PAY = {"amountTransaction": {"phoneNumber": "+821011110001", "referenceCode": "r-1",
       "paymentAmount": {"chargingInformation": {"amount": Decimal("1.5"), "currency": "KRW",
                                                 "description": "a song"}}}}  # fmt: skip
BODIES: list[Any] = [
    PAY,
    {"amountTransaction": {"referenceCode": 5}},
    {**PAY, "sink": "not a url"},
    {"authorizationId": "a", "code": "123456"},
    {"authorizationId": 7},
    {"phoneNumber": "+821011110001"},
    {"phoneNumber": "0101111"},
    {"type": "total", "amountTransaction": {"referenceCode": "r", "refundAmount": {}}},
    {
        "type": "partial",
        "amountTransaction": {
            "referenceCode": "r",
            "refundAmount": {
                "chargingInformation": {"amount": Decimal(1), "currency": "KRW", "description": "x"}
            },
        },
    },
    {"type": "partial", "amountTransaction": {"referenceCode": "r"}},
    {"type": "whole"},
]


def schema_refs(node: Any) -> set[str]:
    text = json.dumps(node, default=str)
    return {part.split('"')[0] for part in text.split('"$ref": "#/components/schemas/')[1:]}


@pytest.mark.parametrize("name", SCHEMAS)
def test_a_schema_is_resolved_once(name: str) -> None:
    schema = {k: v for k, v in _validator(name).schema.items() if k != "components"}
    assert "$ref" not in schema and "properties" in json.dumps(schema, default=str), schema
    assert schema_refs(schema) <= {name}, schema_refs(schema)  # only a schema's own recursion


@pytest.mark.parametrize("name", SCHEMAS)
def test_the_same_verdicts_as_by_reference(name: str) -> None:
    components = jsonio.loads(jsonio.dumps(openapi.document()["components"]))
    by_reference = OAS30Validator({"$ref": f"#/components/schemas/{name}",
                                   "components": components})  # fmt: skip
    for body in BODIES:
        want = [e.message for e in by_reference.iter_errors(body)]
        got = [e.message for e in _validator(name).iter_errors(body)]
        assert sorted(got) == sorted(want), (name, body)


def test_a_payment_body_passes() -> None:
    assert requests.checked("CreatePayment", PAY) is PAY
