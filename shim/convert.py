"""Proto messages to domain values and back, exactly: money as int64 minor units, never a float.

The checks are ``scf.common``'s (``minor_from_money`` refuses an exponent that is not the
currency's ISO 4217 one; ``ChargingInformation.from_money`` is the same value the CORBA edge
builds from text), so both surfaces accept and refuse the same amounts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from google.protobuf import timestamp_pb2
from micropay.v1 import common_pb2

from charging.errors import InvalidInput
from charging.money import from_minor
from scf.common.amounts import minor_from_money, money_from_minor
from scf.common.charging_information import ChargingInformation
from scf.common.optional import text_or_none


def money(minor: int | None, currency: str | None) -> common_pb2.Money | None:
    """A ``Money`` message, or None for an absent amount (the field stays unset)."""
    if minor is None or currency is None:
        return None
    amount_minor, code, exponent = money_from_minor(minor, currency)
    return common_pb2.Money(currency_code=code, amount_minor=amount_minor, exponent=exponent)


def money_fields(message: common_pb2.Money) -> tuple[int, str, int]:
    return message.amount_minor, message.currency_code, message.exponent


def decimal_of(message: common_pb2.Money) -> tuple[Decimal, str]:
    """(exact amount, currency) of a Money message, checked as ``minor_from_money`` checks."""
    minor = minor_from_money(message.amount_minor, message.currency_code, message.exponent)
    return from_minor(minor, message.currency_code), message.currency_code


def charging_information(message: common_pb2.ChargingInformation) -> ChargingInformation:
    """The domain ``ChargingInformation`` of a proto one (an unset amount is absent)."""
    amount = money_fields(message.amount) if message.HasField("amount") else None
    return ChargingInformation.from_money(message.description, amount, message.code)


def optional_text(value: str) -> str | None:
    return text_or_none(value)


def timestamp(moment: datetime | date | None) -> timestamp_pb2.Timestamp | None:
    """A Timestamp, or None when absent (a date means its midnight UTC)."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def moment_of(stamp: timestamp_pb2.Timestamp, field: str = "date") -> datetime:
    """The instant of a Timestamp; one outside Timestamp's range (nanos below 0 or past 10^9,
    seconds beyond year 9999) is the client's mistake (SVC0002), not an unexpected error."""
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(field=field, reason="not a valid timestamp") from None


def properties(items: object) -> list[tuple[str, str]]:
    """A repeated ``Property`` as (name, value) pairs (``payment::PropertyList`` likewise)."""
    return [(p.name, p.value) for p in items]  # type: ignore[attr-defined]
