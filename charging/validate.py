"""Input checks that need no database: each bad value gets its typed error before anything is
read or written. The limits are named here, with their unit last.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from charging import msisdn
from charging.errors import InvalidAmount, InvalidInput
from charging.money import MINOR_MAX, exponent

ACCOUNT_NUMBER_LENGTH_MAX = 32
APP_ID_LENGTH_MAX = 64
REFERENCE_CODE_LENGTH_MAX = 128
DESCRIPTION_LENGTH_MAX = 256
CHARGING_CODE_LENGTH_MAX = 64
PIN_LENGTH_MIN = 4
PIN_LENGTH_MAX = 64
VALIDITY_EXTENSION_DAYS_MAX = 3650

_ACCOUNT_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def account_number(value: Any) -> str:
    if not isinstance(value, str) or not _ACCOUNT_NUMBER.fullmatch(value):
        raise InvalidInput(field="account", reason="letters, digits, '.', '_' or '-' only")
    if len(value) > ACCOUNT_NUMBER_LENGTH_MAX:
        raise InvalidInput(
            field="account", reason=f"at most {ACCOUNT_NUMBER_LENGTH_MAX} characters"
        )
    return value


def tel_uri(value: Any) -> str:
    """An MSISDN as the ledger keys it: the canonical ``tel:+<E.164>`` URI of a global or national
    ``tel:`` URI (``tel:010-1234-5678`` becomes ``tel:+821012345678``); see ``charging.msisdn``."""
    return msisdn.tel_uri(value)


def text(value: Any, field: str, length_max: int, *, required: bool = True) -> str:
    """A printable string of bounded length (application ids, reference codes, descriptions)."""
    if not isinstance(value, str):
        raise InvalidInput(field=field, reason="must be text")
    if required and (not value or value.isspace()):
        raise InvalidInput(field=field, reason="must not be empty")
    if len(value) > length_max:
        raise InvalidInput(field=field, reason=f"at most {length_max} characters")
    if not value.isprintable():
        raise InvalidInput(field=field, reason="must not contain control characters")
    return value


def app_id(value: Any) -> str:
    return text(value, "app_id", APP_ID_LENGTH_MAX)


def reference_code(value: Any) -> str:
    return text(value, "reference_code", REFERENCE_CODE_LENGTH_MAX)


def description(value: Any) -> str:
    return text(value, "description", DESCRIPTION_LENGTH_MAX, required=False)


def charging_code(value: Any) -> str | None:
    return None if value is None else text(value, "code", CHARGING_CODE_LENGTH_MAX)


def currency(value: Any) -> str:
    exponent(value)  # raises UnknownCurrency
    return str(value)


def amount_minor(value: Any, field: str = "amount") -> int:
    """A positive integer of minor units: no floats, Decimals, strings, booleans, zero or less."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount(**{field: str(value)}, reason="an integer of minor units is expected")
    if value <= 0:
        raise InvalidAmount(**{field: str(value)}, reason="amount must be greater than zero")
    if value > MINOR_MAX:
        raise InvalidAmount(**{field: str(value)}, reason="amount too large")
    return value


def limit_minor(value: Any, field: str) -> int | None:
    """A limit or threshold: None (no limit) or a non-negative integer of minor units."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MINOR_MAX:
        raise InvalidAmount(**{field: str(value)}, reason="a non-negative integer of minor units")
    return value


def future_date(value: Any, field: str, today: date) -> date | None:
    """A validity date: None (never expires) or a date that is today or later."""
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInput(field=field, reason="a date (YYYY-MM-DD) is expected")
    if value < today:
        raise InvalidInput(field=field, reason="date is in the past", value=value.isoformat())
    return value


def extension_days(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field="extend_days", reason="a whole number of days is expected")
    if not 1 <= value <= VALIDITY_EXTENSION_DAYS_MAX:
        raise InvalidInput(
            field="extend_days", reason=f"between 1 and {VALIDITY_EXTENSION_DAYS_MAX} days"
        )
    return value


def pin(value: Any) -> str:
    """A PIN to set or verify; bounded so that no one can make the hasher chew megabytes."""
    if not isinstance(value, str) or not PIN_LENGTH_MIN <= len(value) <= PIN_LENGTH_MAX:
        raise InvalidInput(
            field="pin", reason=f"{PIN_LENGTH_MIN} to {PIN_LENGTH_MAX} characters expected"
        )
    if not value.isprintable():
        raise InvalidInput(field="pin", reason="must not contain control characters")
    return value


def positive_count(value: Any, field: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise InvalidInput(field=field, reason=f"between 1 and {maximum}")
    return value
