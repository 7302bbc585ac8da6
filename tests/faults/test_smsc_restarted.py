"""The SMSC is killed (SIGKILL) under SMS load and started again on the same port and journal.

What it proves: sendSms keeps being accepted while the SMSC is away (the outbox is durable, the
sender is not in the request's path); charging is not disturbed at all -- no charge fails or
waits on the SMSC; the sender binds again by itself once the SMSC is back; every SMS accepted
before, during and after the outage ends DeliveredToTerminal (or reported DeliveryImpossible),
and each delivered one is in its handset's inbox; the ledger holds every acknowledged charge
once.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.faults.harness import Rig
from tests.faults.traffic import Traffic

LOAD_BEFORE_S = 1.5
DOWN_S = 2.0
LOAD_AFTER_S = 1.5


def test_smsc_killed_and_restarted_under_load(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    try:
        rig.start_smsc()
        accounts = rig.open_accounts(4, 10**9)
        rig.start()
        traffic = Traffic(
            rig, accounts, corba_threads=2, grpc_threads=1, sms_interval_s=0.02, prefix="smsc"
        ).start()
        time.sleep(LOAD_BEFORE_S)
        rig.kill_smsc()
        down_at = time.monotonic()
        sent_before = len(traffic.sms.sent) if traffic.sms else 0
        time.sleep(DOWN_S)
        charged_while_down = traffic.load.book.acknowledged_between(down_at, time.monotonic())
        accepted_while_down = (len(traffic.sms.sent) if traffic.sms else 0) - sent_before
        rig.start_smsc()
        time.sleep(LOAD_AFTER_S)
        outcome = traffic.finish(sms_timeout_s=30)
        assert not outcome.book.failures, "charging was disturbed by the SMSC outage"
        assert charged_while_down > 0
        assert accepted_while_down > 0, "sendSms was not accepted while the SMSC was away"
        assert traffic.sms is not None and traffic.sms.unknown == 0
        delivered = sum(s == "DeliveredToTerminal" for s in outcome.sms_status.values())
        assert delivered == len(outcome.sms_sent), outcome.sms_status
    finally:
        rig.close()
