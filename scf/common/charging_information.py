"""Parlay X ``ChargingInformation`` once, whichever surface it came over.

The CORBA struct (``org::csapi::parlayx::common::ChargingInformation``) and the gRPC message
(``micropay.v1.ChargingInformation``) both become this value, so the SCF services take one type.
Optional members are ``None`` here: empty strings on CORBA, absent fields on gRPC. When
``currency`` is ``None`` the end user's account currency applies (Parlay X Part 1 §5.2.1), so the
service resolves it with :meth:`ChargingInformation.amount_minor` once it knows the account.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from charging.errors import InvalidAmount
from charging.money import exponent, from_minor, to_minor
from scf.common.amounts import format_decimal, minor_from_money, parse_decimal
from scf.common.optional import text_or_none


@dataclass(frozen=True)
class ChargingInformation:
    description: str
    currency: str | None
    amount: Decimal | None
    code: str | None

    @classmethod
    def from_text(
        cls, *, description: str, currency: str, amount: str, code: str
    ) -> ChargingInformation:
        """From the CORBA struct's members ("" = absent); a currency given must be known."""
        currency_or_none = text_or_none(currency)
        if currency_or_none is not None:
            exponent(currency_or_none)  # UnknownCurrency
        amount_text = text_or_none(amount)
        return cls(
            description=description,
            currency=currency_or_none,
            amount=parse_decimal(amount_text) if amount_text is not None else None,
            code=text_or_none(code),
        )

    @classmethod
    def from_money(
        cls,
        description: str,
        money: tuple[int, str, int] | None,
        code: str = "",
    ) -> ChargingInformation:
        """From a gRPC request: ``money`` is (amount_minor, currency_code, exponent) or None."""
        if money is None:
            return cls(description, None, None, text_or_none(code))
        amount_minor, currency, exponent_given = money
        minor = minor_from_money(amount_minor, currency, exponent_given)
        return cls(description, currency, from_minor(minor, currency), text_or_none(code))

    def to_text(self) -> tuple[str, str, str, str]:
        """The CORBA struct's members, in order: (description, currency, amount, code)."""
        amount = format_decimal(self.amount) if self.amount is not None else ""
        return self.description, self.currency or "", amount, self.code or ""

    def amount_minor(self, account_currency: str) -> int:
        """The amount in minor units of the currency that applies (this one's, else the
        account's). An absent amount is refused: micropay charges amounts, not charging codes;
        the ledger refuses a currency that is not the account's."""
        if self.amount is None:
            raise InvalidAmount(amount="", reason="charge.amount is required")
        return to_minor(self.amount, self.currency or account_currency)
