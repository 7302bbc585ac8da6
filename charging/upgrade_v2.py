"""The Python step of schema version 2: give every movement of a version 1 ledger its other side.

Version 1 kept one entry per movement, on the subscriber's account only. Here each of those
entries becomes the subscriber's posting of a transfer (its ``transfer_id`` is its own id, so
transaction ids that applications hold keep their meaning) and gains the opposite posting on the
system account :data:`charging.movements.MOVEMENTS` names for its kind. Version 1 had no floats,
so its recharges are paid from funding. Every voucher ever issued gets its issue transfer
(voucher issuance -> voucher liability), written before the redemptions so the liability's
running balance reads in time order. Afterwards each system account's balance is the sum of its
postings and the ledger sums to zero per currency (``micropay ledger reconcile`` checks it).

Runs inside the migration's transaction; progress is logged every ``PROGRESS_EVERY`` entries.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from charging import clock, movements
from charging.model import EntryKind
from charging.schema import TRANSFER_ID_COUNTER, TRANSFER_ID_SEQUENCE
from storage import Dialect
from storage.database import Transaction

logger = logging.getLogger("micropay.ledger.upgrade")

CHUNK = 5_000  # entries read and written at a time
PROGRESS_EVERY = 50_000

_POSTING = (
    "INSERT INTO ledger_entries (transfer_id, account_number, kind, amount_minor, currency, "
    "ledger_balance_after_minor, app_id, reference_code, reservation_id, description, code, "
    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _counter_account(kind: str, app_id: str | None, currency: str) -> str:
    entry = EntryKind(kind)
    if entry in (EntryKind.CHARGE, EntryKind.RESERVATION_CHARGE, EntryKind.REFUND):
        return movements.settlement(app_id or movements.OPERATOR_APP_ID, currency)
    if entry is EntryKind.VOUCHER:
        return movements.voucher_liability(currency)
    return movements.funding(currency)  # opening, and recharges (version 1 had no floats)


class _Books:
    """The system accounts the upgrade writes to, with their running balances."""

    def __init__(self, tx: Transaction, now: str) -> None:
        self.tx, self.now = tx, now
        self.balance: dict[str, int] = {}

    def post(self, number: str, currency: str, amount: int) -> int:
        if number not in self.balance:
            self.tx.execute(
                "INSERT INTO ledger_accounts (number, kind, app_id, currency, "
                "ledger_balance_minor, month_key, status, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, 0, '', 'active', ?, ?)",
                (
                    number,
                    movements.system_kind_of(number).value,
                    movements.app_of(number),
                    currency,
                    self.now,
                    self.now,
                ),
            )
            self.balance[number] = 0
        self.balance[number] += amount
        return self.balance[number]

    def save(self) -> None:
        self.tx.executemany(
            "UPDATE ledger_accounts SET ledger_balance_minor = ? WHERE number = ?",
            [(balance, number) for number, balance in self.balance.items()],
        )


def double_entry(tx: Transaction) -> None:
    now = clock.to_text(datetime.now(UTC))
    books = _Books(tx, now)
    tx.execute("UPDATE ledger_entries SET transfer_id = id")
    top = tx.one("SELECT COALESCE(MAX(id), 0) FROM ledger_entries")
    next_transfer = int(top[0]) + 1 if top else 1
    next_transfer = _issue_vouchers(tx, books, next_transfer)
    _pair_entries(tx, books)
    books.save()
    _backfill_events(tx)
    last = next_transfer - 1
    if tx.dialect is Dialect.POSTGRESQL:
        if last:
            tx.execute(f"SELECT setval('{TRANSFER_ID_SEQUENCE}', ?)", (last,))
    else:
        tx.execute(
            "UPDATE ledger_counters SET value = ? WHERE name = ?", (last, TRANSFER_ID_COUNTER)
        )


def _issue_vouchers(tx: Transaction, books: _Books, next_transfer: int) -> int:
    rows = tx.all(
        "SELECT id, amount_minor, currency, created_at FROM ledger_vouchers ORDER BY created_at, id"
    )
    for voucher_id, amount, currency, created_at in rows:
        amount = int(amount)
        source = movements.voucher_issuance(currency)
        liability = movements.voucher_liability(currency)
        info = (None, None, None, f"voucher {voucher_id} issued", None, created_at)
        tx.execute(
            _POSTING,
            (next_transfer, source, EntryKind.VOUCHER_ISSUE.value, -amount, currency,
             books.post(source, currency, -amount), *info),
        )  # fmt: skip
        tx.execute(
            _POSTING,
            (next_transfer, liability, EntryKind.VOUCHER_ISSUE.value, amount, currency,
             books.post(liability, currency, amount), *info),
        )  # fmt: skip
        next_transfer += 1
    if rows:
        logger.info("ledger upgrade: %d vouchers given their issue transfer", len(rows))
    return next_transfer


def _pair_entries(tx: Transaction, books: _Books) -> None:
    """The opposite posting of every version 1 entry, in entry order, a chunk at a time."""
    last_id, done = 0, 0
    while True:
        rows = tx.all(
            "SELECT e.id, e.kind, e.amount_minor, e.currency, e.app_id, e.reference_code, "
            "e.reservation_id, e.description, e.code, e.created_at FROM ledger_entries e "
            "JOIN ledger_accounts a ON a.number = e.account_number "
            "WHERE e.id > ? AND a.kind IN ('prepaid', 'postpaid') ORDER BY e.id LIMIT ?",
            (last_id, CHUNK),
        )
        if not rows:
            break
        postings = []
        for entry_id, kind, amount, currency, app_id, ref, rid, text, code, created in rows:
            other = _counter_account(kind, app_id, currency)
            opposite = -int(amount)
            after = books.post(other, currency, opposite)
            postings.append(
                (entry_id, other, kind, opposite, currency, after, app_id, ref, rid, text, code,
                 created)
            )  # fmt: skip
        tx.executemany(_POSTING, postings)
        last_id = int(rows[-1][0])
        done += len(rows)
        if done % PROGRESS_EVERY < CHUNK:
            logger.info("ledger upgrade: %d entries paired", done)
    logger.info("ledger upgrade: %d entries paired, %d system accounts", done, len(books.balance))


def _backfill_events(tx: Transaction) -> None:
    """Events carry who moved the money now; version 1 found it by joining the entry."""
    tx.execute(
        "UPDATE ledger_events SET "
        "app_id = (SELECT n.app_id FROM ledger_entries n WHERE n.id = ledger_events.transaction_id), "
        "reference_code = (SELECT n.reference_code FROM ledger_entries n "
        "WHERE n.id = ledger_events.transaction_id) WHERE transaction_id IS NOT NULL"
    )
