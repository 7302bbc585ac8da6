"""The operator view (``/operator``, login required): accounts, their state and month-to-date
spend against the limit (table and SVG chart), recent orders, charging events and SMS, and
the actions -- top up (SCF balanceUpdate), suspend, resume, set limits (the operator's
``micropay account`` command), ship or cancel a held order (chargeReservation /
releaseReservation). See ``operator`` for why each action goes where it goes.

What it says is for people: one style of message (a sentence, the figures in money), the
standard operation names only in tooltips."""

from __future__ import annotations

import asyncio
import secrets
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from apps.micropay import amounts, identifiers, shown
from apps.micropay.chart import Bar, spend_chart
from apps.micropay.operator import CommandFailed
from apps.micropay.ports import GatewayFault, GatewayUnavailable
from apps.micropay.procedure import AccountStatus, State
from apps.micropay.runtime import ShopRuntime
from apps.micropay.store import Order
from apps.micropay.web import Pages, form_text, see_other

COOKIE = "micropay_operator"
LOGIN_FAILURE_DELAY_S = 1.0
HISTORY_SHOWN = 20


def account_rows(runtime: ShopRuntime) -> tuple[list[dict[str, Any]], str]:
    """Every account with its status over the SCF; the list comes from the operator command
    when the shop has one, else from the accounts the shop has seen."""
    note = ""
    listed: list[dict[str, Any]] = []
    if runtime.operator.available:
        try:
            listed = runtime.operator.accounts()
        except (CommandFailed, OSError) as exc:
            note = f"micropay account list failed: {exc}"
    if not listed:
        seen = {o.end_user for o in runtime.store.orders(500) if o.end_user.startswith("acct:")}
        listed = [{"number": u.removeprefix("acct:"), "msisdn": ""} for u in sorted(seen)]
    rows = []
    for entry in listed:
        row = {"number": entry["number"], "msisdn": entry.get("msisdn") or "", "status": None}
        row["has_pin"] = entry.get("has_pin")
        try:
            row["status"] = runtime.gateway.account_status(f"acct:{entry['number']}", None)
        except (GatewayFault, GatewayUnavailable) as exc:
            row["error"] = str(exc)
        rows.append(row)
    return rows, note


def chart_of(rows: list[dict[str, Any]]) -> str:
    bars = []
    for row in rows:
        s: AccountStatus | None = row["status"]
        if s is None or not s.registered:
            continue
        bars.append(
            Bar(row["number"], s.month_to_date_spend or Decimal(0), s.monthly_limit, s.currency)
        )
    return spend_chart(bars)


def done_text(order: Order) -> str:
    """What shipping, cancelling or refunding did, in the operator's words."""
    amount = amounts.show(amounts.parse(order.amount), order.currency)
    if order.status in (State.CHARGED, State.NOTIFIED):
        return f"Order {order.order_id} shipped: {amount} charged to {identifiers.shown(order.end_user)}."
    if order.status is State.RELEASED:
        return f"Order {order.order_id} cancelled: the hold of {amount} was released."
    if order.status is State.REFUNDED:
        return f"Order {order.order_id} refunded: {amount} given back to {identifiers.shown(order.end_user)}."
    return f"Order {order.order_id} is {shown.order_state(order.state)}."


