"""The grpc.aio server of the shim, on its own event loop thread inside the gateway process.

:class:`GrpcServer` registers the four ``micropay.v1`` servicers behind the call observer
(``shim.observe``: metrics and logs) and the auth interceptor,
the standard health service (``grpc.health.v1.Health``: "" and each service SERVING while up,
NOT_SERVING once stopping) and server reflection (v1 and v1alpha, ``shim.reflection``), binds
with TLS per ``shim.tls``. Its tokens ride on the gateway's framework lifecycle, whose one sweep
revokes what ended elsewhere (``framework.core.lifecycle``). ``start()`` returns once the port is bound (or raises); ``stop()`` lets
in-flight RPCs finish for ``stop_grace_s`` and cancels streams.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from micropay.v1 import (
    account_pb2,
    account_pb2_grpc,
    framework_pb2,
    framework_pb2_grpc,
    payment_pb2,
    payment_pb2_grpc,
    sms_pb2,
    sms_pb2_grpc,
)

from framework.core.lifecycle import Lifecycle
from shim import limits
from shim.access import GrpcAccess
from shim.account_service import AccountServicer
from shim.auth import AuthInterceptor
from shim.calls import Calls
from shim.domain import Domain
from shim.framework_service import FrameworkServicer
from shim.loop_thread import LoopThread
from shim.observe import ObserveInterceptor
from shim.payment_service import PaymentServicer
from shim.ratelimit import RateLimiter
from shim.reflection import enable_reflection
from shim.sms_service import SmsServicer
from shim.tls import server_credentials

log = logging.getLogger("micropay.grpc")

SERVICE_NAMES = tuple(
    module.DESCRIPTOR.services_by_name[name].full_name
    for module, name in (
        (framework_pb2, "FrameworkService"),
        (payment_pb2, "PaymentService"),
        (account_pb2, "AccountService"),
        (sms_pb2, "SmsService"),
    )
)


class GrpcServer(LoopThread):
    def __init__(
        self,
        section: dict[str, Any],
        data_dir: Path,
        lifecycle: Lifecycle,
        extras: dict[str, Any],
    ) -> None:
        super().__init__(name="grpc-shim", what="gRPC server", log=log,
                         start_timeout_s=limits.start_timeout_s,
                         stop_grace_s=limits.stop_grace_s)  # fmt: skip
        self.section = section
        self.data_dir = data_dir
        self.domain = Domain(extras)
        self.access = GrpcAccess(lifecycle, self.domain.serves)
        self.calls = Calls(int(section["workers_max"]))
        self.limiter = RateLimiter(
            float(section["app_rate_limit_per_s"]), int(section["app_burst_max"])
        )
        self.catalog = lifecycle.catalog
        self.tls = False
        self.port = 0
        self._stopping: asyncio.Event | None = None

    def stop(self) -> None:
        super().stop()
        self.access.close()
        self.calls.close()

    def _stop_soon(self) -> None:
        if self._stopping is not None:
            self._stopping.set()

    # -- the loop -----------------------------------------------------------------------------
    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        server = grpc.aio.server(
            interceptors=[ObserveInterceptor(), AuthInterceptor(self.access, self.limiter)],
            options=[("grpc.so_reuseport", 0)],
        )
        framework_pb2_grpc.add_FrameworkServiceServicer_to_server(
            FrameworkServicer(self.access, self.calls, self.catalog), server
        )
        payment_pb2_grpc.add_PaymentServiceServicer_to_server(
            PaymentServicer(self.domain, self.calls), server
        )
        account_pb2_grpc.add_AccountServiceServicer_to_server(
            AccountServicer(self.domain, self.calls), server
        )
        sms_pb2_grpc.add_SmsServiceServicer_to_server(SmsServicer(self.domain, self.calls), server)
        health_servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        enable_reflection((*SERVICE_NAMES, health.SERVICE_NAME), server)
        address = f"{self.section['host']}:{int(self.section['port'])}"
        credentials = server_credentials(self.section, self.data_dir)
        self.tls = credentials is not None
        if credentials is None:
            self.port = server.add_insecure_port(address)
        else:
            self.port = server.add_secure_port(address, credentials)
        if not self.port:
            raise OSError(f"cannot bind the gRPC endpoint {address}")
        await server.start()
        for name in ("", *SERVICE_NAMES):
            await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        self._started()
        try:
            await self._stopping.wait()
        finally:
            await health_servicer.enter_graceful_shutdown()
            await server.stop(limits.stop_grace_s)
