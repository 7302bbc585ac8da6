"""SIGKILL of the gateway under load, then a restart on the same ports and data.

What it proves: a charge the gateway acknowledged survives the crash (durable before the answer),
a charge in flight when it died is applied once or not at all -- asked again with its
referenceCode after the restart it is never applied twice --, no account is overspent even by
the retries, the ledger reconciles, and every SMS the gateway had accepted is delivered or
reported failed by the restarted gateway (one in flight at the crash once the dead gateway's
lease on it has run out).
"""

from __future__ import annotations

import time
from pathlib import Path

from scf.sms.sender import SUBMIT_LEASE_MS
from tests.faults.harness import Rig
from tests.faults.traffic import Traffic

LOAD_BEFORE_S = 2.0
DOWN_S = 0.5
LOAD_AFTER_S = 2.0
# A part the killed gateway had claimed is submitted again once its lease runs out: an SMS in
# flight at the crash is late by up to the lease, never lost.
SMS_WAIT_S = SUBMIT_LEASE_MS / 1000 + 15


def test_sigkill_under_load_loses_and_doubles_nothing(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    try:
        rig.start_smsc()
        roomy = rig.open_accounts(4, 10**9)
        tight = rig.open_accounts(2, 3_000, monthly_limit_minor=2_000)  # run dry under the load
        rig.start()
        traffic = Traffic(rig, roomy + tight, prefix="kill").start()
        time.sleep(LOAD_BEFORE_S)
        before = traffic.acknowledged()
        assert before > 0, "no load reached the gateway"
        rig.kill()
        time.sleep(DOWN_S)
        rig.start()
        traffic.reconnect()
        restarted_at = time.monotonic()
        time.sleep(LOAD_AFTER_S)
        outcome = traffic.finish(sms_timeout_s=SMS_WAIT_S)
        book = outcome.book
        assert book.failures, "the kill hit no call: the test proved nothing"
        assert book.acknowledged_between(restarted_at, time.monotonic()) > 0, "no charge after"
        assert {c.account for c in book.refused.values()} <= set(tight), (
            "only the tight accounts refuse"
        )
        assert book.refused, "the tight accounts never ran dry: the overspend check had no teeth"
        assert outcome.sms_sent, "no SMS was accepted"
    finally:
        rig.close()
