"""The SMS the application sends to subscribers, through the SMS SCF's sendSms.

Every text comes from ``texts``; every message sent is recorded in the application's database
(the operator view lists them). The "unregistered account" notice goes at most once per
``UNREGISTERED_NOTICE_INTERVAL_S`` to one number, so the shop's form cannot be used to flood a
phone with texts; the pages say so, and when the last one went.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from apps.micropay import amounts, texts
from apps.micropay.ports import Gateway, GatewayFault, GatewayUnavailable
from apps.micropay.store import Store

logger = logging.getLogger("micropay.shop.sms")

UNREGISTERED_NOTICE_INTERVAL_S = 60


class Notices:
    def __init__(self, gateway: Gateway, store: Store, *, merchant: str, lang: str) -> None:
        self.gateway = gateway
        self.store = store
        self.merchant = merchant
        self.lang = lang

    def send(self, address: str, kind: str, lang: str | None = None, **fields: Any) -> str | None:
        """Render and send one text; its text, "" when the gateway refused it (sending it again
        would fail again), or None when the gateway could not be reached (try again later)."""
        text = texts.render(kind, lang or self.lang, **fields)
        try:
            request_id = self.gateway.send_sms(address, text)
        except GatewayFault as fault:
            logger.warning("sendSms of %s to %s refused: %s", kind, address, fault)
            return ""
        except GatewayUnavailable as exc:
            logger.warning("sendSms of %s to %s: gateway unavailable (%s)", kind, address, exc)
            return None
        self.store.record_sent(address, kind, text, request_id)
        return text

    def payment_details(
        self, address: str, amount: Decimal, currency: str, balance: Decimal | None, when: str
    ) -> str | None:
        return self.send(
            address,
            "payment_details",
            merchant=self.merchant,
            amount=amounts.plain(amount, currency),
            currency=currency,
            date=when,
            balance=amounts.plain(balance, currency),
        )

    def low_balance(self, address: str, balance: Decimal | None, currency: str) -> str | None:
        return self.send(
            address, "low_balance", balance=amounts.plain(balance, currency), currency=currency
        )

    def unregistered(self, address: str) -> bool:
        """Send the "unregistered account" text unless this number had one recently."""
        since = (datetime.now(UTC) - timedelta(seconds=UNREGISTERED_NOTICE_INTERVAL_S)).isoformat()
        recent = [
            s
            for s in self.store.sent(address, since=since.replace("+00:00", "Z"))
            if s["kind"] == "unregistered_account"
        ]
        if recent:
            return False
        return bool(self.send(address, "unregistered_account"))
