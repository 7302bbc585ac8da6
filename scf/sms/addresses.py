"""Parlay X addresses <-> SMPP addresses (TON, NPI, digits).

Parsing is :mod:`scf.common.address` (Parlay X Part 1 §5.1). SMPP carries digits with a type of
number: ``tel:+`` (international) -> TON 1/NPI 1 (ISDN), national ``tel:`` -> TON 0/NPI 1,
``short:`` codes -> TON 3 (network specific), alphanumeric sender names -> TON 5/NPI 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from charging.errors import InvalidAddress
from scf.common.address import AddressKind, parse_activation_number, parse_end_user

SENDER_NAME_CHARS_MAX = 11  # alphanumeric originator (3GPP TS 23.040)

TON_UNKNOWN, TON_INTERNATIONAL, TON_NETWORK_SPECIFIC, TON_ALPHANUMERIC = 0, 1, 3, 5
NPI_UNKNOWN, NPI_ISDN = 0, 1

_SENDER_NAME = re.compile(r"^[A-Za-z0-9 ._-]{1,11}$")
_TON_OF_KIND = {
    AddressKind.GLOBAL: (TON_INTERNATIONAL, NPI_ISDN),
    AddressKind.NATIONAL: (TON_UNKNOWN, NPI_ISDN),
    AddressKind.SHORT_CODE: (TON_NETWORK_SPECIFIC, NPI_UNKNOWN),
}


@dataclass(frozen=True)
class SmppAddress:
    digits: str
    ton: int
    npi: int

    @property
    def uri(self) -> str:
        """The canonical URI (scf.common.address spelling); alphanumeric names stay as they are."""
        if self.ton == TON_ALPHANUMERIC:
            return self.digits
        if self.ton == TON_INTERNATIONAL:
            return f"tel:+{self.digits}"
        if self.ton == TON_NETWORK_SPECIFIC:
            return f"short:{self.digits}"
        return f"tel:{self.digits}"


def parse_tel(address: object, part: str = "addresses", *, short_codes: bool = True) -> SmppAddress:
    """Parse a ``tel:`` (or ``short:``) URI into SMPP form; raise InvalidAddress if malformed.

    Parsing and the canonical spelling are scf.common.address's, so a number keys the same row
    here as in the ledger.
    """
    parsed = (
        parse_activation_number(address, part=part)
        if short_codes
        else parse_end_user(address, part=part)
    )
    ton, npi = _TON_OF_KIND[parsed.kind]
    return SmppAddress(parsed.digits, ton, npi)


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
