"""A real gateway for the shim tests, with TLS on loopback, and the clients of both surfaces.

:class:`ShimGateway` starts ``python -m tests.shim.server`` (``micropay serve`` with every SCF)
through the framework tests' harness (``tests.framework.gateway.Gateway``: free ports, a temporary
data folder, SIGTERM then SIGKILL on stop) with ``[grpc] tls = "on"`` and a throwaway CA's
server certificate; opens the same ledger file for set-up and checks; and connects test
applications over gRPC (``client.grpc_session``) or CORBA (``client.session``).
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from charging.ledger import Ledger
from client.grpc_session import GrpcFrameworkSession
from client.grpc_session import connect as grpc_connect
from client.session import connect as corba_connect
from tests.framework.gateway import Gateway, TestApp
from tests.shim.tlsfiles import TlsFiles, make_tls_files

ALL_SERVICES = ("P_PAYMENT", "P_ACCOUNT_MANAGEMENT", "P_SMS")
CALL_TIMEOUT_S = 10.0

_numbers = iter(range(10_000_000, 99_999_999, 7919))


@dataclass
class ShimGateway:
    gateway: Gateway
    tls: TlsFiles
    grpc_port: int
    ledger: Ledger = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = Ledger.open(f"sqlite:///{self.gateway.data_dir / 'ledger.db'}")

    @classmethod
    def start(
        cls,
        base: Path,
        settings: dict[str, dict[str, Any]] | None = None,
        mtls: bool = False,
        server: str = "tests.shim.server",
    ) -> ShimGateway:
        """A gateway of ``python -m SERVER`` (default ``tests.shim.server``)."""
        tls = make_tls_files(base / "tls")
        grpc_settings: dict[str, Any] = {
            "tls": "on",
            "cert_file": str(tls.server_cert),
            "key_file": str(tls.server_key),
        }
        if mtls:
            grpc_settings["client_ca_file"] = str(tls.ca)
        values = {"grpc": grpc_settings, "framework": {"callback_timeout_ms": 3000}}
        for section, items in (settings or {}).items():
            values.setdefault(section, {}).update(items)
        gateway = Gateway.start(base, values, command=[sys.executable, "-m", server])
        port = tomllib.loads(gateway.config_path.read_text())["grpc"]["port"]
        return cls(gateway, tls, int(port))

    def stop(self) -> int:
        self.ledger.close()
        return self.gateway.stop()

    # -- endpoints ----------------------------------------------------------------------------
    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def endpoint(self) -> str:
        return f"grpcs://{self.target}"

    def channel(self, client_cert: bool = False) -> grpc.Channel:
        credentials = grpc.ssl_channel_credentials(
            self.tls.read("ca"),
            self.tls.read("client_key") if client_cert else None,
            self.tls.read("client_cert") if client_cert else None,
        )
        return grpc.secure_channel(self.target, credentials)

    # -- applications and accounts ------------------------------------------------------------
    def register(self, app_id: str, services: tuple[str, ...] = ALL_SERVICES, **kw: Any) -> TestApp:
        return self.gateway.register(app_id, services=services, **kw)

    def connect(self, app: TestApp, client_cert: bool = False, **kw: Any) -> GrpcFrameworkSession:
        tls: dict[str, Any] = {"root_certificates": self.tls.ca}
        if client_cert:
            tls |= {
                "certificate_chain": self.tls.client_cert,
                "tls_private_key": self.tls.client_key,
            }
        return grpc_connect(
            self.endpoint,
            app.app_id,
            app.secret,
            app.private_pem,
            timeout_s=CALL_TIMEOUT_S,
            **tls,
            **kw,
        )

    def connect_corba(self, app: TestApp) -> Any:
        return corba_connect(
            self.gateway.corbaloc,
            app.app_id,
            app.secret,
            app.private_pem,
            timeout_s=CALL_TIMEOUT_S,
        )

    def new_account(self, **settings: Any) -> tuple[str, str]:
        """A fresh prepaid KRW account (10,000 on it unless told otherwise): (number, tel URI)."""
        n = next(_numbers)
        number, msisdn = f"G{n}", f"tel:+8210{n:08d}"
        options: dict[str, Any] = {"currency": "KRW", "balance_minor": 10_000}
        options.update(settings)
        self.ledger.create_account(number, msisdn=msisdn, **options)
        return number, msisdn
