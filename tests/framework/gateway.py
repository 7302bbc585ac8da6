"""A real gateway process for the framework tests, and a registry of test applications.

``Gateway.start`` runs ``python -m tests.framework.server`` (``micropay serve`` plus the P_TEST
service) or ``micropay serve`` itself on free loopback ports in a temporary data folder, waits
for its endpoint lines, and ``stop`` ends it with SIGTERM (SIGKILL after a bound).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from framework.core.sealing import MASTER_KEY_FILE, Keyring
from framework.core.store import FrameworkStore
from gateway.config import DEFAULTS
from storage import open_database
from tests.conftest import ROOT, free_port
from tests.framework.keypool import private_pem, public_pem

START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15


@dataclass
class TestApp:
    app_id: str
    secret: bytes
    key_kind: str
    key_index: int = 0

    @property
    def private_pem(self) -> bytes:
        return private_pem(self.key_kind, self.key_index)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value))


@dataclass
class Gateway:
    proc: subprocess.Popen
    data_dir: Path
    config_path: Path
    endpoints: dict[str, str]
    log_path: Path
    store: FrameworkStore = field(init=False)

    def __post_init__(self) -> None:
        self.store = FrameworkStore(
            open_database(f"sqlite:///{self.data_dir / 'ledger.db'}"),
            Keyring.load(self.data_dir / MASTER_KEY_FILE),  # the one the gateway made
        )

    @property
    def corbaloc(self) -> str:
        return self.endpoints["corba"]

    @classmethod
    def start(
        cls,
        base: Path,
        settings: dict[str, dict[str, Any]] | None = None,
        command: list[str] | None = None,
    ) -> Gateway:
        data_dir = base / "data"
        values: dict[str, dict[str, Any]] = {"data": {"dir": str(data_dir)}}
        for section, items in DEFAULTS.items():  # every listening component on a free port
            if "port" in items:
                values[section] = {"port": free_port()}
        values["corba"]["host"] = "127.0.0.1"
        for section, items in (settings or {}).items():
            values.setdefault(section, {}).update(items)
        config_path = base / "micropay.toml"
        config_path.write_text(
            "".join(
                f"[{section}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in items.items())
                for section, items in values.items()
            )
        )
        log_path = base / "server.log"
        argv = command or [sys.executable, "-m", "tests.framework.server"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}
        proc = subprocess.Popen(
            [*argv, str(config_path)] if command is None else argv,
            cwd=ROOT,
            env={**env, "MICROPAY_CONFIG": str(config_path)},
            stdout=subprocess.PIPE,
            stderr=log_path.open("w"),
            text=True,
        )
        want = ("health", "corba", "ior") + (("naming",) if values["corba"].get("naming") else ())
        endpoints = _read_endpoints(proc, want)
        return cls(proc, data_dir, config_path, endpoints, log_path)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT_S)
        self.store.db.close()
        return self.proc.returncode

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}
        return subprocess.run(
            [str(ROOT / ".venv/bin/micropay"), "--config", str(self.config_path), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def register(
        self,
        app_id: str,
        services: tuple[str, ...] = ("P_TEST",),
        mechanisms: tuple[str, ...] = ("P_OSA_HMAC_SHA256",),
        key_kind: str = "rsa2048",
        key_index: int = 0,
        secret: bytes | None = None,
    ) -> TestApp:
        secret = secret or f"secret-of-{app_id}-0123456789".encode()
        self.store.register_application(
            app_id, secret, public_pem(key_kind, key_index), mechanisms, services, datetime.now(UTC)
        )
        return TestApp(app_id, secret, key_kind, key_index)

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.endpoints["health"], timeout=5) as response:
            return json.load(response)

    def metrics_text(self) -> str:
        url = self.endpoints["health"].replace("/readyz", "/metrics")
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode()

    def stats(self) -> dict[str, int]:
        detail = self.health()["checks"]["framework"]["detail"]
        return {k: int(v) for k, v in (item.split("=") for item in detail.split())}

    def threads(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(
            next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:"))
        )

    def log_text(self) -> str:
        return self.log_path.read_text()

    def wait_for(self, predicate: Any, timeout_s: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError("condition not reached in time")


def _read_endpoints(proc: subprocess.Popen, want: tuple[str, ...]) -> dict[str, str]:
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    endpoints: dict[str, str] = {}
    deadline = time.monotonic() + START_TIMEOUT_S
    while not all(k in endpoints for k in want):
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            proc.kill()
            raise AssertionError("the gateway did not print its endpoints in time") from None
        if line is None:
            raise AssertionError(f"the gateway exited early with {proc.wait()}")
        name, _, value = line.strip().partition(": ")
        endpoints[name] = value
    return endpoints
