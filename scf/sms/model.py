"""The SMS SCF's value types, named as Parlay X Part 4 and Part 1 name them.

Plain frozen dataclasses: the CORBA servant and the gRPC shim translate them at the edge.
Inline charging (Part 1 §5.2.1) is the one ``ChargingInformation`` every SCF takes
(``scf.common.charging_information``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from scf.common.charging_information import ChargingInformation


class DeliveryStatus(enum.StrEnum):
    """Parlay X DeliveryStatus (sms/v2_2), per address of a sendSms request."""

    DeliveredToNetwork = "DeliveredToNetwork"
    DeliveryUncertain = "DeliveryUncertain"
    DeliveryImpossible = "DeliveryImpossible"
    MessageWaiting = "MessageWaiting"
    DeliveredToTerminal = "DeliveredToTerminal"
    DeliveryNotificationNotSupported = "DeliveryNotificationNotSupported"


FINAL_STATUSES = frozenset({DeliveryStatus.DeliveredToTerminal, DeliveryStatus.DeliveryImpossible})


@dataclass(frozen=True)
class SimpleReference:
    """Where to send notifications: the application's endpoint and its correlator (Part 1 §8)."""

    endpoint: str
    interfaceName: str  # spelled as Parlay X spells it
    correlator: str


@dataclass(frozen=True)
class DeliveryInformation:
    address: str
    deliveryStatus: DeliveryStatus


@dataclass(frozen=True)
class SmsMessage:
    """A mobile-originated message as getReceivedSms and notifySmsReception hand it over."""

    message: str
    senderAddress: str
    smsServiceActivationNumber: str
    dateTime: datetime | None = None


class SmsNotification(Protocol):
    """The application side of Parlay X SmsNotification.

    The SMS service calls it at least once per event, retrying with back-off while it raises; the
    application de-duplicates. A CORBA adapter implements it by calling the application's
    IpAppSmsNotification-like callback object; tests implement it in Python.
    """

    def notifySmsReception(self, correlator: str, message: SmsMessage) -> None: ...

    def notifySmsDeliveryReceipt(
        self, correlator: str, deliveryStatus: DeliveryInformation
    ) -> None: ...


# endpoint (from SimpleReference.endpoint) -> the object to call; raises if it cannot be reached.
NotificationResolver = Callable[[str], SmsNotification]

# Called by sendSms when a request carries ChargingInformation, before the message is stored.
# Arguments: app_id, request_id (a stable reference code for idempotent charging), the addresses
# and the charging information. It raises a DomainError to refuse (ChargingNotSupported when the
# application's contract has no charging).
ChargingHook = Callable[[str, str, list[str], ChargingInformation], None]
