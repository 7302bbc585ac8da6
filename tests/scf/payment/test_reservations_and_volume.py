"""ReserveAmountCharging, VolumeCharging and ReserveVolumeCharging over real omniORB, with
operator tariffs: reserve, add, charge (part and rest), release, expiry, other applications'
reservations, and volume prices that are idempotent across a tariff change."""

from __future__ import annotations

import time

import pytest
from omniORB import CORBA
from org.csapi.parlayx import common, payment

from scf.payment.tariff import TariffStore
from tests.scf.payment.gateway import DirectGateway, charge, new_account

GATEWAY_OPTIONS = ("--reservation-ttl-s", "2")


@pytest.fixture(scope="module")
def tariffs(gateway: DirectGateway) -> TariffStore:
    store = TariffStore(gateway.ledger.db)
    store.set("default", "KRW", 5)  # 5 won a unit
    store.set("default", "USD", 1, per_units=10)  # 1 cent per 10 units, rounded up
    store.set("video", "KRW", 30, description="per minute")
    return store


def held(gateway: DirectGateway, number: str) -> tuple[int, int]:
    account = gateway.ledger.get_account(number)
    return account.balance_minor, account.reserved_minor


def test_reserve_add_charge_part_then_release_the_rest(gateway: DirectGateway) -> None:
    number, msisdn = new_account(gateway.ledger)
    mgr = gateway.payment()
    rid = mgr.reserveAmount(msisdn, charge("3000"))
    mgr.reserveAdditionalAmount(rid, charge("1000"))
    assert held(gateway, number) == (6000, 4000)
    mgr.chargeReservation(rid, charge("2500"), "res-charge-1")
    mgr.chargeReservation(rid, charge("2500"), "res-charge-1")  # a retry
    assert held(gateway, number) == (6000, 1500)
    with pytest.raises(common.ServiceException) as caught:
        mgr.chargeReservation(rid, charge("1501"), "res-charge-2")
    assert (caught.value.messageId, caught.value.variables) == (
        "SVC1103",
        ["1501", "1500", rid, "KRW"],
    )
    mgr.releaseReservation(rid)
    mgr.releaseReservation(rid)  # releasing again changes nothing
    assert held(gateway, number) == (7500, 0)
    with pytest.raises(common.ServiceException) as caught:
        mgr.chargeReservation(rid, charge("1"), "res-charge-3")
    assert (caught.value.messageId, caught.value.variables) == ("SVC1101", [rid])


def test_another_applications_reservation_is_unknown(gateway: DirectGateway) -> None:
    _, msisdn = new_account(gateway.ledger)
    rid = gateway.payment().reserveAmount(msisdn, charge("100"))
    other = gateway.payment("other-app")
    for call in (
        lambda: other.chargeReservation(rid, charge("100"), "steal"),
        lambda: other.reserveAdditionalAmount(rid, charge("100")),
        lambda: other.releaseReservation(rid),
    ):
        with pytest.raises(common.ServiceException) as caught:
            call()
        assert (caught.value.messageId, caught.value.variables) == ("SVC1101", [rid])


def test_an_expired_reservation_is_refused_and_released(gateway: DirectGateway) -> None:
    number, msisdn = new_account(gateway.ledger)
    mgr = gateway.payment()
    rid = mgr.reserveAmount(msisdn, charge("1000"))
    time.sleep(2.2)  # the gateway runs with a 2 s reservation lifetime
    with pytest.raises(common.ServiceException) as caught:
        mgr.chargeReservation(rid, charge("1000"), "too-late")
    assert caught.value.messageId == "SVC1101"
    deadline = time.monotonic() + 15  # the sweeper gives the funds back
    while held(gateway, number) != (10_000, 0):
        assert time.monotonic() < deadline, "the expired reservation was not released"
        time.sleep(0.1)


def props(**values: str) -> list:
    return [payment.Property(k, v) for k, v in values.items()]


