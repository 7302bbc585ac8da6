"""Fixtures for the SMS tests: a real embedded SMSC process on a free loopback port, the SMS
runtime (service + SMPP sender + notification dispatcher) on a SQLite file, and an application
listener that records what it is notified of."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.config import Config, load_config
from scf.sms.model import DeliveryInformation, SmsMessage
from scf.sms.runtime import SmsRuntime, start_sms
from smsc.admin import admin_call
from smsc.credentials import smsc_data_dir
from smsc.embedded import SmscHandle, spawn_smsc
from smsc.store import read_inbox
from tests.conftest import free_port

WAIT_S = 20


def wait_until(check: Callable[[], Any], timeout_s: float = WAIT_S, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Listener:
    """An application's SmsNotification: records calls; can be told to fail the first N."""

    def __init__(self, fail_first: int = 0) -> None:
        self.receptions: list[tuple[str, SmsMessage]] = []
        self.receipts: list[tuple[str, DeliveryInformation]] = []
        self.fail_first = fail_first
        self.calls = 0
        self._lock = threading.Lock()

    def _maybe_fail(self) -> None:
        with self._lock:
            self.calls += 1
            if self.calls <= self.fail_first:
                raise ConnectionError("application unreachable (test)")

    def notifySmsReception(self, correlator: str, message: SmsMessage) -> None:
        self._maybe_fail()
        with self._lock:
            self.receptions.append((correlator, message))

    def notifySmsDeliveryReceipt(
        self, correlator: str, deliveryStatus: DeliveryInformation
    ) -> None:
        self._maybe_fail()
        with self._lock:
            self.receipts.append((correlator, deliveryStatus))


class Smsc:
    """A running SMSC process and the way to talk to it."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port
        self.handle: SmscHandle | None = None
        self.start()

    def start(self, rate_per_s: int = 0) -> None:
        self.handle = spawn_smsc(
            self.data_dir,
            port=self.port,
            rate_per_s=rate_per_s,
            log_file=self.data_dir.parent / "smsc.log",
        )

    def kill(self) -> None:
        assert self.handle is not None
        self.handle.process.kill()
        self.handle.process.wait(5)

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.stop()

    def admin(self, cmd: str, **args: Any) -> dict[str, Any]:
        return admin_call(self.data_dir, cmd, **args)

    def inbox(self, number: str) -> list[dict[str, Any]]:
        return read_inbox(self.data_dir, number)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(
        env={"MICROPAY_DATA_DIR": str(tmp_path / "var"), "MICROPAY_SMSC_PORT": str(free_port())}
    )


@pytest.fixture
def smsc(config: Config) -> Iterator[Smsc]:
    server = Smsc(smsc_data_dir(config.data_dir), config["smsc"]["port"])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def listener() -> Listener:
    return Listener()


@pytest.fixture
def sms(config: Config, smsc: Smsc, listener: Listener) -> Iterator[SmsRuntime]:
    runtime = start_sms(config, resolver=lambda endpoint: listener, lease_ms=2_000)
    try:
        wait_until(runtime.sender.connected.is_set, what="bind")
        yield runtime
    finally:
        runtime.stop()
