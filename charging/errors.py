"""Typed domain errors: the expected refusals of the charging server and the SCFs.

Each error has a stable ``code`` (a plain-English identifier) and ``variables`` (what the limit
and the attempted value were). Every surface maps ``code`` to its standard form through one table
(``scf/common/faults.py``: Parlay X messageId, gRPC status, HTTP); a test proves each code appears
there. Broken invariants are assertions, not errors of this kind.

The base class and the generic input refusals live below the ledger, in :mod:`domain_errors`
(the SMS SCF, the SMPP codec and the embedded SMSC refuse with them too); they are importable
from here as well.
"""

from __future__ import annotations

from domain_errors import DomainError as DomainError
from domain_errors import InvalidAddress as InvalidAddress
from domain_errors import InvalidInput as InvalidInput


# -- input (service errors) -------------------------------------------------------------------
class InvalidAmount(InvalidInput):
    code = "invalid_amount"
    text = "Invalid amount"


class UnknownCurrency(InvalidInput):
    code = "unknown_currency"
    text = "Unknown or unsupported currency"


class CurrencyMismatch(InvalidInput):
    code = "currency_mismatch"
    text = "Currency does not match the account's currency"


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
