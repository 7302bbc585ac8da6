"""Charge, refund and recharge: the units of work the ledger runs inside a batch's transaction.

Each function reads (and locks) the rows it needs, gathers an :class:`~charging.checks.Attempt`,
lets the one check table decide, and only then writes. The idempotency lookup has already run
(``charging.ledger``) before any of them is called.
"""

from __future__ import annotations

from dataclasses import dataclass

from charging import accounts, clock, entries
from charging.checks import Attempt, Operation, enforce
from charging.clock import Moment
from charging.entries import EntryInfo
from charging.events import PendingEvent
from charging.model import Account, EntryKind, TransactionResult
from storage.database import Transaction


@dataclass(frozen=True)
class MoneyRequest:
    """An amount asked of or for one account by one application (already validated)."""

    app_id: str
    reference_code: str | None
    account: str
    amount_minor: int
    currency: str
    description: str = ""
    code: str | None = None

    def info(self, reservation_id: str | None = None) -> EntryInfo:
        return EntryInfo(
            app_id=self.app_id,
            reference_code=self.reference_code,
            description=self.description,
            code=self.code,
            reservation_id=reservation_id,
        )


def attempt(
    operation: Operation, request: MoneyRequest, account: Account | None, moment: Moment, **more
) -> Attempt:
    """The facts every row of the table may look at, for ``request`` on ``account``."""
    return Attempt(
        operation=operation,
        account_number=request.account,
        amount_minor=request.amount_minor,
        currency=request.currency,
        app_id=request.app_id,
        account=account,
        expired=account is not None and clock.is_expired(account.valid_until, moment.at, moment.tz),
        **more,
    )


Outcome = tuple[TransactionResult, list[PendingEvent]]


def charge(tx: Transaction, moment: Moment, request: MoneyRequest) -> Outcome:
    account = accounts.load(tx, request.account, moment.month, lock=True)
    enforce(attempt(Operation.CHARGE, request, account, moment))
    assert account is not None
    return entries.record(
        tx, moment, account, EntryKind.CHARGE, request.amount_minor, request.info()
    )


def refund(tx: Transaction, moment: Moment, request: MoneyRequest) -> Outcome:
    """refundAmount: a free-standing credit, bounded by what this application has charged this
    account (net of its earlier refunds), so that no application can mint money."""
    account = accounts.load(tx, request.account, moment.month, lock=True)
    refundable = 0
    if account is not None:
        refundable = entries.refundable_minor(tx, request.account, request.app_id)
    enforce(attempt(Operation.REFUND, request, account, moment, refundable_minor=refundable))
    assert account is not None
    return entries.record(
        tx, moment, account, EntryKind.REFUND, request.amount_minor, request.info()
    )


def recharge(
    tx: Transaction, moment: Moment, request: MoneyRequest, extend_days: int | None
) -> Outcome:
    """balanceUpdate: credit a prepaid account, optionally extending its validity."""
    account = accounts.load(tx, request.account, moment.month, lock=True)
    enforce(attempt(Operation.RECHARGE, request, account, moment))
    assert account is not None
    valid_until = None
    if extend_days is not None:
        valid_until = clock.extended_validity(
            account.valid_until, extend_days, moment.at, moment.tz
        )
    return entries.record(
        tx,
        moment,
        account,
        EntryKind.RECHARGE,
        request.amount_minor,
        request.info(),
        valid_until=valid_until,
    )


def charge_split(
    tx: Transaction, moment: Moment, requests: list[MoneyRequest]
) -> tuple[list[TransactionResult], list[PendingEvent]]:
    """chargeSplitAmount: charge every share or none. The accounts are locked in one order (by
    number) so that two split charges over the same accounts cannot deadlock; then each share
    goes through the one check table as a charge. A refused share raises, and the batch's
    savepoint rolls back the shares already recorded: all or nothing in one transaction."""
    assert len({r.account for r in requests}) == len(requests), "one share per account"
    locked = {
        number: accounts.load(tx, number, moment.month, lock=True)
        for number in sorted(r.account for r in requests)
    }
    results: list[TransactionResult] = []
    pending: list[PendingEvent] = []
    for request in requests:
        account = locked[request.account]
        enforce(attempt(Operation.CHARGE, request, account, moment))
        assert account is not None
        result, events = entries.record(
            tx, moment, account, EntryKind.CHARGE, request.amount_minor, request.info()
        )
        results.append(result)
        pending += events
    return results, pending
