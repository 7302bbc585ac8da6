"""API-level authentication (IpInitial + IpAPILevelAuthentication) without any transport.

An :class:`Authenticator` admits a client (version, auth type, domain, lock-out, capacity) and
makes one :class:`AuthSession` per handshake. The session is fed the client's calls and the
outcome of the framework's own challenge of the client; its moves are those of the ``auth``
machine in ``states.py``. Refusals are the typed errors of ``errors.py``.

Mutual authentication: the client challenges the framework (``answer``), the framework
challenges the client (``new_challenge`` / ``check_response``), each with a fresh random value
used once. The framework answers the client's challenge only once the client has proven itself
(the call waits for that verdict, at most ``callback_timeout_ms``), so an answer is never an
oracle for someone without the secret. A client challenge equal to one the framework has
outstanding for the application on any gateway (``trust.TrustRecords``) or one already answered
is refused at once (RFC 1994 §6 reflection, replay). A wrong answer, or a handshake that
challenged the framework and ended unproven, counts one failure for the (application, peer
address) that started it; from ``failures_max`` on that address is locked out with a doubling
back-off, and the application raises an alarm when ``alarm_peers`` addresses fail.

Capacity: at most ``sessions_per_peer_max`` handshakes in progress per (application, address)
and ``sessions_per_app_max`` per application; at either cap the oldest handshake that is still
unproven after ``limits.handshake_stale_s`` gives way, so stale half-open handshakes never keep
a complete one out.
"""

from __future__ import annotations

import logging
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
from framework.logs import log

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
    failures_max: int = 5
    lockout_base_s: float = 2
    session_ttl_s: float = 60
    sessions_per_app_max: int = 32
    sessions_per_peer_max: int = 16
    alarm_peers: int = 5  # failing addresses of one application that raise the alarm
    answer_wait_s: float = 6  # how long a client's challenge waits for the client's proof


class Authenticator:
    """Admits clients and tracks their handshakes, the lock-out and the replay memories."""

    def __init__(self, store: FrameworkStore, policy: AuthPolicy, clock: Clock = utc_now) -> None:
        self.store = store
        self.trust = store.trust
        self.policy = policy
        self.clock = clock
        self._lock = threading.Lock()
        self._pending: dict[str, set[AuthSession]] = {}
        self.answered = OnceMemory(limits.answered_challenges_per_app_max)
        self.failures = 0  # counted by this gateway (a metric)
        self.evicted = 0  # stale half-open handshakes that gave way (a metric)
        self._alarmed: dict[str, datetime] = {}

    @staticmethod
    def check_request(auth_type: str, version: str | None) -> None:
        """The checks that need no application: version first, then the auth type."""
        if version is not None and not version.startswith(FRAMEWORK_VERSION_PREFIX):
            raise InvalidVersion(f"supported: {FRAMEWORK_VERSION_PREFIX}")
        if auth_type != AUTH_TYPE:
            raise InvalidAuthType(f"supported: {AUTH_TYPE}")

    def begin(
        self,
        *,
        domain_kind: str,
        app_id: str,
        auth_type: str,
        version: str | None,
        peer: str = "",
    ) -> AuthSession:
        """Admit a handshake (``version`` None: the deprecated initiateAuthentication) from
        ``peer``, the client's address as the transport tells it ("" when it does not)."""
        self.check_request(auth_type, version)
        if domain_kind != DOMAIN_CLIENT_APPLICATION or len(app_id) > limits.identifier_chars_max:
            raise InvalidDomainId("a registered client application is required")
        app = self.store.application(app_id)
        if app is None or not app.enabled:
            raise InvalidDomainId("unknown or disabled client application")
        now = self.clock()
        self._refuse_if_locked(app_id, peer, now)
        session = AuthSession(self, app, now, peer)
        for _ in range(3):  # at most one stale handshake gives way per cap
            with self._lock:
                pending = self._pending.setdefault(app_id, set())
                victim, refusal = self._over_cap(pending, peer, now)
                if refusal is None:
                    pending.add(session)
                    return session
            if victim is None:
                raise ResourcesUnavailable(refusal)
            if victim.expire():  # outside our lock: expiring takes the session's lock first
                self.evicted += 1
        raise ResourcesUnavailable("too many authentications in progress")

    def _over_cap(
        self, pending: set[AuthSession], peer: str, now: datetime
    ) -> tuple[AuthSession | None, str | None]:
        """(a stale handshake to end, the refusal) when a cap is reached; (None, None) else."""
        mine = [s for s in pending if s.peer == peer]
        for group, cap, refusal in (
            (mine, self.policy.sessions_per_peer_max, "too many authentications from here"),
            (list(pending), self.policy.sessions_per_app_max, "too many authentications"),
        ):
            if len(group) >= cap:
                stale = now - timedelta(seconds=limits.handshake_stale_s)
                old = [s for s in group if s.created <= stale and s.unproven]
                return (min(old, key=lambda s: s.created) if old else None), refusal
        return None, None

    def _refuse_if_locked(self, app_id: str, peer: str, now: datetime) -> None:
        until = self.trust.locked_until(app_id, peer, now)
        if until is not None:
            wait_s = int((until - now).total_seconds()) + 1
            raise TaskRefused(f"authentication locked after repeated failures; retry in {wait_s} s")

    def locked(self, app_id: str, peer: str) -> bool:
        return self.trust.locked_until(app_id, peer, self.clock()) is not None

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

    def note_outstanding(self, app_id: str, value: bytes, present: bool) -> None:
        if present:
            self.trust.challenge_issued(app_id, value, self.clock())
        else:
            self.trust.challenge_settled(value)

    def is_outstanding(self, app_id: str, value: bytes) -> bool:
        return self.trust.challenge_outstanding(app_id, value)

    def failed(self, app_id: str, peer: str) -> None:
        now = self.clock()
        self.trust.failure(app_id, peer, now, self.policy.failures_max, self.policy.lockout_base_s)
        self.failures += 1
        self._alarm_if_many_addresses(app_id, now)

    def _alarm_if_many_addresses(self, app_id: str, now: datetime) -> None:
        """One warning per application per ``alarm_interval_s`` while failures come from
        ``alarm_peers`` addresses or more (the metric reads the same table at each scrape)."""
        since = now - timedelta(seconds=limits.auth_alarm_window_s)
        peers = self.trust.failing_peers(since).get(app_id, 0)
        if peers < self.policy.alarm_peers:
            return
        last = self._alarmed.get(app_id)
        if last is not None and now - last < timedelta(seconds=limits.auth_alarm_interval_s):
            return
        self._alarmed[app_id] = now
        log(
            logging.WARNING,
            "authentication failures from many addresses",
            app_id=app_id,
            addresses=peers,
            window_s=limits.auth_alarm_window_s,
        )

    def succeeded(self, app_id: str, peer: str) -> None:
        self.trust.success(app_id, peer)


