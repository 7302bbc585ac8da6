"""SMS self-service on the shop's short code: ``BAL`` (or ``잔액``) and a help text.

A subscriber texts the short code (config ``sms.short_code``); the SMS SCF hands the message to
the application's ``SmsNotification``. ``BAL`` gets the balance and what is left of this month's
limit, from getAccountStatus of the sender's own number -- the number the network gives, so
nobody can ask about another's account. ``잔액`` is answered in Korean, everything else in the
shop's language. An unregistered number gets the "unregistered account" text; anything else the
help text.
"""

from __future__ import annotations

import logging
import re

from apps.micropay import amounts, identifiers
from apps.micropay.notices import Notices
from apps.micropay.ports import Gateway, GatewayFault, GatewayUnavailable

logger = logging.getLogger("micropay.shop.sms")

BALANCE_WORDS = {"BAL": "en", "BALANCE": "en", "잔액": "ko"}
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def command_of(message: str) -> tuple[str, str | None]:
    """(command, language): ``("BAL", "en")``; ``("", lang)`` for anything else, with Korean
    for a message in Hangul and None (the shop's language) otherwise."""
    words = message.strip().split()
    first = words[0].upper() if words else ""
    if first in BALANCE_WORDS:
        return "BAL", BALANCE_WORDS[first]
    return "", ("ko" if _HANGUL.search(message) else None)


class SmsCommands:
    def __init__(self, gateway: Gateway, notices: Notices) -> None:
        self.gateway = gateway
        self.notices = notices

    def answer(self, sender: str, message: str) -> str | None:
        """Reply to one message; the reply's text, or None to try again later (gateway down)."""
        command, lang = command_of(message)
        if not identifiers.is_phone(sender):
            return "ignored: not from a phone number"
        if command != "BAL":
            return self.notices.send(sender, "help", lang)
        try:
            status = self.gateway.account_status(sender, None)
        except GatewayUnavailable:
            return None
        except GatewayFault as fault:
            logger.warning("getAccountStatus for BAL from %s: %s", sender, fault)
            return self.notices.send(sender, "help", lang)
        if not status.registered:
            return self.notices.send(sender, "unregistered_account", lang)
        cur = status.currency
        spent = status.month_to_date_spend
        if status.monthly_limit is None:
            return self.notices.send(
                sender,
                "balance_reply_no_limit",
                lang,
                balance=amounts.plain(status.balance, cur),
                spent=amounts.plain(spent, cur),
                currency=cur,
            )
        return self.notices.send(
            sender,
            "balance_reply",
            lang,
            balance=amounts.plain(status.balance, cur),
            spent=amounts.plain(spent, cur),
            limit=amounts.plain(status.monthly_limit, cur),
            headroom=amounts.plain(status.monthly_headroom, cur),
            currency=cur,
        )
