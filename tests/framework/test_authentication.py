"""The authentication core with a real store: admission, the mutual CHAP exchange, lock-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from client import crypto
from framework.core import chap, errors
from framework.core.authentication import Authenticator, AuthPolicy
from framework.core.sealing import Keyring
from framework.core.states import Auth
from framework.core.store import FrameworkStore
from storage import open_database

SECRET = b"0123456789abcdef-secret"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def auth(sqlite_url: str, clock: Clock) -> Authenticator:
    store = FrameworkStore(open_database(sqlite_url), Keyring.generate())
    for app_id, mechanisms in (("shop", ["P_OSA_HMAC_SHA256"]), ("legacy", ["P_OSA_MD5"])):
        store.register_application(app_id, SECRET, None, mechanisms, ["P_PAYMENT"], clock())
    store.register_application("off", SECRET, None, ["P_OSA_MD5"], ["P_PAYMENT"], clock())
    store.set_enabled("off", False, clock())
    policy = AuthPolicy(
        failures_max=2,
        lockout_base_s=10,
        session_ttl_s=30,
        sessions_per_app_max=3,
        sessions_per_peer_max=3,
    )
    return Authenticator(store, policy, clock)


def begin(auth: Authenticator, app_id: str = "shop", peer: str = "10.0.0.1"):
    return auth.begin(
        domain_kind="P_CLIENT_APPLICATION",
        app_id=app_id,
        auth_type="P_OSA_AUTHENTICATION",
        version="P_PARLAY_4",
        peer=peer,
    )


def prove(session) -> None:
    """Answer the framework's challenge as the application would."""
    ours = session.new_challenge()
    assert ours is not None
    assert session.check_response(
        crypto.chap_answer("P_OSA_HMAC_SHA256", ours, SECRET, b"shop", session.app.app_id.encode())
    )


@pytest.mark.parametrize(
    ("kind", "app_id", "auth_type", "version", "error"),
    [
        (
            "P_CLIENT_APPLICATION",
            "shop",
            "P_OSA_AUTHENTICATION",
            "P_PARLAY_3",
            errors.InvalidVersion,
        ),
        ("P_CLIENT_APPLICATION", "shop", "P_OSA_AUTHENTICATION", "", errors.InvalidVersion),
        ("P_CLIENT_APPLICATION", "shop", "P_AUTHENTICATION", "P_PARLAY_4", errors.InvalidAuthType),
        (
            "P_CLIENT_APPLICATION",
            "ghost",
            "P_OSA_AUTHENTICATION",
            "P_PARLAY_4",
            errors.InvalidDomainId,
        ),
        (
            "P_CLIENT_APPLICATION",
            "off",
            "P_OSA_AUTHENTICATION",
            "P_PARLAY_4",
            errors.InvalidDomainId,
        ),
        ("P_ENT_OP", "shop", "P_OSA_AUTHENTICATION", "P_PARLAY_4", errors.InvalidDomainId),
    ],
)
def test_admission_refusals(auth, kind, app_id, auth_type, version, error) -> None:
    with pytest.raises(error):
        auth.begin(domain_kind=kind, app_id=app_id, auth_type=auth_type, version=version)


def test_versions_starting_with_parlay_4_and_the_deprecated_entry_are_admitted(auth) -> None:
    for version in ("P_PARLAY_4", "P_PARLAY_4_2", None):
        session = auth.begin(
            domain_kind="P_CLIENT_APPLICATION",
            app_id="shop",
            auth_type="P_OSA_AUTHENTICATION",
            version=version,
        )
        session.abort()


def test_mutual_authentication_then_access(auth) -> None:
    session = begin(auth)
    with pytest.raises(errors.AccessDenied):
        session.answer(crypto.chap_challenge()[2])  # before a mechanism is chosen
    with pytest.raises(errors.NoAcceptableAuthenticationMechanism):
        session.select_mechanism("P_OSA_MD5")
    assert session.select_mechanism("P_OSA_MD5,P_OSA_HMAC_SHA256") == "P_OSA_HMAC_SHA256"
    with pytest.raises(errors.AccessDenied):
        session.request_access("P_OSA_ACCESS")
    session.client_confirms()
    with pytest.raises(errors.AccessDenied):
        session.request_access("P_OSA_ACCESS")  # the framework has not verified the client yet
    prove(session)
    identifier, value, packet = crypto.chap_challenge()
    answer = session.answer(packet)
    assert crypto.chap_check("P_OSA_HMAC_SHA256", identifier, value, answer, SECRET, b"shop")
    assert session.state == Auth.AUTHENTICATED
    with pytest.raises(errors.InvalidAccessType):
        session.request_access("P_OTHER_ACCESS")
    session.request_access("P_OSA_ACCESS")
    assert session.state == Auth.ACCESS_GRANTED
    assert auth.pending_count("shop") == 0
    with pytest.raises(errors.AccessDenied):
        session.request_access("P_OSA_ACCESS")  # one use


def test_no_answer_before_the_client_is_proven_and_the_attempt_counts(auth, clock) -> None:
    session = begin(auth)
    session.select_mechanism("P_OSA_HMAC_SHA256")
    with pytest.raises(errors.AccessDenied, match="proven"):
        session.answer(crypto.chap_challenge()[2], wait_s=0.05)  # an oracle for no one
    session.abort()
    other = begin(auth)
    other.select_mechanism("P_OSA_HMAC_SHA256")
    with pytest.raises(errors.AccessDenied, match="proven"):
        other.answer(crypto.chap_challenge()[2], wait_s=0.05)
    other.abort()
    with pytest.raises(errors.TaskRefused, match="locked"):  # failures_max = 2 attempts
        begin(auth)
    begin(auth, peer="10.0.0.2").abort()  # only that address is locked out


