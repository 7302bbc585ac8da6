"""Exact amounts for the harness: Decimal and integer minor units, never binary floats.

The CORBA surface carries ``xsd:decimal`` text; the gRPC surface integer minor units with the
currency's ISO 4217 exponent. The harness keeps a small exponent table of its own (it must not
borrow the gateway's) and chooses its test amounts in minor units of the account's currency.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# ISO 4217 minor-unit exponents of the currencies a test account is likely to use.
EXPONENTS = {
    "KRW": 0, "JPY": 0, "CLP": 0, "ISK": 0, "VND": 0, "XAF": 0, "XOF": 0,
    "USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CNY": 2, "INR": 2, "AUD": 2, "CAD": 2, "SEK": 2,
    "NOK": 2, "DKK": 2, "PLN": 2, "BRL": 2, "ZAR": 2, "SGD": 2, "HKD": 2, "NZD": 2, "MXN": 2,
    "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3, "IQD": 3, "LYD": 3,
}  # fmt: skip


def exponent(currency: str) -> int:
    return EXPONENTS.get(currency.upper(), 2)


def decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a decimal amount: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {text!r}")
    return value


def text(amount: Decimal | int, currency: str) -> str:
    """The canonical xsd:decimal text of an amount with exactly the currency's decimals."""
    places = exponent(currency)
    value = Decimal(amount).quantize(Decimal(1).scaleb(-places))
    return f"{value:f}"


def from_minor(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def to_minor(amount: Decimal, currency: str) -> int:
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} has")
    return int(scaled)


def wire_minor(amount_text: str, currency: str) -> tuple[int, int]:
    """(amount_minor, exponent) for the gRPC Money of a decimal text: the currency's exponent, or
    more when the text has more decimals (so such an amount reaches the IUT as written, to be
    refused, instead of being rounded here)."""
    value = decimal(amount_text)
    places = max(exponent(currency), -value.as_tuple().exponent)  # type: ignore[operator]
    return int(value.scaleb(places)), places


def unit(currency: str) -> Decimal:
    """The smallest amount of the currency (1 KRW, 0.01 USD)."""
    return Decimal(1).scaleb(-exponent(currency))


def other_currency(currency: str) -> str:
    """A real currency that is not ``currency`` (for currency-mismatch stimuli)."""
    return "EUR" if currency.upper() == "USD" else "USD"


def finer(amount_text: str) -> str:
    """The amount with one more decimal than written: "10" -> "10.5", "0.10" -> "0.105"."""
    return amount_text + ("5" if "." in amount_text else ".5")
