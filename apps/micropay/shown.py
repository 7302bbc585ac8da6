"""How the screens say things: in the subscriber's words and time zone.

Times are shown in the shop's time zone -- the ledger's, in which the SMS texts are dated -- with
the zone's name (``2026-12-03 16:53 KST``), never as bare UTC. Order states and charging events
are said in words; the standard names (``P_AM_CHARGING``) stay in tooltips for engineers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apps.micropay.procedure import State

ORDER_STATES = {
    State.IDLE: "awaiting payment",
    State.ACCOUNT_ENTERED: "checking the account",
    State.CHECKED: "checking the account",
    State.CHARGING: "being charged",
    State.RESERVING: "being held",
    State.RESERVED: "held until shipped",
    State.CAPTURING: "being charged on shipment",
    State.CHARGED: "paid",
    State.NOTIFIED: "paid, SMS sent",
    State.REFUSED: "refused",
    State.RELEASED: "cancelled, hold released",
    State.HOLDING: "being held",
    State.AWAITING_CODE: "waiting for the SMS code",
    State.CONFIRMING: "being charged",
    State.REFUNDED: "refunded",
}

CHARGING_EVENTS = {
    "P_AM_CHARGING": "payment",
    "P_AM_RECHARGING": "top-up",
    "P_AM_ACCOUNT_LOW": "balance low",
    "P_AM_ACCOUNT_ZERO": "balance used up",
    "P_AM_ACCOUNT_DISABLED": "account suspended",
}


def when(value: str | None, zone: str) -> str:
    """An ISO 8601 instant (UTC when it has no offset) as the zone's local time, labelled."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M:%S %Z")


def order_state(state: str) -> str:
    try:
        return ORDER_STATES[State(state)]
    except ValueError:
        return state.replace("_", " ")


def charging_event(name: str) -> str:
    return CHARGING_EVENTS.get(name, name)
