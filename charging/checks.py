"""The checks of every ledger operation, as ONE table in precedence order.

Read top to bottom: the first row whose operation set includes the request's operation and whose
predicate holds refuses the request with that row's error; nothing is written. Input that needs no
database (amount > 0, known currency, string lengths, tel: URIs) was refused before this table by
``charging.validate``.

Row 0 is the idempotency lookup and runs first, on its own, before anything else is read: when an
earlier request with the same (application, referenceCode) exists and has the same content, its
first outcome is returned and no other row runs; different content is ``ReferenceCodeReused``.
A refused request writes nothing, so a retry after a refusal is evaluated afresh (it may succeed
after a top-up). ``release_reservation`` is not in the table: it only needs the reservation to be
the application's own, and releasing twice returns the first outcome.

| # | check                         | operations                                  | error                       |
|---|-------------------------------|---------------------------------------------|-----------------------------|
| 0 | referenceCode unused or same  | all with a referenceCode                    | ReferenceCodeReused         |
| 1 | application entitled          | recharge (not the operator's), redeem_voucher, self-care| NotEntitled     |
| 2 | account registered            | all                                         | UnregisteredAccount         |
| 3 | currency is the account's     | all                                         | CurrencyMismatch            |
| 4 | account not closed            | all                                         | AccountClosed               |
| 5 | account not suspended         | debits (charge, reserve*, charge_reservation)| AccountSuspended           |
| 6 | account not expired           | debits                                      | AccountExpired              |
| 7 | account is prepaid            | recharge, redeem_voucher                    | InvalidInput                |
| 8 | voucher usable, PIN right     | redeem_voucher                              | VoucherInvalid              |
| 9 | reservation open and ours     | reserve_additional, charge_reservation      | UnknownReservation          |
| 10| within what is reserved       | charge_reservation                          | ReservationExceeded         |
| 11| within per-transaction limit  | charge, reserve, reserve_additional         | TransactionLimitExceeded    |
| 12| within monthly limit          | charge, reserve, reserve_additional         | MonthlyLimitExceeded        |
| 13| prepaid balance covers it     | charge, reserve, reserve_additional         | InsufficientBalance         |
| 14| refund within net charges     | refund                                      | RefundExceedsCharges        |
| 15| within the per-recharge cap   | recharge                                    | RechargeCapExceeded         |
| 16| within the daily recharge cap | recharge                                    | RechargeCapExceeded         |
| 17| the float covers the recharge | recharge (not the operator's)               | FloatInsufficient           |
| 18| the credited balance fits     | refund, recharge, redeem_voucher, fund_float| InvalidAmount               |
| 19| not suspended by the operator | self_resume                                 | AccountSuspended            |
| 20| a raised limit has the PIN    | self_limit                                  | PinRequired                 |

Row 12 counts month-to-date spend plus everything reserved; row 13 the balance less everything
reserved -- reserved funds count against both at once. A charge against a reservation draws on
funds already counted, so rows 11-13 do not apply to it; row 10 bounds it instead.

Rows 1 and 15-17 are the application's side of a credit (``charging.grants``): an application
recharges only when the operator granted it ``recharge`` in that currency, within the grant's
caps, and from its own float, which it cannot overdraw; it redeems vouchers only when granted
``voucher``. The operator's own top-ups (application ``operator``) come from funding and need no
grant. Row 18 keeps every balance within what the ledger can store (``BALANCE_MINOR_MAX``).

The self-care operations (``charging.selfcare``: self_suspend, self_resume, self_limit,
self_settings) need the ``selfcare`` grant (row 1). A subscriber resumes only a suspension the
subscriber or the PIN lock-out made (row 19), and a monthly limit is raised only with the PIN
(row 20; lowering needs none).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from charging.errors import (
    AccountClosed,
    AccountExpired,
    AccountSuspended,
    CurrencyMismatch,
    DomainError,
    FloatInsufficient,
    InsufficientBalance,
    InvalidAmount,
    InvalidInput,
    MonthlyLimitExceeded,
    NotEntitled,
    PinRequired,
    RechargeCapExceeded,
    ReferenceCodeReused,
    RefundExceedsCharges,
    ReservationExceeded,
    TransactionLimitExceeded,
    UnknownReservation,
    UnregisteredAccount,
    VoucherInvalid,
)
from charging.model import Account, Kind, Status

BALANCE_MINOR_MAX = 10**18  # below 2^63, so every balance and sum fits a signed 64-bit column


class Operation(enum.StrEnum):
    CHARGE = "charge"
    REFUND = "refund"
    RESERVE = "reserve"
    RESERVE_ADDITIONAL = "reserve_additional"
    CHARGE_RESERVATION = "charge_reservation"
    RECHARGE = "recharge"
    REDEEM_VOUCHER = "redeem_voucher"
    FUND_FLOAT = "fund_float"
    SELF_SUSPEND = "self_suspend"
    SELF_RESUME = "self_resume"
    SELF_LIMIT = "self_limit"
    SELF_SETTINGS = "self_settings"


ALL = frozenset(Operation)
DEBITS = frozenset(
    {
        Operation.CHARGE,
        Operation.RESERVE,
        Operation.RESERVE_ADDITIONAL,
        Operation.CHARGE_RESERVATION,
    }
)
NEW_SPENDING = frozenset({Operation.CHARGE, Operation.RESERVE, Operation.RESERVE_ADDITIONAL})
CREDITS_TO_PREPAID = frozenset({Operation.RECHARGE, Operation.REDEEM_VOUCHER})
ON_RESERVATION = frozenset({Operation.RESERVE_ADDITIONAL, Operation.CHARGE_RESERVATION})
SELF_CARE = frozenset(
    {Operation.SELF_SUSPEND, Operation.SELF_RESUME, Operation.SELF_LIMIT, Operation.SELF_SETTINGS}
)
CREDITS = frozenset(
    {Operation.REFUND, Operation.RECHARGE, Operation.REDEEM_VOUCHER, Operation.FUND_FLOAT}
)


@dataclass(frozen=True)
class GrantState:
    """What the checks need to know of an application's grant of one operation."""

    cap_minor: int | None  # per operation
    daily_cap_minor: int | None
    day_used_minor: int  # already used today (in the ledger's zone)


