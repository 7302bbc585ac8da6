"""Group commit: concurrent requests share one transaction; each runs in its own savepoint, so a
refused one rolls back alone; answers come only after the commit."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from charging.errors import InsufficientBalance
from charging.group_commit import GroupCommitter, RetryRequest
from storage import StorageUnavailable, TransactionConflict, open_database


@pytest.fixture
def db(sqlite_url):
    database = open_database(sqlite_url)
    with database.transaction() as tx:
        tx.execute("CREATE TABLE items (name TEXT PRIMARY KEY)")
    yield database
    database.close()


def insert(name: str, fail: BaseException | None = None):
    def work(tx):
        tx.execute("INSERT INTO items (name) VALUES (?)", (name,))
        if fail is not None:
            raise fail
        return name, [name]

    return work


def names(db) -> set[str]:
    with db.transaction(write=False) as tx:
        return {r[0] for r in tx.all("SELECT name FROM items")}


def test_concurrent_requests_share_a_transaction_and_fail_alone(db):
    batches: list[list[str]] = []
    committer = GroupCommitter(db, lambda tx, records: batches.append(list(records)), batch_max=64)
    gate, holding = threading.Event(), threading.Event()

    def hold(tx):  # keeps the writer busy so that the others pile up into one batch
        holding.set()
        gate.wait(10)
        return "held", ["held"]

    holder = threading.Thread(target=committer.submit, args=(hold,))
    holder.start()
    assert holding.wait(10)
    outcomes: dict[str, object] = {}

    def call(name: str, fail: BaseException | None) -> None:
        try:
            outcomes[name] = committer.submit(insert(name, fail))
        except BaseException as exc:  # the test records what each caller saw
            outcomes[name] = exc

    requests = [(f"ok{i}", None) for i in range(10)]
    requests += [("refused", InsufficientBalance()), ("bug", ZeroDivisionError())]
    threads = [threading.Thread(target=call, args=r) for r in requests]
    for t in threads:
        t.start()
    while committer.queued < len(requests):  # all queued behind the held batch
        threading.Event().wait(0.01)
    gate.set()
    for t in threads + [holder]:
        t.join(10)
    committer.close()
    assert batches[0] == ["held"]
    assert len(batches) == 2 and sorted(batches[1]) == sorted(f"ok{i}" for i in range(10))
    assert isinstance(outcomes["refused"], InsufficientBalance)
    assert isinstance(outcomes["bug"], ZeroDivisionError)
    assert names(db) == {f"ok{i}" for i in range(10)}


def test_an_answer_comes_only_after_the_commit(db, sqlite_url):
    committer = GroupCommitter(db, lambda tx, records: None)
    committer.submit(insert("durable"))
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))  # another connection
    assert other.execute("SELECT name FROM items").fetchall() == [("durable",)]
    other.close()
    committer.close()


def test_a_batch_the_database_aborted_runs_again(db):
    committer = GroupCommitter(db, lambda tx, records: None)
    attempts = {"n": 0}

    def conflicted(tx):
        attempts["n"] += 1
        tx.execute("INSERT INTO items (name) VALUES (?)", (f"try{attempts['n']}",))
        if attempts["n"] == 1:
            raise TransactionConflict("40P01")
        return "done", []

    assert committer.submit(conflicted) == "done"
    committer.close()
    assert names(db) == {"try2"}  # the first attempt left nothing behind


def test_a_request_may_ask_to_run_again(db):
    committer = GroupCommitter(db, lambda tx, records: None)
    attempts = {"n": 0}

    def lost_a_race(tx):
        attempts["n"] += 1
        tx.execute("INSERT INTO items (name) VALUES (?)", (f"run{attempts['n']}",))
        if attempts["n"] == 1:
            raise RetryRequest("lost")
        return attempts["n"], []

    assert committer.submit(lost_a_race) == 2
    committer.close()
    assert names(db) == {"run2"}


def test_batch_max_one_is_one_transaction_per_request(db):
    batches: list[list[str]] = []
    committer = GroupCommitter(db, lambda tx, records: batches.append(list(records)), batch_max=1)
    threads = [threading.Thread(target=committer.submit, args=(insert(f"n{i}"),)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    committer.close()
    assert sorted(b[0] for b in batches) == sorted(f"n{i}" for i in range(8))
    assert all(len(b) == 1 for b in batches)


def test_a_caller_that_gave_up_does_not_hold_up_the_others(db):
    """Thread callers are woken one after the other (each wakes the next); one that timed out
    before its batch was answered is left out of that chain, so the callers after it still get
    their answers at once -- and its request was still carried out (its outcome was unknown)."""
    committer = GroupCommitter(db, lambda tx, records: None, batch_max=64)
    gate, holding = threading.Event(), threading.Event()

    def hold(tx):
        holding.set()
        gate.wait(10)
        return "held", []

    outcomes: dict[str, object] = {}

    def call(name: str, work) -> None:
        try:
            outcomes[name] = committer.submit(work)
        except BaseException as exc:  # the test records what each caller saw
            outcomes[name] = exc

    holder = threading.Thread(target=call, args=("held", hold))
    holder.start()
    assert holding.wait(10)
    committer.request_timeout_s = 0.2  # read when a caller starts waiting
    quitter = threading.Thread(target=call, args=("gave-up", insert("gave-up")))
    quitter.start()
    quitter.join(10)
    assert isinstance(outcomes["gave-up"], StorageUnavailable)
    committer.request_timeout_s = 30
    patient = [threading.Thread(target=call, args=(f"p{i}", insert(f"p{i}"))) for i in range(5)]
    for t in patient:
        t.start()
    while committer.queued < 1 + len(patient):  # the quitter's request and theirs, one batch
        threading.Event().wait(0.01)
    gate.set()
    for t in [holder, *patient]:
        t.join(10)
        assert not t.is_alive(), "a caller was never woken"
    committer.close()
    assert outcomes["held"] == "held"
    assert {outcomes[f"p{i}"] for i in range(5)} == {f"p{i}" for i in range(5)}
    assert names(db) == {"gave-up", *(f"p{i}" for i in range(5))}
