"""What the subscriber does to protect the account: isolated commands of the batch.

The subscriber's own application (the operator's self-care application, granted ``selfcare``)
acts for the subscriber:

- **suspend** at once (a lost phone or card); **resume** with the PIN -- but only a suspension
  the subscriber or the PIN lock-out made: one the operator made stays (``suspended_by``);
- **lower** the monthly limit at once; **raise** it with the PIN, effective after the cooling-off
  period (``limit_raise_delay_s``): the raise waits in ``pending_monthly_limit_minor`` until
  :func:`apply_due_limits` applies it, so a thief who learnt the PIN cannot spend more at once
  and the subscriber hears of it first;
- set the amounts above which a payment raises an **alert** (``alert_above_minor``) or needs a
  one-time **confirmation** code (``confirm_above_minor``, 0 = always; applications read it from
  getAccountStatus and honour it).

Every change queues its alert (``charging.alerts``) in the same transaction. Refusals come from
the one check table (``charging.checks``: rows 1, 2, 4, 19, 20).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from charging import alerts, clock, grants
from charging.batch import BatchState, Book, Command
from charging.checks import Attempt, Operation, enforce
from charging.model import Status
from charging.movements import OPERATOR_APP_ID, SUBSCRIBER_KINDS
from storage import Dialect
from storage.database import Transaction

BY_OPERATOR, BY_SUBSCRIBER, BY_PIN_LOCKOUT = "operator", "subscriber", "pin_lockout"
LIMIT_RAISE_DELAY_S = 86_400  # the cooling-off before a raised monthly limit applies
DUE_LIMITS_BATCH_MAX = 200
GRANT = "selfcare"

THRESHOLD_COLUMNS = {"alert": "alert_above_minor", "confirm": "confirm_above_minor"}


@dataclass(frozen=True)
class SelfCareSettings:
    """The account's self-care figures (getAccountStatus and the subscriber's answers)."""

    suspended_by: str | None
    alert_above_minor: int | None
    confirm_above_minor: int | None
    pending_monthly_limit_minor: int | None
    pending_limit_at: datetime | None


@dataclass(frozen=True)
class LimitChange:
    """The outcome of a monthly-limit request: the limit in force and any raise waiting."""

    account: str
    currency: str
    monthly_limit_minor: int | None
    pending_monthly_limit_minor: int | None
    pending_from: datetime | None


def settings_of(tx: Transaction, number: str, *, lock: bool = False) -> SelfCareSettings | None:
    sql = (
        "SELECT suspended_by, alert_above_minor, confirm_above_minor, "
        "pending_monthly_limit_minor, pending_limit_at FROM ledger_accounts WHERE number = ?"
    )
    if lock and tx.dialect is Dialect.POSTGRESQL:
        sql += " FOR UPDATE"
    row = tx.one(sql, (number,))
    if row is None:
        return None
    return SelfCareSettings(
        row[0],
        None if row[1] is None else int(row[1]),
        None if row[2] is None else int(row[2]),
        None if row[3] is None else int(row[3]),
        None if row[4] is None else clock.from_text(row[4]),
    )


def _checked(
    state: BatchState, c: Command, operation: Operation, *, pin_verified: bool = False
) -> tuple[Book, SelfCareSettings]:
    """The account's book and settings once the check table lets ``c`` through."""
    book = state.book(c.account)
    if book is not None and book.kind not in SUBSCRIBER_KINDS:
        book = None
    found = None if book is None else settings_of(state.tx, c.account, lock=True)
    entitled = (
        c.app_id == OPERATOR_APP_ID
        or grants.load(state, c.app_id, GRANT, grants.ANY_CURRENCY) is not None
    )
    attempt = Attempt(
        operation, c.account, c.amount_minor, "", c.app_id, account=book,  # type: ignore[arg-type]
        entitled=entitled, pin_verified=pin_verified,
        suspended_by=None if found is None else found.suspended_by,
    )  # fmt: skip
    enforce(attempt)
    assert book is not None and found is not None
    return book, found


def _set_suspended_by(tx: Transaction, number: str, by: str | None) -> None:
    tx.execute("UPDATE ledger_accounts SET suspended_by = ? WHERE number = ?", (by, number))


def suspend_book(state: BatchState, book: Book, by: str, app_id: str | None) -> bool:
    """Suspend an active account (``by`` whom), with its event and alert; False when it was
    not active (a suspension stays with whoever made it first)."""
    if book.status is not Status.ACTIVE:
        return False
    before, previous = book.balance_minor, book.status
    book.status = Status.SUSPENDED
    book.settled = True
    state.changed(book, before, previous)
    _set_suspended_by(state.tx, book.number, by)
    kind = alerts.SUSPENDED_PIN if by == BY_PIN_LOCKOUT else alerts.SUSPENDED
    _alert(state, book, kind, app_id, by=by)
    return True


