"""Refusals are typed errors (and the request is not stored): the service on a real SQLite file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from charging.errors import InvalidAddress, InvalidInput, TooManyAddresses
from scf.sms.errors import (
    ChargingNotSupported,
    DuplicateCorrelator,
    EmptyMessage,
    MessageTooLong,
    OverlappedCriteria,
    UnknownCorrelator,
    UnknownRegistration,
    UnknownRequestId,
)
from scf.sms.model import ChargingInformation, SimpleReference
from scf.sms.service import SmsService
from storage import open_database

A = "tel:+821011112222"


@pytest.fixture
def service(tmp_path: Path) -> SmsService:
    return SmsService(open_database(f"sqlite:///{tmp_path / 'sms.db'}"), length_max=200)


def stored(service: SmsService) -> int:
    with service.db.transaction(write=False) as tx:
        return tx.one("SELECT COUNT(*) FROM sms_request")[0]


@pytest.mark.parametrize(
    ("addresses", "message", "error"),
    [
        ([A], "", EmptyMessage),
        ([A], "a" * 201, MessageTooLong),
        ([A], "가" * 201, MessageTooLong),
        ([], "hi", InvalidAddress),
        (["+821011112222"], "hi", InvalidAddress),  # not a URI
        (["tel:+82-10-abc"], "hi", InvalidAddress),
        (["tel:+821011112222;ext=1"], "hi", InvalidAddress),
        (["sip:bob@example.com"], "hi", InvalidAddress),
        (["short:1555"], "hi", InvalidAddress),  # a short code is no end user
        (["tel:+1234567890123456"], "hi", InvalidAddress),  # 16 digits > E.164
        (["tel:+8210123"], "hi", InvalidAddress),  # no valid number
        (["tel:0101234"], "hi", InvalidAddress),  # no valid national number
        ([A, "tel:"], "hi", InvalidAddress),
        ([A] * 101, "hi", TooManyAddresses),
    ],
)
def test_send_sms_refusals(service: SmsService, addresses, message, error) -> None:
    with pytest.raises(error):
        service.sendSms("app1", addresses, None, None, message, None)
    assert stored(service) == 0


def test_too_long_says_the_maximum(service: SmsService) -> None:
    with pytest.raises(MessageTooLong) as err:
        service.sendSms("app1", [A], None, None, "a" * 201, None)
    assert err.value.variables["max_length"] == "200"
    service.sendSms("app1", [A], None, None, "a" * 200, None)
    assert stored(service) == 1


def test_bad_sender_name_and_receipt_request(service: SmsService) -> None:
    with pytest.raises(InvalidAddress):
        service.sendSms("app1", [A], "far-too-long-name", None, "hi", None)
    with pytest.raises(InvalidInput):
        service.sendSms("app1", [A], None, None, "hi", SimpleReference("", "SmsNotification", "c"))


def test_unknown_request_id_and_other_apps_request(service: SmsService) -> None:
    with pytest.raises(UnknownRequestId):
        service.getSmsDeliveryStatus("app1", "no-such-request")
    rid = service.sendSms("app1", [A, A, "tel:+82-10-1111-2222"], None, None, "hi", None)
    [info] = service.getSmsDeliveryStatus("app1", rid)  # one address after normalisation
    assert (info.address, info.deliveryStatus) == (A, "MessageWaiting")
    with pytest.raises(UnknownRequestId):
        service.getSmsDeliveryStatus("app2", rid)


def test_charging_needs_a_hook_and_the_hook_decides(service: SmsService) -> None:
    charging = ChargingInformation("sports scores", "KRW", Decimal("100"), None)
    with pytest.raises(ChargingNotSupported):
        service.sendSms("app1", [A], None, charging, "hi", None)
    calls = []

    def hook(app_id, request_id, addresses, info):
        if app_id == "no-charging-contract":
            raise ChargingNotSupported()
        calls.append((app_id, request_id, addresses, info.amount))

    service.charging_hook = hook
    with pytest.raises(ChargingNotSupported):
        service.sendSms("no-charging-contract", [A], None, charging, "hi", None)
    assert stored(service) == 0
    rid = service.sendSms("app1", [A], None, charging, "hi", None)
    assert calls == [("app1", rid, [A], Decimal("100"))]


def test_notification_refusals(service: SmsService) -> None:
    ref = SimpleReference("ep", "SmsNotification", "c1")
    service.startSmsNotification("app1", ref, "short:1555", "PAY")
    with pytest.raises(DuplicateCorrelator):
        service.startSmsNotification("app1", ref, "short:1555", "OTHER")
    with pytest.raises(OverlappedCriteria):
        service.startSmsNotification("app2", SimpleReference("ep", "S", "c9"), "short:1555", "pay")
    with pytest.raises(InvalidAddress):
        service.startSmsNotification("app1", SimpleReference("ep", "S", "c2"), "1555", None)
    with pytest.raises(InvalidInput):
        service.startSmsNotification(
            "app1", SimpleReference("ep", "S", "c3"), "short:1555", "two words"
        )
    service.startSmsNotification("app2", ref, "short:1555", None)  # same correlator, other app
    with pytest.raises(UnknownCorrelator):
        service.stopSmsNotification("app1", "nope")
    service.stopSmsNotification("app1", "c1")
    with pytest.raises(UnknownCorrelator):
        service.stopSmsNotification("app1", "c1")


def test_unknown_registration(service: SmsService) -> None:
    with pytest.raises(UnknownRegistration):
        service.getReceivedSms("app1", "nope")
    reg = service.register_activation_number("app1", "short:1555")
    with pytest.raises(UnknownRegistration):
        service.getReceivedSms("app2", reg)
    assert service.getReceivedSms("app1", reg) == []


def test_mo_routing_by_criteria_without_smpp(service: SmsService) -> None:
    reg_any = service.register_activation_number("app1", "short:1555")
    reg_bal = service.register_activation_number("app2", "short:1555", criteria="BAL")
    assert service.route_mo(sender=A, activation_number="short:1555", text="bal please") == "queue"
    assert service.route_mo(sender=A, activation_number="short:1555", text="hello") == "queue"
    assert service.route_mo(sender=A, activation_number="short:9999", text="hello") == "unrouted"
    assert [m.message for m in service.getReceivedSms("app2", reg_bal)] == ["bal please"]
    assert [m.message for m in service.getReceivedSms("app1", reg_any)] == ["hello"]


def test_an_mo_nothing_takes_is_kept_until_something_does(service: SmsService) -> None:
    """Never acknowledged and dropped: kept (listable), handed over to the first registration
    or notification that matches it, in arrival order; what still does not match stays."""
    assert service.route_mo(sender=A, activation_number="short:7175", text="VOTE 1") == "unrouted"
    assert service.route_mo(sender=A, activation_number="short:7175", text="BAL") == "unrouted"
    assert [(m["to"], m["text"]) for m in service.unrouted()] == [
        ("short:7175", "VOTE 1"),
        ("short:7175", "BAL"),
    ]
    reg = service.register_activation_number("app1", "short:7175", criteria="vote")
    assert [(m.message, m.senderAddress) for m in service.getReceivedSms("app1", reg)] == [
        ("VOTE 1", A)
    ]
    assert [m["text"] for m in service.unrouted()] == ["BAL"]
    service.startSmsNotification("app2", SimpleReference("ep", "S", "c-any"), "short:7175")
    assert service.unrouted() == []
    with service.db.transaction() as tx:
        assert tx.all("SELECT kind, correlator FROM sms_event") == [("reception", "c-any")]


def test_national_numbers_are_one_address(service: SmsService) -> None:
    """tel:010-1111-0001 and tel:+821011110001 are one phone: stored once, in E.164."""
    rid = service.sendSms(
        "app1", ["tel:010-1111-0001", "tel:+821011110001"], None, None, "hi", None
    )
    assert [d.address for d in service.getSmsDeliveryStatus("app1", rid)] == ["tel:+821011110001"]
    assert (
        service.route_mo(sender="tel:01011110001", activation_number="short:1555", text="x")
        == "unrouted"
    )
    assert service.unrouted()[0]["from"] == "tel:+821011110001"


def test_the_sender_is_recorded_as_a_uri_and_sent_as_configured(tmp_path: Path) -> None:
    """senderName 7175 is short:7175 in the request, and goes out with its configured TON/NPI."""
    from smpp.addresses import Addressing

    db = open_database(f"sqlite:///{tmp_path / 's.db'}")
    service = SmsService(db, addressing=Addressing(overrides={"7175": (0, 1)}))
    service.sendSms("app1", [A], "7175", None, "hi", None)
    service.sendSms("app1", [A], None, None, "hi", None)
    service.sendSms("app1", [A], "Shop", None, "hi", None)
    with db.transaction() as tx:
        rows = tx.all(
            "SELECT r.sender, p.source_digits, p.source_ton, p.source_npi FROM sms_request r"
            " JOIN sms_part p ON p.request_id = r.request_id ORDER BY p.part_id"
        )
    assert rows == [
        ("short:7175", "7175", 0, 1),
        ("short:1555", "1555", 3, 0),
        ("Shop", "Shop", 5, 0),
    ]
    db.close()
