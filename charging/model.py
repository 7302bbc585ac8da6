"""The ledger's nouns: accounts, the results of its operations, history entries and events.

Every amount is an ``int`` of minor units with its currency beside it; the surfaces turn them into
``Decimal`` with :func:`charging.money.from_minor`.

Two figures are easy to confuse, so they have different names:

- ``ledger_balance_minor``: the sum of the account's entries (opening balance, charges, refunds,
  recharges). For a prepaid account it is the money on the account; for a postpaid account it is
  minus what has accrued to the bills since the account was opened.
- ``balance_minor``: the balance the service reports (getBalance, events, the low-balance
  threshold). Prepaid: the ledger balance less what is reserved. Postpaid: the remaining monthly
  headroom.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime


class Kind(enum.StrEnum):
    """A subscriber's micro-payment account."""

    PREPAID = "prepaid"
    POSTPAID = "postpaid"


class SystemKind(enum.StrEnum):
    """The operator's own accounts, the other side of every movement (``charging.movements``)."""

    SETTLEMENT = "settlement"  # what an application collected: the operator owes it to it
    FLOAT = "float"  # what an application may recharge subscribers with (prepaid by it)
    FUNDING = "funding"  # money entering the ledger: opening balances, operator top-ups, floats
    VOUCHER_ISSUANCE = "voucher_issuance"  # vouchers issued (the source of voucher value)
    VOUCHER_LIABILITY = "voucher_liability"  # issued vouchers not yet redeemed


