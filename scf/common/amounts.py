"""Amounts as the two surfaces carry them, converted exactly, never through a float.

- CORBA carries Parlay X's ``xsd:decimal`` as text (``common::Decimal``): ``"1500"``, ``"12.50"``.
  :func:`parse_decimal` accepts the canonical form only (``charging.money.parse_amount``: an
  optional ``-``, digits without leading zeros, optionally ``.`` and digits) -- no ``+``, no
  exponent, no ``NaN``/``Infinity``, no spaces, which ``Decimal()`` alone would let through.
- gRPC carries ``micropay.v1.Money`` = (``currency_code``, ``amount_minor``, ``exponent``).
  :func:`minor_from_money` checks the exponent against ISO 4217, so a client that scaled by the
  wrong power of ten is refused instead of charging 100 times too much.

Refusals are ``InvalidAmount`` / ``UnknownCurrency`` (SVC0007 in the fault table).
"""

from __future__ import annotations

from decimal import Decimal

from charging.errors import InvalidAmount
from charging.money import AMOUNT_CHARS_MAX, MINOR_MAX, exponent, from_minor, parse_amount, to_minor

DECIMAL_CHARS_MAX = AMOUNT_CHARS_MAX  # longer text is refused before it is parsed


def parse_decimal(text: str) -> Decimal:
    """The exact value of an amount literal (``"12.50"`` -> ``Decimal("12.50")``)."""
    return parse_amount(text)


def format_decimal(value: Decimal) -> str:
    """Plain decimal text, never exponent notation (``Decimal("1E+3")`` -> ``"1000"``)."""
    assert isinstance(value, Decimal) and value.is_finite()
    return format(value, "f")


def minor_from_text(text: str, currency: str) -> int:
    """Integer minor units of an xsd:decimal literal, refusing more decimals than the currency
    has (``"12.5"`` KRW is refused, not rounded)."""
    return to_minor(parse_decimal(text), currency)


def text_from_minor(minor: int, currency: str) -> str:
    """The xsd:decimal text of ``minor`` units, with the currency's decimals (1500 USD ->
    ``"15.00"``)."""
    return format_decimal(from_minor(minor, currency))


def minor_from_money(amount_minor: int, currency_code: str, exponent_given: int) -> int:
    """Minor units from a gRPC ``Money``; the exponent must be the currency's ISO 4217 one."""
    expected = exponent(currency_code)
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise InvalidAmount(amount=str(amount_minor), reason="amount_minor must be an integer")
    if exponent_given != expected:
        raise InvalidAmount(
            amount=str(amount_minor),
            reason=f"{currency_code} amounts have exponent {expected}, not {exponent_given}",
        )
    if abs(amount_minor) > MINOR_MAX:
        raise InvalidAmount(amount=str(amount_minor), reason="amount too large")
    return amount_minor


def money_from_minor(minor: int, currency_code: str) -> tuple[int, str, int]:
    """(amount_minor, currency_code, exponent) for a gRPC ``Money``."""
    return minor, currency_code, exponent(currency_code)
