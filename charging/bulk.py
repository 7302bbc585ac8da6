"""The set-based statements of a batch: a fixed number per batch, whatever its size.

A batch reads everything it needs in one go -- the accounts it touches, locked in one order, the
idempotency records of its keys, transfer identifiers -- and writes everything it decided in one
statement per table. The two dialects differ only here:

- **PostgreSQL**: every read of the batch goes out in one pipeline (one network round trip), and
  so does every write: arrays are sent once and ``unnest`` turns them into rows server-side;
  accounts are locked ``ORDER BY number FOR UPDATE``, so two gateways lock in one order and
  cannot deadlock; transfer ids come from a sequence, event numbers from the counter row in the
  same statement that writes the events.
- **SQLite**: in-process, no round trips to save; lists travel as one JSON text to
  ``json_each`` for the reads and as ``executemany`` for the writes; the writing transaction
  holds the database lock (``BEGIN IMMEDIATE``), so a counter row hands out transfer ids.

Row layouts (tuples, in column order) are the ones :mod:`charging.batch` builds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from charging.schema import EVENT_SEQ_COUNTER, TRANSFER_ID_COUNTER, TRANSFER_ID_SEQUENCE
from storage import Dialect
from storage.database import Transaction

ACCOUNT_COLUMNS = (
    "number, msisdn, kind, app_id, currency, ledger_balance_minor, reserved_minor, month_key, "
    "month_spent_minor, monthly_limit_minor, transaction_limit_minor, low_balance_minor, "
    "valid_until, status, pin_hash IS NOT NULL, created_at"
)
PRIOR_COLUMNS = (
    "app_id, reference_code, request_hash, outcome, transfer_id, account_number, kind, "
    "amount_minor, currency, balance_after_minor, headroom_after_minor, low_balance_crossed, "
    "valid_until"
)
_POSTING_COLUMNS = (
    "transfer_id, account_number, kind, amount_minor, currency, ledger_balance_after_minor, "
    "app_id, reference_code, reservation_id, description, code, created_at"
)
_REQUEST_COLUMNS = (
    "app_id, reference_code, request_hash, operation, outcome, created_at, transfer_id, "
    "account_number, kind, amount_minor, currency, balance_after_minor, headroom_after_minor, "
    "low_balance_crossed, valid_until"
)
_EVENT_COLUMNS = (
    "account_number, msisdn, event, currency, balance_minor, amount_minor, transaction_id, "
    "occurred_at, app_id, reference_code"
)
_NEW_ACCOUNT = (
    "INSERT INTO ledger_accounts (number, kind, app_id, currency, ledger_balance_minor, "
    "month_key, status, created_at, updated_at) VALUES (?, ?, ?, ?, 0, '', 'active', ?, ?)"
)
_POSTING = f"INSERT INTO ledger_entries ({_POSTING_COLUMNS}) VALUES ({', '.join('?' * 12)})"
_REQUEST = f"INSERT INTO ledger_requests ({_REQUEST_COLUMNS}) VALUES ({', '.join('?' * 15)})"
_EVENT = f"INSERT INTO ledger_events (seq, {_EVENT_COLUMNS}) VALUES ({', '.join('?' * 11)})"
_SAVE_ACCOUNT = (
    "UPDATE ledger_accounts SET ledger_balance_minor = ?, reserved_minor = ?, month_key = ?, "
    "month_spent_minor = ?, monthly_limit_minor = ?, transaction_limit_minor = ?, "
    "low_balance_minor = ?, valid_until = ?, status = ?, updated_at = ? WHERE number = ?"
)

# -- PostgreSQL: arrays in, rows out ---------------------------------------------------------------
_PG_POSTINGS = (
    f"INSERT INTO ledger_entries ({_POSTING_COLUMNS}) SELECT * FROM unnest("
    "?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::text[], "
    "?::text[], ?::text[], ?::text[], ?::text[], ?::text[])"
)
_PG_REQUESTS = (
    f"INSERT INTO ledger_requests ({_REQUEST_COLUMNS}) SELECT * FROM unnest("
    "?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], "
    "?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[], ?::int[], ?::text[])"
)
_PG_SAVE_ACCOUNTS = (
    "UPDATE ledger_accounts a SET ledger_balance_minor = v.b, reserved_minor = v.r, "
    "month_key = v.mk, month_spent_minor = v.ms, monthly_limit_minor = v.ml, "
    "transaction_limit_minor = v.tl, low_balance_minor = v.lb, valid_until = v.vu, "
    "status = v.st, updated_at = v.at FROM unnest(?::bigint[], ?::bigint[], ?::text[], "
    "?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], "
    "?::text[]) AS v(b, r, mk, ms, ml, tl, lb, vu, st, at, number) WHERE a.number = v.number"
)
_PG_EVENTS = (
    "WITH c AS (UPDATE ledger_counters SET value = value + ? WHERE name = ? RETURNING value) "
    f"INSERT INTO ledger_events (seq, {_EVENT_COLUMNS}) "
    "SELECT c.value - ? + v.ord, v.account_number, v.msisdn, v.event, v.currency, "
    "v.balance_minor, v.amount_minor, v.transaction_id, v.occurred_at, v.app_id, "
    "v.reference_code FROM c, unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[], "
    "?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS v("
    f"{_EVENT_COLUMNS}, ord)"
)


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows as one list per column (``unnest`` takes columns)."""
    if not rows:
        return [[] for _ in range(width)]
    return [list(column) for column in zip(*rows, strict=True)]