def operator_routes(runtime: ShopRuntime, pages: Pages) -> list[Route]:
    auth = runtime.auth

    def session(request: Request) -> str | None:
        cookie = request.cookies.get(COOKIE)
        return cookie if auth.valid_session(cookie) else None

    def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        cookie = session(request) or ""
        return pages.render(
            request,
            name,
            status,
            csrf=auth.csrf_token(cookie),
            done=request.query_params.get("done", ""),
            error=request.query_params.get("error", ""),
            operator_actions=runtime.operator.available,
            **context,
        )

    async def login_page(request: Request) -> Response:
        return pages.render(request, "operator_login.html")

    async def login(request: Request) -> Response:
        form = await request.form()
        if not auth.check_password(str(form.get("password", ""))[:200]):
            await asyncio.sleep(LOGIN_FAILURE_DELAY_S)
            return pages.render(
                request, "operator_login.html", 401, error="That password is not right."
            )
        response = see_other("/operator")
        response.set_cookie(COOKIE, auth.new_session(), httponly=True, samesite="strict", path="/")
        return response

    async def logout(request: Request) -> Response:
        response = see_other("/operator/login")
        response.delete_cookie(COOKIE, path="/")
        return response

    def guarded(handler: Any, *, post: bool = False) -> Any:
        async def endpoint(request: Request) -> Response:
            cookie = session(request)
            if cookie is None:
                return see_other("/operator/login")
            if post:
                form = await request.form()
                if not auth.valid_csrf(cookie, str(form.get("csrf", ""))):
                    return pages.render(
                        request, "message.html", 403, title="Refused", message="Stale form: reload."
                    )
                return await handler(request, form)
            return await handler(request)

        return endpoint

    async def dashboard(request: Request) -> Response:
        rows, note = await run_in_threadpool(account_rows, runtime)
        store = runtime.store
        return render(
            request,
            "operator.html",
            accounts=rows,
            note=note,
            chart=chart_of(rows),
            orders=store.orders(25),
            events=store.events(limit=25),
            inbound=store.inbound(limit=15),
            sent=store.sent(limit=25),
            subscriptions=runtime.subscriptions,
        )

    def not_found(request: Request) -> Response:
        return pages.render(
            request, "message.html", 404, title="Not found", message="No such account."
        )

    async def account_page(request: Request) -> Response:
        number = request.path_params["number"]
        if not identifiers.is_account_number(number):
            return not_found(request)
        end_user = f"acct:{number}"

        def load() -> tuple[AccountStatus | None, list, str]:
            try:
                status = runtime.gateway.account_status(end_user, None)
                history = (
                    runtime.gateway.history(end_user, HISTORY_SHOWN) if status.registered else []
                )
                return status, history, ""
            except (GatewayFault, GatewayUnavailable) as exc:
                return None, [], str(exc)

        status, history, problem = await run_in_threadpool(load)
        return render(
            request,
            "operator_account.html",
            number=number,
            acct=status,
            history=history,
            problem=problem,
            holds=[o for o in runtime.store.orders_in([State.RESERVED]) if o.end_user == end_user],
            orders=runtime.store.orders(20, end_user=end_user),
            topup_ref=f"topup-{secrets.token_urlsafe(9)}",
        )

    def back(number: str, *, done: str = "", error: str = "") -> Response:
        query = f"done={quote(done)}" if done else f"error={quote(error)}"
        return see_other(f"/operator/accounts/{quote(number)}?{query}")

    async def account_action(request: Request, form: Any) -> Response:
        number = request.path_params["number"]
        action = request.path_params["action"]
        ops = runtime.operator
        if not identifiers.is_account_number(number):
            return not_found(request)
        try:
            if action == "topup":
                status = await run_in_threadpool(
                    runtime.gateway.account_status, f"acct:{number}", None
                )
                amount = amounts.parse_user(form_text(form, "amount"), status.currency)
                ref = form_text(form, "reference") or f"topup-{secrets.token_urlsafe(9)}"
                await run_in_threadpool(
                    runtime.gateway.balance_update, f"acct:{number}", ref, amount, status.currency
                )
                return back(number, done=f"Topped up {amounts.show(amount, status.currency)}.")
            if action in ("suspend", "resume") and ops.available:
                await run_in_threadpool(getattr(ops, action), number)
                return back(number, done=f"Account {number}: {action.rstrip('e')}ed.")
            if action == "limits" and ops.available:
                status = await run_in_threadpool(
                    runtime.gateway.account_status, f"acct:{number}", None
                )
                limits = [
                    amounts.parse_limit(form_text(form, name), status.currency)
                    for name in ("monthly_limit", "transaction_limit", "low_balance")
                ]
                if all(limit is None for limit in limits):
                    return back(number, error="Type a new limit, or “none” to remove one.")
                await run_in_threadpool(ops.set_limits, number, *limits)
                return back(number, done="Limits changed.")
        except GatewayFault as fault:
            return back(number, error=fault.refusal().text())
        except GatewayUnavailable:
            return back(number, error="The gateway did not answer. Please try again.")
        except CommandFailed as exc:
            return back(number, error=f"The change was refused: {exc}.")
        except amounts.AmountError as exc:
            return back(number, error=str(exc))
        return back(number, error="That action is not available here.")

    async def order_action(request: Request, form: Any) -> Response:
        order_id = request.path_params["order_id"]
        action = request.path_params["action"]
        handler = {"ship": runtime.checkout.ship, "cancel": runtime.checkout.cancel,
                   "refund": runtime.checkout.refund}.get(action)  # fmt: skip
        if handler is None:
            return see_other("/operator?error=" + quote("Unknown action."))
        outcome = await run_in_threadpool(handler, order_id)
        if outcome.refusal is not None:
            return see_other(
                "/operator?error=" + quote(outcome.refusal.text(outcome.order.currency))
            )
        if outcome.pending:
            return see_other(
                "/operator?error=" + quote("The gateway did not answer. Please try again.")
            )
        return see_other("/operator?done=" + quote(done_text(outcome.order)))

    return [
        Route("/operator/login", login_page),
        Route("/operator/login", login, methods=["POST"]),
        Route("/operator/logout", logout, methods=["POST"]),
        Route("/operator", guarded(dashboard)),
        Route("/operator/accounts/{number}", guarded(account_page)),
        Route(
            "/operator/accounts/{number}/{action}",
            guarded(account_action, post=True),
            methods=["POST"],
        ),
        Route(
            "/operator/orders/{order_id}/{action}",
            guarded(order_action, post=True),
            methods=["POST"],
        ),
    ]
