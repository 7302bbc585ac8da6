"""The one lifecycle (framework/core/lifecycle.py) on its own, in process, on a real SQLite store,
real framework keys and the client library's CHAP and signatures: what every surface (CORBA,
gRPC, a REST surface) carries.

A surface here is what it is to the lifecycle: a name and an ``issue(record, lease)`` that hands
an agreement out (a manager reference, a bearer token) and lets it die with its lease. The
gateway tests (tests/framework, tests/shim, tests/scaleout) prove the same over real transports.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from client import crypto
from framework.core import lifecycle_doc, limits
from framework.core.authentication import ACCESS_TYPE, AUTH_TYPE, DOMAIN_CLIENT_APPLICATION
from framework.core.errors import AccessDenied, InvalidServiceToken, InvalidSignature
from framework.core.holds import Access
from framework.core.keys import FrameworkKeys
from framework.core.lease import Lease
from framework.core.lifecycle import FrameworkSettings, Lifecycle
from framework.core.sealing import Keyring
from framework.core.services import Catalog, ServiceOffer, ServiceType
from framework.core.store import (
    ENDED,
    IN_FORCE,
    SUPERSEDED,
    TERMINATED,
    AgreementRecord,
    FrameworkStore,
)
from storage import open_database
from tests.conftest import ROOT
from tests.framework.keypool import private_key, public_pem

APP = "shop"
SECRET = secrets.token_bytes(32)
ALGORITHM = "P_ED25519"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Surface:
    """A surface as the lifecycle sees it: it names what it hands out per agreement."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.live: dict[str, AgreementRecord] = {}

    def issue(self, record: AgreementRecord, lease: Lease) -> str:
        handed = f"{self.name}:{record.agreement_id}"
        self.live[handed] = record
        lease.on_revoke(lambda: self.live.pop(handed, None))
        return handed


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> FrameworkKeys:
    return FrameworkKeys(tmp_path_factory.mktemp("keys"), [ALGORITHM])


@pytest.fixture
def lifecycle(sqlite_url: str, keys: FrameworkKeys, clock: Clock) -> Lifecycle:
    store = FrameworkStore(open_database(sqlite_url), Keyring.generate())
    store.register_application(
        APP, SECRET, public_pem("ed25519"), ["P_OSA_HMAC_SHA256"], ["P_PAYMENT"], clock()
    )
    catalog = Catalog()
    catalog.add_type(ServiceType("P_PAYMENT"))
    catalog.add_offer(ServiceOffer("payment", "P_PAYMENT"))
    return Lifecycle(
        store, catalog, keys, FrameworkSettings(signing_algorithms=(ALGORITHM,)), clock
    )


def open_session(lifecycle: Lifecycle, surface: str, **kw: Any) -> Access:
    """The key-authenticated way in (a REST surface's): the application, then its session."""
    access = lifecycle.open_access(lifecycle.application(APP), surface, **kw)
    assert access.session.select_signing_algorithm(ALGORITHM) == ALGORITHM
    return access


def sign(lifecycle: Lifecycle, access: Access, surface: Surface) -> tuple[str, AgreementRecord]:
    """selectService, initiate, and sign with the application's signature in the call."""
    token = lifecycle.select_service(access, "payment")
    draft = lifecycle.initiate_agreement(access, token, restart_unanswered=True)
    signature = crypto.sign(draft.algorithm, private_key("ed25519"), draft.text)
    record, handed = lifecycle.sign_agreement(
        access,
        token,
        text=draft.text,
        algorithm=draft.algorithm,
        issue=surface.issue,
        app_signature=signature,
    )
    assert handed in surface.live and surface.live[handed] == record
    return token, record


def termination(token: str) -> tuple[str, bytes]:
    text = crypto.termination_text(APP, f"service token {token}")
    return text, crypto.sign(ALGORITHM, private_key("ed25519"), text)


def state_of(lifecycle: Lifecycle, record: AgreementRecord) -> str:
    stored = lifecycle.store.agreement(record.agreement_id)
    assert stored is not None
    return stored.state


def test_only_a_registered_enabled_application_gets_access(lifecycle: Lifecycle) -> None:
    with pytest.raises(AccessDenied):
        lifecycle.application("nobody")
    lifecycle.store.set_enabled(APP, False, lifecycle.clock())
    with pytest.raises(AccessDenied):
        lifecycle.application(APP)


