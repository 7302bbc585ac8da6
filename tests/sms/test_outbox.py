"""The outbox state machine on a real SQLite file, without SMPP."""

from __future__ import annotations

from pathlib import Path

import pytest

from scf.sms import outbox
from scf.sms.model import SimpleReference
from scf.sms.service import SmsService
from smpp.receipts import Receipt
from storage import open_database

A = "tel:+821011112222"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'o.db'}"
    return request.getfixturevalue("postgres_url")


def make(db_url: str) -> tuple[SmsService, str]:
    service = SmsService(open_database(db_url))
    rid = service.sendSms("app1", [A], None, None, "가" * 100, SimpleReference("ep", "S", "c"))
    return service, rid


def test_receipt_overtaking_its_answer_is_kept(db_url: str) -> None:
    service, rid = make(db_url)
    with service.db.transaction() as tx:
        parts = outbox.claim_due(tx, "me", 10, 30_000)
        assert [p.seq for p in parts] == [1, 2]
        assert outbox.claim_due(tx, "other", 10, 30_000) == []  # leased
        # receipts (decimal ids) before the answers (hex ids) were recorded
        assert not outbox.apply_receipt(tx, Receipt("26", "DELIVRD"))
        assert not outbox.apply_receipt(tx, Receipt("27", "DELIVRD"))
        outbox.record_ack(tx, parts[0].part_id, "1a")
        outbox.record_ack(tx, parts[1].part_id, "1b")
        outbox.record_ack(tx, parts[1].part_id, "99")  # a late duplicate answer changes nothing
        events = tx.all("SELECT kind, correlator, payload FROM sms_event")
    assert [i.deliveryStatus for i in service.getSmsDeliveryStatus("app1", rid)] == [
        "DeliveredToTerminal"
    ]
    assert len(events) == 1 and events[0][:2] == ("receipt", "c")


def test_released_and_retried_parts_come_back(db_url: str) -> None:
    service, rid = make(db_url)
    with service.db.transaction() as tx:
        first = outbox.claim_due(tx, "me", 1, 30_000)
        outbox.release(tx, [first[0].part_id])
        again = outbox.claim_due(tx, "me", 10, 30_000)
        assert [p.part_id for p in again] == [first[0].part_id, first[0].part_id + 1]
        outbox.record_retry(tx, again[0].part_id, 60_000, "ESME_RSYSERR")
        outbox.record_failure(tx, again[1].part_id, "ESME_RINVDSTADR")
        assert outbox.claim_due(tx, "me", 10, 30_000) == []  # not due yet / failed for good
        outbox.apply_receipt(tx, Receipt("x", "DELIVRD"))
    assert [i.deliveryStatus for i in service.getSmsDeliveryStatus("app1", rid)] == [
        "DeliveryImpossible"
    ]
