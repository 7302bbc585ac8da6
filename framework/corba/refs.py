"""Object references the application hands the framework: type checks and bounded calls."""

from __future__ import annotations

from typing import Any

import omniORB
from omniORB import CORBA

from framework.core.errors import InvalidInterfaceType


def require(obj: Any, interface: type, what: str, timeout_ms: int) -> Any:
    """``obj`` narrowed to ``interface``, its calls bounded by ``timeout_ms``.

    A nil reference or one whose type is not ``interface`` is P_INVALID_INTERFACE_TYPE. The type
    comes from the reference itself when omniORB knows it, else from one bounded ``_is_a`` call.
    """
    if obj is None or CORBA.is_nil(obj):
        raise InvalidInterfaceType(f"{what} is nil")
    omniORB.setClientCallTimeout(obj, timeout_ms)
    try:
        ok = obj._is_a(getattr(interface, "_NP_RepositoryId"))  # noqa: B009 (generated attribute)
    except CORBA.SystemException:
        raise InvalidInterfaceType(f"the type of {what} cannot be checked") from None
    if not ok:
        raise InvalidInterfaceType(f"{what} is not an {interface.__name__}")
    narrowed = obj._unchecked_narrow(interface)
    omniORB.setClientCallTimeout(narrowed, timeout_ms)
    return narrowed


def octets(data: bytes) -> list[int]:
    """bytes → TpOctetSet (omniORBpy maps sequence<TpOctet> to a list of ints)."""
    return list(data)


def from_octets(value: Any) -> bytes:
    """TpOctetSet → bytes."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return bytes(value)
