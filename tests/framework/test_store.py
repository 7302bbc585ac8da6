"""The application/agreement store on a real SQLite file (same SQL runs on PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from framework.core import limits
from framework.core.sealing import Keyring
from framework.core.store import (
    IN_FORCE,
    MIGRATIONS,
    SUPERSEDED,
    AgreementRecord,
    ApplicationExists,
    FrameworkStore,
    InvalidApplication,
)
from storage import migrate, open_database
from tests.framework.keypool import public_pem

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SECRET = b"0123456789abcdef"


@pytest.fixture
def store(sqlite_url: str) -> FrameworkStore:
    return FrameworkStore(open_database(sqlite_url), Keyring.generate())


def register(store: FrameworkStore, app_id: str = "shop", types=("P_PAYMENT",)) -> None:
    store.register_application(
        app_id, SECRET, public_pem("ed25519"), ["P_OSA_HMAC_SHA256"], types, NOW
    )


def test_register_and_read(store: FrameworkStore) -> None:
    register(store)
    app = store.application("shop")
    assert app is not None
    assert app.secret == SECRET and app.enabled and app.service_types == ("P_PAYMENT",)
    assert app.public_key() is not None
    assert "0123" not in repr(app)
    assert [a.app_id for a in store.applications()] == ["shop"]
    with pytest.raises(ApplicationExists):
        register(store)


@pytest.mark.parametrize(
    ("app_id", "secret"),
    [("", SECRET), ("has space", SECRET), ("x" * 300, SECRET), ("ok", b"short")],
)
def test_invalid_applications(store: FrameworkStore, app_id: str, secret: bytes) -> None:
    with pytest.raises(InvalidApplication):
        store.register_application(app_id, secret, None, ["P_OSA_MD5"], ["P_SMS"], NOW)


def test_migrations_are_idempotent(sqlite_url: str) -> None:
    db = open_database(sqlite_url)
    FrameworkStore(db, Keyring.generate())
    assert migrate(db, "framework", MIGRATIONS) == MIGRATIONS[-1].version


def test_lockout_backs_off_doubling_per_address_and_clears(store: FrameworkStore) -> None:
    register(store)
    trust, peer = store.trust, "192.0.2.7"
    assert trust.failure("shop", peer, NOW, 3, 2) is None
    assert trust.failure("shop", peer, NOW, 3, 2) is None
    assert trust.failure("shop", peer, NOW, 3, 2) == NOW + timedelta(seconds=2)
    assert trust.failure("shop", peer, NOW, 3, 2) == NOW + timedelta(seconds=4)
    assert trust.failure("shop", peer, NOW, 3, 2) == NOW + timedelta(seconds=8)
    for _ in range(20):
        until = trust.failure("shop", peer, NOW, 3, 2)
    assert until == NOW + timedelta(seconds=limits.auth_lockout_s_max)
    assert trust.locked_until("shop", peer, NOW) == until
    assert trust.locked_until("shop", peer, until) is None
    assert trust.locked_until("shop", "192.0.2.8", NOW) is None  # another address
    store.set_enabled("shop", True, NOW)  # micropay app enable clears every address
    assert trust.locked_until("shop", peer, NOW) is None


def test_disable_and_enable(store: FrameworkStore) -> None:
    register(store)
    register(store, "other")
    assert store.set_enabled("shop", False, NOW)
    assert not store.set_enabled("ghost", False, NOW)
    assert store.disabled_among(["shop", "other", "ghost"]) == {"shop", "ghost"}
    store.set_enabled("shop", True, NOW)
    assert store.disabled_among(["shop"]) == set()


def test_same_token_on_reselect_and_a_new_one_after_termination(store: FrameworkStore) -> None:
    register(store)
    register(store, "other")
    token = store.service_token("shop", "payment", NOW)
    assert store.service_token("shop", "payment", NOW) == token
    assert store.service_token("other", "payment", NOW) != token
    assert store.token_owner(token) == ("shop", "payment")
    assert len(token) >= 32
    store.terminate_token(token, now=NOW, text="bye", signature=b"sig", reason="test")
    assert store.token_owner(token) is None
    assert store.service_token("shop", "payment", NOW) != token


def test_concurrent_selects_get_one_token(store: FrameworkStore) -> None:
    register(store)
    tokens: list[str] = []
    threads = [
        threading.Thread(target=lambda: tokens.append(store.service_token("shop", "sms", NOW)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(tokens)) == 1


def _record(store: FrameworkStore, agreement_id: str, token: str, days: int = 1) -> AgreementRecord:
    return AgreementRecord(
        agreement_id,
        token,
        "shop",
        "payment",
        "P_PAYMENT",
        "text",
        "P_ED25519",
        b"app-sig",
        b"fw-sig",
        NOW,
        NOW + timedelta(days=days),
    )


def test_agreements_keep_both_signatures_and_end_states(store: FrameworkStore) -> None:
    register(store)
    token = store.service_token("shop", "payment", NOW)
    store.add_agreement(_record(store, "a1", token))
    store.add_agreement(_record(store, "a2", token), supersedes="a1")
    states = {r.agreement_id: r.state for r in store.agreements("shop")}
    assert states == {"a1": SUPERSEDED, "a2": IN_FORCE}
    record = store.agreement("a2")
    assert record is not None
    assert (record.app_signature, record.fw_signature) == (b"app-sig", b"fw-sig")
    assert store.not_in_force(["a1", "a2", "zz"], NOW) == {"a1", "zz"}
    assert store.not_in_force(["a2"], NOW + timedelta(days=2)) == {"a2"}  # expired
    assert record.shown_state(NOW + timedelta(days=2)) == "expired"
    assert store.terminate_token(
        token, now=NOW, text="end", signature=b"term-sig", reason="by app"
    ) == ["a2"]
    ended = store.agreement("a2")
    assert ended is not None and ended.state == "terminated"
    assert ended.termination_signature == b"term-sig" and ended.termination_text == "end"


def test_end_agreements_when_the_session_ends(store: FrameworkStore) -> None:
    register(store)
    token = store.service_token("shop", "payment", NOW)
    store.add_agreement(_record(store, "a1", token))
    store.end_agreements(["a1"], NOW, "access ended")
    record = store.agreement("a1")
    assert record is not None and record.state == "ended" and record.end_reason == "access ended"
