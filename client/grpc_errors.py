"""Errors over gRPC, as the application sees them (docs/grpc-api.md, "Errors").

Every failed RPC carries one ``google.rpc.ErrorInfo`` in its status details:

- framework refusals: ``reason`` = the standard exception's name; :func:`translated` raises the
  same ``client.errors`` class the CORBA client raises (``P_INVALID_SIGNATURE``,
  ``TpCommonExceptions`` with its exception type, ...);
- SCF faults: ``reason`` = the Parlay X messageId; :class:`GrpcFault` carries it with the text and
  the variables by name, like a CORBA ServiceException/PolicyException.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from client import errors

EXCEPTION_TYPES = {
    "P_RESOURCES_UNAVAILABLE": 13,
    "P_TASK_REFUSED": 14,
    "P_TASK_CANCELLED": 15,
    "P_NO_CALLBACK_ADDRESS_SET": 17,
    "P_METHOD_NOT_SUPPORTED": 22,
    "P_INVALID_STATE": 744,
}


def error_info(exc: grpc.RpcError) -> error_details_pb2.ErrorInfo | None:
    """The ErrorInfo of a failed call (None when the status has none)."""
    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    return None


class GrpcFault(Exception):
    """A failed SCF call: gRPC ``code``, Parlay X ``message_id`` (the ErrorInfo reason),
    ``text`` (the rendered message) and ``variables`` (ErrorInfo metadata)."""

    def __init__(
        self, code: grpc.StatusCode, message_id: str, text: str, variables: dict[str, str]
    ) -> None:
        self.code = code
        self.message_id = message_id
        self.text = text
        self.variables = variables
        super().__init__(f"{code.name} {message_id}: {text}")

    @classmethod
    def from_rpc_error(cls, exc: grpc.RpcError) -> GrpcFault:
        info = error_info(exc)
        code = exc.code()  # type: ignore[attr-defined]
        text = exc.details() or ""  # type: ignore[attr-defined]
        if info is None:
            return cls(code, code.name, text, {})
        return cls(code, info.reason, text, dict(info.metadata))


def framework_error(exc: grpc.RpcError) -> Exception:
    """The ``client.errors`` type for a framework refusal (GrpcFault for anything else)."""
    info = error_info(exc)
    if info is None:
        return GrpcFault.from_rpc_error(exc)
    extra = info.metadata.get("extraInformation", "")
    if info.reason == "TpCommonExceptions":
        kind = info.metadata.get("exceptionType", "")
        return errors.TpCommonExceptions(EXCEPTION_TYPES.get(kind, 0), extra)
    cls = errors.ERRORS.get(info.reason)
    return cls(extra) if cls is not None else GrpcFault.from_rpc_error(exc)


@contextmanager
def translated() -> Iterator[None]:
    """Turn a framework RPC's failure into the ``client.errors`` type CORBA would give."""
    try:
        yield
    except grpc.RpcError as exc:
        raise framework_error(exc) from None
