"""Request bodies and query strings of the CAMARA operations, checked against this surface's
own OpenAPI document (``camara.openapi``, OAS 3.0 schemas by openapi-schema-validator), then
turned into plain values. A body that breaks the schema is 400 ``INVALID_ARGUMENT``; a sink or a
sink credential the surface cannot use has its own code (``camara.errors``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from openapi_schema_validator import OAS30Validator

from camara import jsonio, limits, openapi
from camara.errors import (
    InvalidDateRange,
    InvalidSink,
    InvalidSinkCredential,
    InvalidSinkToken,
    MissingIdentifier,
    OutOfRange,
)
from camara.model import RefundType, Sink
from camara.store import Query
from domain_errors import InvalidInput

_SCHEMA_REF = "#/components/schemas/"


def inlined(node: Any, schemas: dict[str, Any], within: tuple[str, ...] = ()) -> Any:
    """``node`` with each ``$ref`` to a schema replaced by that schema (but one that refers to
    a schema it is inside of), done once: resolving references on every request was half of
    the cost of checking a body."""
    if isinstance(node, list):
        return [inlined(item, schemas, within) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
        name = ref[len(_SCHEMA_REF) :]
        if name in within:
            return node
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return {**inlined(schemas[name], schemas, (*within, name)), **rest}
    return {key: inlined(value, schemas, within) for key, value in node.items()}


@cache
def _validator(schema_name: str) -> Any:
    # the document's numbers as Decimal, like the bodies' (multipleOf 0.001 is then exact)
    components = jsonio.loads(jsonio.dumps(openapi.document()["components"]))
    schema = inlined(components["schemas"][schema_name], components["schemas"], (schema_name,))
    return OAS30Validator({**schema, "components": components})  # discriminators look there


def checked(schema_name: str, body: Any) -> dict[str, Any]:
    """``body`` when it is an object that ``schema_name`` accepts; else InvalidInput naming the
    first offending part."""
    if not isinstance(body, dict):
        raise InvalidInput(part="body", reason="a JSON object is required")
    error = next(iter(_validator(schema_name).iter_errors(body)), None)
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "body"
        if error.absolute_path and error.absolute_path[0] == "sink":
            raise InvalidSink(part="sink")
        raise InvalidInput(part=where, reason=error.message[:200])
    return body


def parse_body(raw: bytes) -> Any:
    if len(raw) > limits.body_bytes_max:
        raise InvalidInput(part="body", reason="too large")
    try:
        return jsonio.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput(part="body", reason="not JSON") from None


def request_hash(*parts: Any) -> str:
    """What a request's idempotency covers (a retry must carry the same content)."""
    return hashlib.sha256(jsonio.dumps(list(parts)).encode()).hexdigest()


def _text(value: Any, part: str, limit: int = limits.text_chars_max) -> str:
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise InvalidInput(part=part, reason=f"text of at most {limit} characters")
    return value


def _identifier(value: Any, part: str) -> str:
    text = _text(value, part, limits.identifier_chars_max)
    if not text.strip():
        raise InvalidInput(part=part, reason="empty")
    return text


def sink_of(body: dict[str, Any]) -> Sink | None:
    url = body.get("sink")
    credential = body.get("sinkCredential")
    if url is None:
        if credential is not None:
            raise InvalidSinkCredential(part="sinkCredential")
        return None
    if not isinstance(url, str) or len(url) > limits.sink_chars_max or not url.startswith(
        "https://"
    ) or len(url) <= len("https://"):  # fmt: skip
        raise InvalidSink(part="sink")
    if credential is None:
        return Sink(url)
    if credential.get("credentialType") != "ACCESSTOKEN":
        raise InvalidSinkCredential(part="sinkCredential.credentialType")
    if credential.get("accessTokenType") != "bearer":
        raise InvalidSinkToken(part="sinkCredential.accessTokenType")
    token = credential.get("accessToken")
    expires = credential.get("accessTokenExpiresUtc")
    if not isinstance(token, str) or not token or not isinstance(expires, str):
        raise InvalidSinkCredential(part="sinkCredential")
    try:
        moment = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidSinkCredential(part="sinkCredential.accessTokenExpiresUtc") from None
    if moment.tzinfo is None:
        raise InvalidSinkCredential(part="sinkCredential.accessTokenExpiresUtc")
    return Sink(url, _text(token, "sinkCredential.accessToken", 4096), moment)


def phone_of(value: Any) -> str:
    """The subject's number: required with a two-legged token (422 MISSING_IDENTIFIER)."""
    if value is None:
        raise MissingIdentifier(part="phoneNumber")
    return str(value)  # the schema checked the E.164 pattern


@dataclass(frozen=True)
class PaymentRequest:
    phone_number: str
    client_correlator: str | None
    reference_code: str
    amount: Decimal
    currency: str
    description: str
    merchant_identifier: str | None
    payment_amount: dict[str, Any]
    sink: Sink | None
    request_hash: str


