"""The framework assembled: authentication, access sessions, revocation and the entry point.

:class:`Framework` owns the shared parts (store, keys, authenticator, agreement desk, callback
pool, the POA of session objects) and the live access sessions. A watcher thread sweeps every
``revocation_poll_interval_s``: it expires unfinished handshakes, ends the sessions of disabled
applications (telling them through IpClientAccess.terminateAccess, signed) and revokes managers
whose agreement was terminated elsewhere (another gateway, the CLI) or expired.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
from framework.core import limits, signing
from framework.core.access import AccessSession
from framework.core.agreement_text import framework_termination_text
from framework.core.agreements import AgreementDesk, AgreementSteps
from framework.core.authentication import Authenticator, AuthPolicy, AuthSession, utc_now
from framework.core.errors import InvalidInterfaceName
from framework.core.keys import FrameworkKeys
from framework.core.lease import Lease
from framework.core.states import AgreementEvent, Auth
from framework.core.store import Application, FrameworkStore
from framework.core.trust import SharedOnce
from framework.logs import log

P_DISCOVERY = "P_DISCOVERY"
P_SERVICE_AGREEMENT_MANAGEMENT = "P_SERVICE_AGREEMENT_MANAGEMENT"
INITIAL_OBJECT_KEY = b"IpInitial"
revocation_poll_interval_s = 0.5


@dataclass(frozen=True)
class FrameworkSettings:
    callback_timeout_ms: int = 5000
    access_idle_s: float = 300  # probe a session idle this long; end it if its client is gone
    signing_algorithms: tuple[str, ...] = ("P_SHA256_RSA_2048", "P_ED25519")
    agreement_validity_days: int = 365
    auth: AuthPolicy = AuthPolicy()


@dataclass
class AccessHandle:
    """One live access session and every object handed out under it."""

    session: AccessSession
    lease: Lease
    client_access: Any
    sam_callback: Any = None
    interfaces: dict[str, tuple[Any, Lease]] = field(default_factory=dict)
    steps: dict[str, AgreementSteps] = field(default_factory=dict)
    agreement_leases: dict[str, Lease] = field(default_factory=dict)
    probing: bool = False  # a probe of the client's IpClientAccess is under way


class Framework:
    interface_names = (P_DISCOVERY, P_SERVICE_AGREEMENT_MANAGEMENT)

    def __init__(
        self,
        orb: Any,
        root_poa: Any,
        registry: ServiceRegistry,
        store: FrameworkStore,
        keys: FrameworkKeys,
        settings: FrameworkSettings,
        clock: Any = utc_now,
    ) -> None:
        self.orb = orb
        self.registry = registry
        self.store = store
        self.keys = keys
        self.settings = settings
        self.clock = clock
        used = SharedOnce(store.trust, clock)  # a used termination signature: on every gateway
        self.used_signatures = used
        self.authenticator = Authenticator(store, settings.auth, clock)
        self.desk = AgreementDesk(
            store, registry.catalog, keys, settings.agreement_validity_days, used
        )
        self.callbacks = Callbacks()
        self.sessions = ObjectTable(root_poa, "micropay-framework")
        self.offered_algorithms = [a for a in settings.signing_algorithms if a in keys.available()]
        self._lock = threading.Lock()
        # Other surfaces' holders of agreements (the gRPC shim): told the ids whenever
        # revoke_agreements runs, so a termination over CORBA revokes their tokens at once too.
        self.revocation_listeners: list[Callable[[set[str]], None]] = []
        self._access: dict[str, AccessHandle] = {}
        self.reaped = 0  # access sessions ended because the client stopped answering
        self._pruned_at = clock()
        self._auth_leases: dict[AuthSession, Lease] = {}
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="fw-watcher", daemon=True)
        self.initial = IpInitialServant(self)

    # -- life cycle ---------------------------------------------------------------------------
    def publish(self, ins_poa: Any) -> Any:
        """Activate IpInitial under its INS key and start the watcher; return its reference."""
        ins_poa.activate_object_with_id(INITIAL_OBJECT_KEY, self.initial)
        self._watcher.start()
        return ins_poa.id_to_reference(INITIAL_OBJECT_KEY)

    def stop(self) -> None:
        """Revoke every object of this process; the agreements stay in force in the database
        (other gateways honour them, and applications re-attach; docs/operations.md)."""
        self._stop.set()
        if self._watcher.is_alive():
            self._watcher.join(timeout=5)
        for handle in self.access_sessions():
            self.end_access(handle, "the gateway stopped", notify=False, keep_agreements=True)
        self.callbacks.close()

    def stats(self) -> dict[str, int]:
        """Live counts (health detail; tests use them to prove nothing leaks)."""
        with self._lock:
            handshakes, sessions = len(self._auth_leases), len(self._access)
        return {
            "handshakes": handshakes,
            "access_sessions": sessions,
            "objects": len(self.sessions),
            "managers": len(self.registry.objects),
        }

    def guard_stats(self) -> dict[str, int]:
        """Counters of the framework's guard on this gateway (metrics)."""
        return {
            "auth_failures": self.authenticator.failures,
            "auth_handshakes_evicted": self.authenticator.evicted,
            "access_sessions_reaped": self.reaped,
        }

    def failing_addresses(self) -> dict[str, int]:
        """Per application, the addresses that failed within the alarm window (all gateways)."""
        since = self.clock() - timedelta(seconds=limits.auth_alarm_window_s)
        return self.store.trust.failing_peers(since)

    # -- authentication -----------------------------------------------------------------------
    def open_authentication(self, session: AuthSession, client_auth: Any) -> Any:
        lease = Lease(f"auth {session.app.app_id}")
        with self._lock:
            self._auth_leases[session] = lease
        lease.on_revoke(lambda: self._forget_auth(session))
        servant = IpAPILevelAuthenticationServant(self, session, client_auth, lease)
        return self.sessions.activate(servant, lease)

    def _forget_auth(self, session: AuthSession) -> None:
        with self._lock:
            self._auth_leases.pop(session, None)
        self.authenticator.release(session)

    # -- access -------------------------------------------------------------------------------
    def access_sessions(self, app_id: str | None = None) -> list[AccessHandle]:
        with self._lock:
            handles = list(self._access.values())
        return [h for h in handles if app_id is None or h.session.app.app_id == app_id]

    def open_access(self, app: Application, client_access: Any, auth_lease: Lease) -> Any:
        mine = sorted(self.access_sessions(app.app_id), key=lambda h: h.session.started)
        for old in mine[: max(0, len(mine) - limits.access_sessions_per_app_max + 1)]:
            self.end_access(old, "too many access sessions; the oldest was ended", notify=True)
        session_id = secrets.token_hex(8)
        session = AccessSession(
            session_id, app, self.offered_algorithms, self.clock(), self.used_signatures
        )
        lease = Lease(f"access {session_id}")
        lease.on_revoke(auth_lease.revoke)
        handle = AccessHandle(session, lease, client_access)
        with self._lock:
            self._access[session_id] = handle
        log(logging.INFO, "access granted", app_id=app.app_id, session=session_id)
        return self.sessions.activate(IpAccessServant(self, handle), lease)

    def end_access(
        self, handle: AccessHandle, reason: str, notify: bool, keep_agreements: bool = False
    ) -> None:
        """End a session: its agreements end (unless the gateway is only stopping), every
        object it handed out is revoked."""
        handle.session.end()
        with self._lock:
            if self._access.pop(handle.session.session_id, None) is None:
                return
        if not keep_agreements:
            self.store.end_agreements(list(handle.agreement_leases), self.clock(), reason)
        handle.lease.revoke()
        log(logging.INFO, "access ended", app_id=handle.session.app.app_id, reason=reason)
        if notify:
            self.callbacks.submit("terminateAccess", self._tell_terminated, handle, reason)

    def _tell_terminated(self, handle: AccessHandle, reason: str) -> None:
        algorithm = handle.session.signing_algorithm or signing.SigningAlgorithm.P_SHA256_RSA_2048
        text = framework_termination_text(handle.session.app.app_id, reason, self.clock())
        signature = self.keys.sign(algorithm, text)
        handle.client_access.terminateAccess(text, algorithm, refs.octets(signature))

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
            lease = handle.lease.child(name)
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

    # -- agreements ---------------------------------------------------------------------------
    def terminate_token(
        self, app_id: str, token: str, text: str, signature: bytes, reason: str
    ) -> None:
        ids = self.store.terminate_token(token, self.clock(), text, signature, reason)
        for handle in self.access_sessions(app_id):
            with handle.session.lock:
                steps = handle.steps.pop(token, None)
                if steps is not None and steps.can(AgreementEvent.TERMINATE):
                    steps.move(AgreementEvent.TERMINATE)
                    steps.settled.set()
        self.revoke_agreements(ids)
        log(logging.INFO, "service agreement terminated", app_id=app_id, agreements=len(ids))

    def revoke_agreements(self, agreement_ids: list[str] | set[str]) -> None:
        wanted = set(agreement_ids)
        for handle in self.access_sessions():
            for agreement_id in list(handle.agreement_leases):
                if agreement_id in wanted:
                    lease = handle.agreement_leases.pop(agreement_id, None)
                    if lease is not None:
                        lease.revoke()
        for listener in list(self.revocation_listeners):
            listener(wanted)

    # -- the watcher --------------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stop.wait(revocation_poll_interval_s):
            try:
                self.sweep(self.clock())
            except Exception as exc:  # the watcher must outlive a bad sweep; next one retries
                log(logging.WARNING, "revocation sweep failed", error=type(exc).__name__)

    def sweep(self, now: datetime) -> None:
        for session in self.authenticator.stale():
            session.expire()
        with self._lock:  # expired, or gave way to a new handshake at a cap
            ended = [lease for s, lease in self._auth_leases.items() if s.state == Auth.ABORTED]
        for lease in ended:
            lease.revoke()
        handles = self.access_sessions()
        disabled = self.store.disabled_among(h.session.app.app_id for h in handles)
        for handle in handles:
            if handle.session.app.app_id in disabled:
                self.end_access(handle, "the application was disabled", notify=True)
        live = [a for h in self.access_sessions() for a in list(h.agreement_leases)]
        gone = self.store.not_in_force(live, now)
        if gone:
            self.revoke_agreements(gone)
        self._probe_idle_sessions()
        if now - self._pruned_at >= timedelta(seconds=limits.trust_prune_interval_s):
            self._pruned_at = now
            self.store.trust.prune(now, self.settings.auth.session_ttl_s)

    # -- reaping ------------------------------------------------------------------------------
    def _probe_idle_sessions(self) -> None:
        """Ask the client of each session idle for ``access_idle_s`` whether it is still there
        (IpClientAccess ``_non_existent``, bounded by ``callback_timeout_ms``)."""
        idle_s = self.settings.access_idle_s
        if idle_s <= 0:
            return
        for handle in self.access_sessions():
            if not handle.probing and handle.session.idle_s() >= idle_s:
                handle.probing = True
                self.callbacks.submit("probe", self._probe, handle)

    def _probe(self, handle: AccessHandle) -> None:
        try:
            gone = bool(handle.client_access._non_existent())
        except CORBA.SystemException as exc:  # unreachable, refused, timed out
            gone, why = True, type(exc).__name__
        else:
            why = "OBJECT_NOT_EXIST"
        finally:
            handle.probing = False
        if not gone:
            handle.session.heard()
            return
        self.reaped += 1
        log(logging.INFO, "client no longer answers", app_id=handle.session.app.app_id, error=why)
        # like a gateway stop: its agreements stay in force for the application to re-attach
        self.end_access(handle, "the client no longer answers", notify=False, keep_agreements=True)
