"""Typed errors of the client library: each standard exception becomes a class of that name.

``except client.errors.P_ACCESS_DENIED`` catches the framework's P_ACCESS_DENIED;
every class derives from :class:`FrameworkError`, which carries ``name`` (the standard
exception name) and ``extra_information`` (the framework's ExtraInformation text).
TpCommonExceptions also carries ``exception_type`` (P_RESOURCES_UNAVAILABLE = 13, ...).
"""

from __future__ import annotations

from typing import Any


class FrameworkError(Exception):
    name = "FrameworkError"

    def __init__(self, extra_information: str = "") -> None:
        self.extra_information = extra_information
        super().__init__(f"{self.name}: {extra_information}" if extra_information else self.name)


class TpCommonExceptions(FrameworkError):
    name = "TpCommonExceptions"

    def __init__(self, exception_type: int, extra_information: str = "") -> None:
        self.exception_type = exception_type
        super().__init__(extra_information)
        self.args = (f"TpCommonExceptions({exception_type}): {extra_information}",)


class AuthenticationFailed(FrameworkError):
    """The framework answered our challenge wrongly, or aborted our authentication."""

    name = "AuthenticationFailed"


class CallbackTimeout(FrameworkError):
    """The framework did not make the callback the handshake waits for in time."""

    name = "CallbackTimeout"


class ServiceUnavailable(FrameworkError):
    """Discovery found no service of the type (or none with the properties) for this app."""

    name = "ServiceUnavailable"


class AccessTerminated(FrameworkError):
    """The access session was ended (by us or by the framework)."""

    name = "AccessTerminated"


_STANDARD = (
    # org::csapi
    "P_INVALID_INTERFACE_TYPE",
    "P_INVALID_INTERFACE_NAME",
    "P_INVALID_VERSION",
    # org::csapi::fw
    "P_ACCESS_DENIED",
    "P_INVALID_AUTH_TYPE",
    "P_INVALID_DOMAIN_ID",
    "P_INVALID_ACCESS_TYPE",
    "P_NO_ACCEPTABLE_AUTHENTICATION_MECHANISM",
    "P_NO_ACCEPTABLE_ENCRYPTION_CAPABILITY",
    "P_NO_ACCEPTABLE_SIGNING_ALGORITHM",
    "P_INVALID_SIGNATURE",
    "P_INVALID_SIGNING_ALGORITHM",
    "P_INVALID_AGREEMENT_TEXT",
    "P_INVALID_SERVICE_TOKEN",
    "P_INVALID_SERVICE_ID",
    "P_SERVICE_ACCESS_DENIED",
    "P_ILLEGAL_SERVICE_TYPE",
    "P_UNKNOWN_SERVICE_TYPE",
    "P_INVALID_PROPERTY",
)
ERRORS: dict[str, type[FrameworkError]] = {"TpCommonExceptions": TpCommonExceptions}
for _name in _STANDARD:
    ERRORS[_name] = type(_name, (FrameworkError,), {"name": _name, "__module__": __name__})
    globals()[_name] = ERRORS[_name]


def from_corba(exc: Any) -> FrameworkError:
    """The typed error for a CORBA user exception raised by the framework."""
    name = type(exc).__name__
    extra = getattr(exc, "ExtraInformation", "")
    if name == "TpCommonExceptions":
        return TpCommonExceptions(int(exc.ExceptionType), extra)
    cls = ERRORS.get(name)
    if cls is None:
        cls = type(name, (FrameworkError,), {"name": name, "__module__": __name__})
    return cls(extra)
