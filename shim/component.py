"""The gateway component of the gRPC shim: ``start_grpc_component(runtime)``.

Runs after the framework and the SCF components (``gateway.components.COMPONENTS``): it takes
the framework from ``runtime.framework`` (its core objects are shared, and it tells the shim of
every agreement it revokes) and the domain services from ``runtime.extras`` (looked up per call),
starts :class:`shim.server.GrpcServer` per the ``[grpc]`` section, adds the endpoint
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
    framework: Any
    name: str = "grpc"

    def stop(self) -> None:
        listeners = getattr(self.framework, "revocation_listeners", None)
        if listeners is not None and self.server.access.revoke_agreements in listeners:
            listeners.remove(self.server.access.revoke_agreements)
        self.server.stop()
        log.info("grpc stopped")


def start_grpc_component(runtime: Any) -> GrpcComponent:
    assert runtime.framework is not None, "start the framework first"
    section = runtime.config["grpc"]
    server = GrpcServer(
        section, runtime.config.ensure_data_dir(), runtime.framework, runtime.extras
    )
    listeners = getattr(runtime.framework, "revocation_listeners", None)
    if listeners is not None:
        listeners.append(server.access.revoke_agreements)
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
    return GrpcComponent(server, runtime.framework)
