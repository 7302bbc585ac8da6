"""Every answer of a CAMARA operation checked against the OpenAPI document the IUT serves, by
openapi-core (a validator we did not write): the status must be one the operation declares, the
body must match its schema -- error codes included, as r3.2 enumerates the ``code`` each
operation may answer with each status -- and the headers the operation names must conform.

The document itself must be CAMARA r3.2's: Carrier Billing v0.5 and Carrier Billing Refund v0.3,
their operationIds at their paths (:data:`OPERATIONS`), with OpenID Connect security.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

PAYMENTS_BASE = "/carrier-billing/v0.5"
REFUNDS_BASE = "/carrier-billing-refund/v0.3"
# r3.2's operations: (method, path) -> operationId.
OPERATIONS: dict[tuple[str, str], str] = {
    ("post", f"{PAYMENTS_BASE}/payments"): "createPayment",
    ("get", f"{PAYMENTS_BASE}/payments"): "retrievePayments",
    ("post", f"{PAYMENTS_BASE}/payments/prepare"): "preparePayment",
    ("get", f"{PAYMENTS_BASE}/payments/{{paymentId}}"): "retrievePayment",
    ("post", f"{PAYMENTS_BASE}/payments/{{paymentId}}/validate"): "validatePayment",
    ("post", f"{PAYMENTS_BASE}/payments/{{paymentId}}/confirm"): "confirmPayment",
    ("post", f"{PAYMENTS_BASE}/payments/{{paymentId}}/cancel"): "cancelPayment",
    ("post", f"{REFUNDS_BASE}/payments/{{paymentId}}/refunds"): "createRefund",
    ("get", f"{REFUNDS_BASE}/payments/{{paymentId}}/refunds"): "retrieveRefunds",
    ("get", f"{REFUNDS_BASE}/payments/{{paymentId}}/refunds/{{refundId}}"): "retrieveRefund",
    ("get", f"{REFUNDS_BASE}/payments/{{paymentId}}/refunds/remaining-amount"):
        "retrievePaymentRemainingAmount",
}  # fmt: skip


class _Request:
    """An httpx request as openapi-core reads one."""

    def __init__(self, request: httpx.Request) -> None:
        url = urlparse(str(request.url))
        self.host_url = f"{url.scheme}://{url.netloc}"
        self.path = url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(url.query)),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.data = response.content
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(dict(response.headers))


def operations_of(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(method, path) -> operationId of a document."""
    return {
        (method, path): str(op.get("operationId", ""))
        for path, item in document.get("paths", {}).items()
        for method, op in item.items()
        if isinstance(op, dict)
    }


def r32_problems(document: dict[str, Any]) -> list[str]:
    """What keeps ``document`` from being CAMARA r3.2's Carrier Billing (empty when nothing)."""
    problems = []
    if not str(document.get("openapi", "")).startswith("3."):
        problems.append(f"not an OpenAPI 3 document (openapi: {document.get('openapi')!r})")
    served = operations_of(document)
    for key, operation_id in OPERATIONS.items():
        if served.get(key) != operation_id:
            problems.append(f"{key[0].upper()} {key[1]} is not {operation_id} "
                            f"({served.get(key) or 'absent'})")  # fmt: skip
    schemes = document.get("components", {}).get("securitySchemes", {})
    if not any(s.get("type") == "openIdConnect" for s in schemes.values()):
        problems.append("no openIdConnect security scheme")
    return problems


class OpenApiCheck:
    """Validates answers of the document's operations; counts what it checked."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.spec = OpenAPI.from_dict(document)
        self.checked = 0

    def check(self, response: httpx.Response) -> httpx.Response:
        """``response`` (read) when it conforms; AssertionError saying how it does not."""
        request = response.request
        path = urlparse(str(request.url)).path
        if not path.startswith((PAYMENTS_BASE, REFUNDS_BASE)):
            return response  # the token endpoint, the document itself
        response.read()
        try:
            self.spec.validate_response(_Request(request), _Response(response))
        except Exception as exc:  # openapi-core's errors: the answer does not conform
            cause = getattr(exc, "__cause__", None) or exc
            raise AssertionError(
                f"{request.method} {path} answered {response.status_code} not as the served "
                f"document says: {type(exc).__name__}: {cause}; body {response.text[:300]!r}"
            ) from None
        self.checked += 1
        return response
