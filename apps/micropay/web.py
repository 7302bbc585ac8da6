"""The shop's web application (Starlette, server-rendered; every page works without JavaScript).

Customer pages: ``/`` (goods), ``POST /orders`` (a new order), ``/orders/{id}`` (pay, or the
receipt), ``POST /orders/{id}/pay``. Forms post and redirect (303) to a page that shows the
outcome, so reloading never submits again; the order id in the form makes a double submit the
same payment. The operator pages are in ``web_operator``, the SMS simulator in ``web_phone``.
Screens speak as ``shown`` says: times in the shop's zone, labelled; states in words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from apps.micropay import amounts, identifiers, shown
from apps.micropay.catalog import CURRENCY, PRODUCTS
from apps.micropay.checkout import CheckoutError
from apps.micropay.procedure import PAYABLE, State, last_valid_day
from apps.micropay.runtime import ShopRuntime

HERE = Path(__file__).parent
FORM_FIELD_MAX = 64
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def make_templates(timezone: str = "Asia/Seoul") -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = lambda value, currency=CURRENCY: amounts.show(
        amounts.parse(str(value)) if value not in (None, "") else None, currency
    )
    env.filters["who"] = identifiers.shown
    env.filters["last_day"] = last_valid_day
    env.filters["when"] = lambda value: shown.when(value, timezone)
    env.filters["order_state"] = shown.order_state
    env.filters["charging_event"] = shown.charging_event
    return env


class Pages:
    """Renders templates with the shop's common context."""

    def __init__(self, runtime: ShopRuntime) -> None:
        self.runtime = runtime
        self.env = make_templates(runtime.settings.timezone)

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        html = self.env.get_template(name).render(
            request=request,
            merchant=self.runtime.settings.merchant,
            phone_view=self.runtime.phones is not None,
            short_code=identifiers.shown(self.runtime.settings.short_code),
            **context,
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def form_text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value[:FORM_FIELD_MAX] if isinstance(value, str) else ""


def see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def shop_routes(runtime: ShopRuntime, pages: Pages) -> list[Route]:
    checkout = runtime.checkout

    async def home(request: Request) -> Response:
        return pages.render(request, "shop.html", products=PRODUCTS, currency=CURRENCY)

    async def new_order(request: Request) -> Response:
        form = await request.form()
        try:
            quantity = int(form_text(form, "quantity") or "1")
            order = await run_in_threadpool(
                checkout.new_order, form_text(form, "product_id"), quantity
            )
        except (CheckoutError, ValueError) as exc:
            message = str(exc) if isinstance(exc, CheckoutError) else "Choose a quantity."
            return pages.render(
                request, "shop.html", 400, products=PRODUCTS, currency=CURRENCY, error=message
            )
        return see_other(f"/orders/{order.order_id}")

    async def show_order(request: Request) -> Response:
        try:
            order = checkout.order(request.path_params["order_id"])
        except CheckoutError as exc:
            return pages.render(request, "message.html", 404, title="Not found", message=str(exc))
        notice = request.query_params.get("notice", "")
        payable = order.status in PAYABLE
        status = 200
        if order.status is State.REFUSED:
            status = 403 if order.refusal_reason in ("suspended", "expired", "closed") else 422
        told = ""  # when the number paid with was told how to register (an SMS at most a minute)
        if order.refusal_reason == "unregistered" and identifiers.is_phone(order.end_user):
            told = next(
                (m["sent_at"] for m in runtime.store.sent(order.end_user)
                 if m["kind"] == "unregistered_account"),
                "",
            )  # fmt: skip
        return pages.render(
            request,
            "order.html",
            status,
            order=order,
            payable=payable,
            notice=notice,
            told=told,
            codes_left=request.query_params.get("left", "")[:2],
            State=State,
        )

    async def pay(request: Request) -> Response:
        order_id = request.path_params["order_id"]
        form = await request.form()
        try:
            await run_in_threadpool(
                checkout.pay, order_id, form_text(form, "account"), form_text(form, "pin")
            )
        except CheckoutError as exc:
            return pages.render(request, "message.html", 404, title="Not found", message=str(exc))
        return see_other(f"/orders/{order_id}")

    async def confirm(request: Request) -> Response:
        order_id = request.path_params["order_id"]
        form = await request.form()
        try:
            outcome = await run_in_threadpool(checkout.confirm, order_id, form_text(form, "code"))
        except CheckoutError as exc:
            return pages.render(request, "message.html", 404, title="Not found", message=str(exc))
        left = "" if outcome.codes_left is None else f"?notice=wrong-code&left={outcome.codes_left}"
        return see_other(f"/orders/{order_id}{left}")

    async def unregistered_sms(request: Request) -> Response:
        order_id = request.path_params["order_id"]
        form = await request.form()
        phone = identifiers.phone_uri(form_text(form, "phone"), runtime.settings.country_code)
        if phone is None:
            return see_other(f"/orders/{order_id}?notice=bad-phone")
        notice = await run_in_threadpool(checkout.notify_unregistered, phone)
        return see_other(f"/orders/{order_id}?notice={notice}")

    async def health(request: Request) -> Response:
        sub = runtime.subscriptions
        return JSONResponse(
            {
                "ready": sub.ready.is_set(),
                "charging_events": sub.charging_events,
                "sms": sub.sms,
            },
            status_code=200 if sub.ready.is_set() else 503,
        )

    return [
        Route("/", home),
        Route("/orders", new_order, methods=["POST"]),
        Route("/orders/{order_id}", show_order),
        Route("/orders/{order_id}/pay", pay, methods=["POST"]),
        Route("/orders/{order_id}/confirm", confirm, methods=["POST"]),
        Route("/orders/{order_id}/unregistered-sms", unregistered_sms, methods=["POST"]),
        Route("/healthz", health),
    ]


async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico whatever the page links: the same icon."""
    return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")


def create_app(runtime: ShopRuntime) -> Starlette:
    from apps.micropay.web_operator import operator_routes
    from apps.micropay.web_phone import phone_routes

    pages = Pages(runtime)
    routes = [
        *shop_routes(runtime, pages),
        *operator_routes(runtime, pages),
        *phone_routes(runtime, pages),
        Route("/favicon.ico", favicon),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(routes=routes)
