"""The core's typed refusals as the standard CORBA exceptions, by the one framework refusal
table (``framework/core/refusals.py``, which the gRPC shim reads too), and the wrapper that
applies it to every IDL operation of a servant.

The wrapper also keeps each operation inside its raises clause: a refusal the operation may not
raise becomes TpCommonExceptions (ExceptionType P_TASK_REFUSED, ExtraInformation naming the
refusal) instead of reaching the client as CORBA UNKNOWN. Unexpected failures are logged by type
and operation only (never arguments: they carry secrets and signatures) and answered as
TpCommonExceptions(P_RESOURCES_UNAVAILABLE).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import org.csapi as csapi
import org.csapi.fw as fw
from omniORB import CORBA

from framework.core import errors as core
from framework.core import refusals
from framework.logs import log

IDL_MODULES = {refusals.CSAPI: csapi, refusals.CSAPI_FW: fw}  # a row's scope -> the stubs


def to_corba(error: core.FrameworkError) -> CORBA.UserException:
    """The standard exception of ``error``, by the one refusal table."""
    if isinstance(error, core.CommonError):
        return csapi.TpCommonExceptions(error.exception_type, error.detail)
    spec = refusals.refusal_for(error)
    return getattr(IDL_MODULES[spec.scope], spec.exception)(error.detail)


def _raises(interface: type, operation: str) -> set[str]:
    descriptor = getattr(interface, f"_d_{operation}")
    return set(descriptor[2] or {})


def _within(exc: CORBA.UserException, error: core.FrameworkError, allowed: set[str]) -> Any:
    if exc._NP_RepositoryId in allowed:
        return exc
    if csapi.TpCommonExceptions._NP_RepositoryId in allowed:
        return csapi.TpCommonExceptions(core.P_TASK_REFUSED, f"{error.exception}: {error.detail}")
    return CORBA.NO_PERMISSION(0, CORBA.COMPLETED_NO)


F = TypeVar("F", bound=Callable[..., Any])


def _wrap(method: F, interface: type, name: str) -> F:
    allowed = _raises(interface, name)

    @functools.wraps(method)
    def operation(self: Any, *args: Any) -> Any:
        try:
            return method(self, *args)
        except core.FrameworkError as error:
            raise _within(to_corba(error), error, allowed) from None
        except CORBA.Exception:
            raise
        except Exception as exc:
            log(logging.ERROR, "operation failed", operation=name, error=type(exc).__name__)
            if csapi.TpCommonExceptions._NP_RepositoryId in allowed:
                raise csapi.TpCommonExceptions(
                    core.P_RESOURCES_UNAVAILABLE, "internal error"
                ) from None
            raise CORBA.INTERNAL(0, CORBA.COMPLETED_MAYBE) from None

    return operation  # type: ignore[return-value]


def servant_of(interface: type) -> Callable[[type], type]:
    """Class decorator: translate refusals in every IDL operation ``interface`` declares."""

    def decorate(cls: type) -> type:
        for attr in dir(interface):
            if attr.startswith("_d_"):
                name = attr[3:]
                method = cls.__dict__.get(name)
                if method is not None:
                    setattr(cls, name, _wrap(method, interface, name))
        return cls

    return decorate
