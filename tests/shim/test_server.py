"""The endpoint itself: reflection and health, TLS (plaintext refused, mutual TLS when a client CA
is configured), the per-application rate limit, and framework refusals as typed errors."""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from micropay.v1 import account_pb2, framework_pb2, framework_pb2_grpc

from client import errors
from client.grpc_errors import GrpcFault
from client.session import connect
from tests.shim.harness import ShimGateway
from tests.shim.messages import failure

SERVICES = {
    "micropay.v1.FrameworkService",
    "micropay.v1.PaymentService",
    "micropay.v1.AccountService",
    "micropay.v1.SmsService",
    "grpc.health.v1.Health",
    "grpc.reflection.v1alpha.ServerReflection",
    "grpc.reflection.v1.ServerReflection",
}
RATE_PER_S = 2
BURST = 6  # the handshake's four authenticated calls fit; a loop of calls does not


def test_reflection_lists_the_services(shim: ShimGateway) -> None:
    with shim.channel() as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        (answer,) = list(stub.ServerReflectionInfo(iter([request]), timeout=10))
    assert {s.name for s in answer.list_services_response.service} == SERVICES


def test_reflection_v1_answers_as_v1alpha_does(shim: ShimGateway) -> None:
    """Tools that speak only reflection v1 (grpcurl, grpc-js clients) find the services too; v1
    messages are v1alpha's, field for field, so v1alpha's classes speak it on the v1 path."""
    with shim.channel() as channel:
        call = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        requests = [
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(
                file_containing_symbol="micropay.v1.PaymentService"
            ),
        ]
        listed, described = list(call(iter(requests), timeout=10))
    assert {s.name for s in listed.list_services_response.service} == SERVICES
    assert described.file_descriptor_response.file_descriptor_proto  # the payment proto file


def test_health_serves_without_a_token(shim: ShimGateway) -> None:
    with shim.channel() as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "micropay.v1.PaymentService"):
            answer = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
    assert shim.gateway.health()["checks"]["grpc"]["detail"].startswith("tls=on")


def test_plaintext_is_refused_on_a_tls_endpoint(shim: ShimGateway) -> None:
    with grpc.insecure_channel(shim.target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


def test_framework_refusals_are_the_typed_client_errors(shim: ShimGateway) -> None:
    app = shim.register("server-refusals")
    wrong = type(app)(app.app_id, b"not-the-secret-at-all-0123", app.key_kind)
    with pytest.raises(errors.P_ACCESS_DENIED):  # type: ignore[attr-defined]
        shim.connect(wrong)
    with pytest.raises(errors.P_INVALID_VERSION):  # type: ignore[attr-defined]
        shim.connect(app, version="P_PARLAY_3")
    with pytest.raises(errors.P_INVALID_DOMAIN_ID):  # type: ignore[attr-defined]
        shim.connect(type(app)("nobody-registered", app.secret, app.key_kind))
    with shim.connect(app) as session, pytest.raises(errors.P_INVALID_SERVICE_ID):  # type: ignore[attr-defined]
        session._call(
            "SelectService", framework_pb2.SelectServiceRequest(service_id="no-such-service")
        )
    with shim.channel() as channel, pytest.raises(grpc.RpcError) as caught:
        framework_pb2_grpc.FrameworkServiceStub(channel).CompleteAuthentication(
            framework_pb2.CompleteAuthenticationRequest(authentication_id="made-up"), timeout=10
        )
    code, reason, metadata, infos = failure(caught.value)
    assert (code, reason, infos) == (grpc.StatusCode.PERMISSION_DENIED, "P_ACCESS_DENIED", 1)
    assert "expired" in metadata["extraInformation"]


def test_client_switches_transport_by_the_endpoint(shim: ShimGateway) -> None:
    app = shim.register("server-switch")
    session = connect(
        shim.endpoint, app.app_id, app.secret, app.private_pem, root_certificates=shim.tls.ca
    )
    with session:
        assert session.obtain_service("P_ACCOUNT_MANAGEMENT").token


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShimGateway]:
    """A gateway that wants client certificates and allows 2 requests/s (burst 6) per app."""
    settings = {"grpc": {"app_rate_limit_per_s": RATE_PER_S, "app_burst_max": BURST}}
    gateway = ShimGateway.start(tmp_path_factory.mktemp("strict"), settings, mtls=True)
    try:
        yield gateway
    finally:
        gateway.stop()


def test_mutual_tls_needs_a_client_certificate(strict: ShimGateway) -> None:
    with strict.channel(client_cert=False) as channel, pytest.raises(grpc.RpcError) as caught:
        health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    with strict.channel(client_cert=True) as channel:
        answer = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=5
        )
    assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_rate_limit_is_resource_exhausted_naming_the_limit(strict: ShimGateway) -> None:
    app = strict.register("server-limited")
    _, msisdn = strict.new_account()
    session = strict.connect(app, client_cert=True)
    account = session.obtain_service("P_ACCOUNT_MANAGEMENT")
    request = account_pb2.GetBalanceRequest(end_user_identifier=msisdn)
    with pytest.raises(GrpcFault) as caught:
        for _ in range(BURST + 10):
            account.GetBalance(request)
    fault = caught.value
    time.sleep(1.5 / RATE_PER_S)  # the bucket refills: the application may go on
    session.terminate()
    assert fault.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert fault.message_id == "RATE_LIMIT_EXCEEDED"
    assert fault.variables["limit"] == "grpc.app_rate_limit_per_s"
    assert fault.variables["value"] == str(RATE_PER_S)
