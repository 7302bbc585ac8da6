"""The set-based statements of a batch: a fixed, small number per batch, whatever its size.

A batch reads everything it needs in one go -- the accounts it touches, locked in one order, the
idempotency records of its keys, transfer identifiers -- and writes everything it decided with
one statement per table. The two dialects differ only here, each in the way that measured
fastest:

- **PostgreSQL**: the reads go out in one pipeline (one network round trip), and so do the
  writes. A batch's rows travel as ONE ``jsonb`` parameter per statement, which the server turns
  back into rows (``jsonb_array_elements``, in order) -- psycopg adapts a Python list element by
  element, which cost more than the statement itself. Accounts are locked ``ORDER BY number FOR
  UPDATE``, so two gateways lock in one order and cannot deadlock; transfer ids come from a
  sequence, event numbers from the counter row in the same statement that writes the events.
- **SQLite**: in-process, so no round trips -- but each step of a statement releases and retakes
  the GIL, and the batch's writer then waits behind every client thread that took it meanwhile.
  So the reads are ONE statement that packs its rows into one JSON value
  (``json_group_array``), and rows are written as multi-row ``VALUES`` in chunks of a few fixed
  sizes (statements stay cached): a handful of steps per batch instead of one per row. The
  writing transaction holds the database lock (``BEGIN IMMEDIATE``), so counter rows hand out
  transfer ids and event numbers.

Row layouts (tuples, in column order) are the ones :mod:`charging.batch` builds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import cache
from itertools import chain
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
# (name, PostgreSQL type) of each column of the rows charging.batch builds
_POSTING = (
    ("transfer_id", "bigint"), ("account_number", "text"), ("kind", "text"),
    ("amount_minor", "bigint"), ("currency", "text"), ("ledger_balance_after_minor", "bigint"),
    ("app_id", "text"), ("reference_code", "text"), ("reservation_id", "text"),
    ("description", "text"), ("code", "text"), ("created_at", "text"),
)  # fmt: skip
_REQUEST = (
    ("app_id", "text"), ("reference_code", "text"), ("request_hash", "text"),
    ("operation", "text"), ("outcome", "text"), ("created_at", "text"), ("transfer_id", "bigint"),
    ("account_number", "text"), ("kind", "text"), ("amount_minor", "bigint"),
    ("currency", "text"), ("balance_after_minor", "bigint"), ("headroom_after_minor", "bigint"),
    ("low_balance_crossed", "integer"), ("valid_until", "text"),
)  # fmt: skip
_EVENT = (
    ("account_number", "text"), ("msisdn", "text"), ("event", "text"), ("currency", "text"),
    ("balance_minor", "bigint"), ("amount_minor", "bigint"), ("transaction_id", "bigint"),
    ("occurred_at", "text"), ("app_id", "text"), ("reference_code", "text"),
)  # fmt: skip
# What a batch writes back to an account row, then the account number, last: its money figures
# (most batches), and its settings (an operator changed them; the partial index on the MSISDN
# depends on the status, so a money write leaves the status alone).
_MONEY = (
    ("ledger_balance_minor", "bigint"), ("reserved_minor", "bigint"), ("month_key", "text"),
    ("month_spent_minor", "bigint"), ("updated_at", "text"),
)  # fmt: skip
_SETTINGS = (
    ("monthly_limit_minor", "bigint"), ("transaction_limit_minor", "bigint"),
    ("low_balance_minor", "bigint"), ("valid_until", "text"), ("status", "text"),
    ("updated_at", "text"),
)  # fmt: skip
_NEW_ACCOUNT = (
    "INSERT INTO ledger_accounts (number, kind, app_id, currency, ledger_balance_minor, "
    "month_key, status, created_at, updated_at) VALUES (?, ?, ?, ?, 0, '', 'active', ?, ?)"
)


def _names(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(name for name, _ in columns)


# -- PostgreSQL: one jsonb parameter per statement -------------------------------------------------
def _fields(columns: Sequence[tuple[str, str]], row: str = "e") -> str:
    return ", ".join(
        f"{row} ->> {i}" if kind == "text" else f"({row} ->> {i})::{kind}"
        for i, (_, kind) in enumerate(columns)
    )


_ROWS = "jsonb_array_elements(?::jsonb) WITH ORDINALITY AS r(e, n)"
# Plans that stay index lookups however large the tables grow: = ANY(ARRAY(...)) on the primary
# key, and one LATERAL lookup per idempotency key (LIMIT 1 keeps the planner from turning the
# lookups into a hash join over the whole table).
_PG_ACCOUNTS = (
    f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts "
    "WHERE number = ANY(ARRAY(SELECT jsonb_array_elements_text(?::jsonb))) "
    "ORDER BY number FOR UPDATE"
)
_PG_PRIORS = (
    "SELECT q.* FROM jsonb_array_elements(?::jsonb) k, LATERAL ("
    f"SELECT {PRIOR_COLUMNS} FROM ledger_requests "
    "WHERE app_id = k ->> 0 AND reference_code = k ->> 1 LIMIT 1) q"
)
_PG_IDS = f"SELECT nextval('{TRANSFER_ID_SEQUENCE}') FROM generate_series(1, ?)"
_PG_POSTINGS = (
    f"INSERT INTO ledger_entries ({_names(_POSTING)}) "
    f"SELECT {_fields(_POSTING)} FROM {_ROWS} ORDER BY n"
)
_PG_REQUESTS = (
    f"INSERT INTO ledger_requests ({_names(_REQUEST)}) SELECT {_fields(_REQUEST)} FROM {_ROWS}"
)


def _pg_update(columns: Sequence[tuple[str, str]]) -> str:
    sets = ", ".join(
        f"{name} = " + (f"e ->> {i}" if kind == "text" else f"(e ->> {i})::{kind}")
        for i, (name, kind) in enumerate(columns)
    )
    return f"UPDATE ledger_accounts a SET {sets} FROM {_ROWS} WHERE a.number = e ->> {len(columns)}"


_PG_SAVE_MONEY = _pg_update(_MONEY)
_PG_SAVE_SETTINGS = _pg_update(_SETTINGS)
_PG_EVENTS = (
    "WITH c AS (UPDATE ledger_counters SET value = value + ? WHERE name = ? RETURNING value) "
    f"INSERT INTO ledger_events (seq, {_names(_EVENT)}) "
    f"SELECT c.value - ? + r.n, {_fields(_EVENT)} FROM c, {_ROWS} ORDER BY r.n"
)

# -- SQLite: one JSON value out, multi-row VALUES in ------------------------------------------------
_SQLITE_READ = (
    f"SELECT (SELECT json_group_array(json_array({ACCOUNT_COLUMNS})) FROM ledger_accounts "
    "WHERE number IN (SELECT value FROM json_each(?))), "
    f"(SELECT json_group_array(json_array({PRIOR_COLUMNS})) FROM ledger_requests "
    "WHERE (app_id, reference_code) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?))), "
    "(SELECT value FROM ledger_counters WHERE name = ?)"
)
CHUNKS = (64, 16, 4, 1)  # rows per multi-row statement: few distinct statements, few steps


def _chunks(rows: Sequence[Sequence[Any]]) -> Iterator[tuple[int, list[Any]]]:
    """(size, flat parameters) of consecutive chunks of ``rows``, in order."""
    start = 0
    for size in CHUNKS:
        while len(rows) - start >= size:
            yield size, list(chain.from_iterable(rows[start : start + size]))
            start += size


@cache
def _values(width: int, size: int) -> str:
    row = "(" + ", ".join("?" * width) + ")"
    return ", ".join([row] * size)


def _sqlite_insert(
    tx: Transaction, table: str, columns: str, width: int, rows: list[tuple]
) -> None:
    for size, params in _chunks(rows):
        tx.execute(f"INSERT INTO {table} ({columns}) VALUES {_values(width, size)}", params)


def _sqlite_update(tx: Transaction, columns: Sequence[tuple[str, str]], rows: list[tuple]) -> None:
    names = [name for name, _ in columns]
    sets = ", ".join(f"{name} = v.c{i}" for i, name in enumerate(names))
    aliases = ", ".join(f"c{i}" for i in range(len(names) + 1))
    for size, params in _chunks(rows):
        tx.execute(
            f"WITH v({aliases}) AS (VALUES {_values(len(names) + 1, size)}) "
            f"UPDATE ledger_accounts SET {sets} FROM v WHERE ledger_accounts.number = "
            f"v.c{len(names)}",
            params,
        )


def read(
    tx: Transaction, numbers: list[str], keys: list[tuple[str, str]], transfers: int
) -> tuple[list[Sequence[Any]], list[Sequence[Any]], list[int]]:
    """The batch's reads: the rows of ``numbers`` (locked), the idempotency records of
    ``keys``, and ``transfers`` new transfer ids -- one round trip on PostgreSQL, one statement
    (one step) on SQLite. SQLite's ids are the counter's next values: the batch holds the
    database lock, and :func:`write` stores where they ended."""
    if tx.dialect is Dialect.POSTGRESQL:
        with tx.pipeline():
            accounts = tx.execute(_PG_ACCOUNTS, (json.dumps(numbers),)) if numbers else None
            priors = tx.execute(_PG_PRIORS, (json.dumps(keys),)) if keys else None
            ids = tx.execute(_PG_IDS, (transfers,)) if transfers else None
            return (
                accounts.fetchall() if accounts else [],
                priors.fetchall() if priors else [],
                sorted(int(r[0]) for r in ids.fetchall()) if ids else [],
            )
    row = tx.one(_SQLITE_READ, (json.dumps(numbers), json.dumps(keys), TRANSFER_ID_COUNTER))
    assert row is not None
    accounts_json, priors_json, last = row
    first = int(last) + 1
    return json.loads(accounts_json), json.loads(priors_json), list(range(first, first + transfers))


def more_transfer_ids(tx: Transaction, count: int, last_taken: int) -> list[int]:
    """``count`` more ids than the batch's commands announced (an isolated sweep)."""
    if tx.dialect is Dialect.POSTGRESQL:
        return sorted(int(r[0]) for r in tx.all(_PG_IDS, (count,)))
    return list(range(last_taken + 1, last_taken + 1 + count))


