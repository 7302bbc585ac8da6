"""The CORBA edge the three SCF servants share (scf/corba_edge.py): ``common::DateTime`` text.

The Payment/Account copy of ``date_time_text`` read a naive datetime as the host's local time
(``astimezone`` on a naive value), the SMS copy as UTC; the one edge reads it as UTC, the zone
every stored instant is in and the one ``parse_date_time`` gives a zone-less text. The test runs
in a zone far from UTC, where the two readings differ by nine hours.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from charging.errors import InvalidInput
from scf.corba_edge import date_time_text, parse_date_time


@pytest.fixture
def seoul_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Seoul")
    time.tzset()
    try:
        yield
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_naive_instant_is_utc_whatever_the_host_zone(seoul_time: None) -> None:
    assert date_time_text(datetime(2026, 3, 1, 12, 0, 5)) == "2026-03-01T12:00:05Z"


def test_an_aware_instant_is_shown_in_utc_whole_seconds(seoul_time: None) -> None:
    seoul = timezone(timedelta(hours=9))
    assert date_time_text(datetime(2026, 3, 1, 21, 0, 5, 999_000, seoul)) == "2026-03-01T12:00:05Z"
    assert date_time_text(datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)) == "2026-03-01T12:00:05Z"
    assert date_time_text(None) == ""


def test_date_time_text_reads_back_as_the_same_instant(seoul_time: None) -> None:
    for text in ("2026-03-01T12:00:05Z", "2026-03-01T12:00:05"):
        assert date_time_text(parse_date_time(text)) == "2026-03-01T12:00:05Z"
    assert parse_date_time("") is None
    with pytest.raises(InvalidInput):
        parse_date_time("yesterday")
