"""Gateways to measure: ``micropay serve`` processes on one ledger, an application, accounts.

``Cluster(folder, ledger_url, gateways=N)`` writes one configuration per gateway (free loopback
ports; gRPC without TLS on loopback and without a rate limit, as the other benchmarks measure
the stack and not the limiter), registers the benchmark application for Payment, Account
Management and SMS in the framework's store, opens ``accounts`` prepaid accounts and starts the
gateways. Several gateways need a shared PostgreSQL ledger (``bench.pgserver``); one may run on
SQLite. ``corba_payment(i)`` / ``grpc_token(i)`` run the framework handshake against gateway
``i`` and return what a load process needs (the manager's IOR, the bearer token). Used by
``bench.report`` and ``bench.soak``.
"""

from __future__ import annotations

import json
import signal
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.grpc_charge import free_port, start_gateway
from bench.keys import private_key, private_pem, public_pem

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "bench-app"
SECRET = b"secret-of-the-benchmark-application-0123"
KEY_KIND = "rsa2048"  # the default signing algorithm, P_SHA256_RSA_2048
SERVICES = ("P_PAYMENT", "P_ACCOUNT_MANAGEMENT", "P_SMS")
STOP_TIMEOUT_S = 30


def user(n: int) -> tuple[str, str]:
    """(account number, tel URI) of benchmark account ``n``."""
    return f"B{n:06d}", f"tel:+8210{n:08d}"


@dataclass
class Gateway:
    config_path: Path
    data_dir: Path
    proc: subprocess.Popen
    corba_port: int
    grpc_port: int
    health_port: int

    @property
    def corbaloc(self) -> str:
        return f"corbaloc::127.0.0.1:{self.corba_port}/IpInitial"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def pid(self) -> int:
        return self.proc.pid


@dataclass
class Cluster:
    folder: Path
    ledger_url: str
    gateways: int = 1
    accounts: int = 128
    key_kind: str = KEY_KIND  # the application's signing key: rsa2048 or ed25519
    running: list[Gateway] = field(default_factory=list)
    sessions: list[Any] = field(default_factory=list)  # kept open while their tokens are used

    def start(self) -> Cluster:
        self._prepare()
        for i in range(self.gateways):
            self.running.append(self._start_one(i))
        return self

    def stop(self) -> None:
        for gw in self.running:
            if gw.proc.poll() is None:
                gw.proc.send_signal(signal.SIGTERM)
        for gw in self.running:
            try:
                gw.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                gw.proc.kill()
                gw.proc.wait(STOP_TIMEOUT_S)
        self.running.clear()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def key_path(self) -> Path:
        """The application's private key (PEM), for client processes that run handshakes."""
        return self.folder / "app-key.pem"

    @property
    def master_key_path(self) -> Path:
        """The master key every gateway of the cluster seals and opens secrets with."""
        return self.folder / "framework-master.key"

    # -- set-up --------------------------------------------------------------------------------
    def _prepare(self) -> None:
        from charging.ledger import Ledger
        from framework.core.sealing import Keyring
        from framework.core.store import FrameworkStore
        from storage import open_database

        self.folder.mkdir(parents=True, exist_ok=True)
        self.key_path.write_bytes(private_pem(self.key_kind))  # for client processes: same key
        self.key_path.chmod(0o600)
        db = open_database(self.ledger_url)
        try:
            FrameworkStore(db, Keyring.load(self.master_key_path)).register_application(
                APP_ID,
                SECRET,
                public_pem(self.key_kind),
                ["P_OSA_HMAC_SHA256"],
                SERVICES,
                datetime.now(UTC),
            )
        finally:
            db.close()
        with Ledger.open(self.ledger_url) as ledger:
            for n in range(self.accounts):
                number, msisdn = user(n)
                ledger.create_account(number, msisdn=msisdn, currency="KRW", balance_minor=10**13)

    def _start_one(self, index: int) -> Gateway:
        base = self.folder / f"gateway-{index}"
        base.mkdir(parents=True, exist_ok=True)
        ports = {name: free_port() for name in ("corba", "grpc", "health", "smsc", "shop")}
        sections: dict[str, dict[str, Any]] = {
            "data": {"dir": str(base / "data")},
            "ledger": {"url": self.ledger_url},
            "framework": {"master_key_file": str(self.master_key_path)},  # one for all
            "corba": {"port": ports["corba"]},
            "health": {"port": ports["health"]},
            "smsc": {"port": ports["smsc"]},
            "shop": {"port": ports["shop"]},
            "grpc": {
                "port": ports["grpc"],
                "tls": "off",
                "app_rate_limit_per_s": 0,
                "workers_max": 64,
            },
        }
        text = "".join(
            f"[{name}]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in items.items())
            for name, items in sections.items()
        )
        config_path = base / "micropay.toml"
        config_path.write_text(text)
        config_path.chmod(0o600)  # micropay refuses a configuration others may read
        proc = start_gateway(config_path, base / "gateway.log")  # bench.grpc_charge's launcher
        return Gateway(
            config_path, base / "data", proc, ports["corba"], ports["grpc"], ports["health"]
        )

    # -- what a load process needs -------------------------------------------------------------
    def corba_payment(self, index: int) -> str:
        """The IOR of a Payment manager of gateway ``index`` (after a full CORBA handshake)."""
        import client
        from client.orb import client_orb

        session = client.connect(
            self.running[index].corbaloc, APP_ID, SECRET, private_key(self.key_kind)
        )
        manager = session.obtain_service("P_PAYMENT")
        self.sessions.append(session)
        return client_orb().orb.object_to_string(manager)

    def grpc_token(self, index: int, service: str = "P_PAYMENT") -> str:
        """A bearer token for ``service`` on gateway ``index`` (after a gRPC handshake)."""
        from client.grpc_session import connect

        session = connect(
            f"grpc://{self.running[index].grpc_target}",
            APP_ID,
            SECRET,
            private_key(self.key_kind),
        )
        self.sessions.append(session)
        return session.obtain_service(service).token
