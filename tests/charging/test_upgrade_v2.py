"""Schema version 2 upgrades a ledger made by the released version 1 in place: history kept
(every entry, its transaction id and running balance), each movement given its other side on a
system account, the ledger summing to zero, and requests made before the upgrade still replayed.

``data/ledger-v1.db`` was made by micropay's released code (schema version 1) with every kind of
movement: charges, a refund, reservations (charged, released, left open), vouchers (one redeemed,
one not), recharges by the operator and by an application, a split charge, a postpaid bill, a USD
account, a new month, a suspension. On PostgreSQL the same rows are loaded into a version 1
schema first.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from charging import schema
from charging.ledger import Ledger
from charging.model import SystemKind
from charging.reconcile import reconcile
from storage import Dialect, migrate, open_database

V1 = Path(__file__).parent / "data" / "ledger-v1.db"
TABLES = (
    "ledger_accounts", "ledger_entries", "ledger_requests", "ledger_reservations",
    "ledger_vouchers", "ledger_events", "ledger_counters",
)  # fmt: skip


def version_1(url: str, tmp_path: Path) -> str:
    """A version 1 ledger at ``url`` (SQLite: the file itself) holding data/ledger-v1.db."""
    if url.startswith("sqlite"):
        path = tmp_path / "v1.db"
        shutil.copy(V1, path)
        return f"sqlite:///{path}"
    db = open_database(url)
    migrate(db, schema.COMPONENT, schema.MIGRATIONS[:1])
    source = sqlite3.connect(V1)
    with db.transaction() as tx:
        tx.execute("DELETE FROM ledger_counters")
        for table in TABLES:
            cursor = source.execute(f"SELECT * FROM {table}")
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
            if not rows:
                continue
            override = " OVERRIDING SYSTEM VALUE" if table == "ledger_entries" else ""
            tx.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}){override} "
                f"VALUES ({', '.join('?' * len(columns))})",
                rows,
            )
        if db.dialect is Dialect.POSTGRESQL:
            tx.execute(
                "SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), "
                "(SELECT MAX(id) FROM ledger_entries))"
            )
    db.close()
    return url


def v1_figures() -> tuple[dict[str, int], list[tuple]]:
    source = sqlite3.connect(V1)
    balances = dict(source.execute("SELECT number, ledger_balance_minor FROM ledger_accounts"))
    entries = source.execute(
        "SELECT id, account_number, kind, amount_minor, ledger_balance_after_minor "
        "FROM ledger_entries ORDER BY id"
    ).fetchall()
    return balances, entries


def test_a_version_1_ledger_upgrades_in_place(ledger_url: str, tmp_path: Path) -> None:
    url = version_1(ledger_url, tmp_path)
    balances, entries = v1_figures()
    with Ledger.open(url) as ledger:
        report = reconcile(ledger)
        assert report.clean, report.problems
        assert report.accounts == len(balances)
        assert report.entries == len(entries)  # every subscriber entry kept
        for number, balance in balances.items():
            assert ledger.get_account(number).ledger_balance_minor == balance
        with ledger.db.transaction(write=False) as tx:
            kept = tx.all(
                "SELECT transfer_id, account_number, kind, amount_minor, "
                "ledger_balance_after_minor FROM ledger_entries WHERE id <= ? ORDER BY id",
                (entries[-1][0],),
            )
        assert [tuple(r) for r in kept] == [tuple(e) for e in entries]  # ids are transaction ids
        system = {a.number: a.balance_minor for a in ledger.system_accounts()}
        assert system["settlement:shop:KRW"] == 1_500 + 2_500 - 500 + 2_000 + 300 + 9_000 + 1_000
        assert system["settlement:us-shop:USD"] == 1_250
        assert system["voucher_issuance:KRW"] == -12_000
        assert system["voucher_liability:KRW"] == 7_000  # the voucher not yet redeemed
        assert system["funding:KRW"] == -(50_000 + 20_000 + 700 + 300)
        assert ledger.system_accounts(SystemKind.FLOAT) == []
        # A request of the old release is still its first outcome; new movements go on.
        replay = ledger.charge(
            app_id="shop",
            reference_code="c-1",
            account="1001",
            amount_minor=1_500,
            currency="KRW",
            description="coffee",
        )
        assert replay.replayed
        assert ledger.charge(
            app_id="shop",
            reference_code="c-4",
            account="1001",
            amount_minor=100,
            currency="KRW",
            description="tea",
        ).transaction_id > max(e[0] for e in entries)
        [event] = [e for e in ledger.events_after(0, 1000) if e.reference_code == "c-2"]
        assert event.app_id == "shop"
        assert reconcile(ledger).clean
    with Ledger.open(url) as ledger:  # the upgrade runs once
        assert reconcile(ledger).clean


@pytest.mark.parametrize("kind", ["prepaid", "postpaid"])
def test_a_fresh_ledger_is_the_newest_version(ledger_url: str, kind: str) -> None:
    with Ledger.open(ledger_url) as ledger:
        ledger.create_account(
            "1001", msisdn="tel:+821011110001", currency="KRW", kind=kind,
            balance_minor=0 if kind == "postpaid" else 1_000, monthly_limit_minor=10_000,
        )  # fmt: skip
        with ledger.db.transaction(write=False) as tx:
            [(version,)] = tx.all(
                "SELECT MAX(version) FROM schema_migrations WHERE component = 'ledger'"
            )
        assert version == len(schema.MIGRATIONS) == 3
        assert reconcile(ledger).clean
