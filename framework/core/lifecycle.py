"""The one lifecycle of authentication handshakes, access sessions and service agreements.

Every surface with sessions -- the CORBA framework (``framework/corba``), the gRPC shim
(``shim/``) -- runs this same lifecycle and only hands out what its transport needs: object
references for CORBA, bearer tokens for gRPC. (The CAMARA REST surface reads only the registry,
``store``: OAuth's client-credentials grant has no handshake, access session or agreement;
``lifecycle_doc.py`` sets the three side by side.) So there is one set of rules: the same checks
and state machines (``states.py``), the same store, the same revocation::

    application (registered, enabled)
     ├─ Handshake  begin_handshake        CHAP both ways (auth machine); aborted, or expires
     └─ Access     open_access            an access session (access machine); ends by
         │                                end_access / terminate_access, the cap per
         │                                application, disabling, its expiry, a dead client
         └─ Hold   sign_agreement         an agreement in force (agreement machine); ends by
                                          terminate_agreement, superseding, expiry, the sweep
    Hold           hold_agreement         an agreement in force signed elsewhere, held in a
                                          session or for the process (a token another gateway
                                          of the database issued)

Each is held under a :class:`framework.core.lease.Lease` (access → agreement); the surface hangs
its carrier on the lease (``issue(record, lease)`` when an agreement is handed out), and revoking
the lease kills the carrier at once. What one surface ends, the others see at once (one set of
objects); what ends elsewhere (the CLI, another gateway, time) ONE sweep finds, every
``limits.revocation_sweep_interval_s``: expired handshakes, access sessions of disabled
applications or past their expiry, agreements no longer in force in the store; it also probes
idle sessions whose surface can probe, and prunes the shared trust records. Stopping a surface
ends its sessions in this process only: the agreements stay in force for other gateways and
for re-attaching.

Transport-free: refusals are the typed errors of ``errors.py`` (the surfaces map them by
``refusals.py``). Locks: the lifecycle's own for its registries, each session's for its steps.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from framework.core import limits
from framework.core.access import AccessSession
from framework.core.agreements import AgreementDesk, AgreementSteps
from framework.core.authentication import Authenticator, AuthPolicy, utc_now
from framework.core.errors import (
    AccessDenied,
    InvalidAgreementText,
    InvalidSignature,
    InvalidSigningAlgorithm,
)
from framework.core.holds import Access, Handshake, Hold
from framework.core.keys import FrameworkKeys
from framework.core.lease import Lease
from framework.core.services import Catalog
from framework.core.states import Agreement, AgreementEvent, Auth
from framework.core.store import AgreementRecord, Application, FrameworkStore
from framework.core.trust import SharedOnce
from framework.logs import log

T = TypeVar("T")
Issue = Callable[[AgreementRecord, Lease], T]  # what a surface hands out for an agreement
AskToSign = Callable[[AgreementRecord, str], bytes | None]  # the application's signature of a text


@dataclass(frozen=True)
class FrameworkSettings:
    callback_timeout_ms: int = 5000  # how long the framework waits for an application's answer
    access_idle_s: float = 300  # probe a session idle this long; end it if its client is gone
    signing_algorithms: tuple[str, ...] = ("P_SHA256_RSA_2048", "P_ED25519")
    agreement_validity_days: int = 365
    auth: AuthPolicy = AuthPolicy()

    @property
    def answer_wait_s(self) -> float:
        """How long a step waits for the verdict on an application's answer to a callback."""
        return self.callback_timeout_ms / 1000 + 1


@dataclass(frozen=True)
class Draft:
    """initiate_agreement's answer: what the application is to sign, and with which algorithm."""

    steps: AgreementSteps
    text: str
    algorithm: str


