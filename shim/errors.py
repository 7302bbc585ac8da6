"""Errors at the gRPC edge: a status code, a readable message and exactly one ErrorInfo (AIP-193).

- Domain errors (``charging.errors.DomainError``, SMS errors) go through the one fault table
  (:func:`scf.common.faults.fault_for`): code by retry semantics, message = the rendered Parlay X
  text, ``ErrorInfo.reason`` = the Parlay X messageId, metadata = the variables by name.
- Framework refusals (``framework.core.errors``) go through the one framework refusal table
  (:mod:`framework.core.refusals`, which the CORBA framework reads too): its gRPC code, and
  their standard exception name as the reason (``P_INVALID_SIGNATURE``; ``TpCommonExceptions``
  with ``exceptionType``), so a client maps them back to the same typed errors the CORBA client
  raises (``client.errors``).
- Bearer-token refusals are the shim's own: ``TOKEN_MISSING`` / ``TOKEN_INVALID``
  (UNAUTHENTICATED), ``TOKEN_WRONG_SERVICE`` (PERMISSION_DENIED); the per-application rate limit
  is ``RATE_LIMIT_EXCEEDED`` (RESOURCE_EXHAUSTED) naming the configuration key it hit.
- Anything else is SVC0001 (INTERNAL) with an incident id, or SVC1000 (UNAVAILABLE) when it passes
  by itself: never its own text (``fault_for_exception``).
"""

from __future__ import annotations

from collections.abc import Mapping

import grpc
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from charging.errors import DomainError
from framework.core import errors as fw
from framework.core.refusals import refusal_for
from scf.common.faults import ERROR_DOMAIN, Fault, fault_for, fault_for_exception

TOKEN_MISSING = "TOKEN_MISSING"
TOKEN_INVALID = "TOKEN_INVALID"
TOKEN_WRONG_SERVICE = "TOKEN_WRONG_SERVICE"
RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"


# The status travels in the trailers, which gRPC clients refuse beyond 8 KiB (the message
# percent-encoded, the details base64): texts that echo a client's input are cut to these sizes.
MESSAGE_BYTES_MAX = 1024
METADATA_VALUE_BYTES_MAX = 256


def clipped(text: str, bytes_max: int) -> str:
    """``text`` cut to at most ``bytes_max`` of UTF-8 (ending in an ellipsis when cut)."""
    data = text.encode()
    if len(data) <= bytes_max:
        return text
    return data[: bytes_max - 3].decode(errors="ignore") + "\u2026"


def make_status(
    code: str,
    message: str,
    reason: str,
    metadata: Mapping[str, str] | None = None,
    retry_after_s: float | None = None,
) -> grpc.Status:
    """A status with exactly one ErrorInfo (and a RetryInfo when a retry time is known)."""
    status = status_pb2.Status(
        code=grpc.StatusCode[code].value[0], message=clipped(message, MESSAGE_BYTES_MAX)
    )
    values = {k: clipped(v, METADATA_VALUE_BYTES_MAX) for k, v in (metadata or {}).items()}
    info = error_details_pb2.ErrorInfo(reason=reason, domain=ERROR_DOMAIN, metadata=values)
    status.details.add().Pack(info)
    if retry_after_s is not None:
        delay = duration_pb2.Duration()
        delay.FromMilliseconds(max(1, int(retry_after_s * 1000)))
        status.details.add().Pack(error_details_pb2.RetryInfo(retry_delay=delay))
    return rpc_status.to_status(status)


def fault_status(fault: Fault) -> grpc.Status:
    return make_status(fault.grpc_code, fault.text, fault.message_id, fault.metadata())


def framework_status(error: fw.FrameworkError) -> grpc.Status:
    """A framework refusal by the one refusal table (``framework.core.refusals``)."""
    spec = refusal_for(error)
    metadata = {"extraInformation": error.detail}
    if spec.exception_type:
        metadata["exceptionType"] = spec.exception_type
    return make_status(spec.grpc_code, str(error), error.exception, metadata)


def status_for(exc: BaseException, context: Mapping[str, object] | None = None) -> grpc.Status:
    """The status every servicer reports for what a call raised."""
    if isinstance(exc, DomainError):
        return fault_status(fault_for(exc, context))
    if isinstance(exc, fw.FrameworkError):
        return framework_status(exc)
    return fault_status(fault_for_exception(exc, context))


def token_status(reason: str, message: str) -> grpc.Status:
    code = "PERMISSION_DENIED" if reason == TOKEN_WRONG_SERVICE else "UNAUTHENTICATED"
    return make_status(code, message, reason)


def rate_limited_status(app_id: str, limit_per_s: float, retry_after_s: float) -> grpc.Status:
    return make_status(
        "RESOURCE_EXHAUSTED",
        f"too many requests from application {app_id} (grpc.app_rate_limit_per_s = "
        f"{limit_per_s:g})",
        RATE_LIMIT_EXCEEDED,
        {"limit": "grpc.app_rate_limit_per_s", "value": f"{limit_per_s:g}", "appId": app_id},
        retry_after_s=retry_after_s,
    )
