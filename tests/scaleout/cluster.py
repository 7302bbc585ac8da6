"""Several real ``micropay serve`` processes on one real PostgreSQL, as docs/operations.md deploys
them (its gateway configuration block is the configuration of each, addresses replaced): one omniNames both register in, one SMSC (a standalone ``python -m smsc``) both bind to,
the same framework keys in each data folder, each with its own CORBA, gRPC and health ports.

Every process the cluster starts is stopped by :meth:`Cluster.stop` (omniNames as a whole
process group: the venv's omniNames is a wrapper that starts the real server as a child).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from charging.ledger import Ledger
from framework.core.keys import KEY_FILES
from framework.core.sealing import MASTER_KEY_FILE, Keyring
from framework.core.store import FrameworkStore
from smsc.credentials import password_path
from smsc.embedded import SmscHandle, spawn_smsc
from storage import open_database
from tests.conftest import ROOT, free_port
from tests.framework.gateway import TestApp, _read_endpoints, _toml
from tests.framework.keypool import public_pem

MICROPAY = str(ROOT / ".venv/bin/micropay")
OMNINAMES = str(ROOT / ".venv/bin/omniNames")
DOCS = ROOT / "docs/operations.md"
DOCS_MARKER = "<!-- gateway configuration"
STOP_TIMEOUT_S = 20
WAIT_S = 20


def wait_until(check: Any, timeout_s: float = WAIT_S, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class GatewayProcess:
    name: str
    base: Path
    config_path: Path
    values: dict[str, dict[str, Any]]
    proc: subprocess.Popen | None = None
    endpoints: dict[str, str] = field(default_factory=dict)

    def write_config(self) -> None:
        self.config_path.write_text(
            "".join(
                f"[{section}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in items.items())
                for section, items in self.values.items()
            )
        )

    def restart(self) -> GatewayProcess:
        """Start again after a stop or a kill, on a new CORBA port: this test process's ORB may
        still hold connections to the old process, and each would fail one call."""
        self.stop()
        self.values["corba"]["port"] = free_port()
        self.write_config()
        return self.start()

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def log_path(self) -> Path:
        return self.base / "server.log"

    @property
    def corbaloc(self) -> str:
        return self.endpoints["corba"]

    @property
    def grpc(self) -> str:
        return f"grpc://{self.endpoints['grpc']}"

    def start(self) -> GatewayProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}
        self.proc = subprocess.Popen(
            [MICROPAY, "--config", str(self.config_path), "serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.log_path.open("a"),
            text=True,
        )
        self.endpoints = _read_endpoints(self.proc, ("health", "corba", "grpc", "naming"))
        wait_until(self.ready, WAIT_S, f"gateway {self.name} ready")  # step 7 of the docs
        return self

    def ready(self) -> bool:
        try:
            self._get("/readyz")
        except urllib.error.HTTPError:  # 503 until every check passes
            return False
        return True

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT_S)
        return proc.returncode

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def _get(self, path: str) -> str:
        url = self.endpoints["health"].replace("/readyz", path)
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode()

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of GET /metrics by (name, sorted labels)."""
        samples = {}
        for family in text_string_to_metric_families(self._get("/metrics")):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    def metric(self, name: str, **labels: str) -> float | None:
        return self.metrics().get((name, tuple(sorted(labels.items()))))

    def log_text(self) -> str:
        return self.log_path.read_text()


def documented_configuration() -> dict[str, dict[str, Any]]:
    """The TOML block after the marker in docs/operations.md (the deployment these tests run)."""
    text = DOCS.read_text()
    after = text[text.index(DOCS_MARKER) :]
    block = after.split("```toml\n", 1)[1].split("```", 1)[0]
    return tomllib.loads(block)


