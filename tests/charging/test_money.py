from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charging.errors import InvalidAmount, UnknownCurrency
from charging.money import from_minor, positive_minor, to_minor


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("1000", "KRW", 1000),
        ("12.34", "USD", 1234),
        ("0.001", "KWD", 1),
        ("5", "USD", 500),
        ("5.10", "EUR", 510),
        (Decimal("7"), "JPY", 7),
    ],
)
def test_to_minor(amount, currency, minor):
    assert to_minor(amount, currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("1.5", "KRW"),
        ("0.001", "USD"),
        ("NaN", "USD"),
        ("Infinity", "EUR"),
        ("abc", "USD"),
        ("", "USD"),
        (1.5, "USD"),
        ("1e30", "USD"),
    ],
)
def test_to_minor_refuses(amount, currency):
    with pytest.raises(InvalidAmount):
        to_minor(amount, currency)


def test_unknown_currency():
    with pytest.raises(UnknownCurrency):
        to_minor("1", "XXX")
    with pytest.raises(UnknownCurrency):
        to_minor("1", "usd")


@pytest.mark.parametrize("amount", ["0", "-1", "0.00"])
def test_positive_minor_refuses_zero_and_negative(amount):
    with pytest.raises(InvalidAmount):
        positive_minor(amount, "USD")


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from(["KRW", "USD", "KWD", "CLF"]),
)
def test_round_trip(minor, currency):
    assert to_minor(from_minor(minor, currency), currency) == minor
    assert (
        from_minor(minor, currency).as_tuple().exponent
        == -{"KRW": 0, "USD": 2, "KWD": 3, "CLF": 4}[currency]
    )
