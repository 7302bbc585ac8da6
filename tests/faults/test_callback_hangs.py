"""An application callback that hangs: the gateway must not hang with it.

Two applications' callbacks are registered for the same charging events and delivery receipts:
one hangs in every call for a while (``tests/faults/hanging_app.py``), the other answers. What it
proves: charges keep their latency while the callback hangs (delivery is off the request path);
the gateway keeps answering its health check; the healthy application keeps receiving its
notifications during the hang (one stuck callback holds up no one else); the hung calls are
abandoned after the callback timeout and retried, so once the application answers again it
receives every event and every receipt (at least once, none lost); and the ledger holds every
acknowledged charge exactly once.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from org.csapi.parlayx import account_management as am
from org.csapi.parlayx import common

from client.orb import client_orb
from tests.conftest import ROOT
from tests.faults.harness import Rig
from tests.faults.load import Charge
from tests.faults.traffic import CHARGE_MINOR, Traffic

CALLBACK_TIMEOUT_MS = 2000  # a charge held up by the hung callback would wait this long
HANG_S = 3.5
CHARGE_P99_DURING_HANG_S = 1.0
DELIVERY_WAIT_S = 30
RECEIPTS_PER_APP = 4


class CallbackProcess:
    """``tests.faults.hanging_app`` as a process; ``hang()`` / ``release()`` its callbacks."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.journal, self.hang_file = folder / "journal.jsonl", folder / "hang"
        ready = folder / "ready"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.hanging_app", str(self.journal),
             str(self.hang_file), str(ready)],
            cwd=ROOT,
        )  # fmt: skip
        deadline = time.monotonic() + 20
        while not ready.exists():
            assert self.proc.poll() is None and time.monotonic() < deadline, "app did not start"
            time.sleep(0.05)
        self.account_ior, self.sms_ior = ready.read_text().split()

    def hang(self) -> None:
        self.hang_file.touch()

    def release(self) -> None:
        self.hang_file.unlink(missing_ok=True)

    def calls(self) -> list[dict[str, Any]]:
        if not self.journal.exists():
            return []
        return [json.loads(line) for line in self.journal.read_text().splitlines() if line]

    def stop(self) -> None:
        self.release()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def wait_until(check: Any, what: str, timeout_s: float = DELIVERY_WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_hanging_callback_holds_up_nothing_and_loses_nothing(tmp_path: Path) -> None:
    rig = Rig(tmp_path, settings={"framework": {"callback_timeout_ms": CALLBACK_TIMEOUT_MS}})
    hung = healthy = None
    try:
        hung = CallbackProcess(tmp_path / "hung")
        healthy = CallbackProcess(tmp_path / "healthy")
        rig.start_smsc()
        accounts = rig.open_accounts(3, 10**9)
        rig.start()
        traffic = Traffic(
            rig, accounts, corba_threads=3, grpc_threads=1, sms_interval_s=None, prefix="hang",
            pace_s=0.02,
        )  # fmt: skip
        orb, corba = client_orb().orb, traffic.corba
        for account in accounts:  # an application watches only accounts it has charged
            seed = Charge(f"seed-{account.number}", account, CHARGE_MINOR)
            corba.payment.chargeAmount(
                account.msisdn,
                common.ChargingInformation("seed", "KRW", "100", ""),
                seed.reference_code,
            )
            traffic.load.book.record(seed, "ok")
        criteria = am.TpChargingEventCriteria([am.P_AM_CHARGING], [a.msisdn for a in accounts])
        for app in (hung, healthy):
            ref = orb.string_to_object(app.account_ior)._unchecked_narrow(am.IpAppAccountManager)
            corba.account.createNotification(ref, criteria)

        hung.hang()
        traffic.start()
        hang_started = time.monotonic()
        receipts = {}
        for app in (hung, healthy):
            for i in range(RECEIPTS_PER_APP):
                reference = common.SimpleReference(app.sms_ior, "SmsNotification", f"r{i}")
                address = f"tel:+8218{len(receipts):08d}"
                corba.sms.sendSms([address], "", [], f"receipt test {i}", [reference])
                receipts[(app.sms_ior, address)] = app
        with urllib.request.urlopen(rig.endpoints["health"], timeout=2) as response:
            assert response.status == 200, "the health check hung with the callback"
        time.sleep(max(0.0, HANG_S - (time.monotonic() - hang_started)))
        during = list(traffic.load.latencies_s)
        healthy_during = len(healthy.calls())
        hung.release()

        outcome = traffic.finish()  # ledger: every acknowledged charge once, none overspent
        assert len(during) > 20, "too little load during the hang"
        p99 = statistics.quantiles(during, n=100)[98]
        assert p99 < CHARGE_P99_DURING_HANG_S, (
            f"charges slowed by the hung callback: p99 {p99:.2f}s"
        )
        assert healthy_during > 0, "the healthy application got nothing while the other hung"
        assert any(c["hung"] for c in hung.calls()), (
            "no callback ever hung: the test proved nothing"
        )

        # every charge after the notifications were created (not the seeds before them)
        wanted = {ref for ref in outcome.book.ok if not ref.startswith("seed-")}
        for app in (hung, healthy):

            def has_all(app: CallbackProcess = app) -> bool:
                calls = app.calls()
                events = {c["reference"] for c in calls if c["kind"] == "event"}
                got = {c["address"] for c in calls if c["kind"] == "receipt"}
                sent = {address for (_ior, address), owner in receipts.items() if owner is app}
                return wanted <= events and sent <= got

            wait_until(has_all, "every event and receipt after the hang")
    finally:
        for app in (hung, healthy):
            if app is not None:
                app.stop()
        rig.close()
