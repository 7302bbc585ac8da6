"""Reservations (Parlay X ReserveAmountCharging): funds held for a two-step checkout.

Reserved funds count against the balance and the monthly limit at once (the account's
``reserved_minor``); a charge against a reservation moves money from reserved to spent -- and to
the application's settlement account -- and never exceeds what is still reserved; release gives
the rest back. A reservation not released within ``reservation_ttl_s`` of its last reserve
expires: charges against it are refused at once, and the sweeper (:func:`sweep`, run periodically
by ``charging.sweeper``) gives its funds back.

These are isolated commands of the batch (``charging.batch``): they keep rows of their own, read
and written directly in a savepoint, while the account's figures change in its book. Lock order,
the same everywhere: the account row first (read with the batch), then the reservation row.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from charging import clock, entries, movements
from charging.batch import BatchState, Book, Command
from charging.checks import Operation, ReservationState, enforce, reservation_open
from charging.errors import UnknownReservation
from charging.model import EntryKind, ReservationInfo, TransactionResult
from storage import Dialect
from storage.database import Transaction

RESERVATION_ID_BYTES = 18  # 144 random bits: the identifier is the capability
SWEEP_BATCH_MAX = 500  # reservations released per sweep transaction

_COLUMNS = (
    "id, app_id, account_number, currency, reserved_minor, charged_minor, released_minor, "
    "state, expires_at"
)


@dataclass(frozen=True)
class _Row:
    id: str
    app_id: str
    account: str
    currency: str
    reserved_minor: int
    charged_minor: int
    released_minor: int
    state: str
    expires_at: datetime

    def check_state(self, now: datetime) -> ReservationState:
        return ReservationState(
            app_id=self.app_id,
            account=self.account,
            reserved_minor=self.reserved_minor,
            charged_minor=self.charged_minor,
            open=reservation_open(self.state, self.expires_at, now),
            id=self.id,
        )

    def info(self, **changes: object) -> ReservationInfo:
        row = replace(self, **changes)  # type: ignore[arg-type]
        return ReservationInfo(
            reservation_id=row.id,
            account=row.account,
            currency=row.currency,
            reserved_minor=row.reserved_minor,
            charged_minor=row.charged_minor,
            released_minor=row.released_minor,
            state=row.state,
            expires_at=row.expires_at,
        )


def _load(tx: Transaction, reservation_id: str, *, lock: bool = False) -> _Row | None:
    sql = f"SELECT {_COLUMNS} FROM ledger_reservations WHERE id = ?"
    if lock and tx.dialect is Dialect.POSTGRESQL:
        sql += " FOR UPDATE"
    r = tx.one(sql, (reservation_id,))
    return None if r is None else _row(r)


def _row(r: tuple) -> _Row:
    return _Row(
        r[0], r[1], r[2], r[3], int(r[4]), int(r[5]), int(r[6]), r[7], clock.from_text(r[8])
    )


def _lock_both(state: BatchState, reservation_id: str) -> tuple[Book | None, _Row | None]:
    """The reservation's account (read with the batch) and the reservation, locked in order."""
    peek = _load(state.tx, reservation_id)
    if peek is None:
        return None, None
    return state.book(peek.account), _load(state.tx, reservation_id, lock=True)


def _hold(state: BatchState, book: Book, delta_minor: int) -> None:
    """Change what the account holds in reservations, with its threshold events."""
    before, status = book.balance_minor, book.status
    book.reserved_minor += delta_minor
    book.dirty = True
    state.changed(book, before, status)


def reserve(state: BatchState, c: Command) -> str:
    """reserveAmount (``c.args``: the time to live in seconds); returns the reservation id."""
    book = state.book(c.account)
    enforce(state.attempt(Operation.RESERVE, c, book))
    assert book is not None
    reservation_id = secrets.token_urlsafe(RESERVATION_ID_BYTES)
    at = state.moment.at
    state.tx.execute(
        "INSERT INTO ledger_reservations (id, app_id, account_number, currency, reserved_minor, "
        "state, description, code, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)",
        (
            reservation_id,
            c.app_id,
            c.account,
            c.currency,
            c.amount_minor,
            c.description,
            c.code,
            state.at_text,
            clock.to_text(at + timedelta(seconds=c.args)),
        ),
    )
    _hold(state, book, c.amount_minor)
    return reservation_id