class Lifecycle:
    def __init__(
        self,
        store: FrameworkStore,
        catalog: Catalog,
        keys: FrameworkKeys,
        settings: FrameworkSettings,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.keys = keys
        self.settings = settings
        self.clock = clock
        self.used_signatures = SharedOnce(store.trust, clock)  # on every gateway of the database
        self.authenticator = Authenticator(store, settings.auth, clock)
        self.desk = AgreementDesk(
            store, catalog, keys, settings.agreement_validity_days, self.used_signatures
        )
        self.offered_algorithms = [a for a in settings.signing_algorithms if a in keys.available()]
        self.reaped = 0  # access sessions ended because the client stopped answering (a metric)
        self._lock = threading.Lock()
        self._handshakes: set[Handshake] = set()
        self._accesses: dict[str, Access] = {}  # by session id
        self._holds: dict[str, set[Hold]] = {}  # by agreement id
        self._elsewhere = Lease("agreements held without an access session")
        self._pruned_at = clock()
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="fw-watcher", daemon=True)

    # -- running ------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the one revocation sweep."""
        self._watcher.start()

    def stop(self) -> None:
        """The process stops: the sweep ends, every surface is closed (``close_surface``)."""
        self._stop.set()
        if self._watcher.is_alive():
            self._watcher.join(timeout=5)
        for access in self.accesses():
            self.end_access(access, "the gateway stopped", keep_agreements=True)
        self._elsewhere.revoke()

    def close_surface(self, surface: str) -> None:
        """A surface stops: its sessions and held agreements end in this process; the agreements
        stay in force in the database (other gateways honour them, applications re-attach)."""
        for access in self.accesses(surface=surface):
            self.end_access(access, "the gateway stopped", keep_agreements=True)
        for hold in self._holds_where(lambda h: h.surface == surface and h.access is None):
            hold.lease.revoke()

    def stats(self, surface: str) -> dict[str, int]:
        """Live handshakes, access sessions and held agreements of one surface."""
        with self._lock:
            return {
                "handshakes": sum(1 for h in self._handshakes if h.surface == surface),
                "access_sessions": sum(1 for a in self._accesses.values() if a.surface == surface),
                "agreements": sum(
                    1 for held in self._holds.values() for h in held if h.surface == surface
                ),
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

    # -- handshakes ---------------------------------------------------------------------------
    def begin_handshake(
        self,
        surface: str,
        *,
        domain_kind: str,
        app_id: str,
        auth_type: str,
        version: str | None,
        peer: str = "",
    ) -> Handshake:
        """Admit a handshake (``Authenticator.begin``: version, type, domain, lock-out, caps)
        from ``peer``; the surface drives its ``session`` and revokes its lease when done."""
        session = self.authenticator.begin(
            domain_kind=domain_kind, app_id=app_id, auth_type=auth_type, version=version, peer=peer
        )
        ttl = timedelta(seconds=self.settings.auth.session_ttl_s)
        handshake = Handshake(
            session, surface, Lease(f"{surface} auth {app_id}"), session.created + ttl
        )
        with self._lock:
            self._handshakes.add(handshake)
        handshake.lease.on_revoke(lambda: self._forget_handshake(handshake))
        return handshake

    def _forget_handshake(self, handshake: Handshake) -> None:
        with self._lock:
            self._handshakes.discard(handshake)
        self.authenticator.release(handshake.session)

    # -- access sessions ----------------------------------------------------------------------
    def application(self, app_id: str) -> Application:
        """A registered, enabled application, for a surface that authenticates it by its own
        means (its registered key); P_ACCESS_DENIED otherwise."""
        app = (
            self.store.application(app_id)
            if 0 < len(app_id) <= limits.identifier_chars_max
            else None
        )
        if app is None or not app.enabled:
            raise AccessDenied("unknown or disabled application")
        return app

    def open_access(
        self,
        app: Application,
        surface: str,
        *,
        handshake: Handshake | None = None,
        expires: datetime | None = None,
        tell_ended: Callable[[str], object] | None = None,
        probe: Callable[[], object] | None = None,
    ) -> Access:
        """An access session of an authenticated, enabled ``app`` (after the ``handshake``'s
        requestAccess, which ends with it; or from :meth:`application`). Past
        ``access_sessions_per_app_max`` the application's oldest session ends (told)."""
        mine = sorted(self.accesses(app.app_id), key=lambda a: a.session.started)
        for old in mine[: max(0, len(mine) - limits.access_sessions_per_app_max + 1)]:
            self.end_access(old, "too many access sessions; the oldest was ended", notify=True)
        session = AccessSession(
            secrets.token_hex(8), app, self.offered_algorithms, self.clock(), self.used_signatures
        )
        lease = Lease(f"{surface} access {session.session_id}")
        if handshake is not None:
            lease.on_revoke(handshake.lease.revoke)
        access = Access(session, surface, lease, expires, tell_ended, probe)
        with self._lock:
            self._accesses[session.session_id] = access
        log(
            logging.INFO,
            "access granted",
            app_id=app.app_id,
            session=session.session_id,
            surface=surface,
        )
        return access

    def accesses(self, app_id: str | None = None, surface: str | None = None) -> list[Access]:
        with self._lock:
            found = list(self._accesses.values())
        return [
            a
            for a in found
            if (app_id is None or a.app.app_id == app_id)
            and (surface is None or a.surface == surface)
        ]

    def end_access(
        self, access: Access, reason: str, *, notify: bool = False, keep_agreements: bool = False
    ) -> None:
        """End a session: its agreements end in the store (unless only this process stops or
        lost the client), everything handed out under it is revoked; ``notify``: the surface
        tells the client (``tell_ended``)."""
        access.session.end()
        with self._lock:
            if self._accesses.pop(access.session.session_id, None) is None:
                return
        if not keep_agreements:
            self.store.end_agreements(list(access.agreements), self.clock(), reason)
        access.lease.revoke()
        log(
            logging.INFO,
            "access ended",
            app_id=access.app.app_id,
            reason=reason,
            surface=access.surface,
        )
        if notify and access.tell_ended is not None:
            access.tell_ended(reason)

    def terminate_access(self, access: Access, text: str, signature: bytes) -> None:
        """terminateAccess: only for the application's valid, fresh signature of a text naming it."""
        access.session.terminate_signed(text, signature)
        self.end_access(access, "terminateAccess by the application")

    def client_gone(self, access: Access, why: str) -> None:
        """The surface's probe found the client gone: end its session like a gateway stop (its
        agreements stay in force for the application to re-attach)."""
        self.reaped += 1
        log(logging.INFO, "client no longer answers", app_id=access.app.app_id, error=why)
        self.end_access(access, "the client no longer answers", keep_agreements=True)

    # -- service agreements -------------------------------------------------------------------
    def select_service(self, access: Access, service_id: str) -> str:
        """selectService: the application's token for the service (the same on every re-select)."""
        access.session.use()
        token, offer = self.desk.select(access.app, service_id, self.clock())
        with access.session.lock:
            access.steps.setdefault(token, AgreementSteps(token, offer))
        return token

    def initiate_agreement(
        self,
        access: Access,
        token: str,
        *,
        surface_ready: Callable[[], object] | None = None,
        restart_unanswered: bool = False,
    ) -> Draft:
        """initiateSignServiceAgreement: draft a new agreement text for the application to sign.

        ``surface_ready()`` runs after the core's checks, before drafting: the surface's own
        precondition (CORBA: the application's callback is set). ``restart_unanswered``: a text
        still waiting for the application's signature is void and a new one is drafted (where
        the signature comes with the next call); otherwise that is TaskRefused."""
        session = access.session
        session.use()
        offer = self.desk.resolve(access.app, token)
        algorithm = session.algorithm_for_signing()
        if surface_ready is not None:
            surface_ready()
        with session.lock:
            steps = access.steps.setdefault(token, AgreementSteps(token, offer))
            if restart_unanswered and steps.state == Agreement.SIGNING_BY_APP:
                self.desk.app_answered(access.app, steps, None, "initiated again")
            terms = self.desk.draft(access.app, steps, algorithm, self.clock())
            return Draft(steps, terms.text(), algorithm)

    def app_answered(
        self, access: Access, steps: AgreementSteps, signature: bytes | None, refusal: str
    ) -> bool:
        """The application's answer to the surface's signing callback (None: refused, with
        ``refusal``); True when its signature verified."""
        with access.session.lock:
            signed = self.desk.app_answered(access.app, steps, signature, refusal)
        log(
            logging.INFO if signed else logging.WARNING,
            "application signature checked",
            app_id=access.app.app_id,
            service_id=steps.offer.service_id,
            accepted=signed,
        )
        return signed

    def sign_agreement(
        self,
        access: Access,
        token: str,
        *,
        text: str,
        algorithm: str,
        issue: Issue[T],
        app_signature: bytes | None = None,
        ask_to_reattach: AskToSign | None = None,
    ) -> tuple[AgreementRecord, T]:
        """signServiceAgreement: countersign, store and hand out the agreement of ``token``.

        The application's signature of the drafted ``text`` comes with the call
        (``app_signature``) or came to :meth:`app_answered`, waited for at most
        ``answer_wait_s``. ``issue(record, lease)`` makes what the surface hands out (a manager
        reference, a bearer token) under ``lease``, which ends with the agreement; a refusal it
        raises stores nothing. The agreement this session held under the token is superseded.

        ``ask_to_reattach``: with it, ``text`` and ``algorithm`` of an agreement in force under
        the token (signed in another session or on another gateway) take that agreement up in
        this session, once the application signed a fresh re-attach text with its registered
        key (``ask_to_reattach(record, text)``): nothing new is stored."""
        session = access.session
        session.use()
        self.desk.resolve(access.app, token)
        steps = access.steps.get(token)
        if steps is None:
            raise AccessDenied("call initiateSignServiceAgreement first")
        if ask_to_reattach is not None and steps.state == Agreement.SELECTED:
            stored = self.store.in_force_signed(
                app_id=access.app.app_id,
                token=token,
                text=text,
                algorithm=algorithm,
                now=self.clock(),
            )
            if stored is not None:
                return stored, self._reattach(access, steps, stored, ask_to_reattach, issue)
        if app_signature is None and steps.state == Agreement.SIGNING_BY_APP:
            steps.settled.wait(self.settings.answer_wait_s)
        with session.lock:
            if app_signature is not None and steps.state == Agreement.SIGNING_BY_APP:
                self._signed_by_app(access, steps, text, algorithm, app_signature)
            self.desk.check_countersign(steps, text, algorithm)
            record = self.desk.countersign(steps)
            previous = steps.in_force_id
            handout = self._hold(access, record, issue, store=True, supersedes=previous)
            steps.in_force_id = record.agreement_id
            steps.move(AgreementEvent.COUNTERSIGN)
        _log_agreement("service agreement signed", record, access.surface)
        return record, handout

    def _signed_by_app(
        self, access: Access, steps: AgreementSteps, text: str, algorithm: str, signature: bytes
    ) -> None:
        """The application's signature, carried by the signing call itself: of the drafted text,
        with the session's algorithm (session lock held)."""
        assert steps.terms is not None
        if algorithm != steps.algorithm:
            raise InvalidSigningAlgorithm(f"the session's algorithm is {steps.algorithm}")
        if text != steps.terms.text():
            raise InvalidAgreementText("the text differs from the one to be signed")
        if len(signature) > limits.signature_bytes_max or not self.desk.app_answered(
            access.app, steps, signature, ""
        ):
            raise InvalidSignature(steps.refusal or "the signature does not verify")

    def _reattach(
        self,
        access: Access,
        steps: AgreementSteps,
        record: AgreementRecord,
        ask: AskToSign,
        issue: Issue[T],
    ) -> T:
        """The agreement in force ``record``, held by this session once the application signed
        a fresh nonce with its registered key."""
        access.session.algorithm_for_signing()  # terminations need the session's algorithm
        text = self.desk.reattach_challenge(record, self.clock())
        signature = ask(record, text)
        self.desk.check_reattach(access.app, record, text, signature)
        with access.session.lock:
            if not steps.can(AgreementEvent.REATTACH):
                raise AccessDenied("call initiateSignServiceAgreement first")
            handout = self._hold(access, record, issue)
            steps.in_force_id = record.agreement_id
            steps.move(AgreementEvent.REATTACH)
        _log_agreement("service agreement re-attached", record, access.surface)
        return handout

    def hold_agreement(
        self, agreement_id: str, surface: str, issue: Issue[T], *, access: Access | None = None
    ) -> T | None:
        """An agreement in force signed elsewhere (another session, surface or gateway), held
        here while it is in force and its application enabled: ``issue`` hands it out under a
        lease the sweep revokes; None otherwise (database reads). Without ``access`` it is held
        for the process (a token another gateway issued); with it, in that session of the same
        application, ending with it -- the surface has proven the application holds its
        registered key (as CORBA's re-attach does with a signed nonce)."""
        if access is not None:
            access.session.use()
        record = self.store.agreement(agreement_id)
        if record is None or self.store.not_in_force([agreement_id], self.clock()):
            return None
        if access is not None and record.app_id != access.app.app_id:
            return None
        if self.store.disabled_among([record.app_id]):
            return None
        if access is None and not self._elsewhere.alive:
            return None  # the gateway is stopping
        if access is None:
            return self._hold(None, record, issue, surface=surface)
        with access.session.lock:
            return self._hold(access, record, issue)

    def _hold(
        self,
        access: Access | None,
        record: AgreementRecord,
        issue: Issue[T],
        *,
        store: bool = False,
        supersedes: str | None = None,
        surface: str = "",
    ) -> T:
        """Hand ``record`` out under a new lease (a child of the session's), then store it when
        ``store``; the session's superseded agreement is revoked. A failure revokes the lease."""
        parent = access.lease if access is not None else self._elsewhere
        lease = parent.child(f"agreement {record.agreement_id}")
        try:
            handout = issue(record, lease)
            if store:
                self.store.add_agreement(record, supersedes=supersedes)
        except BaseException:
            lease.revoke()
            raise
        hold = Hold(record, access.surface if access is not None else surface, lease, access)
        with self._lock:
            self._holds.setdefault(record.agreement_id, set()).add(hold)
        if access is not None:
            old = access.agreements.get(supersedes) if supersedes else None
            access.agreements[record.agreement_id] = hold
            if old is not None:
                old.lease.revoke()
        lease.on_revoke(lambda: self._forget_hold(hold))
        return handout

    def _forget_hold(self, hold: Hold) -> None:
        with self._lock:
            held = self._holds.get(hold.agreement_id)
            if held is not None:
                held.discard(hold)
                if not held:
                    del self._holds[hold.agreement_id]
        if hold.access is not None and hold.access.agreements.get(hold.agreement_id) is hold:
            del hold.access.agreements[hold.agreement_id]

    def terminate_agreement(self, access: Access, token: str, text: str, signature: bytes) -> None:
        """terminateServiceAgreement: for the application's valid, fresh signature of a text
        naming the token, the token and every agreement under it end, on every surface."""
        session = access.session
        session.use()
        self.desk.owned(access.app, token)
        self.desk.check_termination(
            access.app,
            algorithm=session.signing_algorithm,
            token=token,
            text=text,
            signature=signature,
        )
        self.terminate_token(
            app_id=access.app.app_id,
            token=token,
            text=text,
            signature=signature,
            reason="terminated by the application",
        )

    def terminate_token(
        self, *, app_id: str, token: str, text: str, signature: bytes, reason: str
    ) -> None:
        ids = set(
            self.store.terminate_token(
                token, now=self.clock(), text=text, signature=signature, reason=reason
            )
        )
        for access in self.accesses(app_id):
            with access.session.lock:
                steps = access.steps.pop(token, None)
                if steps is not None and steps.can(AgreementEvent.TERMINATE):
                    steps.move(AgreementEvent.TERMINATE)
                    steps.settled.set()
        self._revoke_where(
            lambda h: (
                h.agreement_id in ids or (h.record.token == token and h.record.app_id == app_id)
            )
        )
        log(logging.INFO, "service agreement terminated", app_id=app_id, agreements=len(ids))

    def revoke_agreements(self, agreement_ids: set[str] | list[str]) -> None:
        """Revoke whatever holds these agreements, on every surface."""
        wanted = set(agreement_ids)
        if wanted:
            self._revoke_where(lambda h: h.agreement_id in wanted)

    def _holds_where(self, predicate: Callable[[Hold], bool]) -> list[Hold]:
        with self._lock:
            return [h for held in self._holds.values() for h in held if predicate(h)]

    def _revoke_where(self, predicate: Callable[[Hold], bool]) -> None:
        for hold in self._holds_where(predicate):
            hold.lease.revoke()

    # -- the one sweep ------------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stop.wait(limits.revocation_sweep_interval_s):
            try:
                self.sweep(self.clock())
            except Exception as exc:  # the watcher must outlive a bad sweep; next one retries
                log(logging.WARNING, "revocation sweep failed", error=type(exc).__name__)

    def sweep(self, now: datetime) -> None:
        """End what ended elsewhere or with time (see the module docstring), on every surface."""
        for session in self.authenticator.stale():
            session.expire()
        with self._lock:  # expired, or gave way to a new handshake at a cap
            aborted = [h for h in self._handshakes if h.session.state == Auth.ABORTED]
        for handshake in aborted:
            handshake.lease.revoke()
        for access in self.accesses():
            if access.expires is not None and now >= access.expires:
                self.end_access(access, "the access token expired")
        accesses = self.accesses()
        elsewhere = self._holds_where(lambda h: h.access is None)
        apps = {a.app.app_id for a in accesses} | {h.record.app_id for h in elsewhere}
        disabled = self.store.disabled_among(apps)
        for access in accesses:
            if access.app.app_id in disabled:
                self.end_access(access, "the application was disabled", notify=True)
        for hold in elsewhere:
            if hold.record.app_id in disabled:
                hold.lease.revoke()
        with self._lock:
            held = list(self._holds)
        gone = self.store.not_in_force(held, now)
        if gone:
            self.revoke_agreements(gone)
        self._probe_idle()
        if now - self._pruned_at >= timedelta(seconds=limits.trust_prune_interval_s):
            self._pruned_at = now
            self.store.trust.prune(now, self.settings.auth.session_ttl_s)

    def _probe_idle(self) -> None:
        """Ask the client of each session idle for ``access_idle_s`` whether it is still there,
        where the surface can ask (``Access.probe``)."""
        idle_s = self.settings.access_idle_s
        if idle_s <= 0:
            return
        for access in self.accesses():
            if (
                access.probe is not None
                and not access.probing
                and access.session.idle_s() >= idle_s
            ):
                access.probing = True
                access.probe()


def _log_agreement(what: str, record: AgreementRecord, surface: str) -> None:
    log(
        logging.INFO,
        what,
        app_id=record.app_id,
        service_id=record.service_id,
        agreement_id=record.agreement_id,
        surface=surface,
    )
