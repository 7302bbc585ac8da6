"""``charging.reconcile``: a ledger that went through every kind of movement reconciles; each
invariant broken behind the ledger's back (raw SQL, as a bug or a torn write would) is named.
On SQLite and PostgreSQL; the ``micropay ledger reconcile`` command as an operator runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from charging.ledger import Ledger
from charging.reconcile import reconcile
from tests.charging.helpers import open_account
from tests.conftest import ROOT


def busy_ledger(ledger: Ledger) -> str:
    """Accounts after charges, a refund, reservations (charged, released, open), a voucher,
    a recharge, a split charge and a postpaid account; returns the reservation left open."""
    open_account(ledger, "1001", monthly_limit_minor=8_000)
    open_account(ledger, "1002")
    open_account(ledger, "1003", kind="postpaid", balance_minor=0, monthly_limit_minor=50_000)
    ledger.charge(
        app_id="shop",
        reference_code="c-1",
        account="1001",
        amount_minor=1_500,
        currency="KRW",
        description="coffee",
    )
    ledger.charge(
        app_id="shop",
        reference_code="c-1",
        account="1001",
        amount_minor=1_500,
        currency="KRW",
        description="coffee",
    )  # a replay changes nothing
    ledger.refund(
        app_id="shop",
        reference_code="r-1",
        account="1001",
        amount_minor=500,
        currency="KRW",
        description="refund",
    )
    rid = ledger.reserve(
        app_id="shop", account="1001", amount_minor=2_000, currency="KRW", description="ticket"
    )
    ledger.charge_reservation(
        app_id="shop",
        reference_code="cr-1",
        reservation_id=rid,
        amount_minor=1_200,
        currency="KRW",
        description="ticket",
    )
    ledger.release_reservation("shop", rid)
    open_rid = ledger.reserve(
        app_id="shop", account="1002", amount_minor=3_000, currency="KRW", description="hotel"
    )
    ledger.grant("shop", "voucher")  # the shop may redeem vouchers and recharge from its float
    ledger.grant("shop", "recharge", currency="KRW")
    ledger.fund_float(app_id="shop", amount_minor=1_000, currency="KRW")
    voucher, pin = ledger.issue_voucher(5_000, "KRW")
    ledger.redeem_voucher(
        app_id="shop", reference_code="v-1", account="1002", voucher_id=voucher, voucher_pin=pin
    )
    ledger.recharge(
        app_id="shop", reference_code="t-1", account="1002", amount_minor=700, currency="KRW"
    )
    ledger.charge_split(
        app_id="shop",
        reference_code="s-1",
        shares=[("1001", 100), ("1002", 200)],
        currency="KRW",
        description="split",
    )
    ledger.charge(
        app_id="shop",
        reference_code="p-1",
        account="1003",
        amount_minor=9_000,
        currency="KRW",
        description="bill",
    )
    return open_rid


def test_a_busy_ledger_reconciles(ledger: Ledger) -> None:
    busy_ledger(ledger)
    report = reconcile(ledger)
    assert report.clean, report.problems
    assert (report.accounts, report.open_reservations) == (3, 1)
    assert report.entries == 10  # 2 openings, 8 movements (a split charge is 2)
    assert report.balance_by_currency_minor == {"KRW": 20_000 - 2_300 - 200 + 5_000 + 700 - 9_000}
    assert report.notes == []


TAMPERING = [
    ("balance_is_history", "UPDATE ledger_accounts SET ledger_balance_minor = 15000 WHERE number = '1002'"),
    ("running_balance", "UPDATE ledger_entries SET ledger_balance_after_minor = 1 WHERE kind = 'refund'"),
    ("entry_sign", "UPDATE ledger_entries SET amount_minor = -amount_minor WHERE kind = 'recharge'"),
    ("entry_currency", "UPDATE ledger_entries SET currency = 'USD' WHERE kind = 'voucher'"),
    ("prepaid_not_overdrawn", "UPDATE ledger_accounts SET reserved_minor = 10000000 WHERE number = '1001'"),
    ("reserved_is_reservations", "UPDATE ledger_reservations SET reserved_minor = 1 WHERE state = 'open'"),
    ("reservation_charged", "UPDATE ledger_reservations SET charged_minor = 5 WHERE state = 'released'"),
    ("reservation_closed_empty", "UPDATE ledger_reservations SET reserved_minor = 5 WHERE state = 'released'"),
    ("month_spend_is_history", "UPDATE ledger_accounts SET month_spent_minor = 1 WHERE number = '1001'"),
    ("one_entry_per_request", "INSERT INTO ledger_entries (account_number, kind, amount_minor, currency, ledger_balance_after_minor, app_id, reference_code, description, created_at) SELECT account_number, kind, amount_minor, currency, ledger_balance_after_minor, app_id, reference_code, description, created_at FROM ledger_entries WHERE reference_code = 'p-1'"),
    ("request_recorded", "DELETE FROM ledger_requests WHERE reference_code = 'c-1'"),
    ("vouchers_credited", "UPDATE ledger_vouchers SET amount_minor = 4000"),
    ("event_counter", "UPDATE ledger_counters SET value = 0"),
]  # fmt: skip


@pytest.mark.parametrize(("check", "sql"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_each_broken_invariant_is_named(ledger: Ledger, check: str, sql: str) -> None:
    busy_ledger(ledger)
    with ledger.db.transaction() as tx:
        if tx.dialect.value == "sqlite":
            tx.execute("PRAGMA ignore_check_constraints = ON")
        elif check == "prepaid_not_overdrawn":
            pytest.skip("PostgreSQL's CHECK constraint refuses this state: it cannot be stored")
        tx.execute(sql)
    report = reconcile(ledger)
    assert not report.clean
    assert check in {p.check for p in report.problems}, report.problems


def test_a_limit_lowered_after_spending_is_a_note_not_a_problem(ledger: Ledger) -> None:
    busy_ledger(ledger)
    ledger.set_limits("1001", monthly_limit_minor=100)
    report = reconcile(ledger)
    assert report.clean
    assert [(n.check, n.account) for n in report.notes] == [("over_monthly_limit", "1001")]


def run_cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}
    env["MICROPAY_DATA_DIR"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args, "ledger", "reconcile"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_command_exits_0_when_clean_and_1_with_the_problems(tmp_path: Path) -> None:
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger:
        busy_ledger(ledger)
    clean = run_cli(tmp_path, "--json")
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["clean"] is True
    with (
        Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}") as ledger,
        ledger.db.transaction() as tx,
    ):
        tx.execute("UPDATE ledger_accounts SET ledger_balance_minor = 15000 WHERE number = '1002'")
    broken = run_cli(tmp_path)
    assert broken.returncode == 1
    assert "balance_is_history 1002" in broken.stdout
    assert broken.stderr.strip() == "micropay: error: 1 ledger problem(s)"
