"""A batch of charges on PostgreSQL costs two round trips -- its reads with the BEGIN, its writes
with the COMMIT -- whatever its size; measured on the wire with libpq's own protocol trace
(every message the client sends; a round trip ends with a Sync, or is a simple Query), and the
count the storage layer keeps for the benchmark agrees with it."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import pytest

from charging.batch import Command
from charging.ledger import Ledger
from tests.charging.helpers import open_account

pytestmark = pytest.mark.postgres


def sent(trace: Path) -> list[tuple[str, str]]:
    """(type, text) of each message the client sent, in order (libpq trace lines: time, F or
    B, length, type, contents)."""
    found = []
    for line in trace.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) > 3 and parts[1] == "F":
            found.append((parts[3], parts[4] if len(parts) > 4 else ""))
    return found


def traced(ledger: Ledger, trace: Path) -> contextlib.AbstractContextManager:
    """Trace every connection the ledger's pool lends while the block runs."""
    pool = ledger.db._pool
    lend = pool.connection

    @contextlib.contextmanager
    def connection(*args, **kwargs):
        with lend(*args, **kwargs) as conn, trace.open("a") as out:
            conn.pgconn.trace(out.fileno())
            try:
                yield conn
            finally:
                conn.pgconn.untrace()

    @contextlib.contextmanager
    def block():
        pool.connection = connection
        try:
            yield
        finally:
            pool.connection = lend

    return block()


def test_one_charge_is_two_round_trips(postgres_url: str, tmp_path: Path) -> None:
    with Ledger.open(postgres_url) as ledger:
        open_account(ledger, "1001")
        ledger.charge(
            app_id="app",
            reference_code="warm",
            account="1001",
            amount_minor=1,
            currency="KRW",
            description="x",
        )  # the settlement account exists
        trace = tmp_path / "trace.txt"
        before = ledger.db.round_trips.count
        with traced(ledger, trace):
            ledger.charge(
                app_id="app",
                reference_code="c-1",
                account="1001",
                amount_minor=100,
                currency="KRW",
                description="song",
            )
        counted = ledger.db.round_trips.count - before
    messages = [kind for kind, _ in sent(trace)]
    assert messages.count("Sync") + messages.count("Query") == 2, " ".join(messages)
    assert counted == 2


def test_a_batch_of_charges_is_two_round_trips_whatever_its_size(
    postgres_url: str, tmp_path: Path
) -> None:
    with Ledger.open(postgres_url) as ledger:
        numbers = [f"{1001 + i}" for i in range(24)]
        for number in numbers:
            open_account(ledger, number)
        ledger.charge(
            app_id="app",
            reference_code="warm",
            account=numbers[0],
            amount_minor=1,
            currency="KRW",
            description="x",
        )
        gate, holding = threading.Event(), threading.Event()

        def hold(state: object, command: object) -> None:  # the writer is busy meanwhile
            holding.set()
            gate.wait(10)

        holder = threading.Thread(target=ledger._submit, args=(Command(hold, "hold"),))
        holder.start()
        assert holding.wait(10)
        batches = ledger._committer.batches_committed
        trace = tmp_path / "trace.txt"
        with traced(ledger, trace):
            threads = [
                threading.Thread(
                    target=ledger.charge,
                    kwargs={
                        "app_id": "app",
                        "reference_code": f"c-{n}",
                        "account": n,
                        "amount_minor": 100,
                        "currency": "KRW",
                        "description": "song",
                    },
                )  # fmt: skip
                for n in numbers
            ]
            for t in threads:
                t.start()
            while ledger._committer.queued < len(numbers):
                threading.Event().wait(0.01)
            gate.set()
            for t in threads + [holder]:
                t.join(10)
        assert ledger._committer.batches_committed == batches + 2  # the holder, then all 24
    batch = [kind for kind, _ in sent(trace)]  # the holder's connection was lent untraced
    assert batch.count("Sync") + batch.count("Query") == 2, " ".join(batch)
