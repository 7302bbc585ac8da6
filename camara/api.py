"""The HTTP edge of the CAMARA surface (Starlette): thin handlers over ``Payments``/``Refunds``.

Every operation goes through :meth:`Api.operation`: the ``x-correlator`` is checked and echoed,
the bearer token is looked up (401 ``UNAUTHENTICATED`` when missing, unknown, expired or
revoked), its scope checked (403 ``PERMISSION_DENIED``), the application's rate limit charged
(429 ``TOO_MANY_REQUESTS``), then the handler runs; any refusal becomes the CAMARA form of its
row of the one fault table (``scf.common.faults.CAMARA_FORMS``): ``{"status", "code",
"message"}``, the message being the same text the other surfaces send. Another application's
payment is 404, as an unknown one (r3.2's privacy rule).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from camara import jsonio, limits, openapi, requests
from camara.errors import OutOfRange, TooManyMatchingRecords
from camara.events import rfc3339
from camara.model import Payment, Refund, Status
from camara.oauth import SCOPES, Grant, Issuer, OAuthError, Tokens
from camara.payments import Payments
from camara.refunds import Refunds
from charging.money import from_minor
from scf.common.faults import CAMARA_FORMS, fault_for_exception

log = logging.getLogger("micropay.camara")

PAY, REF = openapi.PAYMENTS_BASE, openapi.REFUNDS_BASE
_CORRELATOR = re.compile(r"^[a-zA-Z0-9-_:;.\/<>{}]{0,256}$")
Handler = Callable[[Request, Grant], Awaitable[Response]]


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return jsonio.dumps(content).encode()


def error_body(status: int, code: str, message: str) -> dict[str, Any]:
    return {"status": status, "code": code, "message": message}


def _auth_error(status: int, code: str, message: str, correlator: str | None) -> Response:
    headers = {"x-correlator": correlator} if correlator else {}
    if status == 401:
        headers["www-authenticate"] = 'Bearer realm="micropay"'
    return JsonResponse(error_body(status, code, message), status, headers=headers)


class Api:
    def __init__(
        self,
        *,
        payments: Payments,
        refunds: Refunds,
        issuer: Issuer,
        tokens: Tokens,
        limiter: Any,  # shim.ratelimit.RateLimiter: take(app_id) -> retry-after seconds | None
        blocking: Callable[..., Awaitable[Any]],
        base_url: str,
        page_size_max: int,
        discovery: dict[str, Any],
    ) -> None:
        self.payments, self.refunds, self.issuer, self.tokens = payments, refunds, issuer, tokens
        self.limiter, self.blocking, self.base_url = limiter, blocking, base_url
        self.page_size_max, self.discovery = page_size_max, discovery
        self.document = openapi.document(base_url, discovery["issuer"] +
                                         "/.well-known/openid-configuration")  # fmt: skip
        self.requests = 0

    # -- the pipeline of every operation -------------------------------------------------------
    def operation(self, operation_id: str, scope: str | None, handler: Handler) -> Any:
        refund_api = operation_id in openapi.REFUND_OPERATIONS

        async def endpoint(request: Request) -> Response:
            self.requests += 1
            correlator = request.headers.get("x-correlator")
            if correlator is not None and not _CORRELATOR.match(correlator):
                return JsonResponse(error_body(400, "INVALID_ARGUMENT", "x-correlator is "
                                               "invalid"), 400)  # fmt: skip
            grant = await self._grant(request)
            if grant is None:
                return _auth_error(
                    401,
                    "UNAUTHENTICATED",
                    "Request not authenticated due to missing, invalid, or expired credentials.",
                    correlator,
                )
            if scope is not None and scope not in grant.scopes:
                return _auth_error(403, "PERMISSION_DENIED", f"The access token lacks the "
                                   f"scope {scope}.", correlator)  # fmt: skip
            if self.limiter.take(grant.app_id) is not None:
                return _auth_error(429, "TOO_MANY_REQUESTS", "Rate limit reached.", correlator)
            try:
                response = await handler(request, grant)
            except Exception as exc:
                response = self._refusal(exc, operation_id, refund_api, request)
            if correlator:
                response.headers["x-correlator"] = correlator
            return response

        return endpoint

    async def _grant(self, request: Request) -> Grant | None:
        header = request.headers.get("authorization", "")
        if not header or len(header) > limits.authorization_chars_max:
            return None
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        grant = self.tokens.known(token)
        if grant is None:  # perhaps issued by another gateway of the database
            try:
                grant = await self.blocking(self.tokens.load, token)
            except Exception as exc:  # the database is away: the token cannot be checked
                log.warning("camara token lookup failed: %s", type(exc).__name__)
                return None
        return grant

    def _refusal(self, exc: Exception, operation_id: str, refund_api: bool,
                 request: Request) -> Response:  # fmt: skip
        fault = fault_for_exception(exc, {"paymentId": request.path_params.get("paymentId", "")})
        form = CAMARA_FORMS[fault.code]
        code = form.code_for(operation_id, refund_api)
        log.info("camara %s refused: %s %s (%s)", operation_id, form.status, code, fault.code)
        return JsonResponse(error_body(form.status, code, fault.text), form.status)

    # -- bodies ------------------------------------------------------------------------------------
    def payment_body(self, p: Payment) -> dict[str, Any]:
        transaction: dict[str, Any] = {"phoneNumber": p.phone_number}
        if p.client_correlator is not None:
            transaction["clientCorrelator"] = p.client_correlator
        transaction["paymentAmount"] = p.payment_amount
        transaction["referenceCode"] = p.reference_code
        transaction["resourceURL"] = f"{self.base_url}{PAY}/payments/{p.payment_id}"
        if p.transaction_id is not None:
            transaction["serverReferenceCode"] = str(p.transaction_id)
        body: dict[str, Any] = {
            "paymentId": p.payment_id,
            "amountTransaction": transaction,
            "paymentStatus": p.status.value,
            "paymentCreationDate": rfc3339(p.created_at),
        }
        if p.payment_date is not None:
            body["paymentDate"] = rfc3339(p.payment_date)
        if p.sink is not None:
            body["sink"] = p.sink.url
        return body

    def prepared_body(self, p: Payment) -> dict[str, Any]:
        body = self.payment_body(p)
        body.pop("paymentDate", None)
        if p.status is Status.PENDING_VALIDATION and p.validation_id is not None:
            body["validationInfo"] = {"action": "validate", "authorizationId": p.validation_id}
        return body

    @staticmethod
    def refund_body(r: Refund) -> dict[str, Any]:
        transaction: dict[str, Any] = {}
        if r.client_correlator is not None:
            transaction["clientCorrelator"] = r.client_correlator
        transaction["refundAmount"] = r.refund_amount
        transaction["referenceCode"] = r.reference_code
        body: dict[str, Any] = {
            "refundId": r.refund_id,
            "refundStatus": r.status.value,
            "type": r.refund_type.value,
            "refundCreationDate": rfc3339(r.created_at),
            "amountTransaction": transaction,
        }
        if r.refund_date is not None:
            body["refundDate"] = rfc3339(r.refund_date)
        if r.reason is not None:
            body["reason"] = r.reason
        if r.sink is not None:
            body["sink"] = r.sink.url
        return body

    # -- handlers ----------------------------------------------------------------------------------
    async def _body(self, request: Request) -> Any:
        return requests.parse_body(await request.body())

    async def create_payment(self, request: Request, grant: Grant) -> Response:
        req = requests.payment_request(await self._body(request), "CreatePayment")
        p = await self.payments.create(grant.app_id, req)
        return JsonResponse(self.payment_body(p), 201)

    async def prepare_payment(self, request: Request, grant: Grant) -> Response:
        req = requests.payment_request(
            await self._body(request), "BodyAmountReservationTransactionForReserveInput"
        )
        p = await self.payments.prepare(grant.app_id, req)
        return JsonResponse(self.prepared_body(p), 201)

    async def retrieve_payment(self, request: Request, grant: Grant) -> Response:
        p = await self.payments.get(grant.app_id, request.path_params["paymentId"])
        return JsonResponse(self.payment_body(p))

    async def retrieve_payments(self, request: Request, grant: Grant) -> Response:
        from camara import store

        page = requests.page_of(request.query_params, self.page_size_max)
        query = requests.query_of(request.query_params, "payment", openapi.PAYMENT_STATUSES,
                                  self.payments.f.clock())  # fmt: skip
        total, rows = await self.blocking(store.payments, self.payments.f.db, grant.app_id,
                                          query, page.offset, page.size)  # fmt: skip
        return self._page(total, page, [self.payment_body(p) for p in rows])

    def _page(self, total: int, page: requests.Page, items: list[Any]) -> Response:
        if total > limits.matching_records_max:
            raise TooManyMatchingRecords(part="filters")
        if page.page > 1 and page.offset >= total:
            raise OutOfRange(part="page")
        headers = {"x-total-count": str(total), "content-last-key": str(page.offset + len(items))}
        return JsonResponse(items, 200, headers=headers)

    async def validate_payment(self, request: Request, grant: Grant) -> Response:
        body = requests.checked("ValidatePayment", await self._body(request))
        await self.payments.validate(grant.app_id, request.path_params["paymentId"],
                                     authorization_id=body["authorizationId"],
                                     code=body["code"])  # fmt: skip
        return Response(status_code=204)

    async def confirm_payment(self, request: Request, grant: Grant) -> Response:
        phone = requests.confirm_phone(await self._body(request))
        await self.payments.confirm(grant.app_id, request.path_params["paymentId"], phone=phone)
        return Response(status_code=202)

    async def cancel_payment(self, request: Request, grant: Grant) -> Response:
        phone = requests.confirm_phone(await self._body(request))
        await self.payments.cancel(grant.app_id, request.path_params["paymentId"], phone=phone)
        return Response(status_code=202)

    async def create_refund(self, request: Request, grant: Grant) -> Response:
        req = requests.refund_request(await self._body(request))
        r = await self.refunds.create(grant.app_id, request.path_params["paymentId"], req)
        return JsonResponse(self.refund_body(r), 201)

    async def retrieve_refunds(self, request: Request, grant: Grant) -> Response:
        from camara import store

        payment_id = request.path_params["paymentId"]
        await self.payments.get(grant.app_id, payment_id)
        page = requests.page_of(request.query_params, self.page_size_max)
        query = requests.query_of(request.query_params, "refund", openapi.REFUND_STATUSES,
                                  self.payments.f.clock())  # fmt: skip
        total, rows = await self.blocking(
            store.refunds,
            self.payments.f.db,
            grant.app_id,
            payment_id,
            query,
            page.offset,
            page.size,
        )
        return self._page(total, page, [self.refund_body(r) for r in rows])

    async def retrieve_refund(self, request: Request, grant: Grant) -> Response:
        r = await self.refunds.get(grant.app_id, request.path_params["paymentId"],
                                   refund_id=request.path_params["refundId"])  # fmt: skip
        return JsonResponse(self.refund_body(r))

    async def remaining_amount(self, request: Request, grant: Grant) -> Response:
        p = await self.payments.get(grant.app_id, request.path_params["paymentId"])
        amount: Decimal = from_minor(max(p.remaining_minor, 0), p.currency)
        return JsonResponse({"amount": amount, "currency": p.currency,
                             "description": "Amount not refunded so far"})  # fmt: skip

    async def whoami(self, request: Request, grant: Grant) -> Response:
        """The trivial authenticated GET (a probe of a token; the benchmark's baseline)."""
        return JsonResponse({"clientId": grant.app_id, "scope": " ".join(sorted(grant.scopes))})

    # -- public endpoints --------------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        headers = {"cache-control": "no-store", "pragma": "no-cache"}
        try:
            if request.headers.get("content-type", "").split(";")[0].strip() != \
                    "application/x-www-form-urlencoded":  # fmt: skip
                raise OAuthError("invalid_request", "the body must be form-encoded")
            form = await request.form()
            flat = {k: v for k, v in form.items() if isinstance(v, str)}
            answer = await self.blocking(self.issuer.issue, flat)
        except OAuthError as exc:
            if exc.status == 401:
                headers["www-authenticate"] = 'Bearer realm="micropay"'
            return JSONResponse(exc.body(), exc.status, headers=headers)
        return JSONResponse(answer, 200, headers=headers)

    async def openapi_json(self, request: Request) -> Response:
        return JSONResponse(self.document)

    async def openid_configuration(self, request: Request) -> Response:
        return JSONResponse(self.discovery)

    def app(self) -> Starlette:
        op = self.operation
        c, r, w = SCOPES[0], SCOPES[1], SCOPES[2]
        rc, rr = SCOPES[3], SCOPES[4]
        routes = [
            Route("/openapi.json", self.openapi_json, methods=["GET"]),
            Route("/.well-known/openid-configuration", self.openid_configuration,
                  methods=["GET"]),  # fmt: skip
            Route("/oauth2/token", self.token, methods=["POST"]),
            Route("/whoami", op("whoami", None, self.whoami), methods=["GET"]),
            Route(f"{PAY}/payments", op("createPayment", c, self.create_payment),
                  methods=["POST"]),
            Route(f"{PAY}/payments", op("retrievePayments", r, self.retrieve_payments),
                  methods=["GET"]),
            Route(f"{PAY}/payments/prepare", op("preparePayment", c, self.prepare_payment),
                  methods=["POST"]),
            Route(f"{PAY}/payments/{{paymentId}}", op("retrievePayment", r,
                                                      self.retrieve_payment), methods=["GET"]),
            Route(f"{PAY}/payments/{{paymentId}}/validate",
                  op("validatePayment", w, self.validate_payment), methods=["POST"]),
            Route(f"{PAY}/payments/{{paymentId}}/confirm",
                  op("confirmPayment", w, self.confirm_payment), methods=["POST"]),
            Route(f"{PAY}/payments/{{paymentId}}/cancel",
                  op("cancelPayment", w, self.cancel_payment), methods=["POST"]),
            Route(f"{REF}/payments/{{paymentId}}/refunds",
                  op("createRefund", rc, self.create_refund), methods=["POST"]),
            Route(f"{REF}/payments/{{paymentId}}/refunds",
                  op("retrieveRefunds", rr, self.retrieve_refunds), methods=["GET"]),
            Route(f"{REF}/payments/{{paymentId}}/refunds/remaining-amount",
                  op("retrievePaymentRemainingAmount", rr, self.remaining_amount),
                  methods=["GET"]),
            Route(f"{REF}/payments/{{paymentId}}/refunds/{{refundId}}",
                  op("retrieveRefund", rr, self.retrieve_refund), methods=["GET"]),
        ]  # fmt: skip
        return Starlette(routes=routes)
