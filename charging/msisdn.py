"""Subscriber numbers in one form: ``tel:+<E.164>``, parsed by Google's libphonenumber.

Subscribers type numbers the way their country writes them (``010-1111-0001`` in Korea); Parlay
X must accept national ``tel:`` numbers as well as global ones (ES 202 391-1 §5.1). Every number
that enters micropay -- an account's MSISDN, an ``endUserIdentifier``, an SMS address, a number
on the command line or in the shop -- is turned into the one canonical URI here, so that every
spelling of a phone keys the same account, inbox and delivery status:

- ``tel:+82-10-1111-0001``, ``tel:01011110001`` and (``loose``) ``010 1111 0001`` all become
  ``tel:+821011110001``; a national number is read in the default region (``KR`` unless the
  gateway is configured otherwise, :func:`set_default_region`);
- a number libphonenumber does not know as a valid number of its country is refused
  (``InvalidAddress``), as are RFC 3966 parameters (``;ext=``), other schemes and characters;
- a short code (a service's number, never a subscriber's) is ``short:`` and 3 to 8 digits
  (:func:`short_code`; ``loose(..., short_codes=True)`` reads one where people type numbers).

The ledger (``charging.validate.tel_uri``), the SCFs (``scf.common.address``), the SMPP address
mapping (``smpp.addresses``) and the embedded SMSC use it. It depends on nothing of micropay but
:mod:`domain_errors`, so each of them can stand on it.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import phonenumbers

from domain_errors import InvalidAddress

DEFAULT_REGION = "KR"
TEL_URI_CHARS_MAX = 64  # longer input is refused before it is looked at
NUMBER_DIGITS_MAX = 17  # E.164 has 15; a national prefix or 00 adds a few
SHORT_CODE_DIGITS_MIN = 3
SHORT_CODE_DIGITS_MAX = 8

_VISUAL_SEPARATORS = re.compile(r"[-.()]")  # RFC 3966 visual-separator
_LOOSE_SEPARATORS = re.compile(r"[-.()\s]")  # what people type besides them
_TEL = re.compile(r"tel:(?P<number>\+?[0-9]+)", re.IGNORECASE | re.ASCII)
_BARE = re.compile(r"\+?[0-9]+", re.ASCII)
_SHORT = re.compile(r"short:(?P<digits>[0-9]+)", re.IGNORECASE | re.ASCII)

_region = DEFAULT_REGION
_region_lock = threading.Lock()


def set_default_region(region: str) -> None:
    """The country whose national numbers are accepted without a ``+`` (ISO 3166 alpha-2)."""
    code = str(region).strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown region {region!r} (an ISO 3166 code such as KR)")
    global _region
    with _region_lock:
        _region = code


def default_region() -> str:
    return _region


def e164(number: str, region: str | None = None) -> str | None:
    """``+821011110001`` for a valid number (digits with an optional leading ``+``), else None."""
    if not _BARE.fullmatch(number) or len(number) > NUMBER_DIGITS_MAX + 1:
        return None
    try:
        parsed = phonenumbers.parse(number, None if number.startswith("+") else region or _region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def tel_uri(value: Any, *, region: str | None = None, part: str | None = None) -> str:
    """The canonical ``tel:+...`` URI of a ``tel:`` URI (global or national, with RFC 3966 visual
    separators), or ``InvalidAddress`` naming ``part`` (when given) and the input."""
    number = _tel_number(value)
    canonical = e164(number, region) if number is not None else None
    if canonical is None:
        raise _refuse(value, part)
    return f"tel:{canonical}"


def short_code(value: Any, *, part: str | None = None) -> str | None:
    """The canonical ``short:NNNN`` URI of a short code; None when ``value`` is no ``short:`` URI
    at all; ``InvalidAddress`` naming ``part`` when it is one with the wrong digits."""
    if not isinstance(value, str) or not value.strip().lower().startswith("short:"):
        return None
    match = _SHORT.fullmatch(value.strip())
    if match is None or not SHORT_CODE_DIGITS_MIN <= len(match["digits"]) <= SHORT_CODE_DIGITS_MAX:
        raise _refuse(value, part)
    return f"short:{match['digits']}"


def loose(
    value: Any, *, region: str | None = None, part: str | None = None, short_codes: bool = False
) -> str:
    """As :func:`tel_uri`, but also a bare number as people type it (``010 1111 0001``,
    ``+82 10-1111-0001``, ``821011110001``): for the command line, the shop and the phone view.
    With ``short_codes``, a ``short:`` URI is read too (:func:`short_code`)."""
    found = short_code(value, part=part) if short_codes else None
    if found is not None:
        return found
    if isinstance(value, str) and len(value) <= TEL_URI_CHARS_MAX and ":" not in value:
        digits = _LOOSE_SEPARATORS.sub("", value)
        canonical = e164(digits, region)
        if canonical is None and digits.isdigit():  # country code first, without the '+'
            canonical = e164("+" + digits)
        if canonical is not None:
            return f"tel:{canonical}"
        raise _refuse(value, part)
    return tel_uri(value, region=region, part=part)


def _tel_number(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > TEL_URI_CHARS_MAX:
        return None
    match = _TEL.fullmatch(_VISUAL_SEPARATORS.sub("", value.strip()))
    return match["number"] if match else None


def _refuse(value: Any, part: str | None) -> InvalidAddress:
    address = str(value)[:TEL_URI_CHARS_MAX]
    return (
        InvalidAddress(address=address)
        if part is None
        else InvalidAddress(part=part, address=address)
    )
