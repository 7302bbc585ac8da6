"""The application's ORB: one per process, serving the callbacks the framework makes.

The framework calls the application back (challenge, authenticationSucceeded,
signServiceAgreement, terminateAccess), so the client ORB listens too: on loopback by default
(``MICROPAY_CLIENT_HOST`` to publish another address) on a free port, or on a fixed one
(``MICROPAY_CLIENT_PORT``, for a firewall or an application restarted in place). Callback objects get random object ids
in their own POA, so a third party cannot guess them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from omniORB import CORBA, PortableServer

_lock = threading.Lock()
# Strings the gateway sends to our callbacks (SMS text in Korean) must not be Latin-1 only.
UTF8_STRINGS = ("-ORBnativeCharCodeSet", "UTF-8")
_orb: ClientOrb | None = None


@dataclass
class ClientOrb:
    orb: Any
    poa: Any

    def activate(self, servant: Any) -> tuple[bytes, Any]:
        oid = secrets.token_bytes(20)
        self.poa.activate_object_with_id(oid, servant)
        return oid, self.poa.id_to_reference(oid)

    def deactivate(self, oid: bytes) -> None:
        with contextlib.suppress(PortableServer.POA.ObjectNotActive):
            self.poa.deactivate_object(oid)


def client_orb() -> ClientOrb:
    """The process's ORB and callback POA (created on first use)."""
    global _orb
    with _lock:
        if _orb is None:
            host = os.environ.get("MICROPAY_CLIENT_HOST", "127.0.0.1")
            port = os.environ.get("MICROPAY_CLIENT_PORT", "")
            orb = CORBA.ORB_init(
                ["micropay-client", "-ORBendPoint", f"giop:tcp:{host}:{port}", *UTF8_STRINGS],
                CORBA.ORB_ID,
            )
            root = orb.resolve_initial_references("RootPOA")
            policies = [
                root.create_id_assignment_policy(PortableServer.USER_ID),
                root.create_lifespan_policy(PortableServer.TRANSIENT),
            ]
            poa = root.create_POA("micropay-client-callbacks", root._get_the_POAManager(), policies)
            root._get_the_POAManager().activate()
            _orb = ClientOrb(orb, poa)
        return _orb
