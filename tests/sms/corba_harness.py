"""The SMS SCF over CORBA, end to end: a real gateway process, the real handshake, a callback.

- :func:`start_gateway` starts ``micropay serve`` (or :mod:`tests.sms.corba_server`, which adds a
  ledger when no component opened one) through the framework tests' harness
  (``tests.framework.gateway.Gateway``) on free loopback ports -- CORBA, health and the embedded
  SMSC -- in a temporary data folder.
- :func:`obtain_sms` registers an application subscribed to ``P_SMS`` and runs the whole Parlay 4
  handshake with the ``client`` library, returning the narrowed ``IpSmsManager``.
- :class:`AppSmsNotification` is the application's ``SmsNotification`` servant, activated in the
  test process's client ORB; the gateway calls it over IIOP.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import omniORB
import pytest
from org.csapi.parlayx import common
from org.csapi.parlayx import sms as sms_idl
from org__POA.csapi.parlayx import sms as sms__POA

import client
from client.orb import client_orb
from tests.conftest import ROOT, free_port
from tests.framework.gateway import Gateway, TestApp
from tests.sms.conftest import wait_until

CALL_TIMEOUT_MS = 20_000
MICROPAY = str(ROOT / ".venv/bin/micropay")


def start_gateway(
    base: Path, settings: dict[str, dict[str, Any]] | None = None, *, with_ledger: bool = False
) -> Gateway:
    """A gateway process with the embedded SMSC on a free port (``micropay serve`` itself unless
    ``with_ledger``)."""
    values: dict[str, dict[str, Any]] = {"smsc": {"port": free_port()}}
    for section, items in (settings or {}).items():
        values.setdefault(section, {}).update(items)
    command = (
        [sys.executable, "-m", "tests.sms.corba_server"] if with_ledger else [MICROPAY, "serve"]
    )
    return Gateway.start(base, values, command=command)


@dataclass
class SmsApp:
    app: TestApp
    session: client.FrameworkSession
    manager: Any  # org.csapi.parlayx.sms.IpSmsManager

    @property
    def token(self) -> str:
        return next(t for t, a in self.session.agreements.items() if a.service_type == "P_SMS")


def obtain_sms(gateway: Gateway, app_id: str, key_index: int = 0) -> SmsApp:
    app = gateway.register(app_id, services=("P_SMS",), key_index=key_index)
    session = client.connect(gateway.corbaloc, app.app_id, app.secret, app.private_pem)
    manager = session.obtain_service("P_SMS")._narrow(sms_idl.IpSmsManager)
    assert manager is not None, "P_SMS handed out something that is not an IpSmsManager"
    omniORB.setClientCallTimeout(manager, CALL_TIMEOUT_MS)
    return SmsApp(app, session, manager)


class AppSmsNotification(sms__POA.SmsNotification):
    """The application's SmsNotification: records each call; fails the first ``fail_first``."""

    def __init__(self, fail_first: int = 0) -> None:
        self.receptions: list[tuple[str, Any]] = []
        self.receipts: list[tuple[str, Any]] = []
        self.calls = 0
        self.fail_first = fail_first
        self._lock = threading.Lock()
        self.oid, ref = client_orb().activate(self)
        self.endpoint: str = client_orb().orb.object_to_string(ref)

    def _maybe_fail(self) -> None:
        with self._lock:
            self.calls += 1
            if self.calls <= self.fail_first:
                raise RuntimeError("the application is having a bad moment (test)")

    def notifySmsReception(self, correlator: str, message: Any) -> None:
        self._maybe_fail()
        with self._lock:
            self.receptions.append((correlator, message))

    def notifySmsDeliveryReceipt(self, correlator: str, deliveryStatus: Any) -> None:
        self._maybe_fail()
        with self._lock:
            self.receipts.append((correlator, deliveryStatus))

    def reference(self, correlator: str) -> Any:
        return common.SimpleReference(self.endpoint, "SmsNotification", correlator)

    def close(self) -> None:
        client_orb().deactivate(self.oid)


def fault(call: Callable[[], Any]) -> tuple[str, str, list[str]]:
    """(kind, messageId, variables) of the Parlay X fault ``call`` raises; fails otherwise."""
    try:
        call()
    except (common.ServiceException, common.PolicyException) as exc:
        return type(exc).__name__, exc.messageId, list(exc.variables)
    pytest.fail("no Parlay X fault was raised")


def wait_status(manager: Any, request_id: str, status: Any, timeout_s: float = 20) -> list:
    def reached() -> list | None:
        found = list(manager.getSmsDeliveryStatus(request_id))
        return found if found and all(d.deliveryStatus == status for d in found) else None

    return wait_until(reached, timeout_s, f"{request_id} to reach {status}")


def cli_json(gateway: Gateway, *args: str) -> Any:
    result = gateway.cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def register_activation_number(gateway: Gateway, app_id: str, number: str) -> str:
    """The operator's provisioning of a ReceiveSms registration: ``micropay sms register``."""
    return cli_json(gateway, "sms", "register", app_id, number)["registration_id"]


class AppProcess:
    """``tests.sms.corba_app`` as a separate application process, its output line by line."""

    def __init__(self, gateway: Gateway, app: TestApp, folder: Path, **spec: Any) -> None:
        key_file = folder / f"{app.app_id}.pem"
        key_file.write_bytes(app.private_pem)
        spec = {
            "corbaloc": gateway.corbaloc,
            "app_id": app.app_id,
            "secret_hex": app.secret.hex(),
            "key_file": str(key_file),
            **spec,
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.sms.corba_app", json.dumps(spec)],
            cwd=ROOT,
            env={**env, "PYTHONIOENCODING": "utf-8"},
            stdout=subprocess.PIPE,
            stderr=(folder / f"{app.app_id}.log").open("w"),
            text=True,
            encoding="utf-8",
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self, timeout_s: float = 30) -> str:
        try:
            line = self.lines.get(timeout=timeout_s)
        except queue.Empty:
            raise AssertionError("the application process said nothing in time") from None
        if line is None:
            raise AssertionError(f"the application process exited with {self.proc.wait()}")
        return line

    def wait(self, timeout_s: float = 20) -> int:
        return self.proc.wait(timeout_s)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
