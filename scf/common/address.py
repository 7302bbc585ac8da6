"""End-user addresses and SMS activation numbers as Parlay X spells them (ES 202 391-1 §5.1).

Parlay X addresses are URIs: ``tel:`` per RFC 3966 for subscribers, ``short:`` (digits only) for
short codes. micropay accepts:

- global numbers, ``tel:+`` and an E.164 number (country code first, 15 digits at most);
- national numbers, ``tel:`` and digits, because Parlay X says implementations MUST accept them;
- short codes, ``short:`` and digits, only where an activation number is expected (a short code
  is a service, never an end user's account), plus ``tel:`` forms there as operators use them.

RFC 3966 visual separators (``- . ( )``) are dropped and the scheme is lower-cased, so every
spelling of a number has one canonical URI, the same one ``charging.validate.tel_uri`` keys
accounts by. Anything beyond the address portion (``;ext=``, ``;phone-context=``), other schemes
(``sip:``, aliases), ``* #`` and hex digits are refused with ``InvalidAddress`` -- Parlay X allows
an implementation to reject them.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from charging.errors import InvalidAddress

ADDRESS_CHARS_MAX = 64  # longer input is refused before it is looked at
E164_DIGITS_MIN = 3  # country code and at least a digit more (the ledger's bound too)
E164_DIGITS_MAX = 15  # ITU-T E.164
NATIONAL_DIGITS_MAX = 15
SHORT_CODE_DIGITS_MIN = 3
SHORT_CODE_DIGITS_MAX = 8

_VISUAL_SEPARATORS = re.compile(r"[-.()]")
_SCHEME = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):(?P<rest>.*)", re.S)
_NUMBER = re.compile(r"(?P<plus>\+?)(?P<digits>[0-9]+)")


class AddressKind(enum.StrEnum):
    GLOBAL = "global"  # tel:+8210...
    NATIONAL = "national"  # tel:010...
    SHORT_CODE = "short"  # short:7777


@dataclass(frozen=True)
class Address:
    """A parsed address: its kind and its digits (without '+' or separators)."""

    kind: AddressKind
    digits: str

    @property
    def uri(self) -> str:
        """The canonical URI: ``tel:+821012345678``, ``tel:0101234``, ``short:7777``."""
        if self.kind is AddressKind.GLOBAL:
            return f"tel:+{self.digits}"
        if self.kind is AddressKind.NATIONAL:
            return f"tel:{self.digits}"
        return f"short:{self.digits}"

    @property
    def e164(self) -> str | None:
        """``+821012345678`` for a global number, else None (no country is assumed)."""
        return f"+{self.digits}" if self.kind is AddressKind.GLOBAL else None

    def __str__(self) -> str:
        return self.uri


def _refuse(text: object, part: str) -> InvalidAddress:
    return InvalidAddress(part=part, address=str(text)[:ADDRESS_CHARS_MAX])


def _parse(text: object, part: str, *, short_codes: bool) -> Address:
    if not isinstance(text, str) or len(text) > ADDRESS_CHARS_MAX:
        raise _refuse(text, part)
    match = _SCHEME.fullmatch(text.strip())
    if match is None:
        raise _refuse(text, part)
    scheme = match["scheme"].lower()
    number = _NUMBER.fullmatch(_VISUAL_SEPARATORS.sub("", match["rest"]))
    if number is None or scheme not in ("tel", "short"):
        raise _refuse(text, part)
    plus, digits = number["plus"], number["digits"]
    if scheme == "short":
        if not short_codes or plus or match["rest"] != digits:
            raise _refuse(text, part)
        if not SHORT_CODE_DIGITS_MIN <= len(digits) <= SHORT_CODE_DIGITS_MAX:
            raise _refuse(text, part)
        return Address(AddressKind.SHORT_CODE, digits)
    if plus:
        if digits[0] == "0" or not E164_DIGITS_MIN <= len(digits) <= E164_DIGITS_MAX:
            raise _refuse(text, part)
        return Address(AddressKind.GLOBAL, digits)
    if len(digits) > NATIONAL_DIGITS_MAX:
        raise _refuse(text, part)
    return Address(AddressKind.NATIONAL, digits)


def parse_end_user(text: object, *, part: str = "endUserIdentifier") -> Address:
    """An end user's ``tel:`` address (global or national). ``part`` names the message part in
    the SVC0002 fault when it is malformed."""
    return _parse(text, part, short_codes=False)


def parse_activation_number(text: object, *, part: str = "smsServiceActivationNumber") -> Address:
    """An SMS service activation number: a short code (``short:7777``) or a ``tel:`` number."""
    return _parse(text, part, short_codes=True)


def normalise(text: object, *, part: str = "address", short_codes: bool = False) -> str:
    """The canonical URI of an address (see :class:`Address`), or ``InvalidAddress``."""
    return _parse(text, part, short_codes=short_codes).uri
