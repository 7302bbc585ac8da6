"""The SMS simulator (``/phone``): what one number received from the SMS center, and a form to
text the shop's short code from that number (``phone`` explains where this comes from and why
it is demo-only). Requests from beyond loopback get 404."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from apps.micropay import identifiers
from apps.micropay.phone import PhoneError, is_loopback
from apps.micropay.runtime import ShopRuntime
from apps.micropay.web import Pages, see_other

MO_FIELD_MAX = 200


def phone_routes(runtime: ShopRuntime, pages: Pages) -> list[Route]:
    settings = runtime.settings

    def unavailable(request: Request) -> Response | None:
        """The 404 page, unless the simulator is on and the request comes from loopback."""
        client = request.client.host if request.client else None
        if runtime.phones is not None and is_loopback(client):
            return None
        return pages.render(
            request,
            "message.html",
            404,
            title="No SMS simulator",
            message="This shop has no SMS simulator (it is part of the demo only).",
        )

    async def open_phone(request: Request) -> Response:
        if (refused := unavailable(request)) is not None:
            return refused
        wanted = request.query_params.get("number", "").strip()[:MO_FIELD_MAX]
        error, status = "", 200
        if wanted:
            number = identifiers.phone_uri(wanted, settings.country_code)
            if number is not None:
                return see_other(f"/phone/{quote(identifiers.shown(number))}")
            error, status = f"“{wanted}” is not a mobile number: type one like 010-1111-0001.", 422
        return pages.render(request, "phone.html", status, one=None, error=error, wanted=wanted)

    async def one_phone(request: Request) -> Response:
        if (refused := unavailable(request)) is not None:
            return refused
        assert runtime.phones is not None
        number = identifiers.phone_uri(request.path_params["number"], settings.country_code)
        if number is None:
            return pages.render(
                request,
                "message.html",
                404,
                title="Not found",
                message="That is not a mobile number: open a phone like 010-1111-0001.",
            )
        handset = await run_in_threadpool(runtime.phones.handset, number)
        return pages.render(
            request,
            "phone.html",
            one=handset,
            sent=request.query_params.get("sent", ""),
            error=request.query_params.get("error", ""),
        )

    async def send(request: Request) -> Response:
        if (refused := unavailable(request)) is not None:
            return refused
        assert runtime.phones is not None
        number = identifiers.phone_uri(request.path_params["number"], settings.country_code)
        form = await request.form()
        text = str(form.get("text", ""))[:MO_FIELD_MAX]
        if number is None:
            return see_other("/phone")
        target = f"/phone/{quote(identifiers.shown(number))}"
        try:
            await run_in_threadpool(runtime.phones.send, number, settings.short_code, text)
        except PhoneError as exc:
            return see_other(f"{target}?error={quote(str(exc))}")
        return see_other(f"{target}?sent={quote(text)}")

    return [
        Route("/phone", open_phone),
        Route("/phone/{number}", one_phone),
        Route("/phone/{number}/send", send, methods=["POST"]),
    ]