class AuthSession:
    """One handshake: the ``auth`` machine plus the framework's outstanding challenge."""

    def __init__(
        self, authenticator: Authenticator, app: Application, created: datetime, peer: str = ""
    ) -> None:
        self.authenticator = authenticator
        self.app = app
        self.created = created
        self.peer = peer
        self.state: str = Auth.IDLE
        self.mechanism: str | None = None
        self._challenge: chap.Packet | None = None
        self._lock = threading.Lock()
        self._verdict = threading.Event()  # the client proved itself, or the handshake ended
        self._client_challenged = False
        self._counted = False  # this handshake's failure was counted
        self._client_proved = False  # the client answered our challenge rightly (never undone)

    @property
    def finished(self) -> bool:
        return self.state in (Auth.ABORTED, Auth.ACCESS_GRANTED)

    @property
    def proven(self) -> bool:
        return self.state in (Auth.CLIENT_PROVEN, Auth.AUTHENTICATED, Auth.ACCESS_GRANTED)

    @property
    def unproven(self) -> bool:
        return not self.finished and not self.proven

    def binding(self, direction: chap.Direction) -> chap.Binding:
        return chap.Binding(direction, FRAMEWORK_NAME, self.app.app_id.encode())

    def _move(self, event: str, refusal: str) -> None:
        if not allowed(Machine.AUTH, self.state, event):
            raise AccessDenied(refusal)
        self.state = step(Machine.AUTH, self.state, event)
        if self.proven or self.finished:
            self._verdict.set()
        if self.finished:
            self.authenticator.release(self)

    def select_mechanism(self, client_list: str) -> str:
        with self._lock:
            if not allowed(Machine.AUTH, self.state, AuthEvent.SELECT_MECHANISM):
                raise AccessDenied("a mechanism was already selected or the session ended")
            if self.authenticator.locked(self.app.app_id, self.peer):
                raise AccessDenied("authentication locked")
            chosen = chap.choose_mechanism(client_list, list(self.app.auth_mechanisms))
            if chosen is None:
                raise NoAcceptableAuthenticationMechanism(
                    "allowed for this application: " + ",".join(self.app.auth_mechanisms)
                )
            self.mechanism = chosen
            self._move(AuthEvent.SELECT_MECHANISM, "")
            return chosen

    def answer(self, octets: bytes, wait_s: float | None = None) -> bytes:
        """Answer the client's CHAP challenge (the client authenticating the framework), once
        the client has proven itself: waits at most ``wait_s`` (default the policy's) for it."""
        with self._lock:
            if self.state == Auth.IDLE or self.finished:
                raise AccessDenied("select an authentication mechanism first")
            try:
                packet = chap.decode(octets, chap.CODE_CHALLENGE)
            except chap.MalformedPacket as exc:
                raise AccessDenied(f"malformed challenge: {exc}") from None
            if len(packet.value) < limits.challenge_value_bytes_min:
                raise AccessDenied("challenge value too short")
            if self.authenticator.is_outstanding(self.app.app_id, packet.value):
                raise AccessDenied("a challenge issued by the framework is not answered")
            if not self.authenticator.answered.first_use(self.app.app_id, packet.value):
                raise AccessDenied("replayed challenge")
            self._client_challenged = True
        wait = self.authenticator.policy.answer_wait_s if wait_s is None else wait_s
        self._verdict.wait(wait)
        with self._lock:
            if not allowed(Machine.AUTH, self.state, AuthEvent.CLIENT_CHALLENGES):
                count = self._count_failure_once()
                refusal = "the framework answers only a client that has proven itself"
            else:
                assert self.mechanism is not None
                response = chap.answer(
                    self.mechanism,
                    packet,
                    self.app.secret,
                    FRAMEWORK_NAME,
                    self.binding(chap.Direction.APPLICATION_CHALLENGES),
                )
                self.state = step(Machine.AUTH, self.state, AuthEvent.CLIENT_CHALLENGES)
                return response.encode()
        if count:
            self.authenticator.failed(self.app.app_id, self.peer)
        raise AccessDenied(refusal)

    def _count_failure_once(self) -> bool:
        """True once for a handshake that must count as a failure (lock held)."""
        if self._counted or self._client_proved:
            return False
        self._counted = True
        return True

    def client_confirms(self) -> None:
        with self._lock:
            self._move(AuthEvent.CLIENT_CONFIRMS, "authenticationSucceeded is not expected now")

    def abort(self) -> None:
        with self._lock:
            self._move(AuthEvent.ABORT, "the authentication already ended")
            self._forget_challenge()
            count = self._client_challenged and self._count_failure_once()
        if count:
            self.authenticator.failed(self.app.app_id, self.peer)

    def expire(self) -> bool:
        """End an unfinished handshake (TTL passed, or a stale one gives way at the cap)."""
        with self._lock:
            if not allowed(Machine.AUTH, self.state, AuthEvent.EXPIRE):
                return False
            self._move(AuthEvent.EXPIRE, "")
            self._forget_challenge()
            count = self._client_challenged and self._count_failure_once()
        if count:
            self.authenticator.failed(self.app.app_id, self.peer)
        return True

    def new_challenge(self) -> bytes | None:
        """The framework's challenge of the client, or None when the session no longer needs it."""
        with self._lock:
            if self.state not in (Auth.CHALLENGING, Auth.FRAMEWORK_PROVEN):
                return None
            assert self._challenge is None, "one framework challenge at a time"
            self._challenge = chap.new_challenge(secrets.randbelow(256), FRAMEWORK_NAME)
            self.authenticator.note_outstanding(self.app.app_id, self._challenge.value, True)
            return self._challenge.encode()

    def check_response(self, octets: bytes | None) -> bool:
        """Judge the client's answer (None: no answer). One challenge, one verdict."""
        with self._lock:
            challenge = self._forget_challenge()
            if challenge is None or self.finished:
                return False
            assert self.mechanism is not None
            ok = octets is not None and chap.verify(
                self.mechanism,
                challenge,
                octets,
                self.app.secret,
                self.binding(chap.Direction.FRAMEWORK_CHALLENGES),
            )
            self._client_proved = ok
            self._move(AuthEvent.RESPONSE_VALID if ok else AuthEvent.RESPONSE_INVALID, "")
            count = not ok and (octets is not None or self._client_challenged)
            count = count and self._count_failure_once()
        if ok:
            self.authenticator.succeeded(self.app.app_id, self.peer)
        elif count:
            self.authenticator.failed(self.app.app_id, self.peer)
        return ok

    def _forget_challenge(self) -> chap.Packet | None:
        challenge, self._challenge = self._challenge, None
        if challenge is not None:
            self.authenticator.note_outstanding(self.app.app_id, challenge.value, False)
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
