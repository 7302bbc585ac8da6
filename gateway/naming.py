"""Registration of a gateway in the CORBA naming service (``corba.naming``), N gateways at once.

Each gateway binds its IpInitial twice (docs/operations.md, "Naming"):

- ``micropay/gateways/<instance>``, where ``<instance>`` is ``<host>-<port>`` of its CORBA
  endpoint with every character other than letters, digits, ``_`` and ``-`` as ``_``
  (``127_0_0_1-2809``): the list of every gateway, for applications that choose or fail over;
- ``micropay/IpInitial`` (DESIGN §5), rebound by each gateway that starts: the name an
  application resolves when any gateway will do.

On a clean stop a gateway unbinds its own entry, and when ``micropay/IpInitial`` still names it,
hands that name to another registered gateway that answers, or unbinds it when none does. A
gateway that dies leaves its entries behind: an application that cannot reach the one it
resolved takes the next from ``micropay/gateways``; the next gateway to start rebinds
``micropay/IpInitial``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import CosNaming
import omniORB
from omniORB import CORBA

from gateway.logs import log
from gateway.orb import bind_name, unbind_name

logger = logging.getLogger("micropay.naming")

NAMING_PATH = "micropay/IpInitial"
GATEWAYS_PATH = "micropay/gateways"
PEER_CHECK_TIMEOUT_MS = 1000  # a registered gateway that does not answer in this is skipped
PEERS_LISTED_MAX = 256


def instance_name(host: str, port: int) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", host) + f"-{port}"


def _components(path: str) -> list:
    return [CosNaming.NameComponent(part, "") for part in path.split("/") if part]


def _context(orb: Any, naming_url: str, path: str) -> Any:
    root = orb.string_to_object(naming_url)._narrow(CosNaming.NamingContext)
    return root.resolve(_components(path))._narrow(CosNaming.NamingContext)


def register(orb: Any, naming_url: str, instance: str, initial: Any) -> None:
    """Bind ``initial`` as ``micropay/gateways/<instance>`` and as ``micropay/IpInitial``."""
    bind_name(orb, naming_url, f"{GATEWAYS_PATH}/{instance}", initial)
    bind_name(orb, naming_url, NAMING_PATH, initial)


def peers(orb: Any, naming_url: str) -> dict[str, Any]:
    """Every registered gateway's IpInitial by instance name (the dead ones included)."""
    context = _context(orb, naming_url, GATEWAYS_PATH)
    bindings, _iterator = context.list(PEERS_LISTED_MAX)
    found = {}
    for binding in bindings:
        if binding.binding_type == CosNaming.nobject:
            name = binding.binding_name
            found[name[0].id] = context.resolve(name)
    return found


def _answers(obj: Any) -> bool:
    try:
        omniORB.setClientCallTimeout(obj, PEER_CHECK_TIMEOUT_MS)
        return not obj._non_existent()
    except CORBA.Exception:
        return False


def withdraw(orb: Any, naming_url: str, instance: str, initial: Any) -> None:
    """Unbind this gateway; pass ``micropay/IpInitial`` on to a live peer if it named us."""
    unbind_name(orb, naming_url, f"{GATEWAYS_PATH}/{instance}")
    try:
        root = orb.string_to_object(naming_url)._narrow(CosNaming.NamingContext)
        current = root.resolve(_components(NAMING_PATH))
        if not current._is_equivalent(initial):
            return  # another gateway holds the name already
        for name, peer in sorted(peers(orb, naming_url).items()):
            if _answers(peer):
                root.rebind(_components(NAMING_PATH), peer)
                log(logger, logging.INFO, "naming: IpInitial handed over", to=name)
                return
    except (CORBA.Exception, CosNaming.NamingContext.NotFound) as exc:
        log(logger, logging.WARNING, "naming: hand-over failed", error=type(exc).__name__)
    unbind_name(orb, naming_url, NAMING_PATH)
