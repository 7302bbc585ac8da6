"""The SCF test gateway: ``python -m scf.payment.direct`` as a real process on loopback, the
same ledger file opened in the test process for set-up and checks, and an omniORB client.

``DirectGateway`` starts the process (Payment and Account Management managers for each test
application, activated without the framework handshake), reads the IORs it writes, and stops it
with SIGTERM -- SIGKILL after a bound -- even when a test fails.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from omniORB import CORBA
from org.csapi.parlayx import account_management, common, payment

from charging.ledger import Ledger
from tests.conftest import ROOT

START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15
CALL_TIMEOUT_MS = 20_000
APPS = ("test-app", "other-app")


def client_orb() -> Any:
    """The test process's ORB (one per process; shared with other test modules)."""
    return CORBA.ORB_init(
        [sys.argv[0], "-ORBclientCallTimeOutPeriod", str(CALL_TIMEOUT_MS)], CORBA.ORB_ID
    )


TOP_UP_CURRENCIES = ("KRW", "USD")
FLOAT_MINOR = 10**12


def grant_top_ups(ledger: Ledger, app: str) -> None:
    """Grant ``app`` recharge and vouchers, and fund its float (charging.grants)."""
    ledger.grant(app, "voucher")
    for currency in TOP_UP_CURRENCIES:
        ledger.grant(app, "recharge", currency=currency)
        ledger.fund_float(app_id=app, amount_minor=FLOAT_MINOR, currency=currency)


def charge(amount: str, currency: str = "", description: str = "Song 42") -> Any:
    return common.ChargingInformation(description, currency, amount, "")


class DirectGateway:
    def __init__(self, folder: Path, *options: str, apps: tuple[str, ...] = APPS) -> None:
        self.folder = folder
        self.url = f"sqlite:///{folder / 'ledger.db'}"
        self.options = list(options)
        self.apps = apps
        self.proc: subprocess.Popen | None = None
        self.iors: dict[str, dict[str, str]] = {}
        self.ledger = Ledger.open(self.url)
        for app in apps:  # the test applications may recharge (from a funded float) and redeem
            grant_top_ups(self.ledger, app)
        self.orb = client_orb()
        self.log = folder / "server.log"

    def start(self) -> DirectGateway:
        ready = self.folder / "ready.json"
        ready.unlink(missing_ok=True)
        argv = [sys.executable, "-m", "scf.payment.direct", self.url, str(ready)]
        argv += ["--apps", ",".join(self.apps), *self.options]
        self.proc = subprocess.Popen(argv, cwd=ROOT, stderr=self.log.open("a"))
        deadline = time.monotonic() + START_TIMEOUT_S
        while not ready.exists():
            if self.proc.poll() is not None:
                raise AssertionError(f"gateway exited early: {self.log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError("gateway did not start in time")
            time.sleep(0.05)
        self.iors = json.loads(ready.read_text())["apps"]
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.kill()
        self.proc = None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT_S)

    def close(self) -> None:
        self.stop()
        self.ledger.close()

    def payment(self, app: str = APPS[0]) -> Any:
        obj = self.orb.string_to_object(self.iors[app]["payment"])
        return obj._narrow(payment.IpPaymentManager)

    def account(self, app: str = APPS[0]) -> Any:
        obj = self.orb.string_to_object(self.iors[app]["account"])
        return obj._narrow(account_management.IpAccountManager)


_numbers = iter(range(10_000_000, 99_999_999, 7919))


def new_account(ledger: Ledger, **settings: Any) -> tuple[str, str]:
    """A fresh prepaid KRW account (10,000 on it unless told otherwise): (number, tel URI)."""
    n = next(_numbers)
    number, msisdn = f"A{n}", f"tel:+8210{n:08d}"
    options: dict[str, Any] = {"currency": "KRW", "balance_minor": 10_000}
    options.update(settings)
    ledger.create_account(number, msisdn=msisdn, **options)
    return number, msisdn
