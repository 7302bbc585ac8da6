"""The CORBA side of charging-event delivery: ``IpAppAccountManager.reportNotification``.

:class:`CorbaDeliverer` is the :class:`scf.account.dispatcher.Deliverer` of the gateway: it
turns the stringified callback reference an application gave to ``createNotification`` back
into an object (cached), bounds each call with omniORB's per-object timeout
(``omniORB.setClientCallTimeout``), builds the ``TpChargingEventInfo`` and calls the application.
Whatever stops the call -- the application down (TRANSIENT, COMM_FAILURE), slow (TIMEOUT),
gone (OBJECT_NOT_EXIST) or failing (UNKNOWN) -- is :class:`Unreachable`: the dispatcher keeps
the event and tries again later.
"""

from __future__ import annotations

import threading
from typing import Any

import omniORB
from omniORB import CORBA
from org.csapi.parlayx import account_management as am

from charging.ledger import Ledger
from scf.account.dispatcher import Notification, NotificationDispatcher, Unreachable
from scf.account.notifications import NotificationRegistry
from scf.corba_edge import date_time_text, decimal_text

CALLBACK_TIMEOUT_MS = 5000
CALLBACK_CACHE_MAX = 1024


def event_info(notification: Notification) -> Any:
    """The ``TpChargingEventInfo`` of one notification."""
    e = notification.event
    return am.TpChargingEventInfo(
        ChargingEventName=getattr(am, e.event.value),
        CurrentBalanceInfo=am.BalanceInfo(e.currency, decimal_text(e.balance_minor, e.currency)),
        ChargingEventTime=date_time_text(e.occurred_at),
        EndUserIdentifier=e.msisdn,
        EventAmount=decimal_text(e.amount_minor, e.currency),
        ReferenceCode=notification.reference_code,
        AdditionalInfo=notification.additional_info,
        EventID=str(e.seq),
    )


class CorbaDeliverer:
    def __init__(self, orb: Any, call_timeout_ms: int = CALLBACK_TIMEOUT_MS) -> None:
        self.orb = orb
        self.call_timeout_ms = call_timeout_ms
        self._objects: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _target(self, callback: str) -> Any:
        with self._lock:
            target = self._objects.get(callback)
        if target is None:
            try:
                obj = self.orb.string_to_object(callback)
            except CORBA.Exception as exc:
                raise Unreachable(f"bad callback reference ({type(exc).__name__})") from None
            target = obj._unchecked_narrow(am.IpAppAccountManager)
            omniORB.setClientCallTimeout(target, self.call_timeout_ms)
            with self._lock:
                if len(self._objects) >= CALLBACK_CACHE_MAX:
                    self._objects.clear()
                self._objects[callback] = target
        return target

    def deliver(self, notification: Notification) -> None:
        target = self._target(notification.callback)
        try:
            target.reportNotification(event_info(notification), notification.assignment_id)
        except CORBA.Exception as exc:
            raise Unreachable(type(exc).__name__) from None


def start_notifications(
    ledger: Ledger,
    orb: Any,
    registry: NotificationRegistry,
    *,
    callback_timeout_ms: int = CALLBACK_TIMEOUT_MS,
    enabled: bool = True,
    **settings: Any,
) -> NotificationDispatcher:
    """Start delivering charging events to the applications' ``IpAppAccountManager``s.

    ``settings`` are :class:`NotificationDispatcher`'s (poll_interval_ms, retry_ms_min,
    retry_ms_max, batch_max). Stop it with ``.stop()``. ``enabled=False`` builds it without
    starting it (a second gateway process on the same PostgreSQL)."""
    dispatcher = NotificationDispatcher(
        ledger, registry, CorbaDeliverer(orb, callback_timeout_ms), **settings
    )
    return dispatcher.start() if enabled else dispatcher
