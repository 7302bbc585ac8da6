"""API-level authentication (IpInitial + IpAPILevelAuthentication) without any transport.

An :class:`Authenticator` admits a client (version, auth type, domain, lock-out, capacity) and
makes one :class:`AuthSession` per handshake. The session is fed the client's calls and the
outcome of the framework's own challenge of the client; its moves are those of the ``auth``
machine in ``states.py``. Refusals are the typed errors of ``errors.py``.

Mutual authentication (DESIGN §5): the client challenges the framework (``answer``), the
framework challenges the client (``new_challenge`` / ``check_response``), each with a fresh
random value used once. A client challenge that repeats one already answered for the
application, or that reflects a challenge the framework has outstanding, is refused, so a
client cannot make the framework answer its own challenge. A wrong answer aborts the session
and counts toward the application's lock-out (``auth_max_failures``, back-off doubling from
``auth_lockout_base_s``).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from framework.core import chap, limits
from framework.core.errors import (
    AccessDenied,
    InvalidAccessType,
    InvalidAuthType,
    InvalidDomainId,
    InvalidVersion,
    NoAcceptableAuthenticationMechanism,
    ResourcesUnavailable,
    TaskRefused,
)
from framework.core.memory import OnceMemory
from framework.core.states import Auth, AuthEvent, Machine, allowed, step
from framework.core.store import Application, FrameworkStore

FRAMEWORK_VERSION_PREFIX = "P_PARLAY_4"  # accepted: "P_PARLAY_4" and versions starting with it
AUTH_TYPE = "P_OSA_AUTHENTICATION"
ACCESS_TYPE = "P_OSA_ACCESS"
DOMAIN_CLIENT_APPLICATION = "P_CLIENT_APPLICATION"
FRAMEWORK_NAME = b"micropay"  # the Name of the framework's CHAP packets and its TpFwID

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AuthPolicy:
    max_failures: int = 5
    lockout_base_s: float = 2
    session_ttl_s: float = 60
    sessions_per_app_max: int = 32


class Authenticator:
    """Admits clients and tracks their handshakes, the lock-out and the replay memories."""

    def __init__(self, store: FrameworkStore, policy: AuthPolicy, clock: Clock = utc_now) -> None:
        self.store = store
        self.policy = policy
        self.clock = clock
        self._lock = threading.Lock()
        self._pending: dict[str, set[AuthSession]] = {}
        self._outstanding: set[bytes] = set()  # values of our challenges awaiting an answer
        self.answered = OnceMemory(limits.answered_challenges_per_app_max)

    @staticmethod
    def check_request(auth_type: str, version: str | None) -> None:
        """The checks that need no application: version first, then the auth type."""
        if version is not None and not version.startswith(FRAMEWORK_VERSION_PREFIX):
            raise InvalidVersion(f"supported: {FRAMEWORK_VERSION_PREFIX}")
        if auth_type != AUTH_TYPE:
            raise InvalidAuthType(f"supported: {AUTH_TYPE}")

    def begin(
        self, domain_kind: str, app_id: str, auth_type: str, version: str | None
    ) -> AuthSession:
        """Admit a handshake (``version`` None: the deprecated initiateAuthentication)."""
        self.check_request(auth_type, version)
        if domain_kind != DOMAIN_CLIENT_APPLICATION or len(app_id) > limits.identifier_max_chars:
            raise InvalidDomainId("a registered client application is required")
        app = self.store.application(app_id)
        if app is None or not app.enabled:
            raise InvalidDomainId("unknown or disabled client application")
        now = self.clock()
        if app.locked(now):
            assert app.locked_until is not None
            wait_s = int((app.locked_until - now).total_seconds()) + 1
            raise TaskRefused(f"authentication locked after repeated failures; retry in {wait_s} s")
        session = AuthSession(self, app, now)
        with self._lock:
            pending = self._pending.setdefault(app_id, set())
            if len(pending) >= self.policy.sessions_per_app_max:
                raise ResourcesUnavailable("too many authentications in progress")
            pending.add(session)
        return session

    def pending_count(self, app_id: str) -> int:
        with self._lock:
            return len(self._pending.get(app_id, ()))

    def release(self, session: AuthSession) -> None:
        with self._lock:
            pending = self._pending.get(session.app.app_id)
            if pending is not None:
                pending.discard(session)
                if not pending:
                    del self._pending[session.app.app_id]

    def stale(self) -> list[AuthSession]:
        """Handshakes older than ``session_ttl_s`` that have not been granted access."""
        limit = self.clock() - timedelta(seconds=self.policy.session_ttl_s)
        with self._lock:
            return [s for group in self._pending.values() for s in group if s.created < limit]

    def note_outstanding(self, value: bytes, present: bool) -> None:
        with self._lock:
            if present:
                self._outstanding.add(value)
            else:
                self._outstanding.discard(value)

    def is_outstanding(self, value: bytes) -> bool:
        with self._lock:
            return value in self._outstanding

    def failed(self, app_id: str) -> None:
        self.store.record_auth_failure(
            app_id, self.clock(), self.policy.max_failures, self.policy.lockout_base_s
        )

    def succeeded(self, app_id: str) -> None:
        self.store.clear_auth_failures(app_id)


class AuthSession:
    """One handshake: the ``auth`` machine plus the framework's outstanding challenge."""

    def __init__(self, authenticator: Authenticator, app: Application, created: datetime) -> None:
        self.authenticator = authenticator
        self.app = app
        self.created = created
        self.state: str = Auth.IDLE
        self.mechanism: str | None = None
        self._challenge: chap.Packet | None = None
        self._lock = threading.Lock()

    @property
    def finished(self) -> bool:
        return self.state in (Auth.ABORTED, Auth.ACCESS_GRANTED)

    def _move(self, event: str, refusal: str) -> None:
        if not allowed(Machine.AUTH, self.state, event):
            raise AccessDenied(refusal)
        self.state = step(Machine.AUTH, self.state, event)
        if self.finished:
            self.authenticator.release(self)

    def select_mechanism(self, client_list: str) -> str:
        with self._lock:
            if not allowed(Machine.AUTH, self.state, AuthEvent.SELECT_MECHANISM):
                raise AccessDenied("a mechanism was already selected or the session ended")
            if self.app.locked(self.authenticator.clock()):
                raise AccessDenied("authentication locked")
            chosen = chap.choose_mechanism(client_list, list(self.app.auth_mechanisms))
            if chosen is None:
                raise NoAcceptableAuthenticationMechanism(
                    "allowed for this application: " + ",".join(self.app.auth_mechanisms)
                )
            self.mechanism = chosen
            self._move(AuthEvent.SELECT_MECHANISM, "")
            return chosen

    def answer(self, octets: bytes) -> bytes:
        """Answer the client's CHAP challenge (the client authenticating the framework)."""
        with self._lock:
            if not allowed(Machine.AUTH, self.state, AuthEvent.CLIENT_CHALLENGES):
                raise AccessDenied("select an authentication mechanism first")
            try:
                packet = chap.decode(octets, chap.CODE_CHALLENGE)
            except chap.MalformedPacket as exc:
                raise AccessDenied(f"malformed challenge: {exc}") from None
            if len(packet.value) < limits.challenge_value_min_bytes:
                raise AccessDenied("challenge value too short")
            if self.authenticator.is_outstanding(packet.value):
                raise AccessDenied("a challenge issued by the framework is not answered")
            if not self.authenticator.answered.first_use(self.app.app_id, packet.value):
                raise AccessDenied("replayed challenge")
            assert self.mechanism is not None
            response = chap.answer(self.mechanism, packet, self.app.secret, FRAMEWORK_NAME)
            self.state = step(Machine.AUTH, self.state, AuthEvent.CLIENT_CHALLENGES)
            return response.encode()

    def client_confirms(self) -> None:
        with self._lock:
            self._move(AuthEvent.CLIENT_CONFIRMS, "authenticationSucceeded is not expected now")

    def abort(self) -> None:
        with self._lock:
            self._move(AuthEvent.ABORT, "the authentication already ended")
            self._forget_challenge()

    def expire(self) -> bool:
        with self._lock:
            if not allowed(Machine.AUTH, self.state, AuthEvent.EXPIRE):
                return False
            self._move(AuthEvent.EXPIRE, "")
            self._forget_challenge()
            return True

    def new_challenge(self) -> bytes | None:
        """The framework's challenge of the client, or None when the session no longer needs it."""
        with self._lock:
            if self.state not in (Auth.CHALLENGING, Auth.FRAMEWORK_PROVEN):
                return None
            assert self._challenge is None, "one framework challenge at a time"
            self._challenge = chap.new_challenge(secrets.randbelow(256), FRAMEWORK_NAME)
            self.authenticator.note_outstanding(self._challenge.value, True)
            return self._challenge.encode()

    def check_response(self, octets: bytes | None) -> bool:
        """Judge the client's answer (None: no answer). One challenge, one verdict."""
        with self._lock:
            challenge = self._forget_challenge()
            if challenge is None or self.finished:
                return False
            assert self.mechanism is not None
            ok = octets is not None and chap.verify(
                self.mechanism, challenge, octets, self.app.secret
            )
            self._move(AuthEvent.RESPONSE_VALID if ok else AuthEvent.RESPONSE_INVALID, "")
        if ok:
            self.authenticator.succeeded(self.app.app_id)
        elif octets is not None:
            self.authenticator.failed(self.app.app_id)
        return ok

    def _forget_challenge(self) -> chap.Packet | None:
        challenge, self._challenge = self._challenge, None
        if challenge is not None:
            self.authenticator.note_outstanding(challenge.value, False)
        return challenge

    def check_access(self, access_type: str) -> None:
        """requestAccess's checks before the reference check: state first, then the type."""
        if not allowed(Machine.AUTH, self.state, AuthEvent.REQUEST_ACCESS):
            raise AccessDenied("authentication is not complete")
        if access_type != ACCESS_TYPE:
            raise InvalidAccessType(f"supported: {ACCESS_TYPE}")

    def request_access(self, access_type: str) -> None:
        with self._lock:
            self.check_access(access_type)
            app = self.authenticator.store.application(self.app.app_id)
            if app is None or not app.enabled:
                raise AccessDenied("the application is disabled")
            self.app = app
            self._move(AuthEvent.REQUEST_ACCESS, "")
