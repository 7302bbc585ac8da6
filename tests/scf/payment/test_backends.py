"""The SCFs' own storage and the split charge on both backends (SQLite and PostgreSQL): tariffs,
notification assignments, and chargeSplitAmount's single transaction -- including two gateway
processes' split charges over the same accounts in opposite orders, which must not deadlock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from charging.errors import InsufficientBalance, UnknownAssignment
from charging.ledger import Ledger
from charging.model import EventName
from scf.account.notifications import Criteria, NotificationRegistry
from scf.payment.tariff import TariffStore


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def ledger(url: str) -> Iterator[Ledger]:
    with Ledger.open(url) as opened:
        yield opened


def test_tariffs(ledger: Ledger) -> None:
    store = TariffStore(ledger.db)
    store.set("default", "KRW", 5)
    store.set("default", "KRW", 7, per_units=2, description="changed")
    store.set("default", "USD", 1, per_units=10)
    assert [(t.currency, t.price_minor, t.per_units) for t in store.list()] == [
        ("KRW", 7, 2),
        ("USD", 1, 10),
    ]
    assert store.price("default", "KRW", 3)[1] == 11  # 10.5 rounded up
    assert store.remove("default") == 2 and store.list() == []


def test_assignments(ledger: Ledger) -> None:
    registry = NotificationRegistry(ledger)
    criteria = Criteria((EventName.P_AM_CHARGING,), ("tel:+821012345678",))
    first = registry.create("app", "IOR:00", criteria)
    registry.advance(first, 7)
    registry.advance(first, 3)  # never backwards
    [found] = registry.of_app("app")
    assert (found.assignment_id, found.cursor, found.criteria) == (first, 7, criteria)
    assert registry.of_app("other") == []
    with pytest.raises(UnknownAssignment):
        registry.destroy("other", first)
    registry.destroy("app", first)
    assert registry.all() == []


def test_a_split_charge_is_one_transaction(ledger: Ledger) -> None:
    ledger.create_account("S1", msisdn="tel:+821000000001", currency="KRW", balance_minor=1000)
    ledger.create_account("S2", msisdn="tel:+821000000002", currency="KRW", balance_minor=100)
    with pytest.raises(InsufficientBalance):
        ledger.charge_split(
            app_id="app",
            reference_code="s-1",
            shares=[("S1", 500), ("S2", 500)],
            currency="KRW",
            description="x",
        )
    assert [ledger.get_account(n).balance_minor for n in ("S1", "S2")] == [1000, 100]
    results = ledger.charge_split(
        app_id="app",
        reference_code="s-2",
        shares=[("S2", 50), ("S1", 500)],
        currency="KRW",
        description="x",
    )
    assert [(r.account, r.amount_minor) for r in results] == [("S2", 50), ("S1", 500)]
    again = ledger.charge_split(
        app_id="app",
        reference_code="s-2",
        shares=[("S2", 50), ("S1", 500)],
        currency="KRW",
        description="x",
    )
    assert [r.replayed for r in again] == [True, True]
    assert [r.transaction_id for r in again] == [r.transaction_id for r in results]


def test_opposite_splits_from_two_gateways_do_not_deadlock(url: str, ledger: Ledger) -> None:
    for n in ("D1", "D2", "D3"):
        ledger.create_account(
            n, msisdn=f"tel:+82100000{n[1]}99", currency="KRW", balance_minor=10**9
        )
    rounds = 40
    errors: list[BaseException] = []

    def gateway(order: list[str], tag: str) -> None:
        try:
            with Ledger.open(url) as other:
                for i in range(rounds):
                    other.charge_split(
                        app_id="app",
                        reference_code=f"{tag}-{i}",
                        shares=[(n, 10) for n in order],
                        currency="KRW",
                        description="x",
                    )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=gateway, args=(["D1", "D2", "D3"], "fwd")),
        threading.Thread(target=gateway, args=(["D3", "D2", "D1"], "rev")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and not any(t.is_alive() for t in threads)
    assert {ledger.get_account(n).balance_minor for n in ("D1", "D2", "D3")} == {10**9 - 800}
