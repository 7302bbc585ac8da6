"""Typed refusals of the framework, one class per standard exception (TS 29.198-3).

Each class names the standard exception it is (``exception``); how each surface says it (the
CORBA exception's IDL module, the gRPC code, the HTTP status) is the one framework refusal table,
``framework/core/refusals.py``. ``detail`` becomes ExtraInformation: it must never contain secrets, keys or
signatures. Broken invariants are assertions, not errors of this kind.
"""

from __future__ import annotations

from typing import ClassVar

# TpCommonExceptions.ExceptionType values (org::csapi constants, TS 29.198-2)
P_RESOURCES_UNAVAILABLE = 13
P_TASK_REFUSED = 14
P_TASK_CANCELLED = 15
P_NO_CALLBACK_ADDRESS_SET = 17
P_METHOD_NOT_SUPPORTED = 22
P_INVALID_STATE = 744


class FrameworkError(Exception):
    """An expected refusal; ``exception`` is the standard exception's name."""

    exception: ClassVar[str] = ""

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(f"{self.exception}: {detail}" if detail else self.exception)


class CommonError(FrameworkError):
    """TpCommonExceptions with an ExceptionType code."""

    exception = "TpCommonExceptions"
    exception_type: ClassVar[int] = P_TASK_REFUSED


class ResourcesUnavailable(CommonError):
    exception_type = P_RESOURCES_UNAVAILABLE


class TaskRefused(CommonError):
    exception_type = P_TASK_REFUSED


class NoCallbackAddressSet(CommonError):
    exception_type = P_NO_CALLBACK_ADDRESS_SET


class MethodNotSupported(CommonError):
    exception_type = P_METHOD_NOT_SUPPORTED


class InvalidState(CommonError):
    exception_type = P_INVALID_STATE


# org::csapi
class InvalidInterfaceType(FrameworkError):
    exception = "P_INVALID_INTERFACE_TYPE"


class InvalidInterfaceName(FrameworkError):
    exception = "P_INVALID_INTERFACE_NAME"


class InvalidVersion(FrameworkError):
    exception = "P_INVALID_VERSION"


# org::csapi::fw
class AccessDenied(FrameworkError):
    exception = "P_ACCESS_DENIED"


class InvalidAuthType(FrameworkError):
    exception = "P_INVALID_AUTH_TYPE"


class InvalidDomainId(FrameworkError):
    exception = "P_INVALID_DOMAIN_ID"


class InvalidAccessType(FrameworkError):
    exception = "P_INVALID_ACCESS_TYPE"


class NoAcceptableAuthenticationMechanism(FrameworkError):
    exception = "P_NO_ACCEPTABLE_AUTHENTICATION_MECHANISM"


class NoAcceptableSigningAlgorithm(FrameworkError):
    exception = "P_NO_ACCEPTABLE_SIGNING_ALGORITHM"


class InvalidSignature(FrameworkError):
    exception = "P_INVALID_SIGNATURE"


class InvalidSigningAlgorithm(FrameworkError):
    exception = "P_INVALID_SIGNING_ALGORITHM"


class InvalidAgreementText(FrameworkError):
    exception = "P_INVALID_AGREEMENT_TEXT"


class InvalidServiceToken(FrameworkError):
    exception = "P_INVALID_SERVICE_TOKEN"


class InvalidServiceId(FrameworkError):
    exception = "P_INVALID_SERVICE_ID"


class ServiceAccessDenied(FrameworkError):
    exception = "P_SERVICE_ACCESS_DENIED"


class IllegalServiceType(FrameworkError):
    exception = "P_ILLEGAL_SERVICE_TYPE"


class UnknownServiceType(FrameworkError):
    exception = "P_UNKNOWN_SERVICE_TYPE"


class InvalidProperty(FrameworkError):
    exception = "P_INVALID_PROPERTY"


ALL_ERRORS: tuple[type[FrameworkError], ...] = (
    ResourcesUnavailable,
    TaskRefused,
    NoCallbackAddressSet,
    MethodNotSupported,
    InvalidState,
    InvalidInterfaceType,
    InvalidInterfaceName,
    InvalidVersion,
    AccessDenied,
    InvalidAuthType,
    InvalidDomainId,
    InvalidAccessType,
    NoAcceptableAuthenticationMechanism,
    NoAcceptableSigningAlgorithm,
    InvalidSignature,
    InvalidSigningAlgorithm,
    InvalidAgreementText,
    InvalidServiceToken,
    InvalidServiceId,
    ServiceAccessDenied,
    IllegalServiceType,
    UnknownServiceType,
    InvalidProperty,
)
