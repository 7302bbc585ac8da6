"""The framework over gRPC: the one lifecycle of ``framework.core.lifecycle`` as bearer tokens.

Nothing here is a framework. Handshakes, access sessions, agreements (signing, superseding,
termination), expiry and the revocation sweep are the gateway's lifecycle, which the CORBA
framework carries too: the same application registry, lock-out, signing algorithms, agreement
texts and store (``micropay agreement list`` shows gRPC agreements). What gRPC changes is the
carrier: where CORBA hands out object references, :class:`GrpcAccess` hands out bearer tokens,
each hung on the lease the lifecycle holds its session or agreement under:

- an **authentication id** per handshake (``InitiateAuthentication``), used once by
  ``CompleteAuthentication`` (the CHAP answers come as requests, not callbacks);
- an **access token** per access session (``CompleteAuthentication``), dead when the session
  ends: ``TerminateAccess``, disabling the application, the cap per application, or its expiry
  after ``access_token_ttl_s``;
- a **service access token** per agreement in force (``SignServiceAgreement``, the application's
  signature coming with the call), dead the moment the agreement ends -- over gRPC, over CORBA,
  from the CLI or another gateway (the lifecycle's sweep), or when it expires.

Several gateways on one database: a service access token works on every gateway
(:mod:`shim.tokens` keeps its hash with its agreement; :meth:`GrpcAccess.adopt` has the lifecycle
hold an agreement another gateway's token stands for, while it is in force and its application
enabled). Access tokens stay with the gateway that issued them. A gateway that stops revokes
its tokens in memory only: the agreements stay in force, and their tokens work elsewhere.

Transport-free: the servicer (``shim/framework_service.py``) converts messages and errors.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from framework.core.authentication import ACCESS_TYPE, AUTH_TYPE, DOMAIN_CLIENT_APPLICATION
from framework.core.errors import AccessDenied, ResourcesUnavailable
from framework.core.holds import Handshake
from framework.core.lease import Lease
from framework.core.lifecycle import Lifecycle
from framework.core.store import AgreementRecord, Application
from shim import limits, tokens
from shim.grants import AccessGrant, ServiceGrant, Signed, new_bearer

__all__ = ["AccessGrant", "GrpcAccess", "ServiceGrant", "Signed"]

SURFACE = "grpc"

log = logging.getLogger("micropay.grpc.access")


class GrpcAccess:
    def __init__(self, lifecycle: Lifecycle, serves: Callable[[str], bool]) -> None:
        """``serves(service_type)``: whether the shim has a servicer for that type now."""
        self.lifecycle = lifecycle
        self.serves = serves
        self._lock = threading.Lock()
        self._handshakes: dict[str, Handshake] = {}  # by authentication id
        self._access: dict[str, AccessGrant] = {}  # by access token
        self._services: dict[str, ServiceGrant] = {}  # by service access token
        tokens.prepare(lifecycle.store.db)

    def now(self) -> datetime:
        return self.lifecycle.clock()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "handshakes": len(self._handshakes),
                "access_sessions": len(self._access),
                "service_tokens": len(self._services),
            }

    def close(self) -> None:
        """The gateway stops: every token it holds dies here; the agreements stay in force in
        the database (the other gateways keep honouring their tokens)."""
        self.lifecycle.close_surface(SURFACE)

    # -- authentication -----------------------------------------------------------------------
    def initiate(
        self, app_id: str, version: str, mechanisms: str, peer: str = ""
    ) -> tuple[str, str, bytes, datetime]:
        """(authentication id, mechanism, framework challenge, expiry); ``peer`` is the
        client's address (the lock-out and the handshake caps count per address)."""
        handshake = self.lifecycle.begin_handshake(
            SURFACE,
            domain_kind=DOMAIN_CLIENT_APPLICATION,
            app_id=app_id,
            auth_type=AUTH_TYPE,
            version=version,
            peer=peer,
        )
        session = handshake.session
        try:
            mechanism = session.select_mechanism(mechanisms)
            challenge = session.new_challenge()
            assert challenge is not None, "a session that chose a mechanism is challenging"
        except BaseException:
            if not session.finished:
                session.abort()
            handshake.lease.revoke()
            raise
        authentication_id = new_bearer()
        with self._lock:
            self._handshakes[authentication_id] = handshake
        handshake.lease.on_revoke(lambda: self._forget_handshake(authentication_id))
        return authentication_id, mechanism, challenge, handshake.expires

    def _forget_handshake(self, authentication_id: str) -> None:
        with self._lock:
            self._handshakes.pop(authentication_id, None)

    def complete(
        self, authentication_id: str, response: bytes, client_challenge: bytes, signing: str
    ) -> tuple[bytes, AccessGrant, str]:
        """Judge the answer; only then answer the client's challenge and open access.
        Returns (the framework's CHAP response, the access grant, the signing algorithm)."""
        with self._lock:
            handshake = self._handshakes.pop(authentication_id, None)  # single use
        if handshake is None:
            raise AccessDenied("unknown, used or expired authentication id")
        session = handshake.session
        try:
            if session.finished or self.now() >= handshake.expires:
                if not session.finished:
                    session.expire()
                raise AccessDenied("unknown, used or expired authentication id")
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
        finally:
            handshake.lease.revoke()  # the authentication id is spent either way
        grant = self._open_access(session.app)
        try:
            algorithm = grant.session.select_signing_algorithm(signing)
        except BaseException:
            self.lifecycle.end_access(grant.access, "no acceptable signing algorithm")
            raise
        return answer, grant, algorithm

    def _open_access(self, app: Application) -> AccessGrant:
        expires = self.now() + timedelta(seconds=limits.access_token_ttl_s)
        access = self.lifecycle.open_access(app, SURFACE, expires=expires)
        grant = AccessGrant(new_bearer(), access)
        with self._lock:
            self._access[grant.bearer] = grant
        access.lease.on_revoke(lambda: self._forget_access(grant.bearer))
        return grant

    def _forget_access(self, bearer: str) -> None:
        with self._lock:
            self._access.pop(bearer, None)

    # -- tokens ---------------------------------------------------------------------------------
    def access_grant(self, bearer: str) -> AccessGrant | None:
        """The live access session of a bearer token, or None (unknown, ended, expired)."""
        grant = self._access.get(bearer)
        if grant is None or not grant.alive:
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
        return self.lifecycle.select_service(grant.access, service_id)

    def initiate_signing(self, grant: AccessGrant, token: str) -> tuple[str, str]:
        """(agreement text, algorithm): what the CORBA framework sends in its callback; asked
        again, the text not yet signed is void."""
        draft = self.lifecycle.initiate_agreement(grant.access, token, restart_unanswered=True)
        return draft.text, draft.algorithm

    def sign(
        self, grant: AccessGrant, token: str, text: str, algorithm: str, signature: bytes
    ) -> Signed:
        """The application's signature comes with the call; the lifecycle countersigns and the
        agreement is handed out as a new service access token."""
        record, service = self.lifecycle.sign_agreement(
            grant.access,
            token,
            text=text,
            algorithm=algorithm,
            issue=self._issue,
            app_signature=signature,
        )
        return Signed(record.fw_signature, service)

    def _issue(self, record: AgreementRecord, lease: Lease) -> ServiceGrant:
        if not self.serves(record.service_type):
            raise ResourcesUnavailable(f"{record.service_type} is not offered over gRPC")
        service = self._hang(new_bearer(), record, lease)
        tokens.remember(self.lifecycle.store.db, service.bearer, record.agreement_id, self.now())
        return service

    def _hang(self, bearer: str, record: AgreementRecord, lease: Lease) -> ServiceGrant:
        """A service access token for ``record`` that dies with ``lease``."""
        service = ServiceGrant(
            bearer,
            record.app_id,
            record.service_id,
            record.service_type,
            record.agreement_id,
            record.token,
            record.valid_until,
            lease,
        )
        with self._lock:
            self._services[bearer] = service
        lease.on_revoke(lambda: self._forget_service(service))
        return service

    def _forget_service(self, service: ServiceGrant) -> None:
        with self._lock:
            if self._services.get(service.bearer) is service:
                del self._services[service.bearer]

    def adopt(self, bearer: str) -> ServiceGrant | None:
        """A service access token another gateway issued, honoured here while its agreement is
        in force and its application enabled; None otherwise (blocking: database reads)."""
        if not 0 < len(bearer) <= limits.authorization_chars_max:
            return None
        agreement_id = tokens.agreement_of(self.lifecycle.store.db, bearer)
        if agreement_id is None:
            return None

        def adopted(record: AgreementRecord, lease: Lease) -> ServiceGrant:
            with self._lock:
                known = self._services.get(bearer)
            if known is not None and known.alive:  # adopted meanwhile by another call
                lease.revoke()
                return known
            return self._hang(bearer, record, lease)

        service = self.lifecycle.hold_agreement(agreement_id, SURFACE, adopted)
        if service is not None:
            log.info(
                "grpc service token of another gateway honoured app_id=%s agreement_id=%s",
                service.app_id,
                agreement_id,
            )
        return service

    def terminate_agreement(
        self, grant: AccessGrant, token: str, text: str, signature: bytes
    ) -> None:
        """terminateServiceAgreement: the lifecycle ends the token's agreements on every
        surface (CORBA managers of the same token die too)."""
        self.lifecycle.terminate_agreement(grant.access, token, text, signature)

    def terminate_access(self, grant: AccessGrant, text: str, signature: bytes) -> None:
        self.lifecycle.terminate_access(grant.access, text, signature)
