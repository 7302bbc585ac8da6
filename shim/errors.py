"""Errors at the gRPC edge: a status code, a readable message and exactly one ErrorInfo (AIP-193).

- Domain errors (``charging.errors.DomainError``, SMS errors) go through the one fault table
  (:func:`scf.common.faults.fault_for`): code by retry semantics, message = the rendered Parlay X
  text, ``ErrorInfo.reason`` = the Parlay X messageId, metadata = the variables by name.
- Framework refusals (``framework.core.errors``) keep their standard exception name as the
  reason (``P_INVALID_SIGNATURE``; ``TpCommonExceptions`` with ``exceptionType``), so a client
  maps them back to the same typed errors the CORBA client raises (``client.errors``).
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
from scf.common.faults import ERROR_DOMAIN, Fault, fault_for, fault_for_exception

# framework refusal -> gRPC code (by what the caller should do next)
FRAMEWORK_CODES: dict[type[fw.FrameworkError], str] = {
    fw.ResourcesUnavailable: "RESOURCE_EXHAUSTED",
    fw.TaskRefused: "FAILED_PRECONDITION",
    fw.NoCallbackAddressSet: "FAILED_PRECONDITION",
    fw.MethodNotSupported: "UNIMPLEMENTED",
    fw.InvalidState: "FAILED_PRECONDITION",
    fw.InvalidInterfaceType: "INVALID_ARGUMENT",
    fw.InvalidInterfaceName: "INVALID_ARGUMENT",
    fw.InvalidVersion: "INVALID_ARGUMENT",
    fw.AccessDenied: "PERMISSION_DENIED",
    fw.InvalidAuthType: "INVALID_ARGUMENT",
    fw.InvalidDomainId: "PERMISSION_DENIED",
    fw.InvalidAccessType: "INVALID_ARGUMENT",
    fw.NoAcceptableAuthenticationMechanism: "FAILED_PRECONDITION",
    fw.NoAcceptableSigningAlgorithm: "FAILED_PRECONDITION",
    fw.InvalidSignature: "PERMISSION_DENIED",
    fw.InvalidSigningAlgorithm: "INVALID_ARGUMENT",
    fw.InvalidAgreementText: "INVALID_ARGUMENT",
    fw.InvalidServiceToken: "NOT_FOUND",
    fw.InvalidServiceId: "NOT_FOUND",
    fw.ServiceAccessDenied: "PERMISSION_DENIED",
    fw.IllegalServiceType: "INVALID_ARGUMENT",
    fw.UnknownServiceType: "NOT_FOUND",
    fw.InvalidProperty: "INVALID_ARGUMENT",
}
assert set(FRAMEWORK_CODES) == set(fw.ALL_ERRORS), "every framework refusal needs a gRPC code"

EXCEPTION_TYPE_NAMES = {
    fw.P_RESOURCES_UNAVAILABLE: "P_RESOURCES_UNAVAILABLE",
    fw.P_TASK_REFUSED: "P_TASK_REFUSED",
    fw.P_TASK_CANCELLED: "P_TASK_CANCELLED",
    fw.P_NO_CALLBACK_ADDRESS_SET: "P_NO_CALLBACK_ADDRESS_SET",
    fw.P_METHOD_NOT_SUPPORTED: "P_METHOD_NOT_SUPPORTED",
    fw.P_INVALID_STATE: "P_INVALID_STATE",
}

TOKEN_MISSING = "TOKEN_MISSING"
TOKEN_INVALID = "TOKEN_INVALID"
TOKEN_WRONG_SERVICE = "TOKEN_WRONG_SERVICE"
RATE_LIMIT_EXCEEDED = "RATE_LIMIT_EXCEEDED"


# The status travels in the trailers, which gRPC clients refuse beyond 8 KiB (the message
# percent-encoded, the details base64): texts that echo a client's input are cut to these sizes.
MESSAGE_BYTES_MAX = 1024
METADATA_VALUE_BYTES_MAX = 256


def clipped(text: str, max_bytes: int) -> str:
    """``text`` cut to at most ``max_bytes`` of UTF-8 (ending in an ellipsis when cut)."""
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode(errors="ignore") + "\u2026"


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
    metadata = {"extraInformation": error.detail}
    if isinstance(error, fw.CommonError):
        metadata["exceptionType"] = EXCEPTION_TYPE_NAMES.get(
            error.exception_type, str(error.exception_type)
        )
    code = FRAMEWORK_CODES.get(type(error), "FAILED_PRECONDITION")
    return make_status(code, str(error), error.exception, metadata)


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
