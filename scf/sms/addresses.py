"""Parlay X ``tel:`` addresses <-> SMPP addresses (TON, NPI, digits).

Parlay X Part 1 §5.1: tel: URIs per RFC 3966, national (no '+') and international ('+' and the
country code) both accepted; short codes may come as ``short:DIGITS``. SMPP carries digits with a
type of number: international -> TON 1/NPI 1 (ISDN), national -> TON 0/NPI 1, alphanumeric sender
names -> TON 5/NPI 0. Visual separators ('-', '.', '(', ')') are dropped; URI parameters
(';...') are refused, as the spec allows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from charging.errors import InvalidAddress

INTERNATIONAL_DIGITS_MAX = 15  # E.164
NATIONAL_DIGITS_MAX = 20  # SMPP address field: 21 octets with the terminating NUL
SENDER_NAME_CHARS_MAX = 11  # alphanumeric originator (3GPP TS 23.040)

TON_UNKNOWN, TON_INTERNATIONAL, TON_ALPHANUMERIC = 0, 1, 5
NPI_UNKNOWN, NPI_ISDN = 0, 1

_VISUAL = re.compile(r"[-.()]")
_TEL = re.compile(r"^(?P<plus>\+)?(?P<digits>[0-9]+)$")
_SENDER_NAME = re.compile(r"^[A-Za-z0-9 ._-]{1,11}$")


@dataclass(frozen=True)
class SmppAddress:
    digits: str
    ton: int
    npi: int

    @property
    def uri(self) -> str:
        """The canonical tel: URI of this address (alphanumeric names stay as they are)."""
        if self.ton == TON_ALPHANUMERIC:
            return self.digits
        return f"tel:+{self.digits}" if self.ton == TON_INTERNATIONAL else f"tel:{self.digits}"


def parse_tel(address: str, part: str = "addresses") -> SmppAddress:
    """Parse a ``tel:`` (or ``short:``) URI into SMPP form; raise InvalidAddress if malformed."""
    if not isinstance(address, str):
        raise InvalidAddress(part=part, address=repr(address))
    text = address.strip()
    scheme, sep, rest = text.partition(":")
    if not sep or scheme.lower() not in ("tel", "short"):
        raise InvalidAddress(part=part, address=address)
    if ";" in rest or not rest:
        raise InvalidAddress(part=part, address=address)
    body = _VISUAL.sub("", rest)
    match = _TEL.match(body)
    if not match or (scheme.lower() == "short" and match["plus"]):
        raise InvalidAddress(part=part, address=address)
    digits = match["digits"]
    if match["plus"]:
        if len(digits) > INTERNATIONAL_DIGITS_MAX:
            raise InvalidAddress(part=part, address=address)
        return SmppAddress(digits, TON_INTERNATIONAL, NPI_ISDN)
    if len(digits) > NATIONAL_DIGITS_MAX:
        raise InvalidAddress(part=part, address=address)
    return SmppAddress(digits, TON_UNKNOWN, NPI_ISDN)


def canonical_tel(address: str, part: str = "addresses") -> str:
    """The one spelling of an address used as a key (``tel:+8210...`` or ``tel:0101...``)."""
    return parse_tel(address, part).uri


def loose_tel(text: str) -> str:
    """Accept ``+8210...``, ``8210...`` or a tel: URI from a command line; return a canonical URI."""
    text = text.strip()
    if ":" not in text:
        text = "tel:" + text
    return canonical_tel(text, "address")


def sender_address(sender_name: str | None, short_code: str) -> SmppAddress:
    """The SMPP originator: the application's senderName if it is a valid name, else the short code."""
    if sender_name:
        if ":" in sender_name:
            return parse_tel(sender_name, "senderName")
        if not _SENDER_NAME.match(sender_name):
            raise InvalidAddress(part="senderName", address=sender_name)
        if sender_name.isdigit():
            return SmppAddress(sender_name, TON_UNKNOWN, NPI_ISDN)
        return SmppAddress(sender_name, TON_ALPHANUMERIC, NPI_UNKNOWN)
    return parse_tel(short_code, "short_code")


def from_smpp(digits: str, ton: int) -> str:
    """An SMPP address as the tel: URI the SCF shows applications."""
    if ton == TON_ALPHANUMERIC or not digits.isdigit():
        return digits
    return SmppAddress(
        digits, TON_INTERNATIONAL if ton == TON_INTERNATIONAL else TON_UNKNOWN, 0
    ).uri


def to_smpp(address: str) -> SmppAddress:
    """The inverse of :func:`from_smpp`: a tel:/short: URI, or an alphanumeric name as it is."""
    if address.partition(":")[0].lower() in ("tel", "short"):
        return parse_tel(address)
    return SmppAddress(address, TON_ALPHANUMERIC, NPI_UNKNOWN)