def test_a_proven_client_that_leaves_is_no_failure(auth) -> None:
    for _ in range(3):  # failures_max = 2: counting these would lock the application out
        session = begin(auth)
        session.select_mechanism("P_OSA_HMAC_SHA256")
        prove(session)
        session.answer(crypto.chap_challenge()[2])
        session.abort()
    begin(auth).abort()


def test_replayed_reflected_and_malformed_challenges_are_refused(auth) -> None:
    session = begin(auth)
    session.select_mechanism("P_OSA_HMAC_SHA256")
    prove(session)
    _, _, packet = crypto.chap_challenge()
    session.answer(packet)
    with pytest.raises(errors.AccessDenied, match="replayed"):
        session.answer(packet)
    other = begin(auth)
    other.select_mechanism("P_OSA_HMAC_SHA256")
    with pytest.raises(errors.AccessDenied, match="replayed"):
        other.answer(packet)  # a value answered once for this application is never answered again
    third = begin(auth)
    third.select_mechanism("P_OSA_HMAC_SHA256")
    ours = third.new_challenge()
    assert ours is not None
    with pytest.raises(errors.AccessDenied, match="issued by the framework"):
        other.answer(ours)  # reflection: make the framework answer its own challenge
    for garbage in (b"", b"\x01", bytes(40), b"\x01\x00\x00\x07\x01\x02"):
        with pytest.raises(errors.AccessDenied, match="malformed"):
            other.answer(garbage)
    short = chap.Packet(1, 1, b"1234567").encode()
    with pytest.raises(errors.AccessDenied, match="too short"):
        other.answer(short)


def test_a_wrong_or_replayed_response_aborts_and_locks_out(auth, clock) -> None:
    first = begin(auth)
    first.select_mechanism("P_OSA_HMAC_SHA256")
    challenge = first.new_challenge()
    assert challenge is not None
    good = crypto.chap_answer("P_OSA_HMAC_SHA256", challenge, SECRET, b"shop", b"shop")
    assert first.check_response(good)
    # a recorded good response does not answer a fresh challenge
    second = begin(auth)
    second.select_mechanism("P_OSA_HMAC_SHA256")
    assert second.new_challenge() is not None
    assert not second.check_response(good)
    assert second.state == Auth.ABORTED
    third = begin(auth)
    third.select_mechanism("P_OSA_HMAC_SHA256")
    assert third.new_challenge() is not None
    assert not third.check_response(b"garbage")
    with pytest.raises(errors.TaskRefused, match="locked"):
        begin(auth)
    clock.now += timedelta(seconds=11)
    fourth = begin(auth)  # the lock-out passed; one more failure locks for twice as long
    fourth.select_mechanism("P_OSA_HMAC_SHA256")
    fourth.new_challenge()
    fourth.check_response(None)  # no answer at all: aborts, but is not a credential failure
    assert fourth.state == Auth.ABORTED
    fifth = begin(auth)
    fifth.select_mechanism("P_OSA_HMAC_SHA256")
    fifth.new_challenge()
    fifth.check_response(b"\x02\x00\x00\x05")
    clock.now += timedelta(seconds=11)
    with pytest.raises(errors.TaskRefused):
        begin(auth)
    clock.now += timedelta(seconds=10)
    begin(auth).abort()


def test_failures_lock_out_only_the_address_that_made_them(auth) -> None:
    for _ in range(2):
        session = begin(auth, peer="203.0.113.9")
        session.select_mechanism("P_OSA_HMAC_SHA256")
        session.new_challenge()
        assert not session.check_response(b"\x02\x00\x00\x06\x01\x00")
    with pytest.raises(errors.TaskRefused, match="locked"):
        begin(auth, peer="203.0.113.9")
    session = begin(auth, peer="10.0.0.1")  # the application itself, elsewhere
    session.select_mechanism("P_OSA_HMAC_SHA256")
    prove(session)
    failing = auth.trust.failures_of("shop")
    assert [(peer, count) for peer, count, _ in failing] == [("203.0.113.9", 2)]


def test_a_stale_half_open_handshake_gives_way(auth, clock) -> None:
    crowd = [begin(auth, peer=f"198.51.100.{n}") for n in range(3)]  # the application's cap
    with pytest.raises(errors.ResourcesUnavailable):
        begin(auth)  # all fresh: nothing gives way yet
    clock.now += timedelta(seconds=6)
    session = begin(auth)  # the oldest stale one gave way
    assert [s.state for s in crowd].count(Auth.ABORTED) == 1 and auth.evicted == 1
    session.select_mechanism("P_OSA_HMAC_SHA256")
    prove(session)
    assert auth.pending_count("shop") == 3


def test_capacity_and_expiry_of_pending_handshakes(auth, clock) -> None:
    sessions = [begin(auth) for _ in range(3)]
    with pytest.raises(errors.ResourcesUnavailable):
        begin(auth)
    begin(auth, "legacy").abort()  # another application is not affected
    sessions[0].abort()
    sessions.append(begin(auth))
    assert auth.stale() == []
    clock.now += timedelta(seconds=31)
    stale = auth.stale()
    assert len(stale) == 3
    assert all(s.expire() for s in stale)
    assert auth.pending_count("shop") == 0
    with pytest.raises(errors.AccessDenied):
        stale[0].select_mechanism("P_OSA_HMAC_SHA256")
