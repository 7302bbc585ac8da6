"""Typed domain errors: the expected refusals of the charging server and the SCFs.

Each error has a stable ``code`` (a plain-English identifier) and ``variables`` (what the limit
and the attempted value were). Every surface maps ``code`` to its standard form through one table
(``scf/common/faults.py``: Parlay X messageId, gRPC status, HTTP); a test proves each code appears
there. Broken invariants are assertions, not errors of this kind.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """An expected refusal. Subclasses set ``code``; keyword arguments become ``variables``."""

    code: ClassVar[str] = "domain_error"
    text: ClassVar[str] = "The request was refused"

    def __init__(self, **variables: Any) -> None:
        self.variables = {k: str(v) for k, v in variables.items()}
        detail = ", ".join(f"{k}={v}" for k, v in self.variables.items())
        super().__init__(f"{self.text}" + (f" ({detail})" if detail else ""))


# -- input (service errors) -------------------------------------------------------------------
class InvalidInput(DomainError):
    code = "invalid_input"
    text = "Invalid input value"


class InvalidAmount(InvalidInput):
    code = "invalid_amount"
    text = "Invalid amount"


class UnknownCurrency(InvalidInput):
    code = "unknown_currency"
    text = "Unknown or unsupported currency"


class CurrencyMismatch(InvalidInput):
    code = "currency_mismatch"
    text = "Currency does not match the account's currency"


class InvalidAddress(InvalidInput):
    code = "invalid_address"
    text = "Malformed end-user address"


class UnknownReservation(DomainError):
    code = "unknown_reservation"
    text = "Unknown, expired or closed reservation"


class ReferenceCodeReused(DomainError):
    code = "reference_code_reused"
    text = "referenceCode already used for a different request"


# -- account state (policy errors) ------------------------------------------------------------
class UnregisteredAccount(DomainError):
    code = "unregistered_account"
    text = "The account is not registered for micro-payment"


class AccountSuspended(DomainError):
    code = "account_suspended"
    text = "The account is suspended"


class AccountClosed(DomainError):
    code = "account_closed"
    text = "The account is closed"


class AccountExpired(DomainError):
    code = "account_expired"
    text = "The account's validity has expired"


class InsufficientBalance(DomainError):
    code = "insufficient_balance"
    text = "Insufficient balance"


class MonthlyLimitExceeded(DomainError):
    code = "monthly_limit_exceeded"
    text = "The payment exceeds the monthly spending limit"


class TransactionLimitExceeded(DomainError):
    code = "transaction_limit_exceeded"
    text = "The payment exceeds the per-transaction limit"


class WrongPin(DomainError):
    code = "wrong_pin"
    text = "Invalid PIN"


class PinRequired(DomainError):
    code = "pin_required"
    text = "The end user's PIN is required for this request"


class PinLocked(DomainError):
    code = "pin_locked"
    text = "Too many wrong PINs; PIN use is locked for a while"


class ReservationExceeded(DomainError):
    code = "reservation_exceeded"
    text = "The charge exceeds the amount reserved"


class VoucherInvalid(DomainError):
    code = "voucher_invalid"
    text = "Unknown, used or expired voucher"


class RefundExceedsCharges(DomainError):
    code = "refund_exceeds_charges"
    text = "The refund exceeds what was charged"


# -- the application's side of a credit (grants and floats) ------------------------------------
class NotEntitled(DomainError):
    code = "not_entitled"
    text = "The application is not entitled to this operation"


class RechargeCapExceeded(DomainError):
    code = "recharge_cap_exceeded"
    text = "The recharge exceeds a cap of the application's grant"


class FloatInsufficient(DomainError):
    code = "float_insufficient"
    text = "The application's top-up float does not cover the recharge"


# -- Account Management and notification registrations (the SCFs) -----------------------------
class VouchersNotAccepted(DomainError):
    code = "vouchers_not_accepted"
    text = "Vouchers are not accepted for this account"


class UnknownAssignment(InvalidInput):
    code = "unknown_assignment"
    text = "No notification of this application has this assignment id"


class TooManyNotifications(DomainError):
    code = "too_many_notifications"
    text = "The application has as many notifications as it may have"


class TooManyAddresses(DomainError):
    code = "too_many_addresses"
    text = "Too many end-user addresses in one request"
