"""A gateway restart loses no charging event: assignments, callback references and cursors are
stored with the ledger, so events that happened while the gateway was down (or killed with
SIGKILL) are delivered once it is back, in order."""

from __future__ import annotations

import signal

from tests.scf.account.app import CallbackApp, criteria
from tests.scf.payment.gateway import DirectGateway, charge, new_account

GATEWAY_OPTIONS = ("--retry-ms-min", "200", "--retry-ms-max", "1000")


def test_a_restarted_gateway_carries_on_from_each_cursor(gateway: DirectGateway, tmp_path) -> None:
    app = CallbackApp(tmp_path).start()
    try:
        number, msisdn = new_account(gateway.ledger, balance_minor=100_000)
        gateway.account().createNotification(
            app.reference(gateway.orb), criteria(["P_AM_CHARGING", "P_AM_RECHARGING"], [msisdn])
        )
        gateway.payment().chargeAmount(msisdn, charge("1"), "r-0")
        app.wait_for(1)
        gateway.stop()  # a clean stop
        gateway.ledger.charge(
            app_id="operator",
            reference_code="r-1",
            account=number,
            amount_minor=2,
            currency="KRW",
            description="while the gateway is down",
        )
        gateway.start()
        gateway.payment().chargeAmount(msisdn, charge("3"), "r-2")
        app.wait_for(3)
        gateway.stop(signal.SIGKILL)  # and a crash
        gateway.ledger.recharge(
            app_id="operator", reference_code="r-3", account=number, amount_minor=4, currency="KRW"
        )
        gateway.start()
        got = app.wait_for(4)
        amounts = list(dict.fromkeys((g["id"], g["amount"]) for g in got))
        assert [a for _, a in amounts] == ["1", "2", "3", "4"]
        assert [int(i) for i, _ in amounts] == sorted(int(i) for i, _ in amounts)
        assert gateway.account().getNotification()[0].ChargingEventCriteria.Users == [msisdn]
    finally:
        app.stop()
