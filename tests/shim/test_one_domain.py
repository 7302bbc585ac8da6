"""One set of domain services per gateway process: the gRPC shim calls the Account Management
service the CORBA servants call, so a registration over gRPC wakes the notification registry
the charging-event dispatcher waits on.

When the shim built an AccountService of its own, with a NotificationRegistry of its own, a
registration over gRPC woke a registry no dispatcher waited on: events waited for the
dispatcher's next poll. The gateway here polls once a minute
(``tests.shim.quiet_dispatch_server``), so only a wake delivers within seconds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from micropay.v1 import account_pb2
from org.csapi.parlayx import account_management as am

from client.orb import client_orb
from tests.scf.account.app import CallbackApp, criteria
from tests.shim.harness import ShimGateway

QUIET_S = 1.5  # long enough for a dispatcher round, far short of its poll interval
PROMPT_S = 10.0


@pytest.fixture(scope="module")
def quiet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShimGateway]:
    gateway = ShimGateway.start(
        tmp_path_factory.mktemp("quiet"), server="tests.shim.quiet_dispatch_server"
    )
    try:
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture
def listener(tmp_path) -> Iterator[CallbackApp]:  # noqa: ANN001
    app = CallbackApp(tmp_path).start()
    try:
        yield app
    finally:
        app.stop()


def test_a_registration_over_grpc_wakes_the_one_dispatcher(
    quiet: ShimGateway, listener: CallbackApp
) -> None:
    app = quiet.register("one-domain")
    number, msisdn = quiet.new_account()
    corba = quiet.connect_corba(app)
    try:
        manager = corba.obtain_service("P_ACCOUNT_MANAGEMENT")._narrow(am.IpAccountManager)
        callback = listener.reference(client_orb().orb)
        manager.createNotification(callback, criteria(["P_AM_CHARGING"], [msisdn]))
        time.sleep(QUIET_S)  # the round this registration woke is over: the dispatcher sleeps
        quiet.ledger.charge(
            app_id=app.app_id,
            reference_code="wake-1",
            account=number,
            amount_minor=100,
            currency="KRW",
            description="one domain",
        )
        time.sleep(QUIET_S)
        assert listener.received() == [], "the dispatcher was not asleep: the test proves nothing"
        with quiet.connect(app) as session:
            account = session.obtain_service("P_ACCOUNT_MANAGEMENT")
            account.CreateNotification(
                account_pb2.CreateNotificationRequest(
                    charging_event_criteria=account_pb2.ChargingEventCriteria(
                        charging_events=[account_pb2.P_AM_RECHARGING], users=[msisdn]
                    )
                )
            )
            [got] = listener.wait_for(1, PROMPT_S)
        assert (got["event"], got["reference"]) == ("P_AM_CHARGING", "wake-1")
    finally:
        corba.terminate()
