"""Rows of another surface written in a charge's own transaction (``charging.batch.attach``), on
both backends: both or neither, whatever refuses or fails, and a replay sees the first outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from charging.errors import InsufficientBalance, InvalidInput
from charging.ledger import Ledger
from storage.database import Transaction
from tests.charging.helpers import assert_reconciles, open_account


class Rows:
    """An attachment that records each charge it sees in a table of its own."""

    def __init__(self, reference: str, *, found: Any = None, refuse: bool = False,
                 fail: bool = False) -> None:  # fmt: skip
        self.reference, self.found, self.refuse, self.fail = reference, found, refuse, fail
        self.outcomes: list[Any] = []

    def before(self, tx: Transaction) -> Any:
        if self.refuse:
            raise InvalidInput(field="attachment", reason="refused before the charge")
        return self.found

    def after(self, tx: Transaction, outcome: Any) -> Any:
        self.outcomes.append(outcome)
        tx.execute(
            "INSERT INTO attached_rows (reference, transaction_id) VALUES (?, ?)",
            (self.reference, outcome.transaction_id),
        )
        if self.fail:
            raise RuntimeError("the attachment failed after writing")
        return ("attached", outcome.transaction_id)


@pytest.fixture
def rows_table(ledger: Ledger) -> Ledger:
    with ledger.db.transaction() as tx:
        tx.execute("CREATE TABLE attached_rows (reference TEXT PRIMARY KEY, transaction_id BIGINT)")
    return ledger


def charge(ledger: Ledger, reference: str, attachment: Rows, amount_minor: int = 1_000) -> Any:
    async def call() -> Any:
        return await ledger.charge_async(
            app_id="shop", reference_code=reference, account="1001", amount_minor=amount_minor,
            currency="KRW", description="attached", attachment=attachment,
        )  # fmt: skip

    return asyncio.run(call())


def rows(ledger: Ledger) -> list[tuple[str, int]]:
    with ledger.db.transaction(write=False) as tx:
        return [(r[0], int(r[1])) for r in tx.all("SELECT reference, transaction_id "
                                                  "FROM attached_rows ORDER BY reference")]  # fmt: skip


def balance(ledger: Ledger) -> int:
    return ledger.get_account("1001").balance_minor


def test_the_rows_commit_with_the_charge(rows_table):
    ledger = rows_table
    open_account(ledger)
    answer = charge(ledger, "r1", Rows("r1"))
    assert answer[0] == "attached"
    assert rows(ledger) == [("r1", answer[1])]
    assert balance(ledger) == 9_000
    assert_reconciles(ledger, "1001")


def test_an_answer_found_before_the_charge_charges_nothing(rows_table):
    ledger = rows_table
    open_account(ledger)
    assert charge(ledger, "r1", Rows("r1", found="the earlier payment")) == "the earlier payment"
    assert (balance(ledger), rows(ledger)) == (10_000, [])


def test_a_refusal_by_either_side_leaves_nothing(rows_table):
    ledger = rows_table
    open_account(ledger)
    with pytest.raises(InvalidInput):
        charge(ledger, "r1", Rows("r1", refuse=True))
    attachment = Rows("r2")
    with pytest.raises(InsufficientBalance):
        charge(ledger, "r2", attachment, amount_minor=50_000)
    assert attachment.outcomes == []  # a refused charge never reaches ``after``
    assert (balance(ledger), rows(ledger)) == (10_000, [])


def test_a_failure_after_the_charge_undoes_the_charge_too(rows_table):
    ledger = rows_table
    open_account(ledger)
    with pytest.raises(RuntimeError):
        charge(ledger, "r1", Rows("r1", fail=True))
    assert (balance(ledger), rows(ledger)) == (10_000, [])
    # nothing of it was kept, the idempotency record neither: the same key charges afresh
    answer = charge(ledger, "r1", Rows("r1"))
    assert rows(ledger) == [("r1", answer[1])]
    assert balance(ledger) == 9_000
    assert_reconciles(ledger, "1001")


def test_a_replay_hands_the_first_outcome_to_the_attachment(rows_table):
    ledger = rows_table
    open_account(ledger)
    first = ledger.charge(app_id="shop", reference_code="r1", account="1001",
                          amount_minor=1_000, currency="KRW", description="attached")  # fmt: skip
    attachment = Rows("r1")
    assert charge(ledger, "r1", attachment) == ("attached", first.transaction_id)
    assert balance(ledger) == 9_000  # charged once
    assert [o.transaction_id for o in attachment.outcomes] == [first.transaction_id]
