"""The micro-payment procedure (DESIGN §2) as one state table, and its eligibility check.

No I/O here: ``checkout`` feeds the machine the gateway's answers. One order walks::

    idle --enter_account--> account_entered --eligible--> checked --charge--> charging
      --charged--> charged --notify--> notified                       (one-step: chargeAmount)
    checked --reserve--> reserving --reserved--> reserved --ship--> capturing --charged--> ...
                                                (two-step: reserveAmount, then chargeReservation)
    reserved --cancel--> released  (releaseReservation)
    checked --hold--> holding --held--> awaiting_code --confirm--> confirming --charged--> ...
                      (a code by SMS first: reserveAmount, the code, then chargeReservation;
                       a two-step order goes awaiting_code --keep--> reserved instead)
    awaiting_code --refuse--> refused  (wrong code 5 times, or too late: the hold is released)
    notified --refund--> refunded  (the operator gives the whole payment back: refundAmount)
    account_entered | charging | reserving --refuse--> refused --enter_account--> ...

``notify`` is the payment-details SMS (and the balance SMS when the balance fell under the
account's threshold): it follows the P_AM_CHARGING event of the order's own referenceCode,
which names the account's MSISDN (docs/application.md). A refusal writes nothing, so a refused
order may be paid again, with another account too. While ``charging`` or ``capturing`` the
outcome may be unknown (the answer was lost); the order keeps its account and the same
request is sent again with the same referenceCode -- the gateway answers a repeat with the
first outcome and never charges twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from apps.micropay.refusals import Reason, Refusal


class State(enum.StrEnum):
    IDLE = "idle"
    ACCOUNT_ENTERED = "account_entered"
    CHECKED = "checked"
    CHARGING = "charging"
    RESERVING = "reserving"
    RESERVED = "reserved"
    CAPTURING = "capturing"
    CHARGED = "charged"
    NOTIFIED = "notified"
    REFUSED = "refused"
    RELEASED = "released"
    HOLDING = "holding"  # reserveAmount for a payment to be confirmed by a code
    AWAITING_CODE = "awaiting_code"  # held; the code is on its way to the account's phone
    CONFIRMING = "confirming"  # the code was right: chargeReservation
    REFUNDED = "refunded"  # the operator gave the payment back (refundAmount / createRefund)


class Event(enum.StrEnum):
    ENTER_ACCOUNT = "enter_account"
    ELIGIBLE = "eligible"
    REFUSE = "refuse"
    CHARGE = "charge"
    RESERVE = "reserve"
    CHARGED = "charged"
    RESERVED = "reserved"
    SHIP = "ship"
    CANCEL = "cancel"
    NOTIFY = "notify"
    HOLD = "hold"
    HELD = "held"
    CONFIRM = "confirm"
    KEEP = "keep"
    REFUND = "refund"


DISPLAY_TIMEZONE = "Asia/Seoul"  # the ledger's default zone: where "the last valid day" is a day

S, E = State, Event

# The legal moves, all of them. Anything else is a bug in the caller (IllegalMove).
TRANSITIONS: dict[tuple[State, Event], State] = {
    (S.IDLE, E.ENTER_ACCOUNT): S.ACCOUNT_ENTERED,
    (S.REFUSED, E.ENTER_ACCOUNT): S.ACCOUNT_ENTERED,
    (S.ACCOUNT_ENTERED, E.ELIGIBLE): S.CHECKED,
    (S.ACCOUNT_ENTERED, E.REFUSE): S.REFUSED,
    (S.CHECKED, E.CHARGE): S.CHARGING,
    (S.CHECKED, E.REFUSE): S.REFUSED,  # only a stop between the check and the charge
    (S.CHECKED, E.RESERVE): S.RESERVING,
    (S.CHARGING, E.CHARGED): S.CHARGED,
    (S.CHARGING, E.REFUSE): S.REFUSED,
    (S.RESERVING, E.RESERVED): S.RESERVED,
    (S.RESERVING, E.REFUSE): S.REFUSED,
    (S.RESERVED, E.SHIP): S.CAPTURING,
    (S.RESERVED, E.CANCEL): S.RELEASED,
    (S.CAPTURING, E.CHARGED): S.CHARGED,
    (S.CAPTURING, E.REFUSE): S.RESERVED,  # e.g. suspended since checkout: the hold stays
    (S.CHARGED, E.NOTIFY): S.NOTIFIED,
    (S.CHECKED, E.HOLD): S.HOLDING,
    (S.HOLDING, E.HELD): S.AWAITING_CODE,
    (S.HOLDING, E.REFUSE): S.REFUSED,
    (S.AWAITING_CODE, E.CONFIRM): S.CONFIRMING,
    (S.AWAITING_CODE, E.KEEP): S.RESERVED,
    (S.AWAITING_CODE, E.REFUSE): S.REFUSED,  # the hold released first
    (S.CONFIRMING, E.CHARGED): S.CHARGED,
    (S.CONFIRMING, E.REFUSE): S.REFUSED,  # the hold released after
    (S.NOTIFIED, E.REFUND): S.REFUNDED,  # once the refund is done (idempotent: no in-flight state)
}

# An order in one of these may take a (new) account number from the shop's form.
PAYABLE = frozenset({S.IDLE, S.REFUSED})
# The money is taken (or held, for RESERVED): the order is paid from the user's point of view.
PAID = frozenset({S.CHARGED, S.NOTIFIED})
# A request is out whose answer may have been lost: repeat it, never send another.
IN_FLIGHT = frozenset({S.CHARGING, S.CAPTURING, S.CONFIRMING})


class IllegalMove(Exception):
    """A move the table does not have: a programming error, never a user's."""


