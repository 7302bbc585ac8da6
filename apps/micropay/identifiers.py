"""What the user typed into "account number" as the end-user address the gateway understands.

- an account number (``1001``) becomes ``acct:1001``, micropay's alias scheme for the
  micro-payment account itself;
- a phone number (``010-1111-0001``, ``+82 10 1111 0001``, ``tel:+821011110001``) becomes its
  global ``tel:+<E.164>`` URI, read by libphonenumber (``phonenumbers``) in the shop's country
  (a national number) and refused when it is no valid number, as the gateway reads it.

The rule that tells them apart: a phone number starts with ``+``, ``0`` or ``tel:`` and has
at least 9 digits; anything else that is letters, digits, ``.``, ``_`` or ``-`` is an account
number. Both name the same account (one open account per MSISDN).
"""

from __future__ import annotations

import re

import phonenumbers

ACCOUNT_CHARS_MAX = 32
_ACCOUNT = re.compile(r"[A-Za-z0-9._-]{1,32}")
_SEPARATORS = re.compile(r"[\s().-]")
_PHONE = re.compile(r"\+?[0-9]{9,15}")


def phone_uri(text: str, country_code: str) -> str | None:
    """A mobile number as ``tel:+CC...``; None when ``text`` is not one."""
    t = text.strip()
    if t.lower().startswith("tel:"):
        t = t[4:]
    t = _SEPARATORS.sub("", t)
    if not _PHONE.fullmatch(t) or not t.startswith(("+", "0")):
        return None
    region = phonenumbers.region_code_for_country_code(int(country_code))
    try:
        number = phonenumbers.parse(t, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return "tel:" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def end_user(text: str, country_code: str) -> str | None:
    """The end-user address for ``text``; None when it is neither form."""
    t = text.strip()
    if not t:
        return None
    if t.lower().startswith("tel:") or t.startswith(("+", "0")):
        phone = phone_uri(t, country_code)
        shaped = _PHONE.fullmatch(_SEPARATORS.sub("", t))  # a number, if no valid one
        if phone is not None or shaped or t.lower().startswith("tel:"):
            return phone
    if t.lower().startswith("acct:"):
        t = t[5:]
    return f"acct:{t}" if _ACCOUNT.fullmatch(t) else None


def is_account_number(text: str) -> bool:
    """An account number as the ledger spells them (never an option-like ``-x``)."""
    return bool(_ACCOUNT.fullmatch(text)) and not text.startswith("-")


def is_phone(end_user_uri: str) -> bool:
    return end_user_uri.startswith("tel:")


def shown(end_user_uri: str) -> str:
    """For people: ``1001`` or ``+821011110001``."""
    return end_user_uri.split(":", 1)[1] if ":" in end_user_uri else end_user_uri
