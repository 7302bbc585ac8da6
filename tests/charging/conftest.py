"""Fixtures of the ledger's tests: every behaviour test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from charging.ledger import Ledger

START = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # 12:00 in Seoul, mid-month


class FakeClock:
    """A clock the test moves by hand (reservation expiry, PIN lockout, month boundaries)."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger(ledger_url: str, clock: FakeClock) -> Iterator[Ledger]:
    with Ledger.open(
        ledger_url, clock=clock, reservation_ttl_s=60, pin_failures_max=3, pin_lockout_s=300
    ) as opened:
        yield opened
