"""The gateway component of the gRPC shim: ``start_grpc_component(runtime)``.

Runs after the framework and the SCF components (``gateway.components.COMPONENTS``): it carries
the gateway's one framework lifecycle, ``runtime.lifecycle`` (handshakes, sessions, agreements
and their revocation are shared with the CORBA surface), and the domain services the SCF
components left on ``runtime.extras`` (looked up per call), starts :class:`shim.server.GrpcServer` per the ``[grpc]`` section, adds the endpoint
``grpc: host:port`` and a health check, and returns something with ``stop()``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from shim.server import GrpcServer

log = logging.getLogger("micropay.grpc")


@dataclass
class GrpcComponent:
    server: GrpcServer
    name: str = "grpc"

    def stop(self) -> None:
        self.server.stop()
        log.info("grpc stopped")


def start_grpc_component(runtime: Any) -> GrpcComponent:
    assert runtime.lifecycle is not None, "start the framework first"
    section = runtime.config["grpc"]
    server = GrpcServer(
        section, runtime.config.ensure_data_dir(), runtime.lifecycle, runtime.extras
    )
    server.domain.wire()
    server.start()
    runtime.endpoints["grpc"] = f"{section['host']}:{server.port}"
    runtime.health.add_check(
        "grpc",
        lambda: (
            True,
            f"tls={'on' if server.tls else 'off'} "
            + " ".join(f"{k}={v}" for k, v in server.access.stats().items()),
        ),
    )
    runtime.extras["grpc"] = server
    # The dispatchers take grpc: endpoints as delivered (their streams read the outboxes) from
    # the start, not from this gateway's first gRPC call: with several gateways on one database,
    # any gateway's dispatcher may meet an event of a stream opened on another.
    server.domain.wire()
    return GrpcComponent(server)