def test_an_agreement_signed_in_a_session_ends_when_the_application_is_disabled(
    lifecycle: Lifecycle, clock: Clock
) -> None:
    rest = Surface("rest")
    access = open_session(lifecycle, rest.name)
    _, record = sign(lifecycle, access, rest)
    assert state_of(lifecycle, record) == IN_FORCE
    assert lifecycle.stats("rest") == {"handshakes": 0, "access_sessions": 1, "agreements": 1}
    lifecycle.store.set_enabled(APP, False, clock())
    lifecycle.sweep(clock())
    assert rest.live == {} and not access.alive
    assert state_of(lifecycle, record) == ENDED
    assert lifecycle.stats("rest") == {"handshakes": 0, "access_sessions": 0, "agreements": 0}


def test_a_wrong_signature_in_the_call_signs_nothing(lifecycle: Lifecycle) -> None:
    rest = Surface("rest")
    access = open_session(lifecycle, rest.name)
    token = lifecycle.select_service(access, "payment")
    draft = lifecycle.initiate_agreement(access, token, restart_unanswered=True)
    forged = crypto.sign(ALGORITHM, private_key("ed25519", 1), draft.text)
    with pytest.raises(InvalidSignature):
        lifecycle.sign_agreement(
            access,
            token,
            text=draft.text,
            algorithm=draft.algorithm,
            issue=rest.issue,
            app_signature=forged,
        )
    assert rest.live == {} and lifecycle.store.agreements(APP) == []


def test_a_session_holds_an_agreement_signed_elsewhere_until_it_ends(
    lifecycle: Lifecycle, clock: Clock
) -> None:
    corba, rest = Surface("corba"), Surface("rest")
    _, record = sign(lifecycle, open_session(lifecycle, corba.name), corba)
    lifecycle.store.register_application(
        "other", SECRET, public_pem("ed25519", 1), ["P_OSA_HMAC_SHA256"], ["P_PAYMENT"], clock()
    )
    stranger = lifecycle.open_access(lifecycle.application("other"), rest.name)
    assert (
        lifecycle.hold_agreement(record.agreement_id, rest.name, rest.issue, access=stranger)
        is None
    )
    access = open_session(lifecycle, rest.name)
    held = lifecycle.hold_agreement(record.agreement_id, rest.name, rest.issue, access=access)
    assert held in rest.live and list(access.agreements) == [record.agreement_id]
    lifecycle.store.set_enabled(APP, False, clock())
    lifecycle.sweep(clock())
    assert rest.live == {} and corba.live == {} and not access.alive and stranger.alive
    assert lifecycle.hold_agreement(record.agreement_id, rest.name, rest.issue) is None


def test_a_termination_on_one_surface_ends_the_agreement_on_every_surface(
    lifecycle: Lifecycle,
) -> None:
    corba, grpc = Surface("corba"), Surface("grpc")
    token, record = sign(lifecycle, open_session(lifecycle, corba.name), corba)
    assert lifecycle.hold_agreement(record.agreement_id, grpc.name, grpc.issue) is not None
    other = open_session(lifecycle, grpc.name)
    assert lifecycle.select_service(other, "payment") == token  # one token per application
    lifecycle.terminate_agreement(other, token, *termination(token))
    assert corba.live == {} and grpc.live == {}  # at once, no sweep
    assert state_of(lifecycle, record) == TERMINATED
    with pytest.raises(InvalidServiceToken):
        lifecycle.terminate_agreement(other, token, *termination(token))


def test_signing_again_supersedes_the_agreement_held_under_the_token(
    lifecycle: Lifecycle,
) -> None:
    grpc = Surface("grpc")
    access = open_session(lifecycle, grpc.name)
    _, first = sign(lifecycle, access, grpc)
    _, second = sign(lifecycle, access, grpc)
    assert list(grpc.live.values()) == [second]
    assert (state_of(lifecycle, first), state_of(lifecycle, second)) == (SUPERSEDED, IN_FORCE)


def test_the_one_sweep_ends_what_ended_elsewhere_or_with_time(
    lifecycle: Lifecycle, clock: Clock
) -> None:
    corba, grpc = Surface("corba"), Surface("grpc")
    token, record = sign(lifecycle, open_session(lifecycle, corba.name), corba)
    lifecycle.hold_agreement(record.agreement_id, grpc.name, grpc.issue)
    lifecycle.store.terminate_token(
        token, now=clock(), text="", signature=b"", reason="terminated by the operator"
    )
    assert corba.live and grpc.live  # ended elsewhere: found by the sweep
    lifecycle.sweep(clock())
    assert corba.live == {} and grpc.live == {}

    expiring = open_session(lifecycle, "grpc", expires=clock() + timedelta(seconds=60))
    _, kept = sign(lifecycle, expiring, grpc)
    clock.now += timedelta(seconds=61)
    lifecycle.sweep(clock())
    assert not expiring.alive and grpc.live == {}
    assert state_of(lifecycle, kept) == ENDED

    handshake = lifecycle.begin_handshake(
        "grpc",
        domain_kind=DOMAIN_CLIENT_APPLICATION,
        app_id=APP,
        auth_type=AUTH_TYPE,
        version="P_PARLAY_4",
    )
    clock.now += timedelta(seconds=lifecycle.settings.auth.session_ttl_s + 1)
    lifecycle.sweep(clock())
    assert not handshake.lease.alive and lifecycle.stats("grpc")["handshakes"] == 0


