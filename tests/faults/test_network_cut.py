"""The network between the gateway and PostgreSQL is cut under load, then restored.

The gateway reaches PostgreSQL only through the loopback proxy of ``tests/faults/proxy.py``. Two
kinds of cut, each for a few seconds in the middle of the load:

- a **blackhole** (a partition: nothing passes, nobody is told, then it heals and the held bytes
  flow on) -- calls wait, and time out as unknown if the cut outlasts them;
- a **reset** (every connection reset, new ones refused until restored) -- calls in flight fail
  with the transient fault, including commits whose outcome the gateway cannot know.

What each proves: nothing is acknowledged while the database is out of reach (an answer comes
only after a durable commit); the gateway process survives the cut and serves again after it
without a restart; no call gets a wrong answer (only acknowledged, refused by the rules, or a transient
fault / timeout); asked again with their referenceCodes the charges in doubt are applied at most
once; no acknowledged charge is lost; nothing is overspent; every SMS accepted is delivered or
reported failed; the ledger reconciles.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bench.pgserver import PostgresServer
from scf.sms.sender import SUBMIT_LEASE_MS
from tests.faults.harness import Rig
from tests.faults.proxy import TcpProxy
from tests.faults.traffic import Traffic

LOAD_BEFORE_S = 1.5
CUT_S = 3.0
RECOVERY_WAIT_S = 30
LOAD_AFTER_S = 1.5
# An SMS whose bookkeeping failed with the connection (its part claimed, or its receipt refused
# and left to the SMSC to deliver again) is finished once the claim's lease runs out: late by up
# to the lease, never lost.
SMS_WAIT_S = SUBMIT_LEASE_MS / 1000 + 20
GRACE_S = 0.5  # answers already on their way when the cut began (a loaded CI host is slow)
TRANSIENT = {
    "SVC1000",
    "UNAVAILABLE SVC1000",
    "TIMEOUT",
    "DEADLINE_EXCEEDED DEADLINE_EXCEEDED",
}


@pytest.fixture(scope="module")
def postgres():
    with PostgresServer() as server:
        yield server


@pytest.mark.postgres
@pytest.mark.parametrize("mode", ["blackhole", "reset"])
def test_network_cut_between_gateway_and_database(
    tmp_path: Path, postgres: PostgresServer, mode: str
) -> None:
    direct_url = postgres.create_database(f"cut_{mode}")
    with TcpProxy("127.0.0.1", postgres.port) as proxy:
        rig = Rig(tmp_path, ledger_url=direct_url.replace(f":{postgres.port}/", f":{proxy.port}/"))
        try:
            rig.start_smsc()
            roomy = rig.open_accounts(4, 10**9)
            tight = rig.open_accounts(2, 3_000, monthly_limit_minor=2_000)
            rig.start()
            traffic = Traffic(rig, roomy + tight, prefix=mode).start()
            time.sleep(LOAD_BEFORE_S)
            assert traffic.acknowledged() > 0, "no load reached the gateway"
            proxy.cut(mode)
            cut_at = time.monotonic()
            time.sleep(CUT_S)
            at_restore, restore_at = traffic.acknowledged(), time.monotonic()
            proxy.restore()
            acknowledged_in_cut = traffic.load.book.acknowledged_between(
                cut_at + GRACE_S, restore_at
            )
            deadline = time.monotonic() + RECOVERY_WAIT_S
            while traffic.acknowledged() <= at_restore:
                assert time.monotonic() < deadline, "the gateway did not serve again"
                time.sleep(0.1)
            time.sleep(LOAD_AFTER_S)
            assert rig.alive(), "the gateway died of the network cut"
            outcome = traffic.finish(ledger_url=direct_url, sms_timeout_s=SMS_WAIT_S)
            assert acknowledged_in_cut == 0, "a charge was acknowledged without its database"
            assert set(outcome.book.failures) <= TRANSIENT, outcome.book.failures
            if mode == "reset":
                assert outcome.book.failures, "the cut hit no call: the test proved nothing"
            assert outcome.sms_sent, "no SMS was accepted"
        finally:
            rig.close()
