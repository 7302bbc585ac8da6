"""The IDL and the proto at work: a real server process (tests/scf/common/edge_server.py) with
an omniORB servant and a gRPC servicer that report through the one fault table, called by a real
omniORB client and a real gRPC client."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from micropay.v1 import common_pb2, payment_pb2, payment_pb2_grpc
from omniORB import CORBA
from org.csapi.parlayx import account_management, common, payment

from tests.conftest import ROOT, free_port

STARTUP_TIMEOUT_S = 30
CALL_TIMEOUT_S = 10


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[list[str], int]]:
    ready = tmp_path_factory.mktemp("edge") / "ready"
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.scf.common.edge_server", str(ready), str(port)], cwd=ROOT
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not ready.exists():
            assert proc.poll() is None, "edge server died during start-up"
            assert time.monotonic() < deadline, "edge server did not start in time"
            time.sleep(0.05)
        yield ready.read_text().split(), port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def orb() -> CORBA.ORB:
    """The process's ORB (a singleton other tests may share, so it is not destroyed here)."""
    return CORBA.ORB_init(
        [sys.argv[0], "-ORBclientCallTimeOutPeriod", str(CALL_TIMEOUT_S * 1000)], CORBA.ORB_ID
    )


@pytest.fixture(scope="module")
def payment_mgr(server, orb):
    return orb.string_to_object(server[0][0])._narrow(payment.IpPaymentManager)


@pytest.fixture(scope="module")
def account_mgr(server, orb):
    return orb.string_to_object(server[0][1])._narrow(account_management.IpAccountManager)


@pytest.fixture(scope="module")
def payment_stub(server) -> Iterator[payment_pb2_grpc.PaymentServiceStub]:
    with grpc.insecure_channel(f"127.0.0.1:{server[1]}") as channel:
        yield payment_pb2_grpc.PaymentServiceStub(channel)


def charge(amount: str, currency: str = "USD") -> common.ChargingInformation:
    return common.ChargingInformation("Song 42", currency, amount, "")


# -- CORBA ------------------------------------------------------------------------------------------


def test_corba_charge_succeeds(payment_mgr) -> None:
    assert payment_mgr.chargeAmount("tel:+821012345678", charge("12.50"), "ok-1") is None
    assert payment_mgr.chargeAmount("tel:+821012345678", charge("1", ""), "ok-2") is None


def test_corba_policy_fault_carries_template_and_variables(payment_mgr) -> None:
    with pytest.raises(common.PolicyException) as caught:
        payment_mgr.chargeAmount("tel:+821012345678", charge("10.00"), "over-limit")
    e = caught.value
    assert e.messageId == "POL1001"
    assert e.text.startswith("The %1 operator charging limit for this user has been exceeded")
    assert e.variables == ["monthly", "300.00", "295.00", "0.00", "10.00", "USD"]


@pytest.mark.parametrize(
    ("end_user", "info", "message_id", "variables"),
    [
        ("tel:+82 10", charge("1.00"), "SVC0002", ["endUserIdentifier"]),
        (
            "tel:+821012345678",
            charge("12.345"),
            "SVC0007",
            ["12.345", "USD has 2 decimal places at most"],
        ),
        ("tel:+821012345678", charge("1e3"), "SVC0007", ["1e3", "not a decimal number"]),
        ("tel:+821012345678", charge("1.00", "XYZ"), "SVC0007", ["XYZ"]),
    ],
)
def test_corba_service_faults(payment_mgr, end_user, info, message_id, variables) -> None:
    with pytest.raises(common.ServiceException) as caught:
        payment_mgr.chargeAmount(end_user, info, "input")
    assert (caught.value.messageId, caught.value.variables) == (message_id, variables)


def test_corba_unexpected_error_is_svc0001_without_detail(payment_mgr) -> None:
    with pytest.raises(common.ServiceException) as caught:
        payment_mgr.chargeAmount("tel:+821012345678", charge("1.00"), "boom")
    e = caught.value
    assert e.messageId == "SVC0001" and len(e.variables) == 1
    assert "SELECT" not in repr(e) and "pin_hash" not in repr(e)


def test_corba_decimal_result_is_exact(payment_mgr) -> None:
    params = [payment.Property("price_minor", "7")]
    assert payment_mgr.getAmount("tel:+821012345678", 3, params) == "0.21"


def test_corba_optional_parameters(account_mgr) -> None:
    [absent] = account_mgr.getHistory("tel:+821012345678", "", "", [])
    [present] = account_mgr.getHistory("tel:+821012345678", "1234", "2026-01-01T00:00:00Z", [5])
    assert absent.transactionDetails == "(None, None, None)"
    assert present.transactionDetails == "('1234', '2026-01-01T00:00:00Z', 5)"


def test_corba_optional_sequence_is_bounded_to_one(account_mgr) -> None:
    with pytest.raises((CORBA.BAD_PARAM, CORBA.MARSHAL)):
        account_mgr.getHistory("tel:+821012345678", "", "", [5, 6])


# -- gRPC -------------------------------------------------------------------------------------------


def grpc_request(amount_minor: int, exponent: int, reference_code: str):
    money = common_pb2.Money(currency_code="USD", amount_minor=amount_minor, exponent=exponent)
    return payment_pb2.ChargeAmountRequest(
        end_user_identifier="tel:+821012345678",
        charge=common_pb2.ChargingInformation(description="Song 42", amount=money),
        reference_code=reference_code,
    )


def error_info(err: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(err)
    assert status is not None and len(status.details) == 1
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info)
    return info


def test_grpc_charge_succeeds(payment_stub) -> None:
    response = payment_stub.ChargeAmount(grpc_request(1250, 2, "ok"), timeout=CALL_TIMEOUT_S)
    assert response == payment_pb2.ChargeAmountResponse()


def test_grpc_error_is_aip_193(payment_stub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        payment_stub.ChargeAmount(grpc_request(1000, 2, "over-limit"), timeout=CALL_TIMEOUT_S)
    err = caught.value
    assert err.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert err.details() == (
        "The monthly operator charging limit for this user has been exceeded "
        "(limit 300.00, spent 295.00, reserved 0.00, attempted 10.00 USD)"
    )
    info = error_info(err)
    assert (info.reason, info.domain) == ("POL1001", "micropay")
    assert dict(info.metadata) == {
        "period": "monthly",
        "limit": "300.00",
        "spent": "295.00",
        "reserved": "0.00",
        "amount": "10.00",
        "currency": "USD",
    }


@pytest.mark.parametrize(
    ("amount_minor", "exponent", "reference_code", "code", "reason"),
    [
        (1250, 0, "x", grpc.StatusCode.INVALID_ARGUMENT, "SVC0007"),  # wrong exponent
        (100, 2, "suspended", grpc.StatusCode.FAILED_PRECONDITION, "POL1010"),
        (100, 2, "boom", grpc.StatusCode.INTERNAL, "SVC0001"),
    ],
)
def test_grpc_errors(payment_stub, amount_minor, exponent, reference_code, code, reason) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        payment_stub.ChargeAmount(
            grpc_request(amount_minor, exponent, reference_code), timeout=CALL_TIMEOUT_S
        )
    assert caught.value.code() is code
    info = error_info(caught.value)
    assert info.reason == reason
    exposed = caught.value.details() + repr(dict(info.metadata))
    assert "ACC-SECRET" not in exposed and "SELECT" not in exposed
