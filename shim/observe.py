"""The gRPC surface's side of :mod:`telemetry.calls`: one record per RPC.

:class:`ObserveInterceptor` comes first among the server's interceptors, so it also sees the
calls the auth interceptor refuses. It wraps each handler: the record opens when the handler
starts, takes the caller's application (``shim.calls.CALLER``) and the named request fields
(:data:`REQUEST_FIELDS`: never a PIN or a text), and is finished with the ``ErrorInfo.reason`` of
the status the call ended with (the Parlay X messageId, ``TOKEN_INVALID``, ``P_INVALID_SIGNATURE``
... the same names the CORBA side reports), or the status code when there is no ErrorInfo.
Streams are counted when they end; their lifetime is not a latency.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

from shim.calls import CALLER
from telemetry import calls as observe

# request field -> log field; nothing else of a request is ever recorded
REQUEST_FIELDS = {
    "end_user_identifier": "account",
    "reference_code": "reference_code",
    "reservation_identifier": "reservation",
    "request_identifier": "request_id",
    "correlator": "correlator",
}
STATUS_DETAILS_KEY = "grpc-status-details-bin"


def _fields(request: Any) -> dict[str, object]:
    found: dict[str, object] = {}
    for name, label in REQUEST_FIELDS.items():
        value = getattr(request, name, None)
        if isinstance(value, str) and value:
            found[label] = value
    addresses = getattr(request, "addresses", None)
    if addresses is not None and not isinstance(addresses, str):
        found["addresses"] = len(addresses)
    return found


def _app_id() -> str | None:
    grant = CALLER.get(None)
    if grant is None:
        return None
    app = getattr(grant, "app", None)
    return getattr(grant, "app_id", None) or getattr(app, "app_id", None)


def fault_name(context: grpc.aio.ServicerContext, exc: BaseException | None) -> str:
    """The ErrorInfo reason of the status the call ended with, else the status code's name."""
    for key, value in context.trailing_metadata() or ():
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.ErrorInfo()
                if detail.Unpack(info) and info.reason:
                    return info.reason
    code = context.code()
    if isinstance(code, grpc.StatusCode) and code is not grpc.StatusCode.OK:
        return code.name
    if exc is None:
        return ""
    return "CANCELLED" if isinstance(exc, asyncio.CancelledError | GeneratorExit) else "UNKNOWN"


def _begin(operation: str, request: Any) -> observe.Call:
    call = observe.begin("grpc", operation)
    observe.note(app_id=_app_id(), **_fields(request))
    return call


class ObserveInterceptor(grpc.aio.ServerInterceptor):
    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None:
            return handler
        operation = details.method.rpartition("/")[2]
        kinds = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(operation, handler.unary_unary), **kinds
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._stream(operation, handler.unary_stream), **kinds
            )
        return handler  # no client-streaming RPCs in micropay.v1

    @staticmethod
    def _unary(operation: str, inner: Any) -> Any:
        async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            call = _begin(operation, request)
            try:
                response = await inner(request, context)
            except BaseException as exc:
                observe.finish(call, fault_name(context, exc))
                raise
            observe.finish(call, fault_name(context, None))
            return response

        return unary

    @staticmethod
    def _stream(operation: str, inner: Any) -> Any:
        async def stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
            call = _begin(operation, request)
            call.fields["stream"] = "yes"  # the sink records no latency for streams
            try:
                async for item in inner(request, context):
                    yield item
            except BaseException as exc:
                observe.finish(call, fault_name(context, exc))
                raise
            observe.finish(call, fault_name(context, None))

        return stream
