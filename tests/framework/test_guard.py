"""The lock-out and the handshake caps against a real gateway, attacked from another address.

The review found that anyone who knows an application's id could lock it out: five wrong
answers locked it on both surfaces for everyone, and 32 unanswered handshakes filled its cap.
Here the attacker's connections come from 127.0.0.2 (``elsewhere.Elsewhere``) and the
application's own from 127.0.0.1: the attacker locks out and crowds out only itself. Also here:
the alarm when failures come from many addresses, and the reaping of access sessions whose
client process died.
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import grpc
import pytest
from micropay.v1 import framework_pb2 as fpb
from micropay.v1 import framework_pb2_grpc

import client
from client import crypto
from tests.conftest import ROOT
from tests.framework.elsewhere import Elsewhere
from tests.framework.gateway import Gateway

if TYPE_CHECKING:
    from tests.framework.gateway import TestApp

GATEWAY_SETTINGS = {"framework": {"access_idle_s": 1, "auth_alarm_peers": 3}}


def grpc_port(gateway: Gateway) -> int:
    return int(tomllib.loads(gateway.config_path.read_text())["grpc"]["port"])


@pytest.fixture
def attacker(gateway: Gateway) -> Iterator[framework_pb2_grpc.FrameworkServiceStub]:
    """The framework's gRPC surface as seen from 127.0.0.2."""
    relay = Elsewhere(("127.0.0.1", grpc_port(gateway)), "127.0.0.2")
    channel = grpc.insecure_channel(f"127.0.0.1:{relay.port}")
    try:
        yield framework_pb2_grpc.FrameworkServiceStub(channel)
    finally:
        channel.close()
        relay.close()


def initiate(
    stub: framework_pb2_grpc.FrameworkServiceStub, app: TestApp
) -> fpb.InitiateAuthenticationResponse:
    return stub.InitiateAuthentication(
        fpb.InitiateAuthenticationRequest(
            client_app_id=app.app_id,
            framework_version="P_PARLAY_4",
            auth_mechanisms="P_OSA_HMAC_SHA256",
        ),
        timeout=10,
    )


def answer_wrongly(stub: framework_pb2_grpc.FrameworkServiceStub, app: TestApp) -> grpc.StatusCode:
    started = initiate(stub, app)
    guess = os.urandom(32)  # a CHAP Response with the right identifier and a guessed value
    wrong = struct.pack(">BBHB", 2, started.challenge[1], 5 + len(guess), len(guess)) + guess
    try:
        stub.CompleteAuthentication(
            fpb.CompleteAuthenticationRequest(
                authentication_id=started.authentication_id,
                challenge_response=wrong,
                client_challenge=crypto.chap_challenge()[2],
                signing_algorithms="P_SHA256_RSA_2048",
            ),
            timeout=10,
        )
    except grpc.RpcError as exc:
        return exc.code()
    raise AssertionError("a wrong answer was accepted")


def refused_to_begin(stub: framework_pb2_grpc.FrameworkServiceStub, app: TestApp) -> str:
    with pytest.raises(grpc.RpcError) as refusal:
        initiate(stub, app)
    return refusal.value.details() or ""


def the_application_gets_in(gateway: Gateway, app: TestApp) -> None:
    """Over CORBA and over gRPC, from its own address."""
    for endpoint in (gateway.corbaloc, f"grpc://127.0.0.1:{grpc_port(gateway)}"):
        with client.connect(endpoint, app.app_id, app.secret, app.private_pem):
            pass


def test_wrong_answers_from_elsewhere_lock_out_only_the_attacker(
    gateway: Gateway, attacker
) -> None:
    app = gateway.register("victim-app")
    for _ in range(5):
        assert answer_wrongly(attacker, app) == grpc.StatusCode.PERMISSION_DENIED
    assert "locked" in refused_to_begin(attacker, app)
    the_application_gets_in(gateway, app)
    assert "locked" in refused_to_begin(attacker, app)  # its success cleared only its own count
    shown = gateway.cli("--json", "app", "show", app.app_id).stdout
    assert '"address": "127.0.0.2"' in shown and '"failures": 5' in shown


def test_half_open_handshakes_from_elsewhere_do_not_crowd_the_application_out(
    gateway: Gateway, attacker
) -> None:
    app = gateway.register("crowded-app")
    opened = 0
    for _ in range(40):  # the review's 32 and more, never completed
        try:
            initiate(attacker, app)
            opened += 1
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, exc
    assert opened == 16  # auth_sessions_per_peer_max
    the_application_gets_in(gateway, app)
    the_application_gets_in(gateway, app)


def test_failures_from_many_addresses_raise_the_alarm(gateway: Gateway) -> None:
    app = gateway.register("alarm-app")
    for n in range(2, 5):
        relay = Elsewhere(("127.0.0.1", grpc_port(gateway)), f"127.0.0.{n}")
        channel = grpc.insecure_channel(f"127.0.0.1:{relay.port}")
        try:
            answer_wrongly(framework_pb2_grpc.FrameworkServiceStub(channel), app)
        finally:
            channel.close()
            relay.close()
    gateway.wait_for(lambda: "authentication failures from many addresses" in gateway.log_text())
    line = next(x for x in gateway.log_text().splitlines() if "failures from many addresses" in x)
    assert '"app_id": "alarm-app"' in line and '"addresses": 3' in line
    metrics = gateway.metrics_text()
    assert 'micropay_auth_failing_addresses{app_id="alarm-app"} 3.0' in metrics
    the_application_gets_in(gateway, app)  # an alarm, not a lock-out


CLIENT_THAT_DIES = """
import sys, time, client
session = client.connect(sys.argv[1], sys.argv[2], sys.argv[3].encode(), sys.argv[4])
print("connected", flush=True)
time.sleep(600)
"""


def test_the_session_of_a_client_that_died_is_reaped(gateway: Gateway, tmp_path) -> None:
    app = gateway.register("dying-app")
    key = tmp_path / "key.pem"
    key.write_bytes(app.private_pem)
    before = gateway.stats()["access_sessions"]
    alive = client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem)
    proc = subprocess.Popen(
        [sys.executable, "-c", CLIENT_THAT_DIES, gateway.corbaloc, app.app_id,
         app.secret.decode(), str(key)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "connected"
        assert gateway.stats()["access_sessions"] == before + 2
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        gateway.wait_for(lambda: gateway.stats()["access_sessions"] == before + 1, 15)
        time.sleep(2.5)  # idle past access_idle_s twice: the live client answers its probes
        assert gateway.stats()["access_sessions"] == before + 1
        assert "micropay_access_sessions_reaped_total 1.0" in gateway.metrics_text()
    finally:
        proc.kill()
        alive.terminate()
