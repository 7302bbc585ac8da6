"""The gateway's components and the order they start in (``micropay serve``).

A component is started by a *start function* ``start(runtime) -> Component | None`` that
reads the configuration, wires itself to what earlier components put on the
:class:`Runtime` (the ORB, the service registry, the health server) and returns something with
``stop()``. ``serve`` runs ``COMPONENTS`` in order, then lets clients in
(``runtime.accept_requests``) and prints ``runtime.endpoints``; it stops them in reverse order.

To add a component (an SCF, the gRPC shim, the embedded SMSC), write its start function in
its own package and append it to ``COMPONENTS`` after ``start_orb``. An SCF registers its
manager factory with ``runtime.services.register(...)`` (see ``framework/corba/registry.py``);
registrations made after the framework started are seen by discovery at once. A surface
(CORBA's ``framework/corba``, the gRPC shim, a REST surface) carries ``runtime.lifecycle``, the
one lifecycle of handshakes, access sessions and agreements (``framework/core/lifecycle.py``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from camara.component import start_camara_component
from framework.corba.framework import Framework
from framework.corba.registry import ServiceRegistry
from framework.core.authentication import AuthPolicy
from framework.core.chap import split_list
from framework.core.keys import FrameworkKeys
from framework.core.lifecycle import FrameworkSettings, Lifecycle
from gateway.config import Config
from gateway.framework_store import open_store
from gateway.health import HealthServer
from gateway.logs import log
from gateway.metrics import start_metrics_component
from gateway.naming import GATEWAYS_PATH, NAMING_PATH, instance_name
from gateway.naming import register as naming_register
from gateway.naming import withdraw as naming_withdraw
from gateway.orb import OrbRuntime, start_orb
from scf.account.alerts import start_alerts_component
from scf.payment.component import start_charging_scfs
from scf.sms.component import start_embedded_smsc_component, start_sms_component
from shim.component import start_grpc_component
from shim.tls import is_loopback
from storage import open_database

logger = logging.getLogger("micropay.serve")

IOR_FILE = "ipinitial.ior"


class Component(Protocol):
    name: str

    def stop(self) -> None: ...


@dataclass
class Stopper:
    """A component whose stop is one call."""

    name: str
    stop_fn: Callable[[], None]

    def stop(self) -> None:
        self.stop_fn()


@dataclass
class Runtime:
    config: Config
    health: HealthServer
    orb: OrbRuntime | None = None
    services: ServiceRegistry | None = None
    lifecycle: Lifecycle | None = None  # the one framework lifecycle every surface carries
    framework: Framework | None = None  # its CORBA surface
    endpoints: dict[str, str] = field(default_factory=dict)  # printed as "name: value"
    extras: dict[str, Any] = field(default_factory=dict)  # for components to share handles

    def accept_requests(self) -> None:
        if self.orb is not None:
            self.orb.accept_requests()


StartFunction = Callable[[Runtime], Component | None]


def framework_settings(config: Config) -> FrameworkSettings:
    section = config["framework"]
    return FrameworkSettings(
        callback_timeout_ms=int(section["callback_timeout_ms"]),
        access_idle_s=float(section["access_idle_s"]),
        signing_algorithms=tuple(split_list(section["signing_algorithms"])),
        agreement_validity_days=int(section["agreement_validity_days"]),
        auth=AuthPolicy(
            failures_max=int(section["auth_failures_max"]),
            lockout_base_s=float(section["auth_lockout_base_s"]),
            session_ttl_s=float(section["auth_session_ttl_s"]),
            sessions_per_app_max=int(section["auth_sessions_per_app_max"]),
            sessions_per_peer_max=int(section["auth_sessions_per_peer_max"]),
            alarm_peers=int(section["auth_alarm_peers"]),
            answer_wait_s=int(section["callback_timeout_ms"]) / 1000 + 1,
        ),
    )


def framework_keys(config: Config) -> FrameworkKeys:
    algorithms = split_list(config["framework"]["signing_algorithms"])
    return FrameworkKeys(config.ensure_data_dir(), algorithms)


IIOP_EXPOSED = (
    "IIOP listens beyond loopback in cleartext: CHAP exchanges, signatures, PINs and amounts "
    "can be read and changed on the wire; keep it on a private network or behind a "
    "TLS-terminating proxy (docs/operations.md, 'Protecting IIOP')"
)


def start_orb_component(runtime: Runtime) -> Component:
    corba = runtime.config["corba"]
    timeout_ms = int(runtime.config["framework"]["callback_timeout_ms"])
    runtime.orb = start_orb(corba["host"], int(corba["port"]), timeout_ms)
    runtime.services = ServiceRegistry(runtime.orb.root_poa)
    exposed = not is_loopback(str(corba["host"]))
    if exposed:
        log(logger, logging.WARNING, IIOP_EXPOSED, host=str(corba["host"]))
        sys.stderr.write(f"WARNING: {IIOP_EXPOSED}\n")  # loud, beside the JSON log line
    detail = runtime.orb.corbaloc("IpInitial") + (" exposed=cleartext-iiop" if exposed else "")
    runtime.health.add_check("corba", lambda: (True, detail))
    return Stopper("orb", runtime.orb.shutdown)


def start_framework_component(runtime: Runtime) -> Component:
    assert runtime.orb is not None and runtime.services is not None, "start the ORB first"
    config = runtime.config
    db = open_database(config.framework_url)
    store = open_store(config, db)
    lifecycle = Lifecycle(
        store, runtime.services.catalog, framework_keys(config), framework_settings(config)
    )
    framework = Framework(runtime.orb.orb, runtime.orb.root_poa, runtime.services, lifecycle)
    runtime.lifecycle = lifecycle
    runtime.framework = framework
    initial = framework.publish(runtime.orb.ins_poa)
    lifecycle.start()
    ior_path = Path(config.data_dir) / IOR_FILE
    tmp = ior_path.with_suffix(".tmp")
    tmp.write_text(runtime.orb.orb.object_to_string(initial) + "\n")
    tmp.replace(ior_path)
    runtime.endpoints["corba"] = runtime.orb.corbaloc("IpInitial")
    runtime.endpoints["ior"] = str(ior_path)
    naming = config["corba"]["naming"]
    instance = instance_name(runtime.orb.host, runtime.orb.port)
    if naming:  # several gateways register together (gateway/naming.py)
        naming_register(runtime.orb.orb, naming, instance, initial)
        runtime.endpoints["naming"] = f"{NAMING_PATH} at {naming}"
        runtime.endpoints["naming_instance"] = f"{GATEWAYS_PATH}/{instance}"
    runtime.health.add_check(
        "framework",
        lambda: (True, " ".join(f"{k}={v}" for k, v in framework.stats().items())),
    )

    def stop() -> None:
        if naming:
            naming_withdraw(runtime.orb.orb, naming, instance, initial)  # type: ignore[union-attr]
        framework.stop()
        lifecycle.stop()
        db.close()
        log(logger, logging.INFO, "framework stopped")

    return Stopper("framework", stop)


# The start order. Metrics first (the sink of every call record); SCFs, the gRPC shim, the
# CAMARA surface and the embedded SMSC go after start_orb_component.
COMPONENTS: list[StartFunction] = [
    start_metrics_component,
    start_orb_component,
    start_framework_component,
    start_charging_scfs,
    start_embedded_smsc_component,
    start_sms_component,
    start_alerts_component,
    start_grpc_component,
    start_camara_component,
]
