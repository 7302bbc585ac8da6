"""The same fault table on both surfaces: every case of tests/shared_fault_cases.py over gRPC
and over CORBA, against one real gateway, gives the same messageId and the same variables, the
row's template as CORBA text and that template rendered as gRPC text; over gRPC with exactly one
ErrorInfo and the status code of the fault table's row. Every row of docs/faults.md is walked by a
case, or named in NOT_WALKED with the test that covers it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from micropay.v1 import payment_pb2

from scf.common.faults import FAULT_TABLE, SPECS, FaultSpec, render
from scf.common.faults_doc import DOC as DOC_PATH
from tests.shared_fault_cases import (
    ACCOUNTS,
    DAILY_RECHARGE_CAP,
    FAULT_CASES,
    FLOAT,
    NOT_WALKED,
    RECHARGE_CAP,
    FaultCase,
    run_case,
)
from tests.shim.harness import ShimGateway
from tests.shim.messages import charge, failure
from tests.shim.surfaces import CorbaSurface, GrpcSurface

CODES_BY_MESSAGE_ID: dict[str, set[str]] = {}
for _spec in FAULT_TABLE:
    CODES_BY_MESSAGE_ID.setdefault(_spec.message_id, set()).add(_spec.grpc_code)


@pytest.fixture(scope="module")
def surfaces(shim: ShimGateway) -> Iterator[dict[str, Any]]:
    grpc_app = shim.register("faults-grpc")
    corba_app = shim.register("faults-corba")
    for app in (grpc_app, corba_app):
        shim.ledger.grant(app.app_id, "voucher")
        shim.ledger.grant(app.app_id, "selfcare")
        shim.ledger.grant(
            app.app_id,
            "recharge",
            currency="KRW",
            cap_minor=RECHARGE_CAP,
            daily_cap_minor=DAILY_RECHARGE_CAP,
        )
        shim.ledger.fund_float(app_id=app.app_id, amount_minor=FLOAT, currency="KRW")
    grpc_session = shim.connect(grpc_app)
    corba_session = shim.connect_corba(corba_app)
    try:
        yield {"grpc": GrpcSurface(grpc_session), "corba": CorbaSurface(corba_session)}
    finally:
        grpc_session.terminate()
        corba_session.terminate()


def new_account(shim: ShimGateway, role: str) -> str:
    settings = dict(ACCOUNTS[role])
    status = settings.pop("status", None)
    number, msisdn = shim.new_account(**settings)
    if status is not None:
        shim.ledger.set_status(number, status)
    return msisdn


@pytest.mark.parametrize("case", FAULT_CASES, ids=[c.name for c in FAULT_CASES])
def test_same_fault_on_both_surfaces(
    shim: ShimGateway, surfaces: dict[str, Any], case: FaultCase
) -> None:
    outcomes = {
        name: run_case(case, surface, lambda role: new_account(shim, role))
        for name, surface in surfaces.items()
    }
    assert outcomes["grpc"] is not None and outcomes["corba"] is not None, outcomes
    assert outcomes["grpc"][0] == case.message_id, outcomes
    assert outcomes["corba"][0] == outcomes["grpc"][0], outcomes
    if not case.variables_differ:
        assert outcomes["corba"][1] == outcomes["grpc"][1], outcomes
    if case.variables is not None:
        assert tuple(outcomes["corba"][1]) == case.variables, outcomes
    spec = row_of(case)
    assert outcomes["corba"][2] == spec.template, outcomes  # Parlay X: the client substitutes
    assert outcomes["grpc"][2] == render(spec.template, outcomes["grpc"][1]), outcomes


def row_of(case: FaultCase) -> FaultSpec:
    """The fault table row a case walks: named, or the one row with its messageId."""
    if case.code:
        assert SPECS[case.code].message_id == case.message_id, case
        return SPECS[case.code]
    (spec,) = [s for s in FAULT_TABLE if s.message_id == case.message_id]
    return spec


def test_every_row_of_the_fault_table_is_walked() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", DOC_PATH.read_text(), re.M))
    assert documented >= set(SPECS), "docs/faults.md is behind the table"
    walked = {row_of(case).code for case in FAULT_CASES}
    assert not walked & set(NOT_WALKED), walked & set(NOT_WALKED)
    assert documented - walked == set(NOT_WALKED), documented - walked - set(NOT_WALKED)


def test_one_error_info_and_the_table_code(shim: ShimGateway, surfaces: dict[str, Any]) -> None:
    """Raw stub, no client library: the status code is the row's, one ErrorInfo, reason =
    messageId, variables by name."""
    from micropay.v1 import payment_pb2_grpc

    _, msisdn = shim.new_account(balance_minor=500)
    token = surfaces["grpc"].payment.token
    with shim.channel() as channel:
        stub = payment_pb2_grpc.PaymentServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.ChargeAmount(
                payment_pb2.ChargeAmountRequest(
                    end_user_identifier=msisdn, charge=charge(1000), reference_code="raw-1"
                ),
                metadata=[("authorization", f"Bearer {token}")],
                timeout=10,
            )
    code, reason, metadata, infos = failure(caught.value)
    assert (code, reason, infos) == (grpc.StatusCode.FAILED_PRECONDITION, "POL1000", 1)
    assert metadata == {"available": "500", "amount": "1000", "currency": "KRW"}
    assert caught.value.details() == (
        "User has insufficient credit for transaction (available 500, attempted 1000 KRW)"
    )
    assert code.name in CODES_BY_MESSAGE_ID["POL1000"]
