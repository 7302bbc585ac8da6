"""PostgreSQL crashes (immediate shutdown) and comes back under load; the gateway stays up.

What it proves: while the database is gone the gateway answers with the transient fault (SVC1000
over CORBA, UNAVAILABLE over gRPC) or a timeout -- never a wrong answer; once PostgreSQL is back
the same gateway process serves again without a restart of its own (its connection pool
reconnects); the charges in flight when the database went away are applied once or not at all,
and asked again with their referenceCode none is applied twice; nothing is overspent; every SMS
accepted is delivered or reported failed; the ledger reconciles after PostgreSQL's crash
recovery.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bench.pgserver import PostgresServer
from scf.sms.sender import SUBMIT_LEASE_MS
from tests.faults.harness import Rig
from tests.faults.traffic import Traffic

LOAD_BEFORE_S = 2.0
DOWN_S = 1.0
RECOVERY_WAIT_S = 20
LOAD_AFTER_S = 2.0
# An SMS whose outcome write failed with the database is submitted again once the claim's lease
# runs out: late by up to the lease, never lost.
SMS_WAIT_S = SUBMIT_LEASE_MS / 1000 + 20


def wait_for_more(traffic: Traffic, than: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while traffic.acknowledged() <= than:
        assert time.monotonic() < deadline, "the gateway did not serve again"
        time.sleep(0.1)


@pytest.mark.postgres
def test_postgres_restarted_under_load(tmp_path: Path) -> None:
    with PostgresServer() as pg:
        url = pg.create_database("faults")
        rig = Rig(tmp_path, ledger_url=url)
        try:
            rig.start_smsc()
            roomy = rig.open_accounts(4, 10**9)
            tight = rig.open_accounts(2, 3_000, monthly_limit_minor=2_000)
            rig.start()
            traffic = Traffic(rig, roomy + tight, prefix="pg").start()
            time.sleep(LOAD_BEFORE_S)
            assert traffic.acknowledged() > 0, "no load reached the gateway"
            pg.restart(down_s=DOWN_S)
            back = traffic.acknowledged()
            wait_for_more(traffic, back, RECOVERY_WAIT_S)
            time.sleep(LOAD_AFTER_S)
            assert rig.alive(), "the gateway died with its database"
            outcome = traffic.finish(sms_timeout_s=SMS_WAIT_S)
            assert outcome.book.failures, "the restart hit no call: the test proved nothing"
            assert set(outcome.book.failures) <= {
                "SVC1000",
                "UNAVAILABLE SVC1000",
                "TIMEOUT",
                "DEADLINE_EXCEEDED DEADLINE_EXCEEDED",
            }, outcome.book.failures
            assert outcome.sms_sent, "no SMS was accepted"
        finally:
            rig.close()
