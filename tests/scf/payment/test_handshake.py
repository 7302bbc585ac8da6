"""The SCFs through the real framework handshake: ``micropay serve`` with the charging SCFs, an
application registered for them, the client library's Parlay 4 flow, then Parlay X calls on the
managers the agreements returned -- bound to that application, dead once the agreement ends."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from omniORB import CORBA
from org.csapi.parlayx import account_management, payment

import client
from charging.ledger import Ledger
from tests.framework.gateway import Gateway
from tests.scf.payment.gateway import charge


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, Ledger]]:
    gateway = Gateway.start(
        tmp_path_factory.mktemp("handshake"),
        {"smsc": {"embedded": False}},
        command=[sys.executable, "-m", "tests.scf.payment.handshake_server"],
    )
    ledger = Ledger.open(f"sqlite:///{gateway.data_dir / 'ledger.db'}")
    try:
        yield gateway, ledger
    finally:
        ledger.close()
        gateway.stop()


def test_payment_and_account_management_after_the_handshake(served) -> None:
    gateway, ledger = served
    app = gateway.register("shop-1", services=("P_PAYMENT", "P_ACCOUNT_MANAGEMENT"))
    ledger.create_account("7001", msisdn="tel:+821070017001", currency="KRW", balance_minor=5000)
    session = client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem)
    try:
        pay = session.obtain_service("P_PAYMENT")._narrow(payment.IpPaymentManager)
        acct = session.obtain_service("P_ACCOUNT_MANAGEMENT")._narrow(
            account_management.IpAccountManager
        )
        status = acct.getAccountStatus("acct:7001", "")
        assert (status.registered, status.remainingHeadroom) == (True, "5000")
        pay.chargeAmount("acct:7001", charge("1200"), "hs-1")
        assert acct.getBalance("tel:+821070017001", "")[0].amount == "3800"
        [entry, *_] = ledger.history("7001")
        assert (entry.app_id, entry.reference_code) == ("shop-1", "hs-1")
        rvc = pay.getReserveVolumeCharging()
        token = next(t for t, a in session.agreements.items() if a.service_type == "P_PAYMENT")
        session.terminate_agreement(token)
        for dead in (
            lambda: pay.chargeAmount("acct:7001", charge("1"), "hs-2"),
            lambda: rvc.releaseReservation("x"),
        ):
            with pytest.raises(CORBA.OBJECT_NOT_EXIST):
                dead()
        assert acct.getBalance("acct:7001", "")[0].amount == "3800"  # its own agreement lives
    finally:
        session.terminate()
    with pytest.raises(CORBA.OBJECT_NOT_EXIST):
        acct.getBalance("acct:7001", "")