class Status(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class EntryKind(enum.StrEnum):
    """What moved money on an account; the sign of the entry's amount follows from it."""

    OPENING = "opening"  # the balance an account was created with (credit)
    CHARGE = "charge"  # chargeAmount (debit)
    RESERVATION_CHARGE = "reservation_charge"  # chargeReservation (debit)
    REFUND = "refund"  # refundAmount (credit)
    RECHARGE = "recharge"  # balanceUpdate / operator top-up (credit)
    VOUCHER = "voucher"  # voucherUpdate (credit)
    FLOAT_FUNDING = "float_funding"  # the operator funds an application's float (system only)
    VOUCHER_ISSUE = "voucher_issue"  # a voucher is issued (system only)


class EventName(enum.StrEnum):
    """TpChargingEventName (TS 29.198-15 Account Management), spelled as the IDL spells it."""

    P_AM_CHARGING = "P_AM_CHARGING"
    P_AM_RECHARGING = "P_AM_RECHARGING"
    P_AM_ACCOUNT_LOW = "P_AM_ACCOUNT_LOW"
    P_AM_ACCOUNT_ZERO = "P_AM_ACCOUNT_ZERO"
    P_AM_ACCOUNT_DISABLED = "P_AM_ACCOUNT_DISABLED"


class AccountFigures:
    """The figures derived from an account's stored ones, shared by :class:`Account` and the
    batch's in-memory row (``charging.batch.Book``) so that both answer the checks alike."""

    __slots__ = ()
    kind: Kind | SystemKind
    ledger_balance_minor: int
    reserved_minor: int
    month_spent_minor: int
    monthly_limit_minor: int | None

    @property
    def headroom_minor(self) -> int | None:
        """What may still be spent this month (None without a monthly limit)."""
        if self.monthly_limit_minor is None:
            return None
        return self.monthly_limit_minor - self.month_spent_minor - self.reserved_minor

    @property
    def balance_minor(self) -> int:
        """The balance the service reports (see the module docstring)."""
        if self.kind is not Kind.POSTPAID:
            return self.ledger_balance_minor - self.reserved_minor
        headroom = self.headroom_minor
        assert headroom is not None, "a postpaid account always has a monthly limit"
        return headroom


@dataclass(frozen=True)
class Account(AccountFigures):
    """An account as stored, with the month-to-date figures already rolled to the current month."""

    number: str
    msisdn: str
    kind: Kind
    currency: str
    ledger_balance_minor: int
    reserved_minor: int
    month_spent_minor: int  # of the current calendar month in the ledger's time zone
    monthly_limit_minor: int | None  # None: no monthly limit (prepaid only)
    transaction_limit_minor: int | None  # None: no per-transaction limit
    low_balance_minor: int
    valid_until: date | None  # None: never expires
    status: Status
    has_pin: bool
    created_at: datetime


@dataclass(frozen=True)
class SystemAccount:
    """One of the operator's own accounts: the other side of the subscribers' movements."""

    number: str  # e.g. settlement:shop:KRW
    kind: SystemKind
    app_id: str | None  # a settlement account's or float's application
    currency: str
    balance_minor: int


@dataclass(frozen=True)
class TransactionResult:
    """The outcome of a money movement (charge, refund, recharge, voucher, reservation charge).

    A replay of the same request returns the first outcome with ``replayed=True``.
    """

    transaction_id: int
    account: str
    kind: EntryKind
    amount_minor: int  # positive: what was charged or credited
    currency: str
    balance_minor: int  # reported balance after (prepaid available funds / postpaid headroom)
    headroom_minor: int | None  # monthly headroom after
    low_balance_crossed: bool
    valid_until: date | None = None
    replayed: bool = False


@dataclass(frozen=True)
class ReservationInfo:
    """A reservation's state after reserve_additional / release."""

    reservation_id: str
    account: str
    currency: str
    reserved_minor: int  # still held
    charged_minor: int  # charged against it so far
    released_minor: int  # given back by release or expiry
    state: str  # "open", "released", "expired"
    expires_at: datetime
    replayed: bool = False


@dataclass(frozen=True)
class AccountStatus:
    """What Account Management reports about an account (registered or not)."""

    account: str
    registered: bool
    state: str | None = None  # "active", "suspended", "expired", "closed"
    kind: Kind | None = None
    msisdn: str | None = None
    currency: str | None = None
    balance_minor: int | None = None
    ledger_balance_minor: int | None = None
    reserved_minor: int | None = None
    month_spent_minor: int | None = None
    headroom_minor: int | None = None
    monthly_limit_minor: int | None = None
    transaction_limit_minor: int | None = None
    low_balance_minor: int | None = None
    valid_until: date | None = None
    pin_required: bool = False  # the account has a PIN: applications must ask for it
    # the subscriber's own settings (charging.selfcare)
    confirm_above_minor: int | None = None  # payments above it need a one-time code (0: all)
    alert_above_minor: int | None = None  # payments above it raise an alert SMS
    pending_monthly_limit_minor: int | None = None  # a raise waiting for its cooling-off
    pending_limit_at: datetime | None = None  # ... until then
    suspended_by: str | None = None  # "operator", "subscriber" or "pin_lockout"


@dataclass(frozen=True)
class HistoryEntry:
    """One DatedTransaction of getHistory."""

    transaction_id: int
    date: datetime
    kind: EntryKind
    amount_minor: int  # signed: debits negative, credits positive
    currency: str
    ledger_balance_after_minor: int
    description: str
    app_id: str | None
    reference_code: str | None


@dataclass(frozen=True)
class ChargingEvent:
    """One row of the event outbox (TpChargingEventInfo plus what a dispatcher needs)."""

    seq: int
    account: str
    msisdn: str
    event: EventName
    currency: str
    balance_minor: int  # reported balance after the change
    amount_minor: int | None  # the movement that caused it, if any
    transaction_id: int | None
    occurred_at: datetime
    app_id: str | None = None  # who made the movement (None for threshold and status events)
    reference_code: str | None = None  # ... and its referenceCode, when it had one


@dataclass(frozen=True)
class Voucher:
    voucher_id: str
    amount_minor: int
    currency: str
    valid_until: date | None
    state: str  # "issued", "redeemed"
    redeemed_by: str | None
    redeemed_at: datetime | None
    created_at: datetime
