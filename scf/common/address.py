"""End-user addresses and SMS activation numbers as Parlay X spells them (ES 202 391-1 §5.1).

Parlay X addresses are URIs: ``tel:`` per RFC 3966 for subscribers, ``short:`` (digits only) for
short codes. micropay accepts:

- ``tel:`` numbers, global (``tel:+8210...``) or national (``tel:010...``, read in the gateway's
  default region, ``numbers.default_region``), because Parlay X says implementations MUST accept
  both; either way the number must be a valid number of its country (libphonenumber);
- short codes, ``short:`` and 3 to 8 digits, only where an activation number is expected (a short
  code is a service, never an end user's account).

Every spelling of a number has one canonical URI, ``tel:+<E.164>`` (:mod:`charging.msisdn`, the
same one the ledger keys accounts by), so ``tel:010-1111-0001`` and ``tel:+821011110001`` name the
same subscriber everywhere. Anything beyond the address portion (``;ext=``, ``;phone-context=``),
other schemes (``sip:``, aliases), ``* #`` and hex digits are refused with ``InvalidAddress``
naming the message part -- Parlay X allows an implementation to reject them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from charging import msisdn

ADDRESS_CHARS_MAX = msisdn.TEL_URI_CHARS_MAX  # longer input is refused before it is looked at


class AddressKind(enum.StrEnum):
    GLOBAL = "global"  # tel:+8210...
    SHORT_CODE = "short"  # short:7777


@dataclass(frozen=True)
class Address:
    """A parsed address: its kind and its digits (without '+' or separators)."""

    kind: AddressKind
    digits: str

    @property
    def uri(self) -> str:
        """The canonical URI: ``tel:+821012345678`` or ``short:7777``."""
        if self.kind is AddressKind.GLOBAL:
            return f"tel:+{self.digits}"
        return f"short:{self.digits}"

    @property
    def e164(self) -> str | None:
        """``+821012345678`` for a number, None for a short code."""
        return f"+{self.digits}" if self.kind is AddressKind.GLOBAL else None

    def __str__(self) -> str:
        return self.uri


def short_code(text: object, *, part: str = "smsServiceActivationNumber") -> Address | None:
    """A ``short:`` URI as an Address; None when ``text`` is not one at all; InvalidAddress when
    it is one with the wrong digits (the number plan's rule, :func:`charging.msisdn.short_code`)."""
    uri = msisdn.short_code(text, part=part)
    return None if uri is None else Address(AddressKind.SHORT_CODE, uri.removeprefix("short:"))


def _number(uri: str) -> Address:
    return Address(AddressKind.GLOBAL, uri.removeprefix("tel:+"))


def parse_end_user(text: object, *, part: str = "endUserIdentifier") -> Address:
    """An end user's ``tel:`` address (global or national). ``part`` names the message part in
    the SVC0002 fault when it is malformed."""
    return _number(msisdn.tel_uri(text, part=part))


def parse_activation_number(text: object, *, part: str = "smsServiceActivationNumber") -> Address:
    """An SMS service activation number: a short code (``short:7777``) or a ``tel:`` number."""
    return short_code(text, part=part) or parse_end_user(text, part=part)


def parse_loose(text: object, *, part: str = "address", short_codes: bool = False) -> Address:
    """An address as an operator or a subscriber types it: a URI, or a bare number such as
    ``010-1111-0001`` or ``+82 10 1111 0001`` (the command line, the shop, the phone view)."""
    if short_codes:
        found = short_code(text, part=part)
        if found is not None:
            return found
    return _number(msisdn.loose(text, part=part))


def normalise(text: object, *, part: str = "address", short_codes: bool = False) -> str:
    """The canonical URI of an address (see :class:`Address`), or ``InvalidAddress``."""
    if short_codes:
        return parse_activation_number(text, part=part).uri
    return parse_end_user(text, part=part).uri
