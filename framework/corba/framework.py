"""The framework over CORBA: the lifecycle of ``framework.core.lifecycle`` as object references.

:class:`Framework` hands out what CORBA needs and nothing more: the IpInitial entry point, an
IpAPILevelAuthentication per handshake, an IpAccess per access session (and the
P_DISCOVERY / P_SERVICE_AGREEMENT_MANAGEMENT interfaces obtained in it), an SCF manager per
agreement -- each a reference in a POA of unguessable ids (``objects.ObjectTable``) that dies
with the lease the lifecycle holds it under. Handshakes, sessions, agreements, termination,
expiry and the one revocation sweep are the lifecycle's, shared with the other surfaces. What
only CORBA can do is here: its callbacks into the application (the pool of ``callbacks.py``):
the framework's terminateAccess (signed) when the lifecycle ends a session with notice, the
probe of an idle client's IpClientAccess, the signServiceAgreement asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omniORB import CORBA
from org.csapi.fw.fw_application import service_agreement as sa

from framework.corba import refs
from framework.corba.access import IpAccessServant
from framework.corba.authentication import IpAPILevelAuthenticationServant
from framework.corba.callbacks import Callbacks
from framework.corba.discovery import IpServiceDiscoveryServant
from framework.corba.initial import IpInitialServant
from framework.corba.objects import ObjectTable
from framework.corba.registry import ServiceRegistry
from framework.corba.service_agreement import IpServiceAgreementManagementServant
from framework.core import signing
from framework.core.access import AccessSession
from framework.core.agreement_text import framework_termination_text
from framework.core.errors import InvalidInterfaceName
from framework.core.holds import Access, Handshake
from framework.core.lease import Lease
from framework.core.lifecycle import Lifecycle

__all__ = ["AccessHandle", "Framework"]

SURFACE = "corba"
P_DISCOVERY = "P_DISCOVERY"
P_SERVICE_AGREEMENT_MANAGEMENT = "P_SERVICE_AGREEMENT_MANAGEMENT"
INITIAL_OBJECT_KEY = b"IpInitial"


@dataclass(eq=False)
class AccessHandle:
    """One access session of the lifecycle and what CORBA handed out under it."""

    access: Access
    client_access: Any  # the application's IpClientAccess
    sam_callback: Any = None  # its IpAppServiceAgreementManagement
    interfaces: dict[str, tuple[Any, Lease]] = field(default_factory=dict)

    @property
    def session(self) -> AccessSession:
        return self.access.session


class Framework:
    interface_names = (P_DISCOVERY, P_SERVICE_AGREEMENT_MANAGEMENT)

    def __init__(
        self, orb: Any, root_poa: Any, registry: ServiceRegistry, lifecycle: Lifecycle
    ) -> None:
        self.orb = orb
        self.registry = registry
        self.lifecycle = lifecycle
        self.settings = lifecycle.settings
        self.clock = lifecycle.clock
        self.callbacks = Callbacks()
        self.sessions = ObjectTable(root_poa, "micropay-framework")
        self.initial = IpInitialServant(self)

    # -- life cycle ---------------------------------------------------------------------------
    def publish(self, ins_poa: Any) -> Any:
        """Activate IpInitial under its INS key; return its reference."""
        ins_poa.activate_object_with_id(INITIAL_OBJECT_KEY, self.initial)
        return ins_poa.id_to_reference(INITIAL_OBJECT_KEY)

    def stop(self) -> None:
        """Revoke every object of this surface; the agreements stay in force in the database
        (other gateways honour them, and applications re-attach; docs/operations.md)."""
        self.lifecycle.close_surface(SURFACE)
        self.callbacks.close()

    def stats(self) -> dict[str, int]:
        """Live counts (health detail; tests use them to prove nothing leaks)."""
        live = self.lifecycle.stats(SURFACE)
        return {
            "handshakes": live["handshakes"],
            "access_sessions": live["access_sessions"],
            "objects": len(self.sessions),
            "managers": len(self.registry.objects),
        }

    def guard_stats(self) -> dict[str, int]:
        return self.lifecycle.guard_stats()

    def failing_addresses(self) -> dict[str, int]:
        return self.lifecycle.failing_addresses()

    # -- authentication -----------------------------------------------------------------------
    def begin_handshake(
        self, *, domain_kind: str, app_id: str, auth_type: str, version: str | None, peer: str
    ) -> Handshake:
        return self.lifecycle.begin_handshake(
            SURFACE,
            domain_kind=domain_kind,
            app_id=app_id,
            auth_type=auth_type,
            version=version,
            peer=peer,
        )

    def open_authentication(self, handshake: Handshake, client_auth: Any) -> Any:
        servant = IpAPILevelAuthenticationServant(self, handshake, client_auth)
        return self.sessions.activate(servant, handshake.lease)

    # -- access -------------------------------------------------------------------------------
    def open_access(self, handshake: Handshake, client_access: Any) -> Any:
        """requestAccess granted: an access session of the lifecycle, as an IpAccess."""
        holder: list[AccessHandle] = []

        def tell_ended(reason: str) -> None:
            self.callbacks.submit("terminateAccess", self._tell_terminated, holder[0], reason)

        def probe() -> None:
            self.callbacks.submit("probe", self._probe, holder[0])

        access = self.lifecycle.open_access(
            handshake.app,
            SURFACE,
            handshake=handshake,
            tell_ended=tell_ended,
            probe=probe,
        )
        handle = AccessHandle(access, client_access)
        holder.append(handle)
        return self.sessions.activate(IpAccessServant(self, handle), access.lease)

    def _tell_terminated(self, handle: AccessHandle, reason: str) -> None:
        session = handle.session
        algorithm = session.signing_algorithm or signing.SigningAlgorithm.P_SHA256_RSA_2048
        text = framework_termination_text(session.app.app_id, reason, self.clock())
        signature = self.lifecycle.keys.sign(algorithm, text)
        handle.client_access.terminateAccess(text, algorithm, refs.octets(signature))

    def _probe(self, handle: AccessHandle) -> None:
        """Whether the client of an idle session is still there (IpClientAccess
        ``_non_existent``, bounded by ``callback_timeout_ms``)."""
        try:
            gone = bool(handle.client_access._non_existent())
        except CORBA.SystemException as exc:  # unreachable, refused, timed out
            gone, why = True, type(exc).__name__
        else:
            why = "OBJECT_NOT_EXIST"
        finally:
            handle.access.probing = False
        if gone:
            self.lifecycle.client_gone(handle.access, why)
        else:
            handle.session.heard()

    def check_interface_name(self, name: str) -> None:
        if name not in self.interface_names:
            raise InvalidInterfaceName(f"supported: {', '.join(self.interface_names)}")

    def obtain_interface(
        self, handle: AccessHandle, name: str, callback: Any, with_callback: bool
    ) -> Any:
        handle.session.use()
        self.check_interface_name(name)
        if with_callback and name == P_SERVICE_AGREEMENT_MANAGEMENT:
            callback = refs.require(
                callback,
                sa.IpAppServiceAgreementManagement,
                "clientInterface",
                self.settings.callback_timeout_ms,
            )
        with handle.session.lock:
            if with_callback and name == P_SERVICE_AGREEMENT_MANAGEMENT:
                handle.sam_callback = callback
            held = handle.interfaces.get(name)
            if held is not None and held[1].alive:
                return held[0]
            lease = handle.access.lease.child(name)
            if name == P_DISCOVERY:
                servant: Any = IpServiceDiscoveryServant(self, handle)
            else:
                servant = IpServiceAgreementManagementServant(self, handle)
            ref = self.sessions.activate(servant, lease)
            handle.interfaces[name] = (ref, lease)
            return ref

    def release_interface(self, handle: AccessHandle, name: str) -> None:
        self.check_interface_name(name)
        with handle.session.lock:
            held = handle.interfaces.pop(name, None)
            if held is None:
                raise InvalidInterfaceName(f"{name} was not obtained")
            if name == P_SERVICE_AGREEMENT_MANAGEMENT:
                handle.sam_callback = None
        held[1].revoke()