def reservation_accounts(tx: Transaction, ids: list[str]) -> list[tuple]:
    """(reservation id, account number) of the reservations named (no lock)."""
    if tx.dialect is Dialect.POSTGRESQL:
        sql = (
            "SELECT id, account_number FROM ledger_reservations "
            "WHERE id IN (SELECT jsonb_array_elements_text(?::jsonb))"
        )
    else:
        sql = (
            "SELECT id, account_number FROM ledger_reservations "
            "WHERE id IN (SELECT value FROM json_each(?))"
        )
    return tx.all(sql, (json.dumps(ids),))


def account(tx: Transaction, number: str) -> tuple | None:
    """One more row, locked (an account found only while the batch ran)."""
    lock = " FOR UPDATE" if tx.dialect is Dialect.POSTGRESQL else ""
    sql = f"SELECT {ACCOUNT_COLUMNS} FROM ledger_accounts WHERE number = ?{lock}"
    return tx.one(sql, (number,))


def write(
    tx: Transaction,
    new_accounts: list[tuple],
    money: list[tuple],
    settings: list[tuple],
    postings: list[tuple],
    requests: list[tuple],
    events: list[tuple],
    last_transfer_id: int | None,
) -> None:
    """Write what a batch decided, one statement per table, and commit (PostgreSQL: all in one
    round trip; SQLite commits when the transaction ends). ``last_transfer_id``: the last
    transfer id used (SQLite stores it in its counter)."""
    if new_accounts:  # rare (an application's first payment): before the postings that need it
        tx.executemany(_NEW_ACCOUNT, new_accounts)
    if tx.dialect is Dialect.POSTGRESQL:
        with tx.pipeline(commit=True):
            if money:
                tx.execute(_PG_SAVE_MONEY, (json.dumps(money),))
            if settings:
                tx.execute(_PG_SAVE_SETTINGS, (json.dumps(settings),))
            if postings:
                tx.execute(_PG_POSTINGS, (json.dumps(postings),))
            if requests:
                tx.execute(_PG_REQUESTS, (json.dumps(requests),))
            if events:
                count = len(events)
                tx.execute(_PG_EVENTS, (count, EVENT_SEQ_COUNTER, count, json.dumps(events)))
        return
    if money:
        _sqlite_update(tx, _MONEY, money)
    if settings:
        _sqlite_update(tx, _SETTINGS, settings)
    if postings:
        _sqlite_insert(tx, "ledger_entries", _names(_POSTING), len(_POSTING), postings)
    if requests:
        _sqlite_insert(tx, "ledger_requests", _names(_REQUEST), len(_REQUEST), requests)
    if events:
        row = tx.one(
            "UPDATE ledger_counters SET value = value + ? WHERE name = ? RETURNING value",
            (len(events), EVENT_SEQ_COUNTER),
        )
        assert row is not None, "the event counter row is created by the first migration"
        first = int(row[0]) - len(events) + 1
        numbered = [(first + i, *e) for i, e in enumerate(events)]
        _sqlite_insert(tx, "ledger_events", f"seq, {_names(_EVENT)}", len(_EVENT) + 1, numbered)
    if last_transfer_id is not None:
        tx.execute(
            "UPDATE ledger_counters SET value = ? WHERE name = ?",
            (last_transfer_id, TRANSFER_ID_COUNTER),
        )
