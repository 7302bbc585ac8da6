"""getReceivedSms end to end on both surfaces: the operator provisions a registration with
``micropay sms register``; MO messages injected into the embedded SMSC (to a short code given as
bare digits, from numbers written nationally) reach it; gRPC and CORBA clients poll them once;
a message that nothing took is kept and handed to the registration provisioned after it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from micropay.v1 import sms_pb2

from tests.shim.harness import ShimGateway

WAIT_S = 20


def _cli(shim: ShimGateway, *args: str) -> Any:
    done = shim.gateway.cli("--json", "sms", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _poll(fetch: Callable[[], list]) -> list:
    got: list = []
    deadline = time.monotonic() + WAIT_S
    while not got and time.monotonic() < deadline:
        got = list(fetch())
        time.sleep(0.05)
    return got


def test_registrations_reach_both_surfaces(shim: ShimGateway) -> None:
    app = shim.register("poller")
    reg = _cli(shim, "register", app.app_id, "7175", "--criteria", "vote")["registration_id"]
    assert [r["activation_number"] for r in _cli(shim, "list", "--app", app.app_id)] == [
        "short:7175"
    ]
    _cli(shim, "mo", "010-5550-7175", "7175", "VOTE yes")
    corba = shim.connect_corba(app)
    try:
        with shim.connect(app) as session:
            sms = session.obtain_service("P_SMS")

            def grpc_fetch() -> list:
                request = sms_pb2.GetReceivedSmsRequest(registration_identifier=reg)
                return list(sms.GetReceivedSms(request).result)

            (message,) = _poll(grpc_fetch)
            assert (message.message, message.sender_address) == ("VOTE yes", "tel:+821055507175")
            assert message.sms_service_activation_number == "short:7175"
            assert grpc_fetch() == []  # handed over once

            _cli(shim, "mo", "tel:01055507176", "short:7175", "vote no")
            manager = corba.obtain_service("P_SMS")
            (corba_message,) = _poll(lambda: manager.getReceivedSms(reg))
            assert (corba_message.message, corba_message.senderAddress) == (
                "vote no",
                "tel:+821055507176",
            )

            _cli(shim, "mo", "+82 10 5550 7177", "7176", "lost?")  # nobody registered 7176 yet
            kept = _poll(lambda: _cli(shim, "unrouted"))
            assert [(u["to"], u["text"]) for u in kept] == [("short:7176", "lost?")]
            later = _cli(shim, "register", app.app_id, "short:7176")["registration_id"]
            (found,) = _poll(lambda: manager.getReceivedSms(later))
            assert (found.message, found.senderAddress) == ("lost?", "tel:+821055507177")
            assert _cli(shim, "unrouted") == []
    finally:
        corba.terminate()
    assert _cli(shim, "unregister", reg)["registration_id"] == reg
