"""The application's two standing subscriptions, made once and kept across restarts.

- **Charging events**: ``createNotification`` of every event name, for every account the
  application has charged (empty Users), to the application's ``IpAppAccountManager``.
- **Subscriber SMS**: ``startSmsNotification`` on the shop's short code, every message (empty
  criteria), to the application's ``SmsNotification``.

Over gRPC there are no callbacks: the gateway keeps what it selected for the application and
hands it out on streams (``grpc_streams``); the subscriptions are the same calls.

The gateway keeps both durably. The handles (assignment id, correlator) and the callback
references they were made with are kept in the application's database: while the references
are the same (they survive restarts, see ``corba_callbacks``) nothing is redone, and the
gateway delivers what it queued while the shop was down. When a reference changed, the old
subscription is ended first and a new one made.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from apps.micropay.ports import GatewayFault
from apps.micropay.store import Store

logger = logging.getLogger("micropay.shop.subscriptions")

GRPC_STREAM = "grpc-stream"  # the "address" of a subscription delivered over a gRPC stream


@dataclass(frozen=True)
class Addresses:
    """Where the gateway delivers: the callback references over CORBA, streams over gRPC."""

    account_ref: Any  # the IpAppAccountManager for createNotification (None over gRPC)
    account_key: str  # what a kept assignment must have been made for
    sms_endpoint: str  # SimpleReference.endpoint ("" over gRPC)

    @classmethod
    def streams(cls) -> Addresses:
        return cls(None, GRPC_STREAM, "")

    @property
    def sms_key(self) -> str:
        return self.sms_endpoint or GRPC_STREAM


class SubscriptionPort(Protocol):
    def notifications(self) -> list[int]: ...
    def destroy_notification(self, assignment_id: int) -> None: ...
    def create_notification(self, callback: Any, events: list[str]) -> int: ...
    def start_sms_notification(
        self, endpoint: str, correlator: str, activation_number: str
    ) -> None: ...
    def stop_sms_notification(self, correlator: str) -> None: ...


EVENT_NAMES = [
    "P_AM_CHARGING",
    "P_AM_RECHARGING",
    "P_AM_ACCOUNT_LOW",
    "P_AM_ACCOUNT_ZERO",
    "P_AM_ACCOUNT_DISABLED",
]


def ensure_charging_events(gateway: SubscriptionPort, store: Store, to: Addresses) -> int:
    kept = store.setting("am.assignment")
    kept_ref = store.setting("am.callback")
    current = gateway.notifications()
    if kept and int(kept) in current and kept_ref == to.account_key:
        stale = [a for a in current if a != int(kept)]
        assignment = int(kept)
    else:
        stale = current  # one shop per application id: any other assignment is a leftover
        assignment = 0
    for old in stale:
        try:
            gateway.destroy_notification(old)
        except GatewayFault as fault:
            logger.info("destroyNotification %s: %s", old, fault)
    if not assignment:
        assignment = gateway.create_notification(to.account_ref, EVENT_NAMES)
        store.set_setting("am.assignment", str(assignment))
        store.set_setting("am.callback", to.account_key)
    return assignment


def ensure_sms_notification(
    gateway: SubscriptionPort, store: Store, to: Addresses, short_code: str
) -> str:
    kept = store.setting("sms.correlator")
    same = (
        kept is not None
        and store.setting("sms.endpoint") == to.sms_key
        and store.setting("sms.short_code") == short_code
    )
    if kept is not None and not same:
        try:
            gateway.stop_sms_notification(kept)
        except GatewayFault as fault:
            logger.info("stopSmsNotification %s: %s", kept, fault)
        store.set_setting("sms.correlator", None)
        kept = None
    correlator = kept or f"shop-{secrets.token_hex(8)}"
    try:
        gateway.start_sms_notification(to.sms_endpoint, correlator, short_code)
    except GatewayFault as fault:
        # SVC0005: that correlator is running already; SVC0008: so is our registration
        if not (fault.message_id == "SVC0005" or (same and fault.message_id == "SVC0008")):
            raise
    store.set_setting("sms.correlator", correlator)
    store.set_setting("sms.endpoint", to.sms_key)
    store.set_setting("sms.short_code", short_code)
    return correlator
