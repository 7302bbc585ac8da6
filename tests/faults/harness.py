"""The rig of the fault tests: a real ``micropay serve`` that can be killed and started again on
the same ports and data, an SMSC of its own outside it, an application, and accounts.

``Rig(base, ledger_url=...)`` writes one configuration (free loopback ports, the SMSC not
embedded: the tests kill and restart it themselves, as an operator's SMSC lives outside the
gateway), registers the application ``APP_ID`` for Payment, Account Management and SMS in the
framework's store, and opens the accounts. ``start()`` / ``kill()`` / ``stop()`` run the gateway
process; ``connect_corba()`` and ``connect_grpc()`` run the framework handshake over either
surface and return the service handles. Everything started is stopped by ``close()``, even when a
test fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import omniORB
from org.csapi.parlayx import account_management, payment
from org.csapi.parlayx import sms as sms_idl

import client
from charging.ledger import Ledger
from client.grpc_session import connect as grpc_connect
from framework.core.sealing import Keyring
from framework.core.store import FrameworkStore
from gateway.config import DEFAULTS, load_config
from smsc.credentials import smsc_data_dir
from smsc.embedded import SmscHandle, spawn_smsc
from storage import open_database
from tests.conftest import ROOT, free_port
from tests.framework.gateway import _read_endpoints, _toml
from tests.framework.keypool import private_key, public_pem

APP_ID = "fault-app"
SECRET = b"secret-of-the-fault-tests-0123456789"
KEY_KIND = "ed25519"
SERVICES = ("P_PAYMENT", "P_ACCOUNT_MANAGEMENT", "P_SMS")
CALL_TIMEOUT_S = 8.0  # a load call that takes longer has an unknown outcome
STOP_TIMEOUT_S = 15


@dataclass(frozen=True)
class Account:
    number: str
    msisdn: str
    opening_minor: int
    monthly_limit_minor: int | None = None


@dataclass
class CorbaApp:
    session: Any
    payment: Any
    account: Any
    sms: Any


@dataclass
class GrpcApp:
    session: Any
    payment: Any
    account: Any
    sms: Any


class Rig:
    def __init__(
        self, base: Path, *, ledger_url: str = "", settings: dict[str, dict[str, Any]] | None = None
    ) -> None:
        self.base = base
        self.data_dir = base / "data"
        self.smsc_port = free_port()
        values: dict[str, dict[str, Any]] = {"data": {"dir": str(self.data_dir)}}
        for section, items in DEFAULTS.items():
            if "port" in items:
                values[section] = {"port": free_port()}
        values["smsc"] = {"embedded": False, "port": self.smsc_port}
        values["grpc"].update({"tls": "off", "app_rate_limit_per_s": 0})
        values["framework"] = {"callback_timeout_ms": 2000}
        if ledger_url:
            values["ledger"] = {"url": ledger_url}
        for section, items in (settings or {}).items():
            values.setdefault(section, {}).update(items)
        self.config_path = base / "micropay.toml"
        self.config_path.write_text(
            "".join(
                f"[{section}]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in items.items())
                for section, items in values.items()
            )
        )
        self.config = load_config(self.config_path, env={})
        self.grpc_target = (
            f"127.0.0.1:{tomllib.loads(self.config_path.read_text())['grpc']['port']}"
        )
        self.log_path = base / "gateway.log"
        self.proc: subprocess.Popen | None = None
        self.endpoints: dict[str, str] = {}
        self.smsc: SmscHandle | None = None
        self.accounts: list[Account] = []
        self._register()

    # -- set-up --------------------------------------------------------------------------------
    @property
    def ledger_url(self) -> str:
        return self.config.ledger_url

    @property
    def smsc_dir(self) -> Path:
        return smsc_data_dir(self.config.data_dir)

    def _register(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        db = open_database(self.config.framework_url)
        try:
            FrameworkStore(db, Keyring.load(self.config.master_key_path)).register_application(
                APP_ID,
                SECRET,
                public_pem(KEY_KIND),
                ["P_OSA_HMAC_SHA256"],
                SERVICES,
                datetime.now(UTC),
            )
        finally:
            db.close()

    def open_accounts(
        self, count: int, opening_minor: int, monthly_limit_minor: int | None = None, base: int = 0
    ) -> list[Account]:
        """Prepaid KRW accounts, each with ``opening_minor`` on it."""
        made = []
        with Ledger.open(self.ledger_url) as ledger:
            for i in range(count):
                n = len(self.accounts) + base + i
                account = Account(
                    f"F{n:05d}", f"tel:+8210{n:08d}", opening_minor, monthly_limit_minor
                )
                ledger.create_account(
                    account.number,
                    msisdn=account.msisdn,
                    currency="KRW",
                    balance_minor=opening_minor,
                    monthly_limit_minor=monthly_limit_minor,
                )
                made.append(account)
        self.accounts += made
        return made

    # -- the SMSC ------------------------------------------------------------------------------
    def start_smsc(self) -> SmscHandle:
        self.smsc = spawn_smsc(self.smsc_dir, port=self.smsc_port, log_file=self.base / "smsc.log")
        return self.smsc

    def kill_smsc(self) -> None:
        assert self.smsc is not None
        self.smsc.process.kill()
        self.smsc.process.wait(STOP_TIMEOUT_S)

    # -- the gateway ---------------------------------------------------------------------------
    def start(self) -> Rig:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "--config", str(self.config_path), "serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.log_path.open("a"),
            text=True,
        )
        surfaces = ("health", "corba", "grpc", *(("camara",) if self.camara else ()))
        self.endpoints = _read_endpoints(self.proc, surfaces)
        return self

    @property
    def camara(self) -> bool:
        """The CAMARA surface is on (``settings={"camara": {"enabled": True, ...}}``)."""
        return bool(self.config["camara"]["enabled"])

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as a crash or the OOM killer would do it."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(STOP_TIMEOUT_S)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT_S)

    def close(self) -> None:
        self.stop()
        if self.smsc is not None:
            self.smsc.stop()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    # -- applications --------------------------------------------------------------------------
    def connect_corba(self) -> CorbaApp:
        session = client.connect(
            self.endpoints["corba"], APP_ID, SECRET, private_key(KEY_KIND), timeout_s=CALL_TIMEOUT_S
        )
        handles = []
        for service, interface in (
            ("P_PAYMENT", payment.IpPaymentManager),
            ("P_ACCOUNT_MANAGEMENT", account_management.IpAccountManager),
            ("P_SMS", sms_idl.IpSmsManager),
        ):
            manager = session.obtain_service(service)._narrow(interface)
            omniORB.setClientCallTimeout(manager, int(CALL_TIMEOUT_S * 1000))
            handles.append(manager)
        return CorbaApp(session, *handles)

    def connect_grpc(self) -> GrpcApp:
        session = grpc_connect(
            f"grpc://{self.grpc_target}",
            APP_ID,
            SECRET,
            private_key(KEY_KIND),
            timeout_s=CALL_TIMEOUT_S,
        )
        stubs = [session.obtain_service(s) for s in SERVICES]
        return GrpcApp(session, *stubs)
