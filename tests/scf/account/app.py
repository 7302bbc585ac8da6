"""The application side of the notification tests: ``callback_app`` as a process on a fixed
loopback port, which a test can stop (the application is unreachable) and start again (the same
object at the same reference), and whose journal lists what it was notified of."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from org.csapi.parlayx import account_management as am

from tests.conftest import ROOT, free_port

START_TIMEOUT_S = 20
STOP_TIMEOUT_S = 10
WAIT_S = 30


class CallbackApp:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.journal = folder / f"journal-{self.port}.jsonl"
        self.ready = folder / f"app-{self.port}.ior"
        self.proc: subprocess.Popen | None = None
        self.ior = ""

    def start(self) -> CallbackApp:
        self.ready.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.scf.account.callback_app", str(self.port),
             str(self.journal), str(self.ready)],
            cwd=ROOT,
        )  # fmt: skip
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.ready.exists():
            assert self.proc.poll() is None, "the callback application died"
            assert time.monotonic() < deadline, "the callback application did not start"
            time.sleep(0.05)
        self.ior = self.ready.read_text()
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT_S)
        self.proc = None

    def reference(self, orb: Any) -> Any:
        return orb.string_to_object(self.ior)._unchecked_narrow(am.IpAppAccountManager)

    def received(self) -> list[dict]:
        if not self.journal.exists():
            return []
        return [json.loads(line) for line in self.journal.read_text().splitlines() if line]

    def wait_for(self, count: int, timeout_s: float = WAIT_S) -> list[dict]:
        """The journal once it holds at least ``count`` notifications."""
        return wait_until(lambda: len(self.received()) >= count and self.received(), timeout_s)


def wait_until(check: Callable[[], Any], timeout_s: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def criteria(events: list[str], users: list[str]) -> Any:
    return am.TpChargingEventCriteria([getattr(am, e) for e in events], users)


ALL_EVENTS = [
    "P_AM_CHARGING",
    "P_AM_RECHARGING",
    "P_AM_ACCOUNT_LOW",
    "P_AM_ACCOUNT_ZERO",
    "P_AM_ACCOUNT_DISABLED",
]