class Cluster:
    def __init__(self, folder: Path, postgres_url: str, names: tuple[str, ...] = ("a", "b")):
        self.folder = folder
        self.url = postgres_url
        self.names = names
        self.naming_proc: subprocess.Popen | None = None
        self.naming = ""
        self.smsc: SmscHandle | None = None
        self.smsc_dir = folder / "smsc"
        self.gateways: dict[str, GatewayProcess] = {}
        self.store: FrameworkStore | None = None
        self.ledger: Ledger | None = None

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> Cluster:
        self._start_naming()
        self.smsc = spawn_smsc(self.smsc_dir, log_file=self.folder / "smsc.log")
        first = None
        for name in self.names:
            gateway = self._configure(name)
            if first is not None:  # one set of framework keys for the whole deployment
                gateway.data_dir.mkdir(parents=True, exist_ok=True)
                for key_file in (*KEY_FILES.values(), MASTER_KEY_FILE):
                    if (first.data_dir / key_file).exists():
                        shutil.copy2(first.data_dir / key_file, gateway.data_dir / key_file)
            self.gateways[name] = gateway.start()
            first = first or gateway
        first_dir = self.gateways[self.names[0]].data_dir
        self.store = FrameworkStore(
            open_database(self.url), Keyring.load(first_dir / MASTER_KEY_FILE)
        )
        self.ledger = Ledger.open(self.url)
        return self

    def stop(self) -> None:
        for gateway in self.gateways.values():
            gateway.stop()
        if self.ledger is not None:
            self.ledger.close()
        if self.store is not None:
            self.store.db.close()
        if self.smsc is not None:
            self.smsc.stop()
        if self.naming_proc is not None:
            os.killpg(self.naming_proc.pid, signal.SIGTERM)
            try:
                self.naming_proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.naming_proc.pid, signal.SIGKILL)
                self.naming_proc.wait(10)

    def _start_naming(self) -> None:
        port = free_port()
        datadir = self.folder / "omninames"
        datadir.mkdir()
        self.naming_proc = subprocess.Popen(
            [OMNINAMES, "-start", str(port), "-always", "-datadir", str(datadir),
             "-ORBendPoint", f"giop:tcp:127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "omninames.log").open("w"),
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.naming_proc.poll() is not None:
                    raise AssertionError("omniNames did not start") from None
                time.sleep(0.05)
        self.naming = f"corbaloc::127.0.0.1:{port}/NameService"

    def _configure(self, name: str) -> GatewayProcess:
        """docs/operations.md's gateway configuration, with this machine's addresses in it."""
        base = self.folder / name
        base.mkdir()
        assert self.smsc is not None
        values = documented_configuration()
        here: dict[tuple[str, str], Any] = {
            ("data", "dir"): str(base / "data"),
            ("ledger", "url"): self.url,
            ("corba", "host"): "127.0.0.1",
            ("corba", "port"): free_port(),
            ("corba", "naming"): self.naming,
            ("grpc", "host"): "127.0.0.1",
            ("grpc", "port"): free_port(),
            ("smsc", "host"): self.smsc.host,
            ("smsc", "port"): self.smsc.port,
            ("smsc", "password_file"): str(password_path("", self.smsc_dir)),
            ("health", "host"): "127.0.0.1",
            ("health", "port"): free_port(),
        }
        for (section, key), value in here.items():
            assert key in values.get(section, {}), (
                f"docs/operations.md no longer sets {section}.{key}"
            )
            values[section][key] = value
        config_path = base / "micropay.toml"
        gateway = GatewayProcess(name, base, config_path, values)
        gateway.write_config()
        return gateway

    # -- data ----------------------------------------------------------------------------------
    def register(
        self,
        app_id: str,
        services: tuple[str, ...],
        mechanisms: tuple[str, ...] = ("P_OSA_HMAC_SHA256",),
    ) -> TestApp:
        assert self.store is not None
        secret = f"secret-of-{app_id}-0123456789".encode()
        self.store.register_application(
            app_id, secret, public_pem("rsa2048", 0), mechanisms, services, datetime.now(UTC)
        )
        return TestApp(app_id, secret, "rsa2048", 0)

    def new_account(self, number: str, msisdn: str, balance_minor: int) -> None:
        assert self.ledger is not None
        self.ledger.create_account(
            number, msisdn=msisdn, currency="KRW", balance_minor=balance_minor
        )

    def leader(self) -> GatewayProcess:
        """The one running gateway that delivers charging events now."""
        leaders = [
            g
            for g in self.gateways.values()
            if g.proc is not None and g.metric("micropay_leader", job="charging-events") == 1
        ]
        assert len(leaders) == 1, f"{len(leaders)} leaders"
        return leaders[0]
