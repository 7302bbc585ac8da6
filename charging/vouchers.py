"""Prepaid vouchers (Parlay X voucherUpdate): issued with a random PIN, redeemed once.

Only the PIN's argon2 hash is stored; the PIN is shown once, when the voucher is issued. The
caller's thread verifies the PIN (slow on purpose) and the writing transaction then locks the
voucher and checks that it is still unredeemed and valid, so two redemptions of one voucher --
from two threads or two gateway processes -- credit it once. An issued voucher's value sits in
the operator's voucher liability account until it is redeemed (``charging.movements``); an
application redeems only when the operator granted it ``voucher`` (``charging.grants``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from charging import clock, entries, grants, movements
from charging.batch import BatchState, Command
from charging.checks import Operation, enforce
from charging.group_commit import RetryRequest
from charging.model import EntryKind, TransactionResult, Voucher
from storage import Dialect, UniqueViolation
from storage.database import Transaction

VOUCHER_ID_DIGITS = 12


@dataclass(frozen=True)
class _Row:
    pin_hash: str
    amount_minor: int
    currency: str
    valid_until: date | None
    state: str


def pin_hash_of(tx: Transaction, voucher_id: str) -> str | None:
    row = tx.one("SELECT pin_hash FROM ledger_vouchers WHERE id = ?", (voucher_id,))
    return None if row is None else row[0]


def issue(state: BatchState, c: Command) -> str:
    """Issue a voucher of ``c.amount_minor`` (``c.args``: (valid_until, pin_hash)): its value
    moves from voucher issuance to voucher liability until it is redeemed."""
    valid_until, pin_hash = c.args
    voucher_id = "".join(secrets.choice("0123456789") for _ in range(VOUCHER_ID_DIGITS))
    try:
        state.tx.execute(
            "INSERT INTO ledger_vouchers (id, pin_hash, amount_minor, currency, valid_until, "
            "state, created_at) VALUES (?, ?, ?, ?, ?, 'issued', ?)",
            (
                voucher_id,
                pin_hash,
                c.amount_minor,
                c.currency,
                None if valid_until is None else valid_until.isoformat(),
                state.at_text,
            ),
        )
    except UniqueViolation as exc:
        raise RetryRequest("voucher identifier collision") from exc
    source = state.system(movements.voucher_issuance(c.currency), c.currency)
    liability = state.system(movements.voucher_liability(c.currency), c.currency)
    text = f"voucher {voucher_id} issued"
    state.transfer(EntryKind.VOUCHER_ISSUE.value, source, liability, c.amount_minor, c, None, text)
    return voucher_id


def redeem(state: BatchState, c: Command) -> TransactionResult:
    """Credit the voucher's amount to a prepaid account; ``c.args`` is (voucher id, the hash
    the caller verified the PIN against, whether it matched) -- the hash must still be the
    voucher's."""
    voucher_id, verified_hash, pin_matched = c.args
    book = state.book(c.account)
    sql = (
        "SELECT pin_hash, amount_minor, currency, valid_until, state FROM ledger_vouchers "
        "WHERE id = ?"
    )
    if state.tx.dialect is Dialect.POSTGRESQL:
        sql += " FOR UPDATE"
    found = state.tx.one(sql, (voucher_id,))
    row = None
    if found is not None:
        valid_until = None if found[3] is None else date.fromisoformat(found[3])
        row = _Row(found[0], int(found[1]), found[2], valid_until, found[4])
    usable = (
        row is not None
        and pin_matched
        and row.pin_hash == verified_hash
        and row.state == "issued"
        and (row.valid_until is None or row.valid_until >= state.today)
    )
    c.amount_minor = row.amount_minor if row else 0
    c.currency = row.currency if row else ""
    c.description = c.description or f"voucher {voucher_id}"
    entitled = grants.load(state, c.app_id, "voucher", grants.ANY_CURRENCY) is not None
    attempt = state.attempt(
        Operation.REDEEM_VOUCHER, c, book, voucher_usable=usable, voucher_id=voucher_id,
        entitled=entitled,
    )  # fmt: skip
    enforce(attempt)
    assert book is not None and row is not None
    state.tx.execute(
        "UPDATE ledger_vouchers SET state = 'redeemed', redeemed_by = ?, redeemed_at = ? "
        "WHERE id = ?",
        (c.account, state.at_text, voucher_id),
    )
    liability = state.system(movements.voucher_liability(row.currency), row.currency)
    return entries.record(state, c, EntryKind.VOUCHER, book, liability, row.amount_minor)


def list_all(tx: Transaction, state: str | None = None) -> list[Voucher]:
    sql = (
        "SELECT id, amount_minor, currency, valid_until, state, redeemed_by, redeemed_at, "
        "created_at FROM ledger_vouchers"
    )
    params: tuple = ()
    if state is not None:
        sql += " WHERE state = ?"
        params = (state,)
    rows = tx.all(sql + " ORDER BY created_at, id", params)
    return [
        Voucher(
            voucher_id=r[0],
            amount_minor=int(r[1]),
            currency=r[2],
            valid_until=None if r[3] is None else date.fromisoformat(r[3]),
            state=r[4],
            redeemed_by=r[5],
            redeemed_at=None if r[6] is None else clock.from_text(r[6]),
            created_at=clock.from_text(r[7]),
        )
        for r in rows
    ]