@dataclass(frozen=True)
class ReservationState:
    """What the checks need to know of a reservation."""

    app_id: str
    account: str
    reserved_minor: int
    charged_minor: int
    open: bool  # state 'open' and not past its expiry
    id: str = ""  # the reservation identifier, for the error's variables


@dataclass(slots=True)
class Attempt:
    """Everything the table looks at, gathered before the table runs (and not changed by it;
    not frozen only because a frozen dataclass costs five times as much to build, per request).
    """

    operation: Operation
    account_number: str
    amount_minor: int = 0
    currency: str = ""
    app_id: str = ""
    reference_code: str = ""  # for the error's variables only
    request_hash: str = ""
    prior_hash: str | None = None  # of an earlier request with the same key, if any
    account: Account | None = None
    expired: bool = False  # the account's validity ended before now
    reservation: ReservationState | None = None
    voucher_usable: bool = False  # issued, not expired, PIN matched, (redeem only)
    refundable_minor: int = 0  # what this application charged this account, net of refunds
    voucher_id: str = ""  # (redeem only) for the error's variables
    entitled: bool = True  # the operator granted this application the operation
    grant: GrantState | None = None  # (recharge) the grant's caps and today's use
    float_minor: int | None = None  # (recharge) the application's float; None: the operator's
    pin_verified: bool = False  # (self-care) the subscriber's PIN was verified for this request
    suspended_by: str | None = None  # (self-care) who suspended the account

    @property
    def transaction_total_minor(self) -> int:
        """The size of the transaction the per-transaction limit bounds: a reservation grows."""
        if self.operation is Operation.RESERVE_ADDITIONAL and self.reservation is not None:
            return (
                self.reservation.reserved_minor + self.reservation.charged_minor + self.amount_minor
            )
        return self.amount_minor


@dataclass(frozen=True)
class Check:
    name: str
    operations: frozenset[Operation]
    refused: Callable[[Attempt], bool]
    error: Callable[[Attempt], DomainError]


