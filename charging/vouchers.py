"""Prepaid vouchers (Parlay X voucherUpdate): issued with a random PIN, redeemed once.

Only the PIN's argon2 hash is stored; the PIN is shown once, when the voucher is issued. The
caller's thread verifies the PIN (slow on purpose) and the writing transaction then locks the
voucher and checks that it is still unredeemed and valid, so two redemptions of one voucher --
from two threads or two gateway processes -- credit it once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from charging import accounts, clock, entries
from charging.checks import Operation, enforce
from charging.clock import Moment
from charging.events import PendingEvent
from charging.group_commit import RetryRequest
from charging.model import EntryKind, TransactionResult, Voucher
from charging.payments import MoneyRequest, attempt
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


def issue(
    tx: Transaction,
    moment: Moment,
    amount_minor: int,
    currency: str,
    valid_until: date | None,
    pin_hash: str,
) -> str:
    voucher_id = "".join(secrets.choice("0123456789") for _ in range(VOUCHER_ID_DIGITS))
    try:
        tx.execute(
            "INSERT INTO ledger_vouchers (id, pin_hash, amount_minor, currency, valid_until, "
            "state, created_at) VALUES (?, ?, ?, ?, ?, 'issued', ?)",
            (
                voucher_id,
                pin_hash,
                amount_minor,
                currency,
                None if valid_until is None else valid_until.isoformat(),
                clock.to_text(moment.at),
            ),
        )
    except UniqueViolation as exc:
        raise RetryRequest("voucher identifier collision") from exc
    return voucher_id


def redeem(
    tx: Transaction,
    moment: Moment,
    request: MoneyRequest,
    voucher_id: str,
    verified_hash: str | None,
    pin_matched: bool,
) -> tuple[TransactionResult, list[PendingEvent]]:
    """Credit the voucher's amount to a prepaid account; ``pin_matched`` was decided by the
    caller against ``verified_hash``, which must still be the voucher's hash."""
    account = accounts.load(tx, request.account, moment.month, lock=True)
    sql = (
        "SELECT pin_hash, amount_minor, currency, valid_until, state FROM ledger_vouchers "
        "WHERE id = ?"
    )
    if tx.dialect is Dialect.POSTGRESQL:
        sql += " FOR UPDATE"
    found = tx.one(sql, (voucher_id,))
    row = None
    if found is not None:
        valid_until = None if found[3] is None else date.fromisoformat(found[3])
        row = _Row(found[0], int(found[1]), found[2], valid_until, found[4])
    usable = (
        row is not None
        and pin_matched
        and row.pin_hash == verified_hash
        and row.state == "issued"
        and (row.valid_until is None or row.valid_until >= moment.today)
    )
    credit = MoneyRequest(
        app_id=request.app_id,
        reference_code=request.reference_code,
        account=request.account,
        amount_minor=row.amount_minor if row else 0,
        currency=row.currency if row else "",
        description=request.description or f"voucher {voucher_id}",
    )
    enforce(
        attempt(
            Operation.REDEEM_VOUCHER,
            credit,
            account,
            moment,
            voucher_usable=usable,
            voucher_id=voucher_id,
        )
    )
    assert account is not None and row is not None
    tx.execute(
        "UPDATE ledger_vouchers SET state = 'redeemed', redeemed_by = ?, redeemed_at = ? "
        "WHERE id = ?",
        (request.account, clock.to_text(moment.at), voucher_id),
    )
    return entries.record(
        tx, moment, account, EntryKind.VOUCHER, credit.amount_minor, credit.info()
    )


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
