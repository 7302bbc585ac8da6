"""The CORBA side of SMS notifications: the application's ``SmsNotification`` object.

The SMS service delivers its notification outbox through a
:data:`scf.sms.model.NotificationResolver`: endpoint text -> something with
``notifySmsReception`` / ``notifySmsDeliveryReceipt`` taking domain values. Over CORBA the
endpoint of a ``SimpleReference`` is the stringified object reference (``IOR:...`` or
``corbaloc:...``) of the application's ``org::csapi::parlayx::sms::SmsNotification``;
:class:`CorbaNotificationResolver` turns it back into an object (cached, bounded), sets a bounded
call timeout on it (``omniORB.setClientCallTimeout``) and hands out a
:class:`CorbaSmsNotification` that converts the domain values to the IDL structs.

Whatever stops a call -- a reference that does not parse, the application down (TRANSIENT,
COMM_FAILURE), slow (TIMEOUT), gone (OBJECT_NOT_EXIST) or failing in its own code (UNKNOWN) --
is raised as :class:`NotificationUnreachable`: the service's dispatcher keeps the event and
retries it with back-off (``scf.sms.notifications``), so delivery stays at least once.
"""

from __future__ import annotations

import threading
from typing import Any

import omniORB
from omniORB import CORBA
from org.csapi.parlayx import sms as sms_idl

from scf.corba_edge import date_time_text
from scf.sms.model import DeliveryInformation, SmsMessage

CALLBACK_TIMEOUT_MS = 5_000  # one notify call, connect included
CALLBACK_CACHE_MAX = 1_024  # resolved references kept; the cache is emptied when full


class NotificationUnreachable(ConnectionError):
    """The application's SmsNotification could not be called; the event is retried.

    A ConnectionError (not a DomainError): it is the application's failure, never reported to a
    client as a fault, only logged by the dispatcher with the CORBA exception's name."""


def delivery_information(info: DeliveryInformation) -> Any:
    """The IDL ``DeliveryInformation`` of a domain one (enum literal for literal)."""
    return sms_idl.DeliveryInformation(info.address, getattr(sms_idl, info.deliveryStatus.value))


def sms_message(message: SmsMessage) -> Any:
    """The IDL ``SmsMessage`` of a domain one."""
    return sms_idl.SmsMessage(
        message.message,
        message.senderAddress,
        message.smsServiceActivationNumber,
        date_time_text(message.dateTime),
    )


class CorbaSmsNotification:
    """One application's SmsNotification object, as the domain's ``SmsNotification`` protocol."""

    def __init__(self, target: Any) -> None:
        self._target = target

    def notifySmsReception(self, correlator: str, message: SmsMessage) -> None:
        try:
            self._target.notifySmsReception(correlator, sms_message(message))
        except CORBA.Exception as exc:
            raise NotificationUnreachable(type(exc).__name__) from None

    def notifySmsDeliveryReceipt(
        self, correlator: str, deliveryStatus: DeliveryInformation
    ) -> None:
        try:
            self._target.notifySmsDeliveryReceipt(correlator, delivery_information(deliveryStatus))
        except CORBA.Exception as exc:
            raise NotificationUnreachable(type(exc).__name__) from None


class CorbaNotificationResolver:
    """The gateway's :data:`NotificationResolver`: endpoint text -> :class:`CorbaSmsNotification`.

    ``_unchecked_narrow`` makes no remote call: a reference to something that is not an
    SmsNotification fails at the notify call (BAD_OPERATION) and is retried like any failure.
    """

    def __init__(self, orb: Any, call_timeout_ms: int = CALLBACK_TIMEOUT_MS) -> None:
        self.orb = orb
        self.call_timeout_ms = call_timeout_ms
        self._targets: dict[str, CorbaSmsNotification] = {}
        self._lock = threading.Lock()

    def __call__(self, endpoint: str) -> CorbaSmsNotification:
        with self._lock:
            found = self._targets.get(endpoint)
        if found is not None:
            return found
        try:
            obj = self.orb.string_to_object(endpoint)
        except CORBA.Exception as exc:
            raise NotificationUnreachable(f"bad reference ({type(exc).__name__})") from None
        if obj is None:
            raise NotificationUnreachable("nil reference")
        target = obj._unchecked_narrow(sms_idl.SmsNotification)
        omniORB.setClientCallTimeout(target, self.call_timeout_ms)
        found = CorbaSmsNotification(target)
        with self._lock:
            if len(self._targets) >= CALLBACK_CACHE_MAX:
                self._targets.clear()
            self._targets[endpoint] = found
        return found


def parses_as_reference(orb: Any, endpoint: str) -> bool:
    """Whether ``endpoint`` is a non-nil stringified object reference (no remote call)."""
    try:
        return orb.string_to_object(endpoint) is not None
    except CORBA.Exception:
        return False