class Reads:
    """The batch's reads, issued together; each result is fetched when first asked for."""

    def __init__(self, tx: Transaction) -> None:
        self.tx = tx
        self.pg = tx.dialect is Dialect.POSTGRESQL

    def reservation_accounts(self, ids: list[str]) -> list[tuple]:
        """(reservation id, account number) of the reservations named (no lock)."""
        if self.pg:
            sql = "SELECT id, account_number FROM ledger_reservations WHERE id = ANY(?)"
            return self.tx.all(sql, (ids,))
        sql = (
            "SELECT id, account_number FROM ledger_reservations "
            "WHERE id IN (SELECT value FROM json_each(?))"
        )
        return self.tx.all(sql, (json.dumps(ids),))

    def accounts(self, numbers: list[str]) -> Any:
        """The rows of ``numbers``, locked (PostgreSQL: in number order)."""
        if self.pg:
            sql = (
                f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE number = ANY(?) "
                "ORDER BY number FOR UPDATE"
            )
            return self.tx.execute(sql, (numbers,))
        sql = (
            f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts "
            "WHERE number IN (SELECT value FROM json_each(?))"
        )
        return self.tx.execute(sql, (json.dumps(numbers),))

    def account(self, number: str) -> tuple | None:
        """One more row, locked (an account found only while the batch ran)."""
        lock = " FOR UPDATE" if self.pg else ""
        sql = f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE number = ?{lock}"
        return self.tx.one(sql, (number,))

    def priors(self, keys: list[tuple[str, str]]) -> Any:
        """The idempotency records of (app_id, reference_code) ``keys``."""
        if self.pg:
            sql = (
                f"SELECT {PRIOR_COLUMNS} FROM ledger_requests r JOIN unnest(?::text[], ?::text[]) "
                "AS k(a, c) ON r.app_id = k.a AND r.reference_code = k.c"
            )
            apps, refs = _columns(keys, 2)
            return self.tx.execute(sql, (apps, refs))
        sql = (
            f"SELECT {PRIOR_COLUMNS} FROM ledger_requests WHERE (app_id, reference_code) IN "
            "(SELECT value ->> 0, value ->> 1 FROM json_each(?))"
        )
        return self.tx.execute(sql, (json.dumps(keys),))

    def transfer_ids(self, count: int) -> Any:
        """A cursor over ``count`` new transfer ids (PostgreSQL) or the last one used (SQLite:
        the caller counts on from it and :func:`save_transfer_ids` stores where it ended)."""
        if self.pg:
            sql = f"SELECT nextval('{TRANSFER_ID_SEQUENCE}') FROM generate_series(1, ?)"
            return self.tx.execute(sql, (count,))
        sql = "SELECT value FROM ledger_counters WHERE name = ?"
        return self.tx.execute(sql, (TRANSFER_ID_COUNTER,))


def save_transfer_ids(tx: Transaction, last: int) -> None:
    """SQLite: where the transfer ids of this transaction ended."""
    if tx.dialect is Dialect.SQLITE:
        tx.execute(
            "UPDATE ledger_counters SET value = ? WHERE name = ?", (last, TRANSFER_ID_COUNTER)
        )


def write(
    tx: Transaction,
    new_accounts: list[tuple],
    accounts: list[tuple],
    postings: list[tuple],
    requests: list[tuple],
    events: list[tuple],
) -> None:
    """Write what a batch decided: one statement per table (PostgreSQL: one round trip)."""
    if new_accounts:  # rare (an application's first payment): before the postings that need it
        tx.executemany(_NEW_ACCOUNT, new_accounts)
    if tx.dialect is Dialect.SQLITE:
        if accounts:
            tx.executemany(_SAVE_ACCOUNT, accounts)
        if postings:
            tx.executemany(_POSTING, postings)
        if requests:
            tx.executemany(_REQUEST, requests)
        if events:
            row = tx.one(
                "UPDATE ledger_counters SET value = value + ? WHERE name = ? RETURNING value",
                (len(events), EVENT_SEQ_COUNTER),
            )
            assert row is not None, "the event counter row is created by the first migration"
            first = int(row[0]) - len(events) + 1
            tx.executemany(_EVENT, [(first + i, *e) for i, e in enumerate(events)])
        return
    with tx.pipeline():
        if accounts:
            tx.execute(_PG_SAVE_ACCOUNTS, _columns(accounts, 11))
        if postings:
            tx.execute(_PG_POSTINGS, _columns(postings, 12))
        if requests:
            tx.execute(_PG_REQUESTS, _columns(requests, 15))
        if events:
            count = len(events)
            tx.execute(_PG_EVENTS, (count, EVENT_SEQ_COUNTER, count, *_columns(events, 10)))
