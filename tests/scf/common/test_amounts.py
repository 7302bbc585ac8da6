"""Exact amounts at the edges: xsd:decimal text (CORBA), Money (gRPC), ChargingInformation, and
the optional-parameter rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charging.currencies import MINOR_UNIT_EXPONENT
from charging.errors import InvalidAmount, InvalidInput, UnknownCurrency
from charging.money import MINOR_MAX
from scf.common.amounts import (
    format_decimal,
    minor_from_money,
    minor_from_text,
    money_from_minor,
    parse_decimal,
    text_from_minor,
)
from scf.common.charging_information import ChargingInformation
from scf.common.faults import fault_for
from scf.common.optional import none_to_sequence, none_to_text, one_or_none, text_or_none

DECIMALS = [
    ("1500", Decimal("1500")),
    ("12.50", Decimal("12.50")),
    ("-3.1", Decimal("-3.1")),
    ("0.000", Decimal("0")),
    ("0.5", Decimal("0.5")),
    ("-0.01", Decimal("-0.01")),
]
NOT_DECIMALS = [
    "",
    " 1",
    "1 ",
    "1e3",
    "1E3",
    "NaN",
    "Infinity",
    "-inf",
    "1,5",
    "0x10",
    "1.2.3",
    "\u0661",
    "+",
    ".",
    "-.",
    "1_000",
    "9" * 41,
    "+7",  # one form: no plus sign ...
    ".5",  # ... a digit before the point ...
    "5.",  # ... digits after it ...
    "00012",  # ... and no leading zeros
    "0100",
    "-",
]


@pytest.mark.parametrize(("text", "value"), DECIMALS)
def test_xsd_decimal_literals(text: str, value: Decimal) -> None:
    parsed = parse_decimal(text)
    assert parsed == value and isinstance(parsed, Decimal)


@pytest.mark.parametrize("text", NOT_DECIMALS)
def test_not_xsd_decimal_literals(text: str) -> None:
    with pytest.raises(InvalidAmount) as caught:
        parse_decimal(text)
    assert fault_for(caught.value).message_id == "SVC0007"


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("1500", "KRW", 1500), ("12.50", "USD", 1250), ("12.5", "USD", 1250), ("0.001", "KWD", 1)],
)
def test_minor_from_text(text: str, currency: str, minor: int) -> None:
    assert minor_from_text(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("12.5", "KRW"),
        ("0.001", "USD"),
        ("1e2", "KRW"),
        ("100.0", "KRW"),  # a whole number, but written with more decimals than KRW has
        ("0.000", "KRW"),
        ("1.000", "USD"),
    ],
)
def test_excess_precision_is_refused_not_rounded(text: str, currency: str) -> None:
    with pytest.raises(InvalidAmount) as caught:
        minor_from_text(text, currency)
    assert fault_for(caught.value).message_id == "SVC0007"


@pytest.mark.parametrize("digits", [16, 20, 40, 41, 400])
def test_a_long_amount_is_too_large_whatever_its_length(digits: int) -> None:
    """Past MINOR_MAX an amount is "too large", at 20 digits as at 400 (and on gRPC too)."""
    with pytest.raises(InvalidAmount) as caught:
        minor_from_text("9" * digits, "KRW")
    assert caught.value.variables["reason"] == "amount too large"
    with pytest.raises(InvalidAmount) as caught:
        minor_from_money(10**16, "KRW", 0)
    assert caught.value.variables["reason"] == "amount too large"


def test_text_from_minor_has_the_currencys_decimals() -> None:
    assert [text_from_minor(m, c) for m, c in [(1500, "USD"), (1500, "KRW"), (5, "KWD")]] == [
        "15.00",
        "1500",
        "0.005",
    ]
    assert format_decimal(Decimal("1E+3")) == "1000"


@given(
    minor=st.integers(min_value=-MINOR_MAX, max_value=MINOR_MAX),
    currency=st.sampled_from(sorted(MINOR_UNIT_EXPONENT)),
)
def test_text_and_money_round_trips(minor: int, currency: str) -> None:
    assert minor_from_text(text_from_minor(minor, currency), currency) == minor
    assert minor_from_money(*money_from_minor(minor, currency)) == minor


def test_money_with_the_wrong_exponent_is_refused() -> None:
    assert money_from_minor(1250, "USD") == (1250, "USD", 2)
    with pytest.raises(InvalidAmount) as caught:
        minor_from_money(1250, "USD", 0)  # a client that thought USD had no cents
    assert "USD amounts have exponent 2, not 0" in fault_for(caught.value).text
    with pytest.raises(UnknownCurrency):
        minor_from_money(1, "XXX", 2)
    with pytest.raises(InvalidAmount):
        minor_from_money(MINOR_MAX + 1, "KRW", 0)
    with pytest.raises(InvalidAmount):
        minor_from_money(True, "KRW", 0)  # type: ignore[arg-type]


# -- ChargingInformation --------------------------------------------------------------------------


def test_charging_information_from_corba_text() -> None:
    info = ChargingInformation.from_text(description="Song", currency="USD", amount="0.99", code="")
    assert info == ChargingInformation("Song", "USD", Decimal("0.99"), None)
    assert info.to_text() == ("Song", "USD", "0.99", "")
    assert info.amount_minor("USD") == 99


def test_absent_currency_means_the_accounts() -> None:
    info = ChargingInformation.from_text(description="Song", currency="", amount="1500", code="")
    assert (info.currency, info.amount_minor("KRW")) == (None, 1500)
    with pytest.raises(InvalidAmount):  # 1500.5 has no meaning in KRW
        ChargingInformation.from_text(
            description="x", currency="", amount="1500.5", code=""
        ).amount_minor("KRW")


def test_charging_information_refusals() -> None:
    with pytest.raises(UnknownCurrency):
        ChargingInformation.from_text(description="x", currency="ABC", amount="1", code="")
    with pytest.raises(InvalidAmount):
        ChargingInformation.from_text(description="x", currency="KRW", amount="1e3", code="")
    code_only = ChargingInformation.from_text(
        description="x", currency="", amount="", code="GOLD-PLAN"
    )
    assert code_only.code == "GOLD-PLAN"
    with pytest.raises(InvalidAmount) as caught:
        code_only.amount_minor("KRW")
    assert fault_for(caught.value).message_id == "SVC0007"


def test_charging_information_from_grpc_money() -> None:
    info = ChargingInformation.from_money("Song", (99, "USD", 2))
    assert info == ChargingInformation("Song", "USD", Decimal("0.99"), None)
    assert ChargingInformation.from_money("Song", None, "C1") == ChargingInformation(
        "Song", None, None, "C1"
    )
    with pytest.raises(InvalidAmount):
        ChargingInformation.from_money("Song", (99, "USD", 3))


# -- optional parameters --------------------------------------------------------------------------


def test_the_optional_rule() -> None:
    assert (text_or_none(""), text_or_none("1234")) == (None, "1234")
    assert (none_to_text(None), none_to_text("x")) == ("", "x")
    assert (one_or_none([], part="period"), one_or_none([30], part="period")) == (None, 30)
    assert (none_to_sequence(None), none_to_sequence(30)) == ([], [30])
    with pytest.raises(InvalidInput):
        one_or_none([1, 2], part="period")
