"""The SMS tables' one-time migration to canonical numbers (scf.sms.msisdn_migration): a
registration, a started notification, a waiting MO message and a delivery status stored under a
national spelling are found under tel:+E.164 afterwards; colliding rows are left, not merged."""

from __future__ import annotations

from pathlib import Path

from scf.sms import msisdn_migration
from scf.sms.schema import MIGRATIONS
from scf.sms.service import SmsService
from storage import migrate, open_database

NOW = "2026-01-01T00:00:00.000+00:00"


def test_national_numbers_in_the_sms_tables_are_rewritten(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'ledger.db'}")
    migrate(db, "sms", MIGRATIONS)  # the tables as an older micropay left them
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO sms_registration VALUES ('r1', 'app1', 'tel:01099990001', '', ?)", (NOW,)
        )
        tx.execute(
            "INSERT INTO sms_registration VALUES ('r2', 'app1', 'tel:+821099990001', '', ?)",
            (NOW,),
        )  # the same number and criteria: left as it is, never merged
        tx.execute(
            "INSERT INTO sms_registration VALUES ('r3', 'app1', 'short:1555', '', ?)", (NOW,)
        )
        tx.execute(
            "INSERT INTO sms_inbound (registration_id, message, sender, activation_number,"
            " received_at) VALUES ('r3', 'hi', 'tel:01011110001', 'short:1555', ?)",
            (NOW,),
        )
        tx.execute(
            "INSERT INTO sms_request (request_id, app_id, sender, message, data_coding,"
            " parts_total, created_at) VALUES ('q1', 'app1', 'short:1555', 'x', 0, 1, ?)",
            (NOW,),
        )
        tx.execute(
            "INSERT INTO sms_address VALUES ('q1', 'tel:01011110002', 'DeliveredToTerminal', 0, ?)",
            (NOW,),
        )
    assert msisdn_migration.upgrade(db) == 2  # the inbound sender and the address; r1 stays
    assert msisdn_migration.upgrade(db) is None
    service = SmsService(db)
    assert [m.senderAddress for m in service.getReceivedSms("app1", "r3")] == ["tel:+821011110001"]
    assert [d.address for d in service.getSmsDeliveryStatus("app1", "q1")] == ["tel:+821011110002"]
    with db.transaction(write=False) as tx:
        assert sorted(
            tx.all("SELECT registration_id, activation_number FROM sms_registration")
        ) == [
            ("r1", "tel:01099990001"),
            ("r2", "tel:+821099990001"),
            ("r3", "short:1555"),
        ]
    db.close()
