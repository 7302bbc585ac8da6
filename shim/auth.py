"""The auth interceptor: ``authorization: Bearer <token>`` on every RPC that needs one.

- ``FrameworkService``: every RPC but ``InitiateAuthentication`` and ``CompleteAuthentication``
  needs the access token of a live access session.
- ``PaymentService``, ``AccountService``, ``SmsService``: the service access token of a live
  agreement for THAT service type; a valid token of another service is PERMISSION_DENIED.
- The health service and reflection need none.

A missing, unknown, expired or revoked token is UNAUTHENTICATED: revocation is immediate because
each token is looked up in :class:`shim.access.GrpcAccess` on every call (a dictionary read; a
service access token not found there is looked up once in the database, off the event loop, in
case another gateway issued it). The
grant found is put in :data:`shim.calls.CALLER` for the handler; then the application's rate
limit is charged (:mod:`shim.ratelimit`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from shim import limits
from shim.access import GrpcAccess
from shim.calls import CALLER
from shim.errors import (
    TOKEN_INVALID,
    TOKEN_MISSING,
    TOKEN_WRONG_SERVICE,
    rate_limited_status,
    token_status,
)
from shim.ratelimit import RateLimiter

log = logging.getLogger("micropay.grpc.auth")

FRAMEWORK = "micropay.v1.FrameworkService"
PUBLIC_METHODS = frozenset(
    {f"/{FRAMEWORK}/InitiateAuthentication", f"/{FRAMEWORK}/CompleteAuthentication"}
)
SERVICE_TYPES = {
    "micropay.v1.PaymentService": "P_PAYMENT",
    "micropay.v1.AccountService": "P_ACCOUNT_MANAGEMENT",
    "micropay.v1.SmsService": "P_SMS",
}


def bearer(metadata: Any) -> str | None:
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str):
            if len(value) > limits.authorization_chars_max:
                return None
            scheme, _, token = value.partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


def _refusal(handler: grpc.RpcMethodHandler, status: grpc.Status) -> grpc.RpcMethodHandler:
    """A handler of the same shape that ends the call with ``status``."""

    async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort_with_status(status)

    async def stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort_with_status(status)
        yield  # pragma: no cover -- makes this an async generator

    kinds = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(stream, **kinds)
    return grpc.unary_unary_rpc_method_handler(unary, **kinds)


class AuthInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, access: GrpcAccess, limiter: RateLimiter) -> None:
        self.access = access
        self.limiter = limiter

    async def _adopt(self, token: str) -> Any:
        """``GrpcAccess.adopt`` off the event loop (it reads the database); None on failure."""
        try:
            return await asyncio.get_running_loop().run_in_executor(None, self.access.adopt, token)
        except Exception as exc:  # the database is away: the token cannot be checked now
            log.warning("service token lookup failed: %s", type(exc).__name__)
            return None

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        method = details.method
        service = method[1:].rpartition("/")[0]
        wanted = SERVICE_TYPES.get(service)
        if (wanted is None and service != FRAMEWORK) or method in PUBLIC_METHODS:
            return await continuation(details)
        handler = await continuation(details)
        if handler is None:
            return handler
        token = bearer(details.invocation_metadata)
        if token is None:
            return _refusal(handler, token_status(TOKEN_MISSING, "authorization: Bearer needed"))
        if wanted is None:
            grant: Any = self.access.access_grant(token)
            what = "access token"
        else:
            grant = self.access.service_grant(token)
            if grant is None:  # perhaps issued by another gateway of the database
                grant = await self._adopt(token)
            what = "service access token"
        if grant is None:
            message = f"the {what} is unknown, expired or revoked"
            return _refusal(handler, token_status(TOKEN_INVALID, message))
        if wanted is not None and grant.service_type != wanted:
            message = f"the token is for {grant.service_type}, not {wanted}"
            return _refusal(handler, token_status(TOKEN_WRONG_SERVICE, message))
        app_id = grant.app.app_id if wanted is None else grant.app_id
        retry_after_s = self.limiter.take(app_id)
        if retry_after_s is not None:
            return _refusal(
                handler, rate_limited_status(app_id, self.limiter.rate_per_s, retry_after_s)
            )
        CALLER.set(grant)
        return handler
