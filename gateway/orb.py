"""The gateway's one ORB: omniORB on ``corba.host:corba.port``, the INS POA, the naming service.

The ORB is client and server at once: the framework calls back the applications
(IpClientAPILevelAuthentication, IpAppServiceAgreementManagement, IpClientAccess), so every
outgoing call is bounded by ``framework.callback_timeout_ms`` (omniORB's client call and connect
timeouts), and an application that never answers costs a bounded wait, not a thread forever.

Objects reachable by a well-known key (``corbaloc::HOST:PORT/IpInitial``) live in omniORB's INS
POA, whose manager stays holding until :meth:`OrbRuntime.accept_requests`, so no client reaches
a half-started gateway. Everything else lives in POAs under the RootPOA.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import CosNaming
from omniORB import CORBA

from framework.corba import peer
from gateway.logs import log

logger = logging.getLogger("micropay.orb")


@dataclass
class OrbRuntime:
    orb: Any
    root_poa: Any
    ins_poa: Any
    host: str
    port: int

    def corbaloc(self, key: str) -> str:
        return f"corbaloc::{self.host}:{self.port}/{key}"

    def accept_requests(self) -> None:
        self.ins_poa._get_the_POAManager().activate()

    def shutdown(self) -> None:
        try:
            self.orb.shutdown(True)
            self.orb.destroy()
        except CORBA.Exception as exc:  # shutting down anyway; say why, never raise
            log(logger, logging.WARNING, "ORB shutdown raised", error=type(exc).__name__)


def start_orb(host: str, port: int, call_timeout_ms: int) -> OrbRuntime:
    """Initialise the ORB on ``host:port`` (the only ORB of the process)."""
    args = [
        "micropay",
        "-ORBendPoint",
        f"giop:tcp:{host}:{port}",
        "-ORBclientCallTimeOutPeriod",
        str(call_timeout_ms),
        "-ORBclientConnectTimeOutPeriod",
        str(call_timeout_ms),
        "-ORBsupportBootstrapAgent",
        "0",
        "-ORBnativeCharCodeSet",  # IDL strings carry any text (Korean SMS), not only Latin-1
        "UTF-8",
    ]
    peer.install()  # the lock-out counts per client address (framework/corba/peer.py)
    orb = CORBA.ORB_init(args, CORBA.ORB_ID)
    root_poa = orb.resolve_initial_references("RootPOA")
    # The RootPOA serves only servant locators and session objects whose references are
    # handed out after authentication, so it accepts requests at once (set_servant_manager
    # needs that); the INS POA (IpInitial) waits for accept_requests().
    root_poa._get_the_POAManager().activate()
    ins_poa = orb.resolve_initial_references("omniINSPOA")
    return OrbRuntime(orb, root_poa, ins_poa, host, port)


def _name(path: str) -> list:
    return [CosNaming.NameComponent(part, "") for part in path.split("/") if part]


def bind_name(orb: Any, naming_url: str, path: str, obj: Any) -> None:
    """Bind ``obj`` as ``path`` (e.g. ``micropay/IpInitial``), creating contexts; rebind."""
    root = orb.string_to_object(naming_url)._narrow(CosNaming.NamingContext)
    if root is None:
        raise RuntimeError(f"{naming_url} is not a naming context")
    name = _name(path)
    context = root
    for i in range(len(name) - 1):
        try:
            context = context.bind_new_context(name[i : i + 1])
        except CosNaming.NamingContext.AlreadyBound:
            context = context.resolve(name[i : i + 1])._narrow(CosNaming.NamingContext)
    context.rebind(name[-1:], obj)


def unbind_name(orb: Any, naming_url: str, path: str) -> None:
    try:
        root = orb.string_to_object(naming_url)._narrow(CosNaming.NamingContext)
        root.unbind(_name(path))
    except (CORBA.Exception, CosNaming.NamingContext.NotFound) as exc:
        log(logger, logging.WARNING, "could not unbind from naming", error=type(exc).__name__)
