"""The one-time migration of stored MSISDNs to ``tel:+<E.164>`` (charging.msisdn_migration):
national spellings are rewritten, two open accounts that turn out to share a number are reported
and left alone (never merged), numbers that are no valid number are reported, and it runs once."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from charging import msisdn_migration, schema
from charging.errors import UnregisteredAccount
from charging.ledger import Ledger
from storage import open_database

NOW = "2026-01-01T00:00:00.000000Z"
STORED = {  # account -> (MSISDN as an older micropay stored it, status)
    "A": ("tel:01077000090", "active"),  # the same phone as B
    "B": ("tel:+821077000090", "active"),
    "C": ("tel:01012345678", "active"),  # national: rewritten
    "D": ("tel:7777", "active"),  # no valid number: reported, left
    "E": ("tel:01055500001", "closed"),  # closed accounts are rewritten too
    "F": ("tel:+821055500001", "active"),  # ... and do not collide with an open one
}


def _old_ledger(url: str) -> None:
    db = open_database(url)
    schema.upgrade(db)
    with db.transaction() as tx:
        for number, (msisdn, status) in STORED.items():
            tx.execute(
                "INSERT INTO ledger_accounts (number, msisdn, kind, currency,"
                " ledger_balance_minor, month_key, status, created_at, updated_at)"
                " VALUES (?, ?, 'prepaid', 'KRW', 1000, '2026-01', ?, ?, ?)",
                (number, msisdn, status, NOW, NOW),
            )
        tx.execute(
            "INSERT INTO ledger_events (seq, account_number, msisdn, event, currency,"
            " balance_minor, occurred_at) VALUES (1, 'C', 'tel:01012345678', 'P_AM_CHARGING',"
            " 'KRW', 1000, ?)",
            (NOW,),
        )
    db.close()


def test_stored_numbers_become_canonical_and_shared_ones_are_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    _old_ledger(url)
    db = open_database(url)
    with caplog.at_level(logging.ERROR, logger="micropay.ledger.migration"):
        report = msisdn_migration.upgrade(db)
    assert report is not None
    assert report.shared == {"tel:+821077000090": ["A", "B"]}
    assert report.unreadable == {"D": "tel:7777"}
    assert report.rewritten == 2  # C and E
    assert "A, B share the MSISDN tel:+821077000090" in caplog.text
    with db.transaction(write=False) as tx:
        assert dict(tx.all("SELECT number, msisdn FROM ledger_accounts")) == {
            "A": "tel:01077000090",  # left for the operator: never merged
            "B": "tel:+821077000090",
            "C": "tel:+821012345678",
            "D": "tel:7777",
            "E": "tel:+821055500001",
            "F": "tel:+821055500001",
        }
        assert tx.all("SELECT msisdn FROM ledger_events") == [("tel:+821012345678",)]
    assert msisdn_migration.upgrade(db) is None  # once
    db.close()

    ledger = Ledger.open(url)  # opening the ledger applies it too (already done here)
    try:
        assert ledger.account_for_msisdn("tel:010-1234-5678").number == "C"
        assert ledger.account_for_msisdn("tel:+821055500001").number == "F"
        with pytest.raises(UnregisteredAccount):
            ledger.account_for_msisdn("tel:010-9999-0000")
    finally:
        ledger.close()


def test_opening_an_old_ledger_migrates_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    _old_ledger(url)
    ledger = Ledger.open(url)
    try:
        assert ledger.get_account("C").msisdn == "tel:+821012345678"
        assert ledger.account_for_msisdn("tel:01012345678").number == "C"
    finally:
        ledger.close()
