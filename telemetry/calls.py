"""Calls as an operator sees them: one record per call on a surface, handed to one sink.

A surface opens a :class:`Call` when a request arrives -- CORBA: :func:`observed` around each
operation of a servant class, on the omniORB thread that runs it; gRPC: ``shim/observe.py``
around the handler -- and finishes it when the answer leaves. In between, the edges add what
only they know with :func:`note` (:func:`observed` does it for a whole servant class): the
application the manager is bound to, the account, the reference code, and the Parlay X
messageId of a fault. (omniORB's request interceptors could open and close the record too,
but each is one more trip into the interpreter per request: a trivial call ran at a third of
its rate with them.) A CORBA request refused before any servant runs -- an unknown or revoked
object -- is omniORB's OBJECT_NOT_EXIST and is not recorded. The sink (``gateway.metrics``) counts, times and logs each
finished call. The current call is a context variable, so it follows the call on an omniORB
upcall thread and in a grpc.aio task alike.

Only named request fields are ever copied (:data:`FIELDS`): never a PIN, a secret or a text.
Nothing here knows Prometheus, CORBA or gRPC.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

OK = "ok"

# IDL parameter name -> log field. Anything not named here is never logged.
FIELDS = {
    "endUserIdentifier": "account",
    "endUserIdentifiers": "account",
    "referenceCode": "reference_code",
    "reservationIdentifier": "reservation",
    "requestIdentifier": "request_id",
    "registrationIdentifier": "registration",
    "correlator": "correlator",
    "addresses": "addresses",
}
LIST_SHOWN_MAX = 5  # of a list of accounts, this many are shown
FIELD_CHARS_MAX = 200  # longer values are cut (a client chooses these texts)


@dataclass
class Call:
    surface: str  # "corba" | "grpc"
    operation: str  # the IDL or RPC name: chargeAmount, ChargeAmount
    started_ns: int = field(default_factory=time.perf_counter_ns)
    fields: dict[str, str] = field(default_factory=dict)  # app_id, account, reference_code ...
    fault: str = ""  # messageId (POL1000), framework exception (P_ACCESS_DENIED) or status
    duration_ns: int = 0

    @property
    def outcome(self) -> str:
        return "fault" if self.fault else OK


Sink = Callable[[Call], None]
_CURRENT: contextvars.ContextVar[Call | None] = contextvars.ContextVar(
    "micropay_call", default=None
)
_sink: Sink | None = None


def set_sink(sink: Sink | None) -> None:
    """Where finished calls go (the gateway's metrics); None: nowhere."""
    global _sink
    _sink = sink


def begin(surface: str, operation: str) -> Call:
    """Open the record of a call that just arrived, as the current one."""
    call = Call(surface, operation)
    _CURRENT.set(call)
    return call


def current() -> Call | None:
    return _CURRENT.get()


def finish(call: Call | None, fault: str = "") -> None:
    """Close ``call`` (``fault``: the surface's name of the failure, unless an edge noted a
    more precise one) and hand it to the sink."""
    if call is None:
        return
    if _CURRENT.get() is call:
        _CURRENT.set(None)
    if fault and not call.fault:
        call.fault = fault
    call.duration_ns = time.perf_counter_ns() - call.started_ns
    sink = _sink
    if sink is not None:
        sink(call)


def note(**fields: object) -> None:
    """Add fields to the current call (no-op outside one); empty values are left out."""
    call = _CURRENT.get()
    if call is None:
        return
    for name, value in fields.items():
        if value is not None and value != "":
            call.fields[name] = str(value)[:FIELD_CHARS_MAX]


def note_fault(message_id: str) -> None:
    """The precise name of the failure (a Parlay X messageId), known at the servant edge."""
    call = _CURRENT.get()
    if call is not None and message_id and not call.fault:
        call.fault = message_id


def _shown(name: str, value: Any) -> object:
    if name == "addresses":
        return len(value)
    if name == "endUserIdentifiers":
        return ",".join(str(getattr(s, "endUserIdentifier", s)) for s in value[:LIST_SHOWN_MAX])
    return value


T = TypeVar("T")


def observed(cls: type[T]) -> type[T]:
    """Class decorator for a CORBA servant: each public operation is one recorded call, noting
    the application (``self._app``), the named request fields and the fault it raises (the
    Parlay X messageId, else the exception's name: ``P_ACCESS_DENIED``, ``BAD_PARAM``)."""
    for name, method in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(method):
            continue
        setattr(cls, name, _observed_method(method))
    return cls


def _observed_method(method: Callable[..., Any]) -> Callable[..., Any]:
    params = list(inspect.signature(method).parameters)[1:]  # without self
    wanted = [(i, p) for i, p in enumerate(params) if p in FIELDS]
    operation = method.__name__

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        outer = _CURRENT.get()  # a call already open on this thread (an in-process upcall)
        call = outer if outer is not None else begin("corba", operation)
        fields: dict[str, object] = {"app_id": getattr(self, "_app", None)}
        for index, param in wanted:
            value = args[index] if index < len(args) else kwargs.get(param)
            if value is not None:
                fields[FIELDS[param]] = _shown(param, value)
        note(**fields)
        try:
            result = method(self, *args, **kwargs)
        except Exception as exc:
            note_fault(str(getattr(exc, "messageId", "") or ""))
            if outer is None:
                finish(call, type(exc).__name__)
            raise
        if outer is None:
            finish(call)
        return result

    return wrapper
