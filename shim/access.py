"""The framework handshake over gRPC, on the framework core the CORBA surface uses.

Nothing here is a second framework. :class:`GrpcAccess` drives the gateway's own
``Authenticator`` (same application registry, secrets, mechanisms, lock-out and replay
memories), ``AccessSession`` (same signing algorithms), ``AgreementDesk`` (same agreement text,
same signature checks, same agreement store, so ``micropay agreement list`` shows gRPC
agreements) and ``Lease`` trees. What gRPC changes is only the carrier of the results: where the
CORBA framework hands out object references, this hands out bearer tokens, each held under a
lease:

- an **access token** per access session (``CompleteAuthentication``), revoked by
  ``TerminateAccess``, by disabling the application, or after ``access_token_ttl_s``;
- a **service access token** per signed agreement (``SignServiceAgreement``), a child of its
  access session's lease, revoked the moment the agreement ends -- over gRPC, over CORBA (the
  framework calls :meth:`GrpcAccess.revoke_agreements` from ``revoke_agreements``), from the CLI
  or another gateway (:meth:`sweep`), or when it expires.

Several gateways on one database: a service access token works on every gateway
(:mod:`shim.tokens` keeps its hash with its agreement; :meth:`GrpcAccess.adopt` honours a token
another gateway issued while its agreement is in force and its application enabled). Access
tokens (the handshake in progress, discovery, signing) stay with the gateway that issued them. A
gateway that stops revokes its tokens in memory only: the agreements stay in force, so the
tokens keep working on the other gateways.

Transport-free: the servicer (``shim/framework_service.py``) converts messages and errors.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from framework.core import limits as fw_limits
from framework.core.access import AccessSession
from framework.core.agreements import AgreementSteps
from framework.core.authentication import (
    ACCESS_TYPE,
    AUTH_TYPE,
    DOMAIN_CLIENT_APPLICATION,
)
from framework.core.errors import (
    AccessDenied,
    InvalidAgreementText,
    InvalidSignature,
    InvalidSigningAlgorithm,
    ResourcesUnavailable,
)
from framework.core.lease import Lease
from framework.core.services import ServiceOffer
from framework.core.states import Agreement, AgreementEvent
from framework.core.store import Application
from shim import limits, tokens
from shim.grants import (
    AccessGrant,
    FrameworkParts,
    PendingAuthentication,
    ServiceGrant,
    Signed,
    new_bearer,
)

__all__ = ["AccessGrant", "FrameworkParts", "GrpcAccess", "ServiceGrant", "Signed"]

log = logging.getLogger("micropay.grpc.access")


class GrpcAccess:
    def __init__(self, framework: FrameworkParts, serves: Callable[[str], bool]) -> None:
        """``serves(service_type)``: whether the shim has a servicer for that type now."""
        self.fw = framework
        self.serves = serves
        self._lock = threading.Lock()
        self._pending: dict[str, PendingAuthentication] = {}
        self._access: dict[str, AccessGrant] = {}
        self._services: dict[str, ServiceGrant] = {}
        self._adopted = Lease("grpc tokens of other gateways")  # parent of adopted grants
        tokens.prepare(framework.store.db)

    def now(self) -> datetime:
        return self.fw.clock()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "handshakes": len(self._pending),
                "access_sessions": len(self._access),
                "service_tokens": len(self._services),
            }

    # -- authentication -----------------------------------------------------------------------
    def initiate(
        self, app_id: str, version: str, mechanisms: str, peer: str = ""
    ) -> tuple[str, str, bytes, datetime]:
        """(authentication id, mechanism, framework challenge, expiry); ``peer`` is the
        client's address (the lock-out and the handshake caps count per address)."""
        auth = self.fw.authenticator
        session = auth.begin(DOMAIN_CLIENT_APPLICATION, app_id, AUTH_TYPE, version, peer)
        try:
            mechanism = session.select_mechanism(mechanisms)
            challenge = session.new_challenge()
            assert challenge is not None, "a session that chose a mechanism is challenging"
        except BaseException:
            if not session.finished:
                session.abort()
            raise
        expires = session.created + timedelta(seconds=auth.policy.session_ttl_s)
        authentication_id = new_bearer()
        with self._lock:
            self._pending[authentication_id] = PendingAuthentication(session, expires)
        return authentication_id, mechanism, challenge, expires

    def complete(
        self, authentication_id: str, response: bytes, client_challenge: bytes, signing: str
    ) -> tuple[bytes, AccessGrant, str]:
        """Judge the answer; only then answer the client's challenge and open access.
        Returns (the framework's CHAP response, the access grant, the signing algorithm)."""
        with self._lock:
            pending = self._pending.pop(authentication_id, None)  # single use
        if pending is None or pending.session.finished or self.now() >= pending.expires:
            if pending is not None and not pending.session.finished:
                pending.session.expire()
            raise AccessDenied("unknown, used or expired authentication id")
        session = pending.session
        if not session.check_response(response):
            raise AccessDenied("the challenge response is wrong")
        try:
            answer = session.answer(client_challenge, wait_s=0)  # proven just above
            session.client_confirms()
            session.request_access(ACCESS_TYPE)
        except BaseException:
            if not session.finished:
                session.abort()
            raise
        grant = self._open_access(session.app)
        try:
            algorithm = grant.session.select_signing_algorithm(signing)
        except BaseException:
            self.end_access(grant, "no acceptable signing algorithm")
            raise
        return answer, grant, algorithm

    def _open_access(self, app: Application) -> AccessGrant:
        with self._lock:
            mine = sorted(
                (g for g in self._access.values() if g.app.app_id == app.app_id),
                key=lambda g: g.session.started,
            )
        for old in mine[: max(0, len(mine) - fw_limits.access_sessions_per_app_max + 1)]:
            self.end_access(old, "too many access sessions; the oldest was ended")
        now = self.now()
        session = AccessSession(
            secrets.token_hex(8),
            app,
            list(self.fw.offered_algorithms),
            now,
            self.fw.used_signatures,
        )
        bearer = new_bearer()
        lease = Lease(f"grpc access {session.session_id}")
        grant = AccessGrant(
            bearer, session, lease, now + timedelta(seconds=limits.access_token_ttl_s)
        )
        lease.on_revoke(lambda: self._forget_access(bearer))
        with self._lock:
            self._access[bearer] = grant
        log.info("grpc access granted app_id=%s session=%s", app.app_id, session.session_id)
        return grant

    def _forget_access(self, bearer: str) -> None:
        with self._lock:
            self._access.pop(bearer, None)

    # -- tokens ---------------------------------------------------------------------------------
    def access_grant(self, bearer: str) -> AccessGrant | None:
        """The live access session of a bearer token, or None (unknown, ended, expired)."""
        grant = self._access.get(bearer)
        if grant is None or not grant.alive or grant.session.ended:
            return None
        if self.now() >= grant.expires:
            return None  # the sweep ends it (a database write: not on the event loop)
        return grant

    def service_grant(self, bearer: str) -> ServiceGrant | None:
        """The live agreement of a service access token, or None (revoked, expired, unknown)."""
        grant = self._services.get(bearer)
        if grant is None or not grant.alive:
            return None
        if self.now() >= grant.valid_until:
            grant.lease.revoke()
            return None
        return grant

    # -- discovery and agreements -------------------------------------------------------------
    def select(self, grant: AccessGrant, service_id: str) -> str:
        grant.session.use()
        token, offer = self.fw.desk.select(grant.app, service_id, self.now())
        with grant.session.lock:
            grant.steps.setdefault(token, AgreementSteps(token, offer))
        return token

    def initiate_signing(self, grant: AccessGrant, token: str) -> tuple[str, str]:
        """(agreement text, algorithm): what the CORBA framework sends in its callback."""
        session = grant.session
        session.use()
        offer: ServiceOffer = self.fw.desk.resolve(grant.app, token)
        algorithm = session.algorithm_for_signing()
        with session.lock:
            steps = grant.steps.setdefault(token, AgreementSteps(token, offer))
            if steps.state == Agreement.SIGNING_BY_APP:  # asked again: the old text is void
                self.fw.desk.app_answered(grant.app, steps, None, "initiated again")
            terms = self.fw.desk.draft(grant.app, steps, algorithm, self.now())
        return terms.text(), algorithm

    def sign(
        self, grant: AccessGrant, token: str, text: str, algorithm: str, signature: bytes
    ) -> Signed:
        session = grant.session
        session.use()
        offer: ServiceOffer = self.fw.desk.resolve(grant.app, token)
        desk = self.fw.desk
        with session.lock:
            steps = grant.steps.get(token)
            if steps is None:
                raise AccessDenied("call InitiateSignServiceAgreement first")
            if steps.state == Agreement.SIGNING_BY_APP:
                assert steps.terms is not None
                if algorithm != steps.algorithm:
                    raise InvalidSigningAlgorithm(f"the session's algorithm is {steps.algorithm}")
                if text != steps.terms.text():
                    raise InvalidAgreementText("the text differs from the one to be signed")
                if len(signature) > fw_limits.signature_max_bytes or not desk.app_answered(
                    grant.app, steps, signature, ""
                ):
                    raise InvalidSignature(steps.refusal or "the signature does not verify")
            desk.check_countersign(steps, text, algorithm)
            if not self.serves(offer.service_type):
                raise ResourcesUnavailable(f"{offer.service_type} is not offered over gRPC")
            record = desk.countersign(steps)
            lease = grant.lease.child(f"agreement {record.agreement_id}")
            service = ServiceGrant(
                new_bearer(),
                record.app_id,
                record.service_id,
                record.service_type,
                record.agreement_id,
                token,
                record.valid_until,
                lease,
            )
            previous = steps.in_force_id
            self.fw.store.add_agreement(record, supersedes=previous)
            tokens.remember(self.fw.store.db, service.bearer, record.agreement_id, self.now())
            with self._lock:
                self._services[service.bearer] = service
            grant.agreements[record.agreement_id] = service
            lease.on_revoke(lambda: self._forget_service(grant, service))
            if previous is not None:
                old = grant.agreements.get(previous)
                if old is not None:
                    old.lease.revoke()
            steps.in_force_id = record.agreement_id
            steps.move(AgreementEvent.COUNTERSIGN)
        log.info(
            "grpc service agreement signed app_id=%s service_id=%s agreement_id=%s",
            record.app_id,
            record.service_id,
            record.agreement_id,
        )
        return Signed(record.fw_signature, service)

    def adopt(self, bearer: str) -> ServiceGrant | None:
        """A service access token another gateway issued, honoured here while its agreement is
        in force and its application enabled; None otherwise (blocking: database reads)."""
        if not 0 < len(bearer) <= limits.authorization_chars_max:
            return None
        agreement_id = tokens.agreement_of(self.fw.store.db, bearer)
        if agreement_id is None:
            return None
        record = self.fw.store.agreement(agreement_id)
        now = self.now()
        if record is None or self.fw.store.not_in_force([agreement_id], now):
            return None
        if self.fw.store.disabled_among([record.app_id]):
            return None
        with self._lock:
            known = self._services.get(bearer)
            if known is not None and known.alive:
                return known
            service = ServiceGrant(
                bearer,
                record.app_id,
                record.service_id,
                record.service_type,
                record.agreement_id,
                record.token,
                record.valid_until,
                self._adopted.child(f"adopted agreement {agreement_id}"),
            )
            if not service.alive:
                return None  # the gateway is stopping
            self._services[bearer] = service
        service.lease.on_revoke(lambda: self._forget_adopted(service))
        log.info(
            "grpc service token of another gateway honoured app_id=%s agreement_id=%s",
            record.app_id,
            agreement_id,
        )
        return service

    def _forget_adopted(self, service: ServiceGrant) -> None:
        with self._lock:
            if self._services.get(service.bearer) is service:
                del self._services[service.bearer]

    def _forget_service(self, grant: AccessGrant, service: ServiceGrant) -> None:
        with self._lock:
            self._services.pop(service.bearer, None)
        grant.agreements.pop(service.agreement_id, None)

    def terminate_agreement(
        self, grant: AccessGrant, token: str, text: str, signature: bytes
    ) -> None:
        """terminateServiceAgreement: the framework's own path, so CORBA managers of the same
        token die too; then this surface's tokens of it."""
        session = grant.session
        session.use()
        self.fw.desk.owned(grant.app, token)
        self.fw.desk.check_termination(grant.app, session.signing_algorithm, token, text, signature)
        self.fw.terminate_token(
            grant.app.app_id, token, text, signature, "terminated by the application"
        )
        with session.lock:
            steps = grant.steps.pop(token, None)
            if steps is not None and steps.can(AgreementEvent.TERMINATE):
                steps.move(AgreementEvent.TERMINATE)
        self._revoke_where(lambda s: s.service_token == token and s.app_id == grant.app.app_id)

    def terminate_access(self, grant: AccessGrant, text: str, signature: bytes) -> None:
        grant.session.terminate_signed(text, signature)
        self.end_access(grant, "terminateAccess by the application")

    def end_access(self, grant: AccessGrant, reason: str) -> None:
        """End a session: its agreements end in the store, every token it gave is revoked."""
        grant.session.end()
        in_force = list(grant.agreements)
        if in_force:
            self.fw.store.end_agreements(in_force, self.now(), reason)
        if grant.lease.revoke():
            log.info("grpc access ended app_id=%s reason=%s", grant.app.app_id, reason)

    # -- revocation ---------------------------------------------------------------------------
    def revoke_agreements(self, agreement_ids: Iterable[str]) -> None:
        """Revoke the service tokens of these agreements (called by the framework when it
        revokes agreements, whichever surface or sweep ended them)."""
        wanted = set(agreement_ids)
        if wanted:
            self._revoke_where(lambda s: s.agreement_id in wanted)

    def _revoke_where(self, predicate: Callable[[ServiceGrant], bool]) -> None:
        with self._lock:
            doomed = [s for s in self._services.values() if predicate(s)]
        for service in doomed:
            service.lease.revoke()

    def sweep(self) -> None:
        """End what ended elsewhere: expired handshakes and tokens, disabled applications,
        agreements terminated by the CLI or another gateway process, or expired."""
        now = self.now()
        with self._lock:
            stale = [k for k, p in self._pending.items() if p.session.finished or now >= p.expires]
            pending = [self._pending.pop(k) for k in stale]
            grants = list(self._access.values())
            services = list(self._services.values())
        for p in pending:
            if not p.session.finished:
                p.session.expire()
        for grant in grants:
            if now >= grant.expires:
                self.end_access(grant, "the access token expired")
        live = [g for g in grants if g.alive]
        disabled = self.fw.store.disabled_among(g.app.app_id for g in live)
        for grant in live:
            if grant.app.app_id in disabled:
                self.end_access(grant, "the application was disabled")
        ids = [s.agreement_id for s in services if s.alive]
        gone = self.fw.store.not_in_force(ids, now) if ids else set()
        self.revoke_agreements(gone)
        adopted_apps = {s.app_id for s in services if s.alive}
        disabled_apps = self.fw.store.disabled_among(adopted_apps) if adopted_apps else set()
        if disabled_apps:
            self._revoke_where(lambda s: s.app_id in disabled_apps)

    def close(self) -> None:
        """The gateway stops: every token it holds dies here; the agreements stay in force in
        the database (the other gateways keep honouring their tokens)."""
        with self._lock:
            grants = list(self._access.values())
        for grant in grants:
            grant.session.end()
            grant.lease.revoke()
        self._adopted.revoke()
