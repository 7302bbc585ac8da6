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
    first = ledger.charge(
        app_id="shop",
        reference_code="order-1",
        account="1001",
        amount_minor=3_000,
        currency="KRW",
        description="book",
    )
    ledger.charge(
        app_id="shop",
        reference_code="order-2",
        account="1001",
        amount_minor=1_000,
        currency="KRW",
        description="pen",
    )
    before = table_counts(ledger)
    again = ledger.charge(
        app_id="shop",
        reference_code="order-1",
        account="1001",
        amount_minor=3_000,
        currency="KRW",
        description="book",
    )
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
    ledger.charge(
        app_id="shop",
        reference_code="x-1",
        account="1001",
        amount_minor=1_000,
        currency="KRW",
        description="a",
    )
    ledger.charge(
        app_id="other-shop",
        reference_code="x-1",
        account="1001",
        amount_minor=1_000,
        currency="KRW",
        description="a",
    )  # another application
    with pytest.raises(ReferenceCodeReused):
        ledger.refund(
            app_id="shop",
            reference_code="x-1",
            account="1001",
            amount_minor=1_000,
            currency="KRW",
            description="a",
        )  # same key, other operation
    assert ledger.status("1001").balance_minor == 8_000


def test_a_refused_request_is_evaluated_again_when_retried(ledger):
    open_account(ledger, balance_minor=1_000)
    before = table_counts(ledger)
    with pytest.raises(InsufficientBalance):
        ledger.charge(
            app_id="shop",
            reference_code="order-9",
            account="1001",
            amount_minor=2_000,
            currency="KRW",
            description="too dear",
        )
    assert table_counts(ledger) == before  # the refusal wrote nothing, not even its key
    ledger.recharge(
        app_id="operator",
        reference_code="top-1",
        account="1001",
        amount_minor=5_000,
        currency="KRW",
    )
    result = ledger.charge(
        app_id="shop",
        reference_code="order-9",
        account="1001",
        amount_minor=2_000,
        currency="KRW",
        description="too dear",
    )
    assert not result.replayed and result.balance_minor == 4_000


def test_reservations_with_a_reference_replay_too(ledger):
    open_account(ledger, balance_minor=10_000)
    rid = ledger.reserve(
        app_id="shop",
        account="1001",
        amount_minor=2_000,
        currency="KRW",
        description="hold",
        reference_code="res-1",
    )
    assert (
        ledger.reserve(
            app_id="shop",
            account="1001",
            amount_minor=2_000,
            currency="KRW",
            description="hold",
            reference_code="res-1",
        )
        == rid
    )
    assert ledger.status("1001").reserved_minor == 2_000
    info = ledger.reserve_additional(
        app_id="shop",
        reservation_id=rid,
        amount_minor=500,
        currency="KRW",
        description="more",
        reference_code="add-1",
    )
    again = ledger.reserve_additional(
        app_id="shop",
        reservation_id=rid,
        amount_minor=500,
        currency="KRW",
        description="more",
        reference_code="add-1",
    )
    assert again.replayed and again.reserved_minor == info.reserved_minor == 2_500
    charged = ledger.charge_reservation(
        app_id="shop",
        reference_code="cr-1",
        reservation_id=rid,
        amount_minor=1_000,
        currency="KRW",
        description="part",
    )
    assert ledger.charge_reservation(
        app_id="shop",
        reference_code="cr-1",
        reservation_id=rid,
        amount_minor=1_000,
        currency="KRW",
        description="part",
    ) == _replayed(charged)
    assert ledger.status("1001").reserved_minor == 1_500
    assert_reconciles(ledger, "1001")


def _replayed(result):
    from dataclasses import replace

    return replace(result, replayed=True)


def test_the_database_names_the_idempotency_key(ledger):
    """The unique index, not Python, decides: the storage layer reports which index refused."""
    open_account(ledger)
    ledger.charge(
        app_id="shop",
        reference_code="k-1",
        account="1001",
        amount_minor=1,
        currency="KRW",
        description="x",
    )
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
        winner = ledger.charge(
            app_id="shop",
            reference_code="warm-up",
            account="1001",
            amount_minor=3_000,
            currency="KRW",
            description="book",
        )
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
                    ledger.charge(
                        app_id="shop",
                        reference_code="race-1",
                        account="1001",
                        amount_minor=3_000,
                        currency="KRW",
                        description="book",
                    )
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