def test_closing_a_surface_keeps_its_agreements_in_force(lifecycle: Lifecycle) -> None:
    corba, grpc = Surface("corba"), Surface("grpc")
    _, record = sign(lifecycle, open_session(lifecycle, grpc.name), grpc)
    lifecycle.hold_agreement(record.agreement_id, grpc.name, grpc.issue)
    staying = open_session(lifecycle, corba.name)
    lifecycle.close_surface("grpc")
    assert grpc.live == {} and lifecycle.accesses(surface="grpc") == []
    assert state_of(lifecycle, record) == IN_FORCE  # other gateways honour it, re-attach works
    assert staying.alive


def test_the_session_cap_counts_the_application_on_every_surface(lifecycle: Lifecycle) -> None:
    told: list[str] = []
    oldest = open_session(lifecycle, "corba", tell_ended=told.append)
    for _ in range(limits.access_sessions_per_app_max - 1):
        open_session(lifecycle, "corba")
    assert oldest.alive
    open_session(lifecycle, "grpc")
    assert not oldest.alive and told == ["too many access sessions; the oldest was ended"]
    assert len(lifecycle.accesses(APP)) == limits.access_sessions_per_app_max


def test_a_chap_handshake_grants_access_that_holds_the_handshake(lifecycle: Lifecycle) -> None:
    handshake = lifecycle.begin_handshake(
        "test",
        domain_kind=DOMAIN_CLIENT_APPLICATION,
        app_id=APP,
        auth_type=AUTH_TYPE,
        version="P_PARLAY_4",
        peer="192.0.2.1",
    )
    session = handshake.session
    mechanism = session.select_mechanism("P_OSA_HMAC_SHA256")
    challenge = session.new_challenge()
    assert challenge is not None
    assert session.check_response(crypto.chap_answer(mechanism, challenge, SECRET, b"", b"shop"))
    identifier, value, packet = crypto.chap_challenge()
    answer = session.answer(packet, wait_s=0)
    assert crypto.chap_check(mechanism, identifier, value, answer, SECRET, b"shop")
    session.client_confirms()
    session.request_access(ACCESS_TYPE)
    access = lifecycle.open_access(handshake.app, "test", handshake=handshake)
    assert lifecycle.stats("test") == {"handshakes": 1, "access_sessions": 1, "agreements": 0}
    text = crypto.termination_text(APP, "access")
    with pytest.raises(InvalidSignature):  # no signing algorithm selected: nothing verifies
        lifecycle.terminate_access(
            access, text, crypto.sign(ALGORITHM, private_key("ed25519"), text)
        )
    access.session.select_signing_algorithm(ALGORITHM)
    lifecycle.terminate_access(access, text, crypto.sign(ALGORITHM, private_key("ed25519"), text))
    assert not handshake.lease.alive
    assert lifecycle.stats("test") == {"handshakes": 0, "access_sessions": 0, "agreements": 0}


def test_each_surface_draws_the_same_lifecycle_and_the_docs_show_it() -> None:
    assert all(set(move.words) == set(lifecycle_doc.SURFACES) for move in lifecycle_doc.MOVES)
    shapes = {
        tuple(line.partition(":")[0] for line in lifecycle_doc.mermaid(surface).splitlines())
        for surface in lifecycle_doc.SURFACES
    }
    assert len(shapes) == 1
    own_page = {"corba": "framework.md", "grpc": "grpc-api.md", "camara": "camara.md"}
    assert set(own_page) == set(lifecycle_doc.SURFACES)
    for surface in lifecycle_doc.SURFACES:
        for doc in {"framework.md", own_page[surface]}:  # every surface's, and each its own
            assert lifecycle_doc.mermaid(surface) in (ROOT / "docs" / doc).read_text(), (
                f"docs/{doc}: regenerate the {surface} lifecycle diagram"
            )
