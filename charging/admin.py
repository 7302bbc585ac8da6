"""Account administration: opening accounts, suspending, resuming and closing them, and changing
their limits -- what the operator's command line does. Isolated commands of the batch
(``charging.batch``): the account's figures change in its book, other rows directly.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from charging import accounts, movements, reservations, selfcare
from charging.batch import BatchState, Book, Command
from charging.clock import Moment
from charging.errors import AccountClosed, InvalidInput, UnregisteredAccount
from charging.model import Account, EntryKind, Kind, Status
from charging.movements import SUBSCRIBER_KINDS
from charging.schema import MSISDN_KEY
from storage import UniqueViolation

# The moves set_status allows: from -> to. A closed account stays closed (its number and history
# remain, so that disputes can still be answered).
STATUS_MOVES: dict[Status, frozenset[Status]] = {
    Status.ACTIVE: frozenset({Status.ACTIVE, Status.SUSPENDED, Status.CLOSED}),
    Status.SUSPENDED: frozenset({Status.SUSPENDED, Status.ACTIVE, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.CLOSED}),
}


def create(state: BatchState, c: Command) -> Account:
    """Open the account ``c.args`` = (Account, pin_hash): its row, then its opening balance
    paid in from funding."""
    account, pin_hash = c.args
    try:
        accounts.insert(state.tx, account, pin_hash, state.month)
    except UniqueViolation as exc:
        if exc.constraint == MSISDN_KEY:
            raise InvalidInput(
                msisdn=account.msisdn, reason="the MSISDN has an open account"
            ) from exc
        raise InvalidInput(account=account.number, reason="account already registered") from exc
    book = state.book(account.number, fresh=True)
    assert book is not None
    if account.ledger_balance_minor:
        funding = state.system(movements.funding(account.currency), account.currency)
        c.app_id, c.description = "", "opening balance"
        state.transfer(EntryKind.OPENING.value, funding, book, account.ledger_balance_minor, c)
    return account


def _locked(state: BatchState, number: str) -> Book:
    book = state.book(number)
    if book is None or book.kind not in SUBSCRIBER_KINDS:
        raise UnregisteredAccount(account=number)
    return book


def set_status(state: BatchState, c: Command) -> Account:
    """Suspend (e.g. a lost phone), resume or close an account (``c.args``: the status).
    Closing releases its open reservations. Leaving ``active`` raises P_AM_ACCOUNT_DISABLED."""
    status: Status = c.args
    book = _locked(state, c.account)
    if status not in STATUS_MOVES[book.status]:
        raise AccountClosed(account=c.account)
    if status is Status.CLOSED and book.status is not Status.CLOSED:
        reservations.release_all(state, c.account)
    if status is Status.SUSPENDED and book.status is Status.ACTIVE:  # with the alert
        selfcare.suspend_book(state, book, selfcare.BY_OPERATOR, c.app_id or None)
        return state.account_of(book)
    if status is Status.ACTIVE and book.status is Status.SUSPENDED:
        selfcare.resume_book(state, book, c.app_id or None, selfcare.BY_OPERATOR)
        return state.account_of(book)
    before, previous = book.balance_minor, book.status
    book.status = status
    book.settled = True
    state.changed(book, before, previous)
    return state.account_of(book)


def set_limits(state: BatchState, c: Command) -> Account:
    """Change limits, threshold or validity (``c.args`` holds only what changes, validated).

    Lowering a limit below what is already spent or reserved refuses new spending but undoes
    nothing. A postpaid account keeps a monthly limit: its balance is the headroom under it.
    """
    changes: dict[str, Any] = c.args
    book = _locked(state, c.account)
    if book.status is Status.CLOSED:
        raise AccountClosed(account=c.account)
    monthly = changes.get("monthly_limit_minor", book.monthly_limit_minor)
    if book.kind is Kind.POSTPAID and monthly is None:
        raise InvalidInput(field="monthly_limit", reason="a postpaid account needs one")
    before, status = book.balance_minor, book.status
    limit_before = book.monthly_limit_minor
    for name, value in changes.items():
        setattr(book, name, value)
    book.settled = True
    state.changed(book, before, status)
    if "monthly_limit_minor" in changes:  # the operator's limit replaces a pending raise
        selfcare.operator_set_limit(state, book, limit_before)
    return state.account_of(book)


def set_pin(state: BatchState, c: Command) -> None:
    """Set, change or (with None) remove the PIN (``c.args``: its hash); clears any lockout."""
    pin_hash: str | None = c.args
    book = _locked(state, c.account)
    accounts.save_pin(state.tx, c.account, accounts.PinState(pin_hash, 0, None))
    book.has_pin = pin_hash is not None


def new_account(
    moment: Moment,
    *,
    number: str,
    msisdn: str,
    currency: str,
    kind: Kind,
    balance_minor: int,
    monthly_limit_minor: int | None,
    transaction_limit_minor: int | None,
    low_balance_minor: int,
    valid_until: date | None,
    has_pin: bool,
) -> Account:
    """The account to open, refusing combinations that make no sense."""
    if kind is Kind.POSTPAID and monthly_limit_minor is None:
        raise InvalidInput(field="monthly_limit", reason="a postpaid account needs one")
    if kind is Kind.POSTPAID and balance_minor:
        raise InvalidInput(field="balance", reason="a postpaid account has no balance to load")
    return Account(
        number=number,
        msisdn=msisdn,
        kind=kind,
        currency=currency,
        ledger_balance_minor=balance_minor,
        reserved_minor=0,
        month_spent_minor=0,
        monthly_limit_minor=monthly_limit_minor,
        transaction_limit_minor=transaction_limit_minor,
        low_balance_minor=low_balance_minor,
        valid_until=valid_until,
        status=Status.ACTIVE,
        has_pin=has_pin,
        created_at=moment.at,
    )
