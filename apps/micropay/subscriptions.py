"""The application's two standing subscriptions, made once and kept across restarts.

- **Charging events**: ``createNotification`` of every event name, for every account the
  application has charged (empty Users), to the application's ``IpAppAccountManager``.
- **Subscriber SMS**: ``startSmsNotification`` on the shop's short code, every message (empty
  criteria), to the application's ``SmsNotification``.

The gateway keeps both durably. The handles (assignment id, correlator) and the callback
references they were made with are kept in the application's database: while the references
are the same (they survive restarts, see ``corba_callbacks``) nothing is redone, and the
gateway delivers what it queued while the shop was down. When a reference changed, the old
subscription is ended first and a new one made.
"""

from __future__ import annotations

import logging
import secrets

from apps.micropay.corba import CorbaGateway
from apps.micropay.corba_callbacks import Callbacks
from apps.micropay.ports import GatewayFault
from apps.micropay.store import Store

logger = logging.getLogger("micropay.shop.subscriptions")

EVENT_NAMES = [
    "P_AM_CHARGING",
    "P_AM_RECHARGING",
    "P_AM_ACCOUNT_LOW",
    "P_AM_ACCOUNT_ZERO",
    "P_AM_ACCOUNT_DISABLED",
]


def ensure_charging_events(gateway: CorbaGateway, store: Store, callbacks: Callbacks) -> int:
    kept = store.setting("am.assignment")
    kept_ref = store.setting("am.callback")
    current = gateway.notifications()
    if kept and int(kept) in current and kept_ref == callbacks.account_ior:
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
        assignment = gateway.create_notification(callbacks.account_ref, EVENT_NAMES)
        store.set_setting("am.assignment", str(assignment))
        store.set_setting("am.callback", callbacks.account_ior)
    return assignment


def ensure_sms_notification(
    gateway: CorbaGateway, store: Store, callbacks: Callbacks, short_code: str
) -> str:
    kept = store.setting("sms.correlator")
    same = (
        kept is not None
        and store.setting("sms.endpoint") == callbacks.sms_ior
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
        gateway.start_sms_notification(callbacks.sms_ior, correlator, short_code)
    except GatewayFault as fault:
        # SVC0005: that correlator is running already; SVC0008: so is our registration
        if not (fault.message_id == "SVC0005" or (same and fault.message_id == "SVC0008")):
            raise
    store.set_setting("sms.correlator", correlator)
    store.set_setting("sms.endpoint", callbacks.sms_ior)
    store.set_setting("sms.short_code", short_code)
    return correlator
