"""SMS self-care on the short code: what a subscriber does from the phone alone.

A subscriber texts the short code (config ``sms.short_code``); the SMS SCF hands the message to
the application's ``SmsNotification``. Every command acts on the account of the *sender's*
number -- the number the network gives, so nobody acts on another's account -- and is answered
by SMS in the language of its keyword; the message and its answer are kept (``sms_in``: the
journal). The account changes go through Account Management's self-care extension, which the
operator grants to its own self-care application only (``micropay app set --grant selfcare``);
PINs typed here count toward the same lock-out as every other surface.

| English | Korean | what |
|---|---|---|
| ``BAL`` | ``잔액`` | balance and this month's spend, limit and remainder |
| ``HIST`` | ``내역`` | the last three payments |
| ``STOP`` | ``분실`` | suspend at once (lost phone or card) |
| ``RESUME <PIN>`` | ``재개 <PIN>`` | resume a suspension the subscriber (or the lock-out) made |
| ``LIMIT <amount> [PIN]`` | ``한도 <amount> [PIN]`` | lower now; raise with the PIN, after the cooling-off |
| ``OTP <amount>/OFF`` | ``인증 <amount>/해제`` | payments above it need a code by SMS (0 = all) |
| ``ALERT <amount>/OFF`` | ``알림 <amount>/해제`` | an SMS for each payment above it |
| ``HELP`` | ``도움말`` | the commands |

A number that owns no account gets the how-to-register text; anything malformed the help text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from apps.micropay import amounts, identifiers
from apps.micropay.notices import Notices
from apps.micropay.ports import Gateway, GatewayFault, GatewayUnavailable
from apps.micropay.procedure import AccountStatus

logger = logging.getLogger("micropay.shop.sms")

HISTORY_SHOWN = 3  # payments HIST answers with
HISTORY_READ = 30  # entries read to find them (recharges and refunds are skipped)

# keyword -> (command, language)
KEYWORDS: dict[str, tuple[str, str]] = {
    "BAL": ("BAL", "en"), "BALANCE": ("BAL", "en"), "잔액": ("BAL", "ko"),
    "HIST": ("HIST", "en"), "HISTORY": ("HIST", "en"), "내역": ("HIST", "ko"),
    "STOP": ("STOP", "en"), "분실": ("STOP", "ko"),
    "RESUME": ("RESUME", "en"), "재개": ("RESUME", "ko"),
    "LIMIT": ("LIMIT", "en"), "한도": ("LIMIT", "ko"),
    "OTP": ("OTP", "en"), "인증": ("OTP", "ko"),
    "ALERT": ("ALERT", "en"), "알림": ("ALERT", "ko"),
    "HELP": ("HELP", "en"), "도움말": ("HELP", "ko"),
}  # fmt: skip
OFF_WORDS = {"OFF", "해제"}
# how many words after the keyword each command takes: (least, most)
ARITY = {"BAL": (0, 0), "HIST": (0, 0), "STOP": (0, 0), "RESUME": (1, 1), "LIMIT": (1, 2),
         "OTP": (1, 1), "ALERT": (1, 1), "HELP": (0, 0)}  # fmt: skip
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_PIN = re.compile(r"^[0-9]{4,8}$")
_AMOUNT = re.compile(r"^[0-9][0-9,]*(\.[0-9]+)?$")


@dataclass(frozen=True)
class Command:
    name: str  # a value of KEYWORDS, or "" for something that is no command
    lang: str | None  # None: the shop's language
    args: tuple[str, ...] = ()


def parse(message: str) -> Command:
    """The command a message holds; ``name`` "" (answered with the help text) when it holds
    none or its arguments do not fit."""
    words = message.strip().split()
    hangul = "ko" if _HANGUL.search(message) else None
    if not words or words[0].upper() not in KEYWORDS:
        return Command("", hangul)
    name, lang = KEYWORDS[words[0].upper()]
    args = tuple(words[1:])
    least, most = ARITY[name]
    if not least <= len(args) <= most:
        return Command("", lang)
    if name == "RESUME" and not _PIN.match(args[0]):
        return Command("", lang)
    if name == "LIMIT" and (
        amount_of(args[0]) is None or (len(args) == 2 and not _PIN.match(args[1]))
    ):
        return Command("", lang)
    if name in ("OTP", "ALERT") and args[0].upper() not in OFF_WORDS and amount_of(args[0]) is None:
        return Command("", lang)
    return Command(name, lang, args)


def command_of(message: str) -> tuple[str, str | None]:
    """(command, language) of a message (``("", lang)`` for no command)."""
    found = parse(message)
    return found.name, found.lang


def amount_of(word: str) -> Decimal | None:
    if not _AMOUNT.match(word):
        return None
    try:
        return Decimal(word.replace(",", ""))
    except InvalidOperation:
        return None


# Faults a command may meet, by Parlay X messageId -> the text that answers them.
FAULT_TEXTS = {
    "SVC0250": "wrong_pin",
    "POL1103": "pin_locked",
    "POL1010": "resume_refused_operator",
    "POL1105": "selfcare_unavailable",
    "POL1108": "limit_needs_pin",
}


class SmsCommands:
    def __init__(
        self,
        gateway: Gateway,
        notices: Notices,
        *,
        short_code: str = "",
        timezone: str = "Asia/Seoul",
    ) -> None:
        self.gateway = gateway
        self.notices = notices
        self.short_code = identifiers.shown(short_code) if short_code else ""
        self.zone = ZoneInfo(timezone)

    def answer(self, sender: str, message: str) -> str | None:
        """Act on one message and reply; the reply's text, or None to try again later (gateway
        down; the command is then acted on again, and each is safe to repeat)."""
        command = parse(message)
        if not identifiers.is_phone(sender):
            return "ignored: not from a phone number"
        if not command.name or command.name == "HELP":
            return self.send(sender, "help", command.lang)
        try:
            status = self.gateway.account_status(sender, None)
            if not status.registered:
                return self.send(sender, "unregistered_account", command.lang)
            return self._act(sender, command, status)
        except GatewayUnavailable:
            return None
        except GatewayFault as fault:
            kind = FAULT_TEXTS.get(fault.message_id)
            if kind is None:
                logger.warning("%s from %s: %s", command.name, sender, fault)
                return self.send(sender, "help", command.lang)
            return self.send(
                sender, kind, command.lang, limit=command.args[0] if command.args else ""
            )

    def send(self, address: str, kind: str, lang: str | None, **fields: Any) -> str | None:
        return self.notices.send(address, kind, lang, short_code=self.short_code, **fields)

    def _act(self, sender: str, c: Command, status: AccountStatus) -> str | None:
        cur = status.currency
        if c.name == "BAL":
            return self._balance(sender, c.lang, status)
        if c.name == "HIST":
            return self._history(sender, c.lang, cur)
        if c.name == "STOP":
            self.gateway.suspend_account(sender)
            return self.send(
                sender, "stop_done" if status.pin_required else "stop_done_no_pin", c.lang
            )
        if c.name == "RESUME":
            self.gateway.resume_account(sender, c.args[0])
            return self.send(sender, "resume_done", c.lang)
        if c.name == "LIMIT":
            amount = amount_of(c.args[0])
            assert amount is not None
            change = self.gateway.change_monthly_limit(
                sender, c.args[1] if len(c.args) > 1 else None, amount
            )
            if change.pending_monthly_limit is None:
                return self.send(
                    sender,
                    "limit_lowered",
                    c.lang,
                    limit=amounts.plain(change.monthly_limit, cur),
                    currency=cur,
                )
            return self.send(
                sender, "limit_pending", c.lang,
                limit=amounts.plain(change.pending_monthly_limit, cur),
                current=amounts.plain(change.monthly_limit, cur), currency=cur,
                when=self._local(change.pending_from),
            )  # fmt: skip
        # OTP, ALERT
        kind = "PaymentConfirmation" if c.name == "OTP" else "LargePaymentAlert"
        word = c.args[0]
        amount = None if word.upper() in OFF_WORDS else amount_of(word)
        self.gateway.set_threshold(sender, kind, amount)
        prefix = c.name.lower()
        if amount is None:
            return self.send(sender, f"{prefix}_off", c.lang)
        if c.name == "OTP" and amount == 0:
            return self.send(sender, "otp_all", c.lang)
        return self.send(
            sender, f"{prefix}_set", c.lang, amount=amounts.plain(amount, cur), currency=cur
        )

    def _balance(self, sender: str, lang: str | None, status: AccountStatus) -> str | None:
        cur = status.currency
        spent = status.month_to_date_spend
        if status.monthly_limit is None:
            return self.send(
                sender, "balance_reply_no_limit", lang, balance=amounts.plain(status.balance, cur),
                spent=amounts.plain(spent, cur), currency=cur,
            )  # fmt: skip
        return self.send(
            sender, "balance_reply", lang, balance=amounts.plain(status.balance, cur),
            spent=amounts.plain(spent, cur), limit=amounts.plain(status.monthly_limit, cur),
            headroom=amounts.plain(status.monthly_headroom, cur), currency=cur,
        )  # fmt: skip

    def _history(self, sender: str, lang: str | None, currency: str) -> str | None:
        payments = []
        for item in self.gateway.history(sender, HISTORY_READ):
            paid = payment_of(item.details)
            if paid is not None:
                payments.append(
                    f"{self._local(item.date)} {amounts.plain(paid, currency)}{currency}"
                )
            if len(payments) == HISTORY_SHOWN:
                break
        if not payments:
            return self.send(sender, "history_none", lang)
        return self.send(sender, "history_reply", lang, payments=", ".join(payments))

    def _local(self, instant: str) -> str:
        try:
            moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
        except ValueError:
            return instant
        return moment.astimezone(self.zone).strftime("%m-%d %H:%M")


def payment_of(details: str) -> Decimal | None:
    """The amount of a getHistory entry that is a payment (``charge -1500 KRW; ...``)."""
    words = details.split(";", 1)[0].split()
    if len(words) < 2 or words[0] not in ("charge", "reservation_charge"):
        return None
    try:
        return -Decimal(words[1])
    except InvalidOperation:
        return None
