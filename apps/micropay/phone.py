"""The SMS simulator (the phone view): the subscriber's side of the demo, through the embedded
SMSC.

Not part of the application proper -- a real subscriber has a real handset. So it exists only
where ``phone.smsc_dir`` is configured (the demo does; ``micropay shop`` alone does not), only
when the shop listens on loopback, answers only requests from loopback, says "SMS simulator" on
every page, and shows one number's messages at a time -- never a list of everyone's inboxes. The embedded SMSC
(``smsc/``) files every message it delivers under ``<smsc dir>/handsets/``, one file per number
(``micropay sms inbox TEL`` reads the same files), and takes mobile-originated messages on its
admin port (``micropay sms mo``). This module reads the first and writes to the second, so a
person can see what each number received and text the shop's short code from it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smsc.admin import AdminError, admin_call
from smsc.store import read_inbox

MESSAGES_SHOWN_MAX = 50
MO_TEXT_MAX = 160


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (a listening address or a client's) is this machine only."""
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class PhoneError(Exception):
    pass


@dataclass(frozen=True)
class Handset:
    number: str  # tel:+821011110001
    messages: list[dict[str, Any]]  # newest first: from, text, received_at

    @property
    def shown(self) -> str:
        return self.number.removeprefix("tel:")


class Phones:
    def __init__(self, smsc_dir: Path) -> None:
        self.smsc_dir = smsc_dir

    def handset(self, number: str) -> Handset:
        messages = read_inbox(self.smsc_dir, number)
        return Handset(number, list(reversed(messages))[:MESSAGES_SHOWN_MAX])

    def send(self, sender: str, to: str, text: str) -> None:
        """Text ``to`` (the short code) from ``sender``'s handset."""
        if not text.strip():
            raise PhoneError("Type a message first.")
        if len(text) > MO_TEXT_MAX:
            raise PhoneError(f"Keep it under {MO_TEXT_MAX} characters.")
        try:
            admin_call(self.smsc_dir, "mo", **{"from": sender, "to": to, "text": text})
        except AdminError as exc:
            raise PhoneError(f"The SMS center did not take it: {exc}") from None
