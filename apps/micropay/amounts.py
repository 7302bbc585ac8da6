"""Amounts as the application handles them: ``Decimal`` in the currency's major unit, never float.

Parlay X carries amounts as decimal text ("1500", "12.50"); an optional one is "" when absent.
The shop only needs to read such text, write it back exactly, and show it to people.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# ISO 4217 minor-unit digits of the currencies a shop is likely to price in; others default to 2.
CURRENCY_DIGITS = {"KRW": 0, "JPY": 0, "USD": 2, "EUR": 2, "GBP": 2}
CURRENCY_SYMBOLS = {"KRW": "₩", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£"}


class AmountError(ValueError):
    """Text that is not a decimal amount of the currency."""


def parse(text: str | None) -> Decimal | None:
    """Parlay X decimal text to Decimal; "" or None (absent) to None."""
    if text is None or text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise AmountError(f"“{text}” is not an amount.") from None
    if not value.is_finite():
        raise AmountError(f"“{text}” is not an amount.")
    return value


_PLAIN = re.compile(r"[0-9]+(\.[0-9]+)?")


def parse_user(text: str, currency: str) -> Decimal:
    """An amount an operator typed ("10,000", "12.50"): plain digits, positive, no more
    decimals than the currency has (never rounded). Messages are sentences for people."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not cleaned:
        raise AmountError("Enter an amount greater than zero.")
    if not _PLAIN.fullmatch(cleaned):
        raise AmountError(f"“{text.strip()}” is not an amount: type a number such as 10,000.")
    value = Decimal(cleaned)
    if value <= 0:
        raise AmountError("Enter an amount greater than zero.")
    digits = CURRENCY_DIGITS.get(currency, 2)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > digits:
        places = "no decimals" if digits == 0 else f"at most {digits} decimals"
        raise AmountError(f"{currency} amounts have {places}: “{text.strip()}” has more.")
    return value


def parse_limit(typed: str, currency: str) -> str | None:
    """A limit an operator typed, as the operator command takes it: None (left empty: keep it),
    "none" (remove it) or the amount in canonical text."""
    typed = typed.strip()
    if not typed:
        return None
    if typed.lower() == "none":
        return "none"
    return text(parse_user(typed, currency))


def text(value: Decimal) -> str:
    """Decimal to the canonical Parlay X text: no exponent, no trailing zeros beyond the point."""
    normal = format(value, "f")
    if "." in normal:
        normal = normal.rstrip("0").rstrip(".")
    return normal or "0"


def show(value: Decimal | None, currency: str) -> str:
    """For people: ``₩1,500`` / ``$12.50``; an absent amount as an em dash."""
    if value is None:
        return "—"
    digits = CURRENCY_DIGITS.get(currency, 2)
    sign = "-" if value < 0 else ""
    body = f"{abs(value):,.{digits}f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}"


def plain(value: Decimal | None, currency: str) -> str:
    """For SMS texts, as the gateway's templates write them: ``1,500`` (the currency follows)."""
    if value is None:
        return "-"
    digits = CURRENCY_DIGITS.get(currency, 2)
    return f"{value:,.{digits}f}"
