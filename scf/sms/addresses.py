"""Parlay X addresses as the SMS SCF takes them, in SMPP form: recipients, senders, short codes.

Parsing is :mod:`scf.common.address` (numbers are ``tel:+<E.164>``, short codes ``short:``);
the mapping of a canonical URI to TON/NPI and back is :mod:`smpp.addresses`, which the embedded
SMSC shares. What is the SCF's own: which spellings an application may send (:func:`parse_tel`,
:func:`canonical_tel`), what people type (:func:`loose_tel`), and who a message is from
(:func:`sender_uri`: a senderName or the configured short code).
"""

from __future__ import annotations

import re

from charging.msisdn import SHORT_CODE_DIGITS_MAX, SHORT_CODE_DIGITS_MIN
from domain_errors import InvalidAddress
from scf.common.address import parse_activation_number, parse_end_user, parse_loose
from smpp.addresses import DEFAULT_ADDRESSING, Addressing, SmppAddress

SENDER_NAME_CHARS_MAX = 11  # alphanumeric originator (3GPP TS 23.040)

_SENDER_NAME = re.compile(r"^[A-Za-z0-9 ._-]{1,11}$")


def parse_tel(address: object, part: str = "addresses", *, short_codes: bool = True) -> SmppAddress:
    """Parse a ``tel:`` (or ``short:``) URI into SMPP form with the default addressing; raise
    InvalidAddress if malformed. Parsing and the canonical spelling are scf.common.address's,
    so a number keys the same row here as in the ledger."""
    parsed = (
        parse_activation_number(address, part=part)
        if short_codes
        else parse_end_user(address, part=part)
    )
    return DEFAULT_ADDRESSING.to_smpp(parsed.uri)


def canonical_tel(address: str, part: str = "addresses") -> str:
    """The one spelling of an address used as a key (``tel:+8210...`` or ``short:1555``)."""
    return parse_activation_number(address, part=part).uri


def loose_tel(text: str, part: str = "address") -> str:
    """A number or short code as typed on a command line or in the shop (``010-1111-0001``,
    ``+8210...``, ``tel:...``, ``short:1555``); return its canonical URI."""
    return parse_loose(text.strip(), part=part, short_codes=True).uri


def sender_uri(sender_name: str | None, short_code: str) -> str:
    """Who a message is from: the application's senderName if it is a valid one (a URI, a short
    code of 3-8 digits, a longer number, or an alphanumeric name), else the short code."""
    if not sender_name:
        return canonical_tel(short_code, "short_code")
    if ":" in sender_name:
        return canonical_tel(sender_name, "senderName")
    if not _SENDER_NAME.match(sender_name):
        raise InvalidAddress(part="senderName", address=sender_name)
    if not sender_name.isdigit():
        return sender_name
    if SHORT_CODE_DIGITS_MIN <= len(sender_name) <= SHORT_CODE_DIGITS_MAX:
        return f"short:{sender_name}"
    return loose_tel(sender_name, "senderName")


def sender_address(
    sender_name: str | None, short_code: str, addressing: Addressing = DEFAULT_ADDRESSING
) -> tuple[str, SmppAddress]:
    """The originator of a message as a URI and as the SMSC gets it (:func:`sender_uri`)."""
    uri = sender_uri(sender_name, short_code)
    return uri, addressing.to_smpp(uri)
