"""Real gateway processes on one ledger: concurrent charges never overspend, and a process
killed with SIGKILL loses no acknowledged charge and duplicates none."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest

from charging.ledger import Ledger
from charging.reconcile import reconcile
from tests.charging.helpers import assert_reconciles, open_account
from tests.conftest import ROOT

PROCESS_TIMEOUT_S = 60
ACKS_BEFORE_KILL_MIN = 20  # each round is killed only once it is visibly charging


def start_worker(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.charging.worker", *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(PROCESS_TIMEOUT_S)


@pytest.mark.parametrize("kind", ["prepaid", "postpaid"])
def test_processes_charging_one_account_never_overspend(ledger_url, kind):
    """4 processes x 3 threads try 48 charges of 300 against 10,000: exactly 33 fit."""
    with Ledger.open(ledger_url) as ledger:
        if kind == "prepaid":
            open_account(ledger, balance_minor=10_000)
        else:
            open_account(ledger, kind="postpaid", balance_minor=0, monthly_limit_minor=10_000)
    workers = [
        start_worker("race", ledger_url, "1001", "300", "12", "3", f"p{i}") for i in range(4)
    ]
    try:
        for w in workers:
            assert w.stdout is not None and w.stdout.readline().strip() == "ready"
        for w in workers:  # all ready: let them go at once
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        counts = []
        for w in workers:
            out, err = w.communicate(timeout=PROCESS_TIMEOUT_S)
            assert w.returncode == 0, err
            counts.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for w in workers:
            stop(w)
    assert sum(c["ok"] for c in counts) == 33
    assert sum(c["refused"] for c in counts) == 48 - 33
    with Ledger.open(ledger_url) as ledger:
        status = ledger.status("1001")
        assert status.balance_minor == 10_000 - 33 * 300
        assert status.month_spent_minor == 33 * 300
        assert len([e for e in ledger.history("1001") if e.kind.value == "charge"]) == 33
        assert_reconciles(ledger, "1001")


def test_sigkill_loses_no_acknowledged_charge(ledger_url):
    """A process charging from 4 threads is killed at random moments, 4 times. Every charge it
    acknowledged is in the ledger exactly once; requests it may have sent but not acknowledged
    are re-sent by the next process and land at most once; the ledger reconciles."""
    with Ledger.open(ledger_url) as ledger:
        open_account(ledger, balance_minor=10**12)
    rng = random.Random(os.getpid())
    acked: list[str] = []
    in_doubt: set[str] = set()
    for round_ in range(4):
        worker = start_worker("loop", ledger_url, "1001", "4", str(round_), *sorted(in_doubt))
        lines: list[str] = []
        reader = threading.Thread(target=lines.extend, args=(worker.stdout,), daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + PROCESS_TIMEOUT_S
            while sum(line.startswith("ack R") for line in lines) < ACKS_BEFORE_KILL_MIN:
                assert worker.poll() is None, worker.stderr.read() if worker.stderr else ""
                assert time.monotonic() < deadline, "worker did not start charging"
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.4))  # then kill it at a random moment
            worker.send_signal(signal.SIGKILL)
        finally:
            stop(worker)
        reader.join(PROCESS_TIMEOUT_S)
        tried = {line.split()[1] for line in lines if line.startswith("try ")}
        done = [line.split()[1] for line in lines if line.startswith("ack ")]
        acked += done
        in_doubt = (in_doubt | tried) - set(done)
    assert len(acked) >= 4 * ACKS_BEFORE_KILL_MIN
    assert len(set(acked)) == len(acked)
    with Ledger.open(ledger_url) as ledger:
        with ledger.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT reference_code, COUNT(*) FROM ledger_entries "
                "WHERE app_id = 'crasher' AND account_number = '1001' GROUP BY reference_code"
            )
            requests = tx.one("SELECT COUNT(*) FROM ledger_requests WHERE app_id = 'crasher'")
        counts = dict(rows)
        assert all(counts.get(ref) == 1 for ref in acked), "an acknowledged charge is missing"
        assert max(counts.values()) == 1, "a charge was applied twice"
        assert set(counts) - set(acked) <= in_doubt, "a charge nobody sent"
        assert requests is not None and requests[0] == len(counts)  # entry and key together
        assert_reconciles(ledger, "1001")
        report = reconcile(ledger)  # every movement two postings; the ledger sums to zero
        assert report.clean, report.problems
