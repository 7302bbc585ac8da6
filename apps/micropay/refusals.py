"""Why a payment was refused, in the gateway's terms (messageId) and in the user's.

A refusal comes from one of two places: the application's own eligibility check of
getAccountStatus (``procedure.eligibility``), or a Parlay X fault of the gateway
(``Refusal.from_fault``) -- the same reason either way, so the user sees one text for it. The
messageIds are those of docs/faults.md; variables are read by position, as Parlay X sends them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from apps.micropay import amounts


class Reason(enum.StrEnum):
    UNREGISTERED = "unregistered"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    CLOSED = "closed"
    CURRENCY = "currency"
    TRANSACTION_LIMIT = "transaction_limit"
    MONTHLY_LIMIT = "monthly_limit"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    WRONG_PIN = "wrong_pin"
    PIN_LOCKED = "pin_locked"
    PIN_REQUIRED = "pin_required"
    INVALID_ACCOUNT = "invalid_account"
    RESERVATION_GONE = "reservation_gone"
    NOT_ENTITLED = "not_entitled"  # top-ups: the operator did not grant the shop recharges
    RECHARGE_CAP = "recharge_cap"
    FLOAT_INSUFFICIENT = "float_insufficient"
    UNAVAILABLE = "unavailable"
    CONFIRM_BY_PHONE = "confirm_by_phone"
    PAY_BY_PHONE = "pay_by_phone"  # payments over CAMARA name the payer by phone number only
    CODE_FAILED = "code_failed"
    CODE_EXPIRED = "code_expired"
    NOT_REFUNDABLE = "not_refundable"  # a refund the gateway refuses (refunded already ...)
    ERROR = "error"


# messageId -> reason (docs/faults.md). SVC0007 is only ever a currency problem for the shop:
# it sends amounts with the right number of decimals.
MESSAGE_IDS: dict[str, Reason] = {
    "POL1009": Reason.UNREGISTERED,
    "POL1010": Reason.SUSPENDED,
    "POL1101": Reason.EXPIRED,
    "POL1102": Reason.CLOSED,
    "SVC0007": Reason.CURRENCY,
    "POL0254": Reason.TRANSACTION_LIMIT,
    "POL1001": Reason.MONTHLY_LIMIT,
    "POL1000": Reason.INSUFFICIENT_BALANCE,
    "SVC0250": Reason.WRONG_PIN,
    "POL1103": Reason.PIN_LOCKED,
    "SVC0002": Reason.INVALID_ACCOUNT,
    "SVC1101": Reason.RESERVATION_GONE,
    "POL1105": Reason.NOT_ENTITLED,
    "POL1106": Reason.RECHARGE_CAP,
    "POL1107": Reason.FLOAT_INSUFFICIENT,
    "SVC1000": Reason.UNAVAILABLE,
    "POL1104": Reason.NOT_REFUNDABLE,  # the refund exceeds what is left of the charges
    "POL1112": Reason.NOT_REFUNDABLE,  # CAMARA: the payment did not succeed
}
REASON_MESSAGE_IDS = {reason: mid for mid, reason in MESSAGE_IDS.items()}

# Which fault variables carry what, by position (docs/faults.md "variables").
_FIGURES: dict[str, tuple[str, ...]] = {
    "POL0254": ("limit", "amount", "currency"),
    "POL1001": ("period", "limit", "spent", "reserved", "amount", "currency"),
    "POL1000": ("available", "amount", "currency"),
    "POL1101": ("service", "valid_until"),
    "POL1103": ("locked_until",),
    "POL1105": ("operation",),
    "POL1106": ("period", "cap", "used", "amount", "currency"),
    "POL1107": ("available", "amount", "currency"),
}


@dataclass(frozen=True)
class Refusal:
    """A refused payment: nothing was written. ``figures`` are what the text shows."""

    reason: Reason
    message_id: str
    figures: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, reason: Reason, **figures: object) -> Refusal:
        shown = {k: str(v) for k, v in figures.items() if v is not None}
        return cls(reason, REASON_MESSAGE_IDS.get(reason, ""), shown)

    @classmethod
    def from_fault(cls, message_id: str, variables: Sequence[str]) -> Refusal:
        reason = MESSAGE_IDS.get(message_id, Reason.ERROR)
        names = _FIGURES.get(message_id, ())
        return cls(reason, message_id, dict(zip(names, variables, strict=False)))

    @classmethod
    def from_named(cls, message_id: str, variables: dict[str, str]) -> Refusal:
        """From variables by name (gRPC ErrorInfo metadata: ``validUntil`` ...)."""
        reason = MESSAGE_IDS.get(message_id, Reason.ERROR)
        figures = {re.sub(r"(?<!^)([A-Z])", r"_\1", k).lower(): v for k, v in variables.items()}
        return cls(reason, message_id, figures)

    def _money(self, name: str, currency: str) -> str:
        value = self.figures.get(name)
        if value is None:
            return "?"
        try:
            return amounts.show(Decimal(value), self.figures.get("currency", currency))
        except ArithmeticError:
            return value

    def text(self, currency: str = "KRW") -> str:
        """What the user reads: the reason, the figures, and that nothing was charged."""
        m = self._money
        r = self.reason
        if r is Reason.UNREGISTERED:
            return "This account is not registered for micro-payments."
        if r is Reason.SUSPENDED:
            return "This account is suspended. Please contact your operator."
        if r is Reason.EXPIRED:
            until = self.figures.get("valid_until", "")[:10]
            return f"This account expired{' on ' + until if until else ''}."
        if r is Reason.CLOSED:
            return "This account has been closed."
        if r is Reason.CURRENCY:
            return "This account cannot pay in the shop's currency."
        if r is Reason.TRANSACTION_LIMIT:
            return (
                f"{m('amount', currency)} is over this account's limit of "
                f"{m('limit', currency)} per payment."
            )
        if r is Reason.MONTHLY_LIMIT:
            left = ""
            if "limit" in self.figures and "spent" in self.figures:
                try:
                    rest = Decimal(self.figures["limit"]) - Decimal(self.figures["spent"])
                    rest -= Decimal(self.figures.get("reserved", "0") or "0")
                    left = f", {amounts.show(max(rest, Decimal(0)), currency)} left"
                except ArithmeticError:
                    left = ""
            return (
                f"This payment of {m('amount', currency)} would pass the monthly limit: "
                f"{m('spent', currency)} of {m('limit', currency)} spent this month{left}."
            )
        if r is Reason.INSUFFICIENT_BALANCE:
            return (
                f"Not enough balance: {m('available', currency)} available, "
                f"{m('amount', currency)} needed."
            )
        if r is Reason.WRONG_PIN:
            return "The PIN is wrong."
        if r is Reason.PIN_REQUIRED:
            return "This account has a PIN: please enter it."
        if r is Reason.PIN_LOCKED:
            until = self.figures.get("locked_until", "")
            return f"Too many wrong PINs: the PIN is locked{' until ' + until if until else ''}."
        if r is Reason.INVALID_ACCOUNT:
            return "That is not a valid account number or mobile number."
        if r is Reason.RESERVATION_GONE:
            return "The reservation for this order has expired or was released."
        if r is Reason.NOT_ENTITLED:
            return "The operator has not allowed this shop to top accounts up."
        if r is Reason.RECHARGE_CAP:
            per = "a day" if self.figures.get("period") == "daily" else "per top-up"
            return (
                f"{m('amount', currency)} is over this shop's top-up limit of "
                f"{m('cap', currency)} {per}."
            )
        if r is Reason.FLOAT_INSUFFICIENT:
            return (
                f"The shop's top-up float has {m('available', currency)} left, less than "
                f"{m('amount', currency)}: the operator funds it."
            )
        if r is Reason.CONFIRM_BY_PHONE:
            return (
                "This account confirms payments with a code sent by SMS: "
                "pay with the account's mobile number."
            )
        if r is Reason.PAY_BY_PHONE:
            return (
                "This shop takes payments by mobile number: pay with the account's mobile number."
            )
        if r is Reason.CODE_FAILED:
            return "The code was wrong too many times: the payment is cancelled."
        if r is Reason.CODE_EXPIRED:
            return "The code was not entered in time: the payment is cancelled."
        if r is Reason.NOT_REFUNDABLE:
            return "This payment cannot be refunded: nothing of it is left to give back."
        if r is Reason.UNAVAILABLE:
            return "The payment service is unavailable right now. Please try again."
        return "The payment could not be completed."

    def short(self) -> str:
        """For the ``payment_refused`` SMS and the operator's list: a few words."""
        return self.reason.value.replace("_", " ")