def resume_book(state: BatchState, book: Book, app_id: str | None, by: str) -> bool:
    """Make a suspended account active again, with its alert; False when it was not suspended."""
    if book.status is not Status.SUSPENDED:
        return False
    book.status = Status.ACTIVE
    book.settled = True
    _set_suspended_by(state.tx, book.number, None)
    _alert(state, book, alerts.RESUMED, app_id, by=by)
    return True


def suspend(state: BatchState, c: Command) -> bool:
    """The subscriber stops the account (lost phone or card); True when it changed."""
    book, _ = _checked(state, c, Operation.SELF_SUSPEND)
    return suspend_book(state, book, BY_SUBSCRIBER, c.app_id)


def resume(state: BatchState, c: Command) -> bool:
    """The subscriber resumes (the PIN was verified before); True when it changed."""
    book, _ = _checked(state, c, Operation.SELF_RESUME, pin_verified=True)
    return resume_book(state, book, c.app_id, BY_SUBSCRIBER)


def request_limit(state: BatchState, c: Command) -> LimitChange:
    """Lower the monthly limit now, or schedule a raise (``c.args``: (pin verified, delay s))."""
    pin_verified, delay_s = c.args
    book, found = _checked(state, c, Operation.SELF_LIMIT, pin_verified=pin_verified)
    new, current = c.amount_minor, book.monthly_limit_minor
    assert book.msisdn is not None  # before anything changes: the alert needs it
    if current is None or new <= current:
        before, status = book.balance_minor, book.status
        book.monthly_limit_minor = new
        book.settled = True
        state.changed(book, before, status)
        _set_pending(state.tx, book.number, None, None)
        _alert(state, book, alerts.LIMIT_LOWERED, c.app_id, limit=new, currency=book.currency)
        return LimitChange(book.number, book.currency, new, None, None)
    due = state.moment.at + timedelta(seconds=delay_s)
    _set_pending(state.tx, book.number, new, clock.to_text(due))
    _alert(state, book, alerts.LIMIT_RAISE_PENDING, c.app_id, limit=new, currency=book.currency,
           effective_at=clock.to_text(due))  # fmt: skip
    return LimitChange(book.number, book.currency, current, new, due)


def _alert(state: BatchState, book: Book, kind: str, app_id: str | None, **fields: Any) -> None:
    """Queue alert ``kind`` for the subscriber of ``book``, in the batch's transaction."""
    assert book.msisdn is not None
    alerts.add(
        state.tx,
        at=state.at_text,
        number=book.number,
        msisdn=book.msisdn,
        kind=kind,
        app_id=app_id,
        **fields,
    )


def _set_pending(tx: Transaction, number: str, limit: int | None, at: str | None) -> None:
    tx.execute(
        "UPDATE ledger_accounts SET pending_monthly_limit_minor = ?, pending_limit_at = ? "
        "WHERE number = ?",
        (limit, at, number),
    )


def set_threshold(state: BatchState, c: Command) -> int | None:
    """Set (``c.amount_minor``; None in ``c.args[1]`` turns it off) the alert or confirmation
    amount (``c.args[0]``: "alert" or "confirm")."""
    which, amount = c.args
    book, _ = _checked(state, c, Operation.SELF_SETTINGS)
    column = THRESHOLD_COLUMNS[which]
    state.tx.execute(
        f"UPDATE ledger_accounts SET {column} = ? WHERE number = ?", (amount, book.number)
    )
    return amount


def operator_set_limit(state: BatchState, book: Book, before: int | None) -> None:
    """The operator set the monthly limit: any raise waiting is dropped, the subscriber told."""
    _set_pending(state.tx, book.number, None, None)
    after = book.monthly_limit_minor
    if after == before or after is None or book.msisdn is None:
        return
    kind = alerts.LIMIT_RAISED if before is None or after > before else alerts.LIMIT_LOWERED
    _alert(state, book, kind, OPERATOR_APP_ID, limit=after, currency=book.currency)


def apply_due_limits(state: BatchState, _c: Command) -> int:
    """Apply every raised monthly limit whose cooling-off has ended; returns how many."""
    rows = state.tx.all(
        "SELECT number, pending_monthly_limit_minor FROM ledger_accounts "
        "WHERE pending_limit_at IS NOT NULL AND pending_limit_at <= ? ORDER BY number LIMIT ?",
        (state.at_text, DUE_LIMITS_BATCH_MAX),
    )
    for number, limit in rows:
        book = state.book(number)
        _set_pending(state.tx, number, None, None)
        if book is None or book.status is Status.CLOSED or limit is None:
            continue
        before, status = book.balance_minor, book.status
        book.monthly_limit_minor = int(limit)
        book.settled = True
        state.changed(book, before, status)
        _alert(state, book, alerts.LIMIT_RAISED, None, limit=int(limit), currency=book.currency)
    return len(rows)