def payment_request(body: Any, schema_name: str) -> PaymentRequest:
    """createPayment (``CreatePayment``) or preparePayment
    (``BodyAmountReservationTransactionForReserveInput``)."""
    body = checked(schema_name, body)
    transaction = body["amountTransaction"]
    amount = transaction["paymentAmount"]
    info = amount["chargingInformation"]
    details = amount.get("paymentDetails") or []
    if len(details) > limits.payment_details_max:
        raise InvalidInput(part="paymentDetails", reason=f"at most {limits.payment_details_max}")
    value = info["amount"]
    meta = amount.get("chargingMetaData") or {}
    merchant = meta.get("merchantIdentifier")
    correlator = transaction.get("clientCorrelator")
    return PaymentRequest(
        phone_number=phone_of(transaction.get("phoneNumber")),
        client_correlator=None
        if correlator is None
        else _identifier(correlator, "clientCorrelator"),
        reference_code=_identifier(transaction["referenceCode"], "referenceCode"),
        amount=value if isinstance(value, Decimal) else Decimal(value),
        currency=_text(info["currency"], "currency", 3),
        description=_text(info["description"], "description"),
        merchant_identifier=None if merchant is None else _text(merchant, "merchantIdentifier"),
        payment_amount=amount,
        sink=sink_of(body),
        request_hash=request_hash(schema_name, transaction, body.get("sink")),
    )


@dataclass(frozen=True)
class RefundRequest:
    refund_type: RefundType
    client_correlator: str | None
    reference_code: str
    amount: Decimal | None  # None: total
    currency: str | None
    reason: str | None
    merchant_identifier: str | None
    refund_amount: dict[str, Any]
    sink: Sink | None
    request_hash: str


def refund_request(body: Any) -> RefundRequest:
    checked("CreateRefund", body)
    kind = RefundType(body["type"])
    checked("CreateTotalRefund" if kind is RefundType.TOTAL else "CreatePartialRefund", body)
    transaction = body["amountTransaction"]
    amount = transaction["refundAmount"]
    info = amount.get("chargingInformation")
    meta = amount.get("chargingMetaData") or {}
    merchant = meta.get("merchantIdentifier")
    correlator = transaction.get("clientCorrelator")
    reason = body.get("reason")
    value = None if info is None else info["amount"]
    return RefundRequest(
        refund_type=kind,
        client_correlator=None
        if correlator is None
        else _identifier(correlator, "clientCorrelator"),
        reference_code=_identifier(transaction["referenceCode"], "referenceCode"),
        amount=None if value is None else (value if isinstance(value, Decimal) else Decimal(value)),
        currency=None if info is None else _text(info["currency"], "currency", 3),
        reason=None if reason is None else _text(reason, "reason"),
        merchant_identifier=None if merchant is None else _text(merchant, "merchantIdentifier"),
        refund_amount=amount,
        sink=sink_of(body),
        request_hash=request_hash("refund", kind.value, transaction, reason, body.get("sink")),
    )


def confirm_phone(body: Any) -> str:
    """confirmPayment / cancelPayment: the ``PhoneNumber`` body."""
    return phone_of(checked("PhoneNumber", body).get("phoneNumber"))


@dataclass(frozen=True)
class Page:
    offset: int
    size: int
    page: int


def _int(value: str | None, name: str, default: int) -> int:
    if value is None:
        return default
    if not value.isascii() or not value.lstrip("-").isdigit() or len(value) > 9:
        raise InvalidInput(part=name, reason="an integer")
    return int(value)


def page_of(params: Any, page_size_max: int) -> Page:
    page = _int(params.get("page"), "page", 1)
    size = _int(params.get("perPage"), "perPage", limits.page_size_default)
    if page < 1:
        raise OutOfRange(part="page")
    if not 1 <= size <= page_size_max:
        raise OutOfRange(part="perPage")
    return Page((page - 1) * size, size, page)


def _instant(value: str | None, part: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(part=part, reason="an RFC 3339 date-time") from None
    if moment.tzinfo is None:
        raise InvalidInput(part=part, reason="a date-time with a time zone")
    return moment


def query_of(params: Any, what: str, statuses: list[str], now: datetime) -> Query:
    """The filters of retrievePayments (``what`` = payment) or retrieveRefunds (refund)."""
    start = _instant(params.get(f"{what}CreationDate.gte"), f"{what}CreationDate.gte")
    end = _instant(params.get(f"{what}CreationDate.lte"), f"{what}CreationDate.lte")
    if start is not None and end is None:
        end = now  # the spec: only .gte given -> .lte is the current date-time
    if start is not None and end is not None and start > end:
        raise InvalidDateRange(part=f"{what}CreationDate")
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise InvalidInput(part="order", reason="asc or desc")
    wanted: list[str] = []
    for item in params.getlist(f"{what}Status"):
        for status in item.split(","):
            if status not in statuses:
                raise InvalidInput(part=f"{what}Status", reason=f"one of {', '.join(statuses)}")
            wanted.append(status)
    merchant = params.get("merchantIdentifier")
    return Query(
        created_from=start,
        created_until=end,
        statuses=tuple(dict.fromkeys(wanted)),
        merchant_identifier=None if merchant is None else _text(merchant, "merchantIdentifier"),
        ascending=order == "asc",
    )
