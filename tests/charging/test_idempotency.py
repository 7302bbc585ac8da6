"""Idempotency on (application, referenceCode): replays, reuse with other content, refusals, and
the race the database decides."""

from __future__ import annotations

import threading

import pytest

from charging import idempotency
from charging.errors import InsufficientBalance, ReferenceCodeReused
from charging.schema import IDEMPOTENCY_KEY
from storage import UniqueViolation
from tests.charging.helpers import assert_reconciles, open_account, table_counts


def test_a_replay_returns_the_first_outcome_and_changes_nothing(ledger):
    open_account(ledger, balance_minor=10_000)
    first = ledger.charge("shop", "order-1", "1001", 3_000, "KRW", "book")
    ledger.charge("shop", "order-2", "1001", 1_000, "KRW", "pen")
    before = table_counts(ledger)
    again = ledger.charge("shop", "order-1", "1001", 3_000, "KRW", "book")
    assert again.replayed and not first.replayed
    assert again.transaction_id == first.transaction_id
    assert again.balance_minor == first.balance_minor == 7_000  # the FIRST outcome
    assert table_counts(ledger) == before
    assert ledger.status("1001").balance_minor == 6_000


@pytest.mark.parametrize(
    "change",
    [
        {"amount_minor": 3_001},
        {"description": "another book"},
        {"code": "C-1"},
        {"account": "1002"},
    ],
)
def test_the_same_reference_with_other_content_is_refused(ledger, change):
    open_account(ledger, "1001")
    open_account(ledger, "1002")
    request = {
        "app_id": "shop",
        "reference_code": "order-1",
        "account": "1001",
        "amount_minor": 3_000,
        "currency": "KRW",
        "description": "book",
    }
    ledger.charge(**request)
    before = table_counts(ledger)
    with pytest.raises(ReferenceCodeReused):
        ledger.charge(**{**request, **change})
    assert table_counts(ledger) == before


def test_reference_codes_are_per_application_and_per_operation(ledger):
    open_account(ledger, balance_minor=10_000)
    ledger.charge("shop", "x-1", "1001", 1_000, "KRW", "a")
    ledger.charge("other-shop", "x-1", "1001", 1_000, "KRW", "a")  # another application
    with pytest.raises(ReferenceCodeReused):
        ledger.refund("shop", "x-1", "1001", 1_000, "KRW", "a")  # same key, other operation
    assert ledger.status("1001").balance_minor == 8_000


def test_a_refused_request_is_evaluated_again_when_retried(ledger):
    open_account(ledger, balance_minor=1_000)
    before = table_counts(ledger)
    with pytest.raises(InsufficientBalance):
        ledger.charge("shop", "order-9", "1001", 2_000, "KRW", "too dear")
    assert table_counts(ledger) == before  # the refusal wrote nothing, not even its key
    ledger.recharge("operator", "top-1", "1001", 5_000, "KRW")
    result = ledger.charge("shop", "order-9", "1001", 2_000, "KRW", "too dear")
    assert not result.replayed and result.balance_minor == 4_000


def test_reservations_with_a_reference_replay_too(ledger):
    open_account(ledger, balance_minor=10_000)
    rid = ledger.reserve("shop", "1001", 2_000, "KRW", "hold", reference_code="res-1")
    assert ledger.reserve("shop", "1001", 2_000, "KRW", "hold", reference_code="res-1") == rid
    assert ledger.status("1001").reserved_minor == 2_000
    info = ledger.reserve_additional("shop", rid, 500, "KRW", "more", reference_code="add-1")
    again = ledger.reserve_additional("shop", rid, 500, "KRW", "more", reference_code="add-1")
    assert again.replayed and again.reserved_minor == info.reserved_minor == 2_500
    charged = ledger.charge_reservation("shop", "cr-1", rid, 1_000, "KRW", "part")
    assert ledger.charge_reservation("shop", "cr-1", rid, 1_000, "KRW", "part") == _replayed(
        charged
    )
    assert ledger.status("1001").reserved_minor == 1_500
    assert_reconciles(ledger, "1001")


def _replayed(result):
    from dataclasses import replace

    return replace(result, replayed=True)


def test_the_database_names_the_idempotency_key(ledger):
    """The unique index, not Python, decides: the storage layer reports which index refused."""
    open_account(ledger)
    ledger.charge("shop", "k-1", "1001", 1, "KRW", "x")
    with pytest.raises(UniqueViolation) as caught, ledger.db.transaction() as tx:
        tx.execute(
            "INSERT INTO ledger_requests (app_id, reference_code, request_hash, operation, "
            "outcome, created_at) VALUES ('shop', 'k-1', 'h', 'charge', '{}', 'now')"
        )
    assert caught.value.constraint == IDEMPOTENCY_KEY


@pytest.mark.postgres
def test_a_race_lost_to_another_process_returns_the_winners_outcome(postgres_url, clock):
    """Another gateway inserted the same key and has not committed yet: our charge waits on the
    unique index, loses, and is run again -- returning the winner's outcome, charging once."""
    import psycopg

    from charging.ledger import Ledger

    with Ledger.open(postgres_url, clock=clock) as ledger:
        open_account(ledger, balance_minor=10_000)
        fields = {
            "account": "1001",
            "amount": 3_000,
            "currency": "KRW",
            "description": "book",
            "code": None,
        }
        digest = idempotency.request_hash("charge", fields)
        winner = ledger.charge("shop", "warm-up", "1001", 3_000, "KRW", "book")
        outcome = idempotency.encode(winner)
        with psycopg.connect(postgres_url) as other:
            other.execute(
                "INSERT INTO ledger_requests (app_id, reference_code, request_hash, operation, "
                "outcome, created_at) VALUES ('shop', 'race-1', %s, 'charge', %s, 'now')",
                (digest, outcome),
            )
            results = []
            racer = threading.Thread(
                target=lambda: results.append(
                    ledger.charge("shop", "race-1", "1001", 3_000, "KRW", "book")
                )
            )
            racer.start()
            racer.join(0.5)
            assert racer.is_alive(), "the charge should be waiting on the other transaction"
            other.commit()
            racer.join(10)
        assert results and results[0].replayed
        assert results[0].transaction_id == winner.transaction_id
        assert ledger.status("1001").balance_minor == 7_000  # charged once (the warm-up)