def test_volume_is_priced_by_the_operator_tariff(gateway: DirectGateway, tariffs) -> None:
    number, msisdn = new_account(gateway.ledger)
    _, usd_tel = new_account(gateway.ledger, currency="USD", balance_minor=1000)
    mgr = gateway.payment()
    assert mgr.getAmount(msisdn, 7, []) == "35"
    assert mgr.getAmount(msisdn, 7, props(tariff="video")) == "210"
    assert mgr.getAmount(usd_tel, 11, []) == "0.02"  # 1.1 cents, rounded up
    mgr.chargeVolume(msisdn, 10, "10 songs", "vol-1", [])
    mgr.refundVolume(f"acct:{number}", 2, "2 songs back", "vol-2", [])
    assert gateway.ledger.get_account(number).balance_minor == 10_000 - 50 + 10
    [refund, charged, *_] = gateway.ledger.history(number)
    assert (charged.amount_minor, charged.description) == (-50, "10 songs")
    assert refund.amount_minor == 10


def test_a_volume_retry_after_a_tariff_change_returns_the_first_outcome(
    gateway: DirectGateway, tariffs: TariffStore
) -> None:
    number, msisdn = new_account(gateway.ledger)
    tariffs.set("promo", "KRW", 10)
    mgr = gateway.payment()
    mgr.chargeVolume(msisdn, 3, "promo", "vol-promo", props(tariff="promo"))
    tariffs.set("promo", "KRW", 20)
    mgr.chargeVolume(msisdn, 3, "promo", "vol-promo", props(tariff="promo"))
    assert gateway.ledger.get_account(number).balance_minor == 10_000 - 30
    with pytest.raises(common.ServiceException) as caught:
        mgr.chargeVolume(msisdn, 4, "promo", "vol-promo", props(tariff="promo"))
    assert caught.value.messageId == "SVC1102"


@pytest.mark.parametrize(
    ("volume", "parameters", "variables"),
    [
        (0, [], ["volume"]),
        (10**13, [], ["volume"]),
        (1, props(tariff="nosuch"), ["parameters"]),
        (1, props(colour="red"), ["parameters"]),
        (1, props(tariff="bad name!"), ["tariff"]),
    ],
)
def test_volume_input_faults(
    gateway: DirectGateway, tariffs, volume, parameters, variables
) -> None:
    _, msisdn = new_account(gateway.ledger)
    with pytest.raises(common.ServiceException) as caught:
        gateway.payment().chargeVolume(msisdn, volume, "x", "vol-bad", parameters)
    assert (caught.value.messageId, caught.value.variables) == ("SVC0002", variables)


def test_reserve_volume_charging(gateway: DirectGateway, tariffs) -> None:
    number, msisdn = new_account(gateway.ledger)
    mgr = gateway.payment()
    rvc = mgr.getReserveVolumeCharging()
    assert rvc._is_equivalent(mgr.getReserveVolumeCharging())  # one object per manager
    assert rvc.getAmount(msisdn, 4, props(tariff="video")) == "120"
    rid = rvc.reserveVolume(msisdn, 100, "stream", [])
    rvc.reserveAdditionalVolume(rid, 20, "more", [])
    assert held(gateway, number) == (10_000 - 600, 600)
    rvc.chargeReservation(rid, 50, "50 units", "rv-1", [])
    rvc.chargeReservation(rid, 50, "50 units", "rv-1", [])  # a retry
    rvc.releaseReservation(rid)
    assert held(gateway, number) == (10_000 - 250, 0)
    # the two chargeReservation forms meet the same reservations: ids are shared
    rid2 = mgr.reserveAmount(msisdn, charge("100"))
    rvc.chargeReservation(rid2, 20, "20 units", "rv-2", [])
    assert held(gateway, number) == (10_000 - 350, 0)


def test_reserve_volume_charging_is_bound_to_the_application(
    gateway: DirectGateway, tariffs
) -> None:
    _, msisdn = new_account(gateway.ledger)
    rid = gateway.payment().reserveAmount(msisdn, charge("100"))
    other_rvc = gateway.payment("other-app").getReserveVolumeCharging()
    with pytest.raises(common.ServiceException) as caught:
        other_rvc.chargeReservation(rid, 1, "x", "steal-rv", [])
    assert caught.value.messageId == "SVC1101"
    assert not other_rvc._non_existent()
    assert isinstance(other_rvc, CORBA.Object)
