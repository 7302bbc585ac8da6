"""Grants on both surfaces, against one real gateway: Account Management is read-only for an
application until the operator grants it ``recharge`` (paid from its own float, within caps) or
``voucher``; an application without a grant is refused before anything is said about the
account, and every recharge it makes moves money out of its float (charging.grants)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from charging.model import SystemKind
from charging.reconcile import reconcile
from tests.shared_fault_cases import UNREGISTERED
from tests.shim.harness import ShimGateway
from tests.shim.surfaces import CorbaSurface, GrpcSurface


@pytest.fixture(params=["grpc", "corba"])
def surface(shim: ShimGateway, request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    app = shim.register(f"grants-{request.param}-{request.node.name[:20]}")
    if request.param == "grpc":
        session = shim.connect(app)
        yield app.app_id, GrpcSurface(session)
    else:
        session = shim.connect_corba(app)
        yield app.app_id, CorbaSurface(session)
    session.terminate()


def float_of(shim: ShimGateway, app_id: str) -> int:
    [account] = shim.ledger.system_accounts(SystemKind.FLOAT, app_id)
    return account.balance_minor


def test_without_a_grant_an_application_reads_but_puts_no_money_in(
    shim: ShimGateway, surface: tuple[str, Any]
) -> None:
    app_id, s = surface
    number, msisdn = shim.new_account(balance_minor=1_000)
    assert s.getBalance(msisdn, "") is None
    assert s.balanceUpdate(msisdn, "500", "g-1")[:2] == ("POL1105", ["balanceUpdate"])
    assert s.balanceUpdate(UNREGISTERED, "500", "g-2")[:2] == ("POL1105", ["balanceUpdate"])
    assert s.voucherUpdate(msisdn, "V-1", "1234", "g-3")[:2] == ("POL1105", ["voucherUpdate"])
    assert shim.ledger.get_account(number).ledger_balance_minor == 1_000


def test_a_granted_recharge_is_paid_from_the_float_within_the_daily_cap(
    shim: ShimGateway, surface: tuple[str, Any]
) -> None:
    app_id, s = surface
    number, msisdn = shim.new_account(balance_minor=1_000)
    shim.ledger.grant(app_id, "recharge", currency="KRW", daily_cap_minor=3_000)
    shim.ledger.fund_float(app_id=app_id, amount_minor=10_000, currency="KRW")
    assert s.balanceUpdate(msisdn, "2000", "d-1") is None
    assert s.balanceUpdate(msisdn, "2000", "d-1") is None  # a retry: once
    assert shim.ledger.get_account(number).ledger_balance_minor == 3_000
    assert float_of(shim, app_id) == 8_000
    assert s.balanceUpdate(msisdn, "1500", "d-2")[:2] == (
        "POL1106",
        ["daily", "3000", "2000", "1500", "KRW"],
    )
    shim.ledger.revoke(app_id, "recharge")
    assert s.balanceUpdate(msisdn, "100", "d-3")[:2] == ("POL1105", ["balanceUpdate"])
    assert reconcile(shim.ledger).clean
