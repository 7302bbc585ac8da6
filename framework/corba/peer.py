"""The address of the client whose request this thread is serving, from omniORB itself.

omniORBpy (4.2 on) can hand a server-side request interceptor the connection's peer:
``interceptors.addServerReceiveRequest(fn, True)`` calls ``fn(operation, service_contexts,
peer_info)`` with ``peer_info = {"address": "giop:tcp:127.0.0.1:49780", "identity": None}``
(``identity`` is the TLS peer's, when the transport is ``giop:ssl``). The interceptor runs in
the thread that then performs the upcall, so a thread-local carries the address to the
servant. Nothing else in omniORBpy exposes the peer to a servant (no PortableInterceptor
``ServerRequestInfo``, no call context). :func:`install` must run before ``CORBA.ORB_init``;
without it :func:`current` is ``""`` and the lock-out counts per application only.
"""

from __future__ import annotations

import threading
from typing import Any

from omniORB import interceptors

_here = threading.local()
_installed = False


def _remember(operation: str, service_contexts: Any, peer_info: Any) -> None:
    address = peer_info.get("address") if isinstance(peer_info, dict) else None
    _here.address = host_of(address) if isinstance(address, str) else ""


def host_of(endpoint: str) -> str:
    """``giop:tcp:10.0.0.7:49780`` -> ``10.0.0.7``; ``giop:tcp:[::1]:5`` -> ``::1``; other
    transports (``giop:unix:...``) stay as they are."""
    for prefix in ("giop:tcp:", "giop:ssl:"):
        if endpoint.startswith(prefix):
            host = endpoint[len(prefix) :].rpartition(":")[0]
            return host.strip("[]")
    return endpoint


def install() -> None:
    """Record each request's peer address (call once, before the ORB is initialised)."""
    global _installed
    if not _installed:
        interceptors.addServerReceiveRequest(_remember, True)
        _installed = True


def current() -> str:
    """The peer address of the request this thread serves; "" when unknown."""
    return getattr(_here, "address", "")
