"""Money at the edges: ``Decimal`` in, integer minor units inside, ``Decimal`` out.

Never a float. Parsing is strict: an amount with more fractional digits than its currency's
ISO 4217 exponent, a non-finite value or a float is refused, never rounded.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from charging.currencies import MINOR_UNIT_EXPONENT
from charging.errors import InvalidAmount, UnknownCurrency

MAX_MINOR = 10**15  # an upper bound on any single amount; beyond it an amount is refused


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
    try:
        value = Decimal(amount) if not isinstance(amount, Decimal) else amount
    except (InvalidOperation, ValueError):
        raise InvalidAmount(amount=str(amount), reason="not a number") from None
    if not value.is_finite():
        raise InvalidAmount(amount=str(amount), reason="not a finite number")
    scaled = value.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(
            amount=str(amount), reason=f"{currency} has {exp} decimal places at most"
        )
    minor = int(scaled)
    if abs(minor) > MAX_MINOR:
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
