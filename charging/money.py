"""Money at the edges: ``Decimal`` in, integer minor units inside, ``Decimal`` out.

Never a float. Parsing is strict: an amount written with more decimals than its currency's
ISO 4217 exponent (``"100.0"`` KRW, even though it is a whole number), a non-finite value or a
float is refused, never rounded. Amount text (:func:`parse_amount`) is one form on every
surface: an optional ``-``, digits without leading zeros, optionally ``.`` and digits.
"""

from __future__ import annotations

import re
from decimal import Decimal

from charging.currencies import MINOR_UNIT_EXPONENT
from charging.errors import InvalidAmount, UnknownCurrency

MINOR_MAX = 10**15  # an upper bound on any single amount; beyond it an amount is refused
AMOUNT_CHARS_MAX = 40  # longer amount text is refused before it is converted

_AMOUNT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?", re.ASCII)
_DIGITS = re.compile(r"-?[0-9]+(?:\.[0-9]*)?", re.ASCII)


def parse_amount(text: str) -> Decimal:
    """The exact value of amount text: ``"1500"``, ``"12.50"``, ``"-3.1"``, ``"0.5"``; refused:
    ``"+1"``, ``"0100"``, ``"1."``, ``".5"``, exponents, spaces, ``NaN``. Text too long to be an
    amount is "too large" when it is digits, else "not a decimal number" -- as at any length."""
    if not isinstance(text, str):
        raise InvalidAmount(amount=str(text)[:AMOUNT_CHARS_MAX], reason="not a decimal number")
    if len(text) > AMOUNT_CHARS_MAX:
        reason = "amount too large" if _DIGITS.fullmatch(text) else "not a decimal number"
        raise InvalidAmount(amount=text[:AMOUNT_CHARS_MAX] + "\u2026", reason=reason)
    if not _AMOUNT.fullmatch(text):
        raise InvalidAmount(amount=text, reason="not a decimal number")
    return Decimal(text)


def exponent(currency: str) -> int:
    """The ISO 4217 minor-unit exponent of ``currency`` (KRW 0, USD 2, KWD 3)."""
    try:
        return MINOR_UNIT_EXPONENT[currency]
    except (KeyError, TypeError):
        raise UnknownCurrency(currency=str(currency)) from None


def to_minor(amount: Decimal | str | int, currency: str) -> int:
    """Convert a decimal amount to integer minor units of ``currency``, refusing excess precision."""
    if isinstance(amount, (float, bool)):
        raise InvalidAmount(amount=str(amount), reason="amounts must be decimal, not float")
    exp = exponent(currency)
    if isinstance(amount, str):
        value = parse_amount(amount)
    elif isinstance(amount, int):
        value = Decimal(amount)
    elif isinstance(amount, Decimal):
        value = amount
    else:
        raise InvalidAmount(amount=str(amount)[:AMOUNT_CHARS_MAX], reason="not a number")
    if not value.is_finite():
        raise InvalidAmount(amount=str(amount), reason="not a finite number")
    written = value.as_tuple().exponent
    assert isinstance(written, int)  # finite
    if -written > exp:  # "100.0" KRW: more decimals written than the currency has
        raise InvalidAmount(
            amount=str(amount), reason=f"{currency} has {exp} decimal places at most"
        )
    scaled = value.scaleb(exp)
    minor = int(scaled)
    if abs(minor) > MINOR_MAX:
        raise InvalidAmount(amount=str(amount), reason="amount too large")
    return minor


def from_minor(minor: int, currency: str) -> Decimal:
    """The decimal amount of ``minor`` units, with exactly the currency's number of decimals."""
    assert isinstance(minor, int) and not isinstance(minor, bool)
    exp = exponent(currency)
    return Decimal(minor).scaleb(-exp).quantize(Decimal(1).scaleb(-exp))


def positive_minor(amount: Decimal | str | int, currency: str) -> int:
    """Like :func:`to_minor` but the amount must be greater than zero (charges, refunds, top-ups)."""
    minor = to_minor(amount, currency)
    if minor <= 0:
        raise InvalidAmount(amount=str(amount), reason="amount must be greater than zero")
    return minor
