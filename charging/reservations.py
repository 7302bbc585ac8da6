"""Reservations (Parlay X ReserveAmountCharging): funds held for a two-step checkout.

Reserved funds count against the balance and the monthly limit at once (the account's
``reserved_minor``); a charge against a reservation moves money from reserved to spent and never
exceeds what is still reserved; release gives the rest back. A reservation not released within
``reservation_ttl_s`` of its last reserve expires: charges against it are refused at once, and the
sweeper (:func:`sweep`, run periodically by ``charging.sweeper``) gives its funds back.

Lock order, the same everywhere: the account row first, then the reservation row.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from charging import accounts, clock, entries, events
from charging.checks import Operation, ReservationState, enforce, reservation_open
from charging.clock import Moment
from charging.errors import UnknownReservation
from charging.events import PendingEvent
from charging.model import Account, EntryKind, ReservationInfo, TransactionResult
from charging.payments import MoneyRequest, attempt
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


def _lock_both(
    tx: Transaction, moment: Moment, reservation_id: str
) -> tuple[Account | None, _Row | None]:
    """The reservation's account and the reservation, locked in the one lock order."""
    peek = _load(tx, reservation_id)
    if peek is None:
        return None, None
    account = accounts.load(tx, peek.account, moment.month, lock=True)
    return account, _load(tx, reservation_id, lock=True)


def _hold(tx: Transaction, moment: Moment, before: Account, delta_minor: int) -> list[PendingEvent]:
    """Change what the account holds in reservations; returns the threshold events."""
    after = replace(before, reserved_minor=before.reserved_minor + delta_minor)
    accounts.save_money(tx, after, moment.month, moment.at)
    return events.for_change(before, after, moment.at)


def reserve(
    tx: Transaction, moment: Moment, request: MoneyRequest, ttl_s: int
) -> tuple[str, list[PendingEvent]]:
    account = accounts.load(tx, request.account, moment.month, lock=True)
    enforce(attempt(Operation.RESERVE, request, account, moment))
    assert account is not None
    reservation_id = secrets.token_urlsafe(RESERVATION_ID_BYTES)
    tx.execute(
        "INSERT INTO ledger_reservations (id, app_id, account_number, currency, reserved_minor, "
        "state, description, code, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)",
        (
            reservation_id,
            request.app_id,
            request.account,
            request.currency,
            request.amount_minor,
            request.description,
            request.code,
            clock.to_text(moment.at),
            clock.to_text(moment.at + timedelta(seconds=ttl_s)),
        ),
    )
    return reservation_id, _hold(tx, moment, account, request.amount_minor)


def reserve_additional(
    tx: Transaction, moment: Moment, reservation_id: str, request: MoneyRequest, ttl_s: int
) -> tuple[ReservationInfo, list[PendingEvent]]:
    """Add to an open reservation; its expiry restarts from now."""
    account, row = _lock_both(tx, moment, reservation_id)
    if row is None:
        raise UnknownReservation(reservation_id=reservation_id)
    request = replace(request, account=row.account)
    state = row.check_state(moment.at)
    enforce(attempt(Operation.RESERVE_ADDITIONAL, request, account, moment, reservation=state))
    assert account is not None
    expires_at = moment.at + timedelta(seconds=ttl_s)
    tx.execute(
        "UPDATE ledger_reservations SET reserved_minor = reserved_minor + ?, expires_at = ? "
        "WHERE id = ?",
        (request.amount_minor, clock.to_text(expires_at), reservation_id),
    )
    pending = _hold(tx, moment, account, request.amount_minor)
    info = row.info(reserved_minor=row.reserved_minor + request.amount_minor, expires_at=expires_at)
    return info, pending


def charge(
    tx: Transaction, moment: Moment, reservation_id: str, request: MoneyRequest
) -> tuple[TransactionResult, list[PendingEvent]]:
    """chargeReservation: take part or all of what is still reserved."""
    account, row = _lock_both(tx, moment, reservation_id)
    if row is None:
        raise UnknownReservation(reservation_id=reservation_id)
    request = replace(request, account=row.account)
    state = row.check_state(moment.at)
    enforce(attempt(Operation.CHARGE_RESERVATION, request, account, moment, reservation=state))
    assert account is not None
    tx.execute(
        "UPDATE ledger_reservations SET reserved_minor = reserved_minor - ?, "
        "charged_minor = charged_minor + ? WHERE id = ?",
        (request.amount_minor, request.amount_minor, reservation_id),
    )
    return entries.record(
        tx,
        moment,
        account,
        EntryKind.RESERVATION_CHARGE,
        request.amount_minor,
        request.info(reservation_id),
    )


def _close(
    tx: Transaction, moment: Moment, account: Account, row: _Row, state: str
) -> tuple[ReservationInfo, list[PendingEvent]]:
    remaining = row.reserved_minor
    tx.execute(
        "UPDATE ledger_reservations SET reserved_minor = 0, released_minor = released_minor + ?, "
        "state = ?, closed_at = ? WHERE id = ?",
        (remaining, state, clock.to_text(moment.at), row.id),
    )
    pending = _hold(tx, moment, account, -remaining) if remaining else []
    info = row.info(reserved_minor=0, released_minor=row.released_minor + remaining, state=state)
    return info, pending


def release(
    tx: Transaction, moment: Moment, app_id: str, reservation_id: str
) -> tuple[ReservationInfo, list[PendingEvent]]:
    """releaseReservation: give back what is still reserved. Releasing a reservation that is
    already released or expired changes nothing and reports its final state."""
    account, row = _lock_both(tx, moment, reservation_id)
    if row is None or row.app_id != app_id:
        raise UnknownReservation(reservation_id=reservation_id)
    if row.state != "open":
        return row.info(), []
    assert account is not None
    return _close(tx, moment, account, row, "released")


def release_all(tx: Transaction, moment: Moment, account_number: str) -> list[PendingEvent]:
    """Release every open reservation of an account (when it is closed)."""
    ids = tx.all(
        "SELECT id FROM ledger_reservations WHERE account_number = ? AND state = 'open'",
        (account_number,),
    )
    pending: list[PendingEvent] = []
    for (reservation_id,) in ids:
        account, row = _lock_both(tx, moment, reservation_id)
        if account is not None and row is not None and row.state == "open":
            pending += _close(tx, moment, account, row, "released")[1]
    return pending


def sweep(tx: Transaction, moment: Moment) -> tuple[int, list[PendingEvent]]:
    """Expire up to ``SWEEP_BATCH_MAX`` reservations past their expiry; returns how many."""
    due = tx.all(
        "SELECT id FROM ledger_reservations WHERE state = 'open' AND expires_at <= ? "
        "ORDER BY expires_at LIMIT ?",
        (clock.to_text(moment.at), SWEEP_BATCH_MAX),
    )
    count, pending = 0, []
    for (reservation_id,) in due:
        account, row = _lock_both(tx, moment, reservation_id)
        # Another gateway process may have swept or released it since the SELECT above.
        if account is None or row is None or row.state != "open" or row.expires_at > moment.at:
            continue
        pending += _close(tx, moment, account, row, "expired")[1]
        count += 1
    return count, pending


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