def reserve_additional(state: BatchState, c: Command) -> ReservationInfo:
    """Add to an open reservation (``c.reservation``); its expiry restarts from now."""
    book, row = _lock_both(state, c.reservation or "")
    if row is None:
        raise UnknownReservation(reservation_id=c.reservation)
    c.account = row.account
    attempt = state.attempt(
        Operation.RESERVE_ADDITIONAL, c, book, reservation=row.check_state(state.moment.at)
    )
    enforce(attempt)
    assert book is not None
    expires_at = state.moment.at + timedelta(seconds=c.args)
    state.tx.execute(
        "UPDATE ledger_reservations SET reserved_minor = reserved_minor + ?, expires_at = ? "
        "WHERE id = ?",
        (c.amount_minor, clock.to_text(expires_at), row.id),
    )
    _hold(state, book, c.amount_minor)
    return row.info(reserved_minor=row.reserved_minor + c.amount_minor, expires_at=expires_at)


def charge(state: BatchState, c: Command) -> TransactionResult:
    """chargeReservation: take part or all of what is still reserved."""
    book, row = _lock_both(state, c.reservation or "")
    if row is None:
        raise UnknownReservation(reservation_id=c.reservation)
    c.account = row.account
    attempt = state.attempt(
        Operation.CHARGE_RESERVATION, c, book, reservation=row.check_state(state.moment.at)
    )
    enforce(attempt)
    assert book is not None
    state.tx.execute(
        "UPDATE ledger_reservations SET reserved_minor = reserved_minor - ?, "
        "charged_minor = charged_minor + ? WHERE id = ?",
        (c.amount_minor, c.amount_minor, row.id),
    )
    settlement = state.system(movements.settlement(c.app_id, book.currency), book.currency)
    return entries.record(
        state, c, EntryKind.RESERVATION_CHARGE, book, settlement, c.amount_minor,
        reservation_id=row.id,
    )  # fmt: skip


def _close(state: BatchState, book: Book, row: _Row, final: str) -> ReservationInfo:
    remaining = row.reserved_minor
    state.tx.execute(
        "UPDATE ledger_reservations SET reserved_minor = 0, released_minor = released_minor + ?, "
        "state = ?, closed_at = ? WHERE id = ?",
        (remaining, final, state.at_text, row.id),
    )
    if remaining:
        _hold(state, book, -remaining)
    return row.info(reserved_minor=0, released_minor=row.released_minor + remaining, state=final)


def release(state: BatchState, c: Command) -> ReservationInfo:
    """releaseReservation: give back what is still reserved. Releasing a reservation that is
    already released or expired changes nothing and reports its final state."""
    book, row = _lock_both(state, c.reservation or "")
    if row is None or row.app_id != c.app_id:
        raise UnknownReservation(reservation_id=c.reservation)
    if row.state != "open":
        return row.info()
    assert book is not None
    return _close(state, book, row, "released")


def release_all(state: BatchState, account_number: str) -> None:
    """Release every open reservation of an account (when it is closed)."""
    ids = state.tx.all(
        "SELECT id FROM ledger_reservations WHERE account_number = ? AND state = 'open'",
        (account_number,),
    )
    for (reservation_id,) in ids:
        book, row = _lock_both(state, reservation_id)
        if book is not None and row is not None and row.state == "open":
            _close(state, book, row, "released")


def sweep(state: BatchState, c: Command) -> int:
    """Expire up to ``SWEEP_BATCH_MAX`` reservations past their expiry (at ``c.args``, else
    now); returns how many."""
    now = c.args or state.moment.at
    due = state.tx.all(
        "SELECT id FROM ledger_reservations WHERE state = 'open' AND expires_at <= ? "
        "ORDER BY expires_at LIMIT ?",
        (clock.to_text(now), SWEEP_BATCH_MAX),
    )
    count = 0
    for (reservation_id,) in due:
        book, row = _lock_both(state, reservation_id)
        # Another gateway process may have swept or released it since the SELECT above.
        if book is None or row is None or row.state != "open" or row.expires_at > now:
            continue
        _close(state, book, row, "expired")
        count += 1
    return count


def open_reservations(tx: Transaction, account_number: str) -> list[ReservationInfo]:
    rows = tx.all(
        f"SELECT {_COLUMNS} FROM ledger_reservations WHERE account_number = ? AND state = 'open' "
        "ORDER BY created_at",
        (account_number,),
    )
    return [_row(r).info() for r in rows]


def info_of(tx: Transaction, app_id: str, reservation_id: str) -> ReservationInfo:
    """A reservation of ``app_id`` as it is now (any state); another application's is unknown."""
    row = _load(tx, reservation_id)
    if row is None or row.app_id != app_id:
        raise UnknownReservation(reservation_id=reservation_id)
    return row.info()
