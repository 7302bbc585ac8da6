"""The optional-parameter rule of micropay's Parlay X IDL, in both directions.

docs/idl-mapping.md: an optional parameter or member of a string type (string, AnyURI, Decimal,
DateTime) is absent when empty; one of any other type is ``sequence<T, 1>``, absent when empty.
Servants call these at the edge so services only ever see ``None`` for "absent".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from charging.errors import InvalidInput

T = TypeVar("T")


def text_or_none(value: str) -> str | None:
    """An optional string-typed value: ``""`` -> None."""
    return value if value != "" else None


def none_to_text(value: str | None) -> str:
    """The wire form of an optional string-typed value: None -> ``""``."""
    return "" if value is None else value


def one_or_none(values: Sequence[T], *, part: str) -> T | None:
    """An optional value of another type, carried as a sequence of at most one element. The IDL
    bounds the sequence; this guards callers that hand in a Python list directly."""
    if len(values) > 1:
        raise InvalidInput(part=part, reason="at most one value")
    return values[0] if values else None


def none_to_sequence(value: T | None) -> list[T]:
    """The wire form of an optional non-string value: None -> ``[]``, v -> ``[v]``."""
    return [] if value is None else [value]
