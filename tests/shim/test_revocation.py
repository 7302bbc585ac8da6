"""Bearer tokens are bound to one application and one agreement and die with them, whichever
surface (or the CLI) ends it: the next call is UNAUTHENTICATED, at once."""

from __future__ import annotations

import time

import grpc
import pytest
from micropay.v1 import (
    account_pb2,
    account_pb2_grpc,
    framework_pb2,
    framework_pb2_grpc,
    payment_pb2,
    payment_pb2_grpc,
)
from omniORB import CORBA
from org.csapi.parlayx import common

from client import errors
from client.grpc_errors import GrpcFault
from tests.shim.harness import ShimGateway
from tests.shim.messages import charge, failure


def charge_request(msisdn: str, ref: str) -> payment_pb2.ChargeAmountRequest:
    return payment_pb2.ChargeAmountRequest(
        end_user_identifier=msisdn, charge=charge(100), reference_code=ref
    )


def refused(call, *args) -> GrpcFault:  # noqa: ANN001
    with pytest.raises(GrpcFault) as caught:
        call(*args)
    return caught.value


def test_terminating_the_agreement_over_grpc_revokes_its_token_at_once(shim: ShimGateway) -> None:
    app = shim.register("revoke-grpc")
    _, msisdn = shim.new_account()
    with shim.connect(app) as session:
        payment = session.obtain_service("P_PAYMENT")
        payment.ChargeAmount(charge_request(msisdn, "before"))
        (token,) = session.agreements
        session.terminate_agreement(token)
        fault = refused(payment.ChargeAmount, charge_request(msisdn, "after"))
        assert (fault.code, fault.message_id) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")
        # the access session goes on: a new agreement gives a new token that works
        again = session.obtain_service("P_PAYMENT")
        again.ChargeAmount(charge_request(msisdn, "again"))
    states = sorted(a.state for a in shim.gateway.store.agreements("revoke-grpc"))
    assert states == ["ended", "terminated"]  # the second ended with the access session


def test_a_termination_over_corba_revokes_the_grpc_token_and_back(shim: ShimGateway) -> None:
    app = shim.register("revoke-cross")
    _, msisdn = shim.new_account()
    corba = shim.connect_corba(app)
    try:
        with shim.connect(app) as session:
            stub = session.obtain_service("P_PAYMENT")
            manager = corba.obtain_service("P_PAYMENT")
            (token,) = session.agreements
            assert set(corba.agreements) == {token}, "one active service token per app+service"
            corba.terminate_agreement(token)  # over CORBA
            fault = refused(stub.ChargeAmount, charge_request(msisdn, "x-1"))
            assert fault.code == grpc.StatusCode.UNAUTHENTICATED

            stub = session.obtain_service("P_PAYMENT")
            manager = corba.obtain_service("P_PAYMENT")
            info = common.ChargingInformation("d", "KRW", "100", "")
            manager.chargeAmount(msisdn, info, "x-2")
            token = next(reversed(session.agreements))  # the newest agreement's
            session.terminate_agreement(token)  # over gRPC
            with pytest.raises(CORBA.OBJECT_NOT_EXIST):
                manager.chargeAmount(msisdn, info, "x-3")
    finally:
        corba.terminate()


def test_terminate_access_revokes_every_token(shim: ShimGateway) -> None:
    app = shim.register("revoke-access")
    _, msisdn = shim.new_account()
    session = shim.connect(app)
    payment = session.obtain_service("P_PAYMENT").token
    account = session.obtain_service("P_ACCOUNT_MANAGEMENT").token
    access_token = session.access_token
    session.terminate()  # closes the session's channel too: the tokens are tried on a new one
    with shim.channel() as channel:
        calls = [
            (
                payment_pb2_grpc.PaymentServiceStub(channel).ChargeAmount,
                charge_request(msisdn, "t"),
                payment,
            ),
            (
                account_pb2_grpc.AccountServiceStub(channel).GetBalance,
                account_pb2.GetBalanceRequest(end_user_identifier=msisdn),
                account,
            ),
            (
                framework_pb2_grpc.FrameworkServiceStub(channel).ListServiceTypes,
                framework_pb2.ListServiceTypesRequest(),
                access_token,
            ),
        ]
        for call, request, token in calls:
            with pytest.raises(grpc.RpcError) as caught:
                call(request, metadata=[("authorization", f"Bearer {token}")], timeout=10)
            assert failure(caught.value)[:2] == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")


def test_disabling_the_application_revokes_its_tokens(shim: ShimGateway) -> None:
    app = shim.register("revoke-disabled")
    _, msisdn = shim.new_account()
    session = shim.connect(app)
    payment = session.obtain_service("P_PAYMENT")
    payment.ChargeAmount(charge_request(msisdn, "d-1"))
    assert shim.gateway.cli("app", "disable", "revoke-disabled").returncode == 0
    deadline = time.monotonic() + 5
    while True:
        try:
            payment.ChargeAmount(charge_request(msisdn, "d-2"))
        except GrpcFault as fault:
            assert fault.code == grpc.StatusCode.UNAUTHENTICATED
            break
        assert time.monotonic() < deadline, "still usable after the application was disabled"
        time.sleep(0.1)
    with pytest.raises(errors.P_INVALID_DOMAIN_ID):  # type: ignore[attr-defined]
        shim.connect(app)


def test_a_token_works_only_for_its_own_service(shim: ShimGateway) -> None:
    app = shim.register("revoke-wrong")
    _, msisdn = shim.new_account()
    with shim.connect(app) as session, shim.channel() as channel:
        payment = session.obtain_service("P_PAYMENT")
        stub = account_pb2_grpc.AccountServiceStub(channel)
        request = account_pb2.GetBalanceRequest(end_user_identifier=msisdn)
        cases = [
            (
                [("authorization", f"Bearer {payment.token}")],
                "PERMISSION_DENIED",
                "TOKEN_WRONG_SERVICE",
            ),
            ([], "UNAUTHENTICATED", "TOKEN_MISSING"),
            ([("authorization", "Bearer not-a-token")], "UNAUTHENTICATED", "TOKEN_INVALID"),
            ([("authorization", f"Basic {payment.token}")], "UNAUTHENTICATED", "TOKEN_MISSING"),
            (
                [("authorization", f"Bearer {session.access_token}")],
                "UNAUTHENTICATED",
                "TOKEN_INVALID",
            ),
        ]
        for metadata, code, reason in cases:
            with pytest.raises(grpc.RpcError) as caught:
                stub.GetBalance(request, metadata=metadata, timeout=10)
            found = failure(caught.value)
            assert (found[0].name, found[1], found[3]) == (code, reason, 1), metadata
        pay = payment_pb2_grpc.PaymentServiceStub(channel)
        pay.ChargeAmount(
            charge_request(msisdn, "w-1"),
            metadata=[("authorization", f"Bearer {payment.token}")],
            timeout=10,
        )
