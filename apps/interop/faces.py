"""The neutral values the SCF faces of both transports take and give.

A purpose is written once and runs over CORBA and gRPC: it calls a face (``ctx.pay``, ``ctx.am``,
``ctx.sms``) with these values; each transport converts them to its wire form (decimal text over
CORBA, minor units with an exponent over gRPC) and back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Parlay X DeliveryStatus literals, in the IDL's order (the gRPC enum is the same list, 1-based).
DELIVERY_STATUSES = (
    "DeliveredToNetwork",
    "DeliveryUncertain",
    "DeliveryImpossible",
    "MessageWaiting",
    "DeliveredToTerminal",
    "DeliveryNotificationNotSupported",
)
EVENT_NAMES = (
    "P_AM_CHARGING",
    "P_AM_RECHARGING",
    "P_AM_ACCOUNT_LOW",
    "P_AM_ACCOUNT_ZERO",
    "P_AM_ACCOUNT_DISABLED",
)
ACCOUNT_STATES = ("Active", "Suspended", "Expired", "Closed", "Unregistered")


@dataclass(frozen=True)
class Charge:
    """Parlay X ChargingInformation: amount is xsd:decimal text, as an application writes it."""

    description: str
    currency: str
    amount: str
    code: str = ""


@dataclass(frozen=True)
class ChargingEvent:
    name: str
    balance: Decimal | None
    currency: str
    end_user: str
    amount: Decimal | None
    reference: str
    info: str
    event_id: str
    assignment_id: int


@dataclass(frozen=True)
class Message:
    """A received SMS (Parlay X SmsMessage)."""

    message: str
    sender: str
    number: str
    date_time: str


class Inbox:
    """What the harness's callback servants (or streams) received, waited on with a bound."""

    def __init__(self) -> None:
        self._items: list[tuple[str, Any]] = []
        self._cond = threading.Condition()

    def put(self, key: str, item: Any) -> None:
        with self._cond:
            self._items.append((key, item))
            self._cond.notify_all()

    def wait(
        self, key: str, timeout_s: float, predicate: Callable[[Any], bool] = lambda _: True
    ) -> Any:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for k, item in self._items:
                    if k == key and predicate(item):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def items(self, key: str) -> list[Any]:
        with self._cond:
            return [item for k, item in self._items if k == key]