def _acct(a: Attempt) -> Account:
    assert a.account is not None, "row 1 refuses an unregistered account first"
    return a.account


def _over_monthly_limit(a: Attempt) -> bool:
    headroom = _acct(a).headroom_minor
    return headroom is not None and a.amount_minor > headroom


def _over_cap(a: Attempt) -> bool:
    return (
        a.grant is not None and a.grant.cap_minor is not None and a.amount_minor > a.grant.cap_minor
    )


def _over_daily_cap(a: Attempt) -> bool:
    g = a.grant
    return (
        g is not None
        and g.daily_cap_minor is not None
        and g.day_used_minor + a.amount_minor > g.daily_cap_minor
    )


CHECKS: tuple[Check, ...] = (
    Check(
        "referenceCode unused, or used by this very request",
        ALL,
        lambda a: a.prior_hash is not None and a.prior_hash != a.request_hash,
        lambda a: ReferenceCodeReused(app_id=a.app_id, reference_code=a.reference_code),
    ),
    Check(
        "application entitled to the operation",
        CREDITS_TO_PREPAID | SELF_CARE,
        lambda a: not a.entitled,
        lambda a: NotEntitled(app_id=a.app_id, operation=a.operation.value),
    ),
    Check(
        "account registered",
        ALL,
        lambda a: a.account is None,
        lambda a: UnregisteredAccount(account=a.account_number),
    ),
    Check(
        "currency is the account's",
        ALL,
        lambda a: bool(a.currency) and a.currency != _acct(a).currency,
        lambda a: CurrencyMismatch(currency=a.currency, account_currency=_acct(a).currency),
    ),
    Check(
        "account not closed",
        ALL,
        lambda a: _acct(a).status is Status.CLOSED,
        lambda a: AccountClosed(account=a.account_number),
    ),
    Check(
        "account not suspended",
        DEBITS,
        lambda a: _acct(a).status is Status.SUSPENDED,
        lambda a: AccountSuspended(account=a.account_number),
    ),
    Check(
        "account not expired",
        DEBITS,
        lambda a: a.expired,
        lambda a: AccountExpired(account=a.account_number, valid_until=_acct(a).valid_until),
    ),
    Check(
        "account is prepaid",
        CREDITS_TO_PREPAID,
        lambda a: _acct(a).kind is not Kind.PREPAID,
        lambda a: InvalidInput(
            account=a.account_number, reason="only prepaid accounts take credit"
        ),
    ),
    Check(
        "voucher usable and its PIN right",
        frozenset({Operation.REDEEM_VOUCHER}),
        lambda a: not a.voucher_usable,
        lambda a: VoucherInvalid(voucher_id=a.voucher_id),
    ),
    Check(
        "reservation open and the application's own",
        ON_RESERVATION,
        lambda a: (
            a.reservation is None
            or not a.reservation.open
            or a.reservation.app_id != a.app_id
            or a.reservation.account != a.account_number
        ),
        lambda a: UnknownReservation(reservation_id=a.reservation.id if a.reservation else ""),
    ),
    Check(
        "within what is reserved",
        frozenset({Operation.CHARGE_RESERVATION}),
        lambda a: a.reservation is not None and a.amount_minor > a.reservation.reserved_minor,
        lambda a: ReservationExceeded(
            amount=a.amount_minor,
            reserved=a.reservation.reserved_minor if a.reservation else 0,
            reservation_id=a.reservation.id if a.reservation else "",
            currency=_acct(a).currency,
        ),
    ),
    Check(
        "within the per-transaction limit",
        NEW_SPENDING,
        lambda a: (
            _acct(a).transaction_limit_minor is not None
            and a.transaction_total_minor > (_acct(a).transaction_limit_minor or 0)
        ),
        lambda a: TransactionLimitExceeded(
            amount=a.transaction_total_minor,
            limit=_acct(a).transaction_limit_minor,
            currency=_acct(a).currency,
        ),
    ),
    Check(
        "within the monthly limit (month-to-date spend and reservations included)",
        NEW_SPENDING,
        _over_monthly_limit,
        lambda a: MonthlyLimitExceeded(
            amount=a.amount_minor,
            limit=_acct(a).monthly_limit_minor,
            spent=_acct(a).month_spent_minor,
            reserved=_acct(a).reserved_minor,
            currency=_acct(a).currency,
        ),
    ),
    Check(
        "prepaid balance (less reservations) covers it",
        NEW_SPENDING,
        lambda a: _acct(a).kind is Kind.PREPAID and a.amount_minor > _acct(a).balance_minor,
        lambda a: InsufficientBalance(
            amount=a.amount_minor, balance=_acct(a).balance_minor, currency=_acct(a).currency
        ),
    ),
    Check(
        "refund within what the application charged",
        frozenset({Operation.REFUND}),
        lambda a: a.amount_minor > a.refundable_minor,
        lambda a: RefundExceedsCharges(
            amount=a.amount_minor, refundable=a.refundable_minor, currency=_acct(a).currency
        ),
    ),
    Check(
        "within the per-recharge cap of the application's grant",
        frozenset({Operation.RECHARGE}),
        _over_cap,
        lambda a: RechargeCapExceeded(
            period="single",
            cap=a.grant.cap_minor if a.grant else 0,
            used=0,
            amount=a.amount_minor,
            currency=_acct(a).currency,
        ),
    ),
    Check(
        "within the daily recharge cap of the application's grant",
        frozenset({Operation.RECHARGE}),
        _over_daily_cap,
        lambda a: RechargeCapExceeded(
            period="daily",
            cap=a.grant.daily_cap_minor if a.grant else 0,
            used=a.grant.day_used_minor if a.grant else 0,
            amount=a.amount_minor,
            currency=_acct(a).currency,
        ),
    ),
    Check(
        "the application's float covers the recharge",
        frozenset({Operation.RECHARGE}),
        lambda a: a.float_minor is not None and a.amount_minor > a.float_minor,
        lambda a: FloatInsufficient(
            app_id=a.app_id,
            available=a.float_minor or 0,
            amount=a.amount_minor,
            currency=_acct(a).currency,
        ),
    ),
    Check(
        "the credited balance stays within what the ledger stores",
        CREDITS,
        lambda a: _acct(a).ledger_balance_minor + a.amount_minor > BALANCE_MINOR_MAX,
        lambda a: InvalidAmount(
            amount=str(a.amount_minor), reason="the balance would exceed the largest amount held"
        ),
    ),
    Check(
        "a subscriber resumes only what the subscriber or a PIN lock-out suspended",
        frozenset({Operation.SELF_RESUME}),
        lambda a: _acct(a).status is Status.SUSPENDED and a.suspended_by == "operator",
        lambda a: AccountSuspended(account=a.account_number),
    ),
    Check(
        "raising the monthly limit needs the subscriber's PIN",
        frozenset({Operation.SELF_LIMIT}),
        lambda a: (
            not a.pin_verified
            and _acct(a).monthly_limit_minor is not None
            and a.amount_minor > (_acct(a).monthly_limit_minor or 0)
        ),
        lambda a: PinRequired(account=a.account_number, operation="raise the monthly limit"),
    ),
)

IDEMPOTENCY_ROW = CHECKS[:1]
STATE_ROWS = CHECKS[1:]
_STATE_ROWS_OF = {op: tuple(c for c in STATE_ROWS if op in c.operations) for op in Operation}


def enforce(attempt: Attempt, rows: tuple[Check, ...] | None = None) -> None:
    """Raise the error of the first row that refuses ``attempt``; return if none does.
    ``rows`` defaults to every row but row 0 (which runs on its own, before anything is read)."""
    if rows is None:
        for check in _STATE_ROWS_OF[attempt.operation]:
            if check.refused(attempt):
                raise check.error(attempt)
        return
    for check in rows:
        if attempt.operation in check.operations and check.refused(attempt):
            raise check.error(attempt)


def reservation_open(state: str, expires_at: datetime, now: datetime) -> bool:
    return state == "open" and expires_at > now
