"""Several client processes charge the same accounts at once over CORBA: no balance and no
monthly limit is ever overspent, every success is in the history, every refusal is POL1000 or
POL1001."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT
from tests.scf.payment.gateway import DirectGateway, new_account

CLIENTS = 4
CHARGES_PER_CLIENT = 30
CLIENT_TIMEOUT_S = 60


def run_clients(gateway: DirectGateway, end_user: str, amount: str, tag: str) -> list[dict]:
    ior = gateway.iors["test-app"]["payment"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.scf.payment.charger", ior, end_user,
             str(CHARGES_PER_CLIENT), amount, f"{tag}-{i}"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(CLIENTS)
    ]  # fmt: skip
    results = []
    try:
        for proc in procs:
            out, _ = proc.communicate(timeout=CLIENT_TIMEOUT_S)
            assert proc.returncode == 0
            results.append(json.loads(out))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return results


def test_concurrent_charges_never_overspend_the_balance(gateway: DirectGateway) -> None:
    number, msisdn = new_account(gateway.ledger, balance_minor=5000)  # room for 50 of 120
    results = run_clients(gateway, msisdn, "100", "bal")
    ok = sum(r["ok"] for r in results)
    refused = sum(sum(r["refused"].values()) for r in results)
    assert ok == 50 and refused == CLIENTS * CHARGES_PER_CLIENT - 50
    assert {k for r in results for k in r["refused"]} == {"POL1000"}
    account = gateway.ledger.get_account(number)
    assert account.balance_minor == 0
    charges = [e for e in gateway.ledger.history(number, entries_max=1000) if e.kind == "charge"]
    assert len(charges) == ok


def test_concurrent_charges_never_overspend_the_monthly_limit(gateway: DirectGateway) -> None:
    number, _ = new_account(gateway.ledger, balance_minor=100_000, monthly_limit_minor=3000)
    results = run_clients(gateway, f"acct:{number}", "70", "month")
    ok = sum(r["ok"] for r in results)
    assert ok == 3000 // 70
    assert {k for r in results for k in r["refused"]} == {"POL1001"}
    account = gateway.ledger.get_account(number)
    assert account.month_spent_minor == ok * 70 <= 3000