def step(state: State, event: Event) -> State:
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalMove(f"{event.value} is not allowed in state {state.value}") from None


@dataclass(frozen=True)
class AccountStatus:
    """The application's view of getAccountStatus (amounts in the account currency; None when
    the gateway left an optional one out)."""

    end_user: str
    registered: bool
    state: str  # Active, Suspended, Expired, Closed, Unregistered (the IDL enum's names)
    valid_until: str = ""
    currency: str = ""
    balance: Decimal | None = None
    monthly_limit: Decimal | None = None
    month_to_date_spend: Decimal | None = None
    remaining_headroom: Decimal | None = None
    transaction_limit: Decimal | None = None
    low_balance_threshold: Decimal | None = None
    pin_required: bool = False
    confirmation_threshold: Decimal | None = None  # payments above it need a one-time code

    def needs_confirmation(self, amount: Decimal) -> bool:
        """Whether a payment of ``amount`` is to be confirmed with a code sent by SMS."""
        return self.confirmation_threshold is not None and amount > self.confirmation_threshold

    @property
    def monthly_headroom(self) -> Decimal | None:
        """What is left of the monthly limit (None without one)."""
        if self.monthly_limit is None:
            return None
        return max(Decimal(0), self.monthly_limit - (self.month_to_date_spend or Decimal(0)))


def eligibility(
    status: AccountStatus, amount: Decimal, currency: str, *, pin_given: bool = True
) -> Refusal | None:
    """The procedure's check before any money moves, in the ledger's order of checks
    (docs/ledger.md): registered, currency, closed, suspended, expired, PIN asked for where the
    account has one, per-transaction limit,
    monthly limit, balance. None when the account may pay ``amount``.

    The gateway checks all of it again, atomically, when it charges: this check gives the user
    a clear reason early; a payment racing another can still be refused at the charge."""
    if not status.registered or status.state == "Unregistered":
        return Refusal.of(Reason.UNREGISTERED)
    if status.currency and status.currency != currency:
        return Refusal.of(Reason.CURRENCY, currency=status.currency)
    if status.state == "Closed":
        return Refusal.of(Reason.CLOSED)
    if status.state == "Suspended":
        return Refusal.of(Reason.SUSPENDED)
    if status.state == "Expired":
        return Refusal.of(Reason.EXPIRED, valid_until=last_valid_day(status.valid_until))
    if status.pin_required and not pin_given:
        return Refusal.of(Reason.PIN_REQUIRED)
    if status.transaction_limit is not None and amount > status.transaction_limit:
        return Refusal.of(
            Reason.TRANSACTION_LIMIT,
            limit=status.transaction_limit,
            amount=amount,
            currency=currency,
        )
    if status.monthly_limit is not None:
        spent = status.month_to_date_spend or Decimal(0)
        if spent + amount > status.monthly_limit:
            return Refusal.of(
                Reason.MONTHLY_LIMIT,
                limit=status.monthly_limit,
                spent=spent,
                amount=amount,
                currency=currency,
            )
    if status.balance is not None and amount > status.balance:
        return Refusal.of(
            Reason.INSUFFICIENT_BALANCE, available=status.balance, amount=amount, currency=currency
        )
    return None


def last_valid_day(valid_until: str, zone: str = DISPLAY_TIMEZONE) -> str:
    """getAccountStatus gives the first instant the account is no longer valid (UTC); people
    want the last valid day: the date, in the operator's zone, of the instant just before."""
    try:
        moment = datetime.fromisoformat(valid_until.replace("Z", "+00:00"))
    except ValueError:
        return valid_until[:10]
    if moment.tzinfo is None:
        return moment.date().isoformat()
    return (moment - timedelta(microseconds=1)).astimezone(ZoneInfo(zone)).date().isoformat()


def balance_fell_under(threshold: Decimal | None, balance_after: Decimal | None) -> bool:
    """Whether the balance SMS is due after a charge: the balance is now under the threshold."""
    return threshold is not None and balance_after is not None and balance_after < threshold
