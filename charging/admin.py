"""Account administration: opening accounts, suspending, resuming and closing them, and changing
their limits -- what the operator's command line does. Units of work for the ledger's writer.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from charging import accounts, entries, events, reservations
from charging.clock import Moment
from charging.errors import AccountClosed, InvalidInput, UnregisteredAccount
from charging.events import PendingEvent
from charging.model import Account, Kind, Status
from charging.schema import MSISDN_KEY
from storage import UniqueViolation
from storage.database import Transaction

# The moves set_status allows: from -> to. A closed account stays closed (its number and history
# remain, so that disputes can still be answered).
STATUS_MOVES: dict[Status, frozenset[Status]] = {
    Status.ACTIVE: frozenset({Status.ACTIVE, Status.SUSPENDED, Status.CLOSED}),
    Status.SUSPENDED: frozenset({Status.SUSPENDED, Status.ACTIVE, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.CLOSED}),
}


def create(
    tx: Transaction, moment: Moment, account: Account, pin_hash: str | None
) -> tuple[Account, list[PendingEvent]]:
    try:
        accounts.insert(tx, account, pin_hash, moment.month)
    except UniqueViolation as exc:
        if exc.constraint == MSISDN_KEY:
            raise InvalidInput(
                msisdn=account.msisdn, reason="the MSISDN has an open account"
            ) from exc
        raise InvalidInput(account=account.number, reason="account already registered") from exc
    entries.open_account(tx, account)
    return account, []


def _locked(tx: Transaction, moment: Moment, number: str) -> Account:
    account = accounts.load(tx, number, moment.month, lock=True)
    if account is None:
        raise UnregisteredAccount(account=number)
    return account


def set_status(
    tx: Transaction, moment: Moment, number: str, status: Status
) -> tuple[Account, list[PendingEvent]]:
    """Suspend (e.g. a lost phone), resume or close an account. Closing releases its open
    reservations. Leaving ``active`` raises P_AM_ACCOUNT_DISABLED."""
    before = _locked(tx, moment, number)
    if status not in STATUS_MOVES[before.status]:
        raise AccountClosed(account=number)
    pending: list[PendingEvent] = []
    if status is Status.CLOSED and before.status is not Status.CLOSED:
        pending += reservations.release_all(tx, moment, number)
        before = _locked(tx, moment, number)
    after = replace(before, status=status)
    accounts.save_settings(tx, after, moment.at)
    return after, pending + events.for_change(before, after, moment.at)


def set_limits(
    tx: Transaction, moment: Moment, number: str, changes: dict[str, Any]
) -> tuple[Account, list[PendingEvent]]:
    """Change limits, threshold or validity (``changes`` holds only what changes, validated).

    Lowering a limit below what is already spent or reserved refuses new spending but undoes
    nothing. A postpaid account keeps a monthly limit: its balance is the headroom under it.
    """
    before = _locked(tx, moment, number)
    if before.status is Status.CLOSED:
        raise AccountClosed(account=number)
    after = replace(before, **changes)
    if after.kind is Kind.POSTPAID and after.monthly_limit_minor is None:
        raise InvalidInput(field="monthly_limit", reason="a postpaid account needs one")
    accounts.save_settings(tx, after, moment.at)
    return after, events.for_change(before, after, moment.at)


def set_pin(
    tx: Transaction, moment: Moment, number: str, pin_hash: str | None
) -> tuple[None, list[PendingEvent]]:
    """Set, change or (with None) remove the PIN; clears any lockout."""
    _locked(tx, moment, number)
    accounts.save_pin(tx, number, accounts.PinState(pin_hash, 0, None))
    return None, []


def new_account(
    moment: Moment,
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
