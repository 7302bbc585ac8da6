"""Time as the ledger sees it: UTC instants stored as fixed-width text, calendar months and
validity dates counted in the configured time zone (config ``ledger.timezone``).

Timestamps are stored as fixed-width ISO 8601 UTC text (``2026-03-10T03:00:00.000000+00:00``) so
that text order is time order on both SQLite and PostgreSQL, and the same SQL compares them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_text(instant: datetime) -> str:
    assert instant.tzinfo is not None, "the ledger only handles aware datetimes"
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(text: str) -> datetime:
    return datetime.fromisoformat(text)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (ledger.timezone)") from None


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def month_key(instant: datetime, tz: ZoneInfo) -> str:
    """The calendar month of ``instant`` in ``tz``, as ``YYYY-MM``: the monthly limit's period."""
    return instant.astimezone(tz).strftime("%Y-%m")


def month_bounds(month: str, tz: ZoneInfo) -> tuple[str, str]:
    """The UTC text range [start, end) of calendar month ``YYYY-MM`` in ``tz``."""
    year, mon = (int(p) for p in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=tz)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=tz)
    return to_text(start), to_text(end)


def is_expired(valid_until: date | None, instant: datetime, tz: ZoneInfo) -> bool:
    """An account is valid through the whole of its ``valid_until`` day in the ledger's zone."""
    return valid_until is not None and local_date(instant, tz) > valid_until


def extended_validity(
    valid_until: date | None, days: int, instant: datetime, tz: ZoneInfo
) -> date | None:
    """Validity after a recharge with a ``period`` of ``days``: ``days`` from today, never
    shortened, and unchanged for an account that never expires."""
    if valid_until is None:
        return None
    return max(valid_until, local_date(instant, tz) + timedelta(days=days))


@dataclass(frozen=True)
class Moment:
    """ "Now" for one request: taken once, so every check and row of the request agrees on it."""

    at: datetime
    tz: ZoneInfo

    @cached_property
    def month(self) -> str:
        return month_key(self.at, self.tz)

    @cached_property
    def today(self) -> date:
        return local_date(self.at, self.tz)
