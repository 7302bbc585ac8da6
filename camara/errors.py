"""The refusals only the CAMARA flows make: typed domain errors, each a row of the one fault
table (``scf/common/faults.py``), so the other surfaces could report them too.

Everything else the CAMARA surface refuses is refused by the domain services it calls (the
ledger's limits, states and idempotency) with the errors every surface reports.
"""

from __future__ import annotations

from domain_errors import DomainError, InvalidInput


class UnknownPayment(DomainError):
    code = "unknown_payment"
    text = "Unknown payment"  # or another application's: the same answer (privacy)


class UnknownRefund(DomainError):
    code = "unknown_refund"
    text = "Unknown refund"


class ClientCorrelatorReused(InvalidInput):
    code = "client_correlator_reused"
    text = "clientCorrelator already used for a different request"


class MissingIdentifier(InvalidInput):
    code = "missing_identifier"
    text = "The phone number cannot be identified"


class InvalidSink(InvalidInput):
    code = "invalid_sink"
    text = "sink is not an https URL"


class InvalidSinkCredential(InvalidInput):
    code = "invalid_sink_credential"
    text = "Only an access token credential is supported for a sink"


class InvalidSinkToken(InvalidInput):
    code = "invalid_sink_token"
    text = "Only bearer access tokens are supported for a sink"


class InvalidDateRange(InvalidInput):
    code = "invalid_date_range"
    text = "The creation date range is inconsistent"


class OutOfRange(InvalidInput):
    code = "out_of_range"
    text = "A paging parameter is out of range"


class TooManyMatchingRecords(InvalidInput):
    code = "too_many_matching_records"
    text = "Too many matching records"


class ConfirmationRequired(DomainError):
    code = "confirmation_required"
    text = "The end user must confirm this payment with a one-time code"


class PaymentAlreadyConfirmed(DomainError):
    code = "payment_confirmed"
    text = "The payment has been confirmed"


class PaymentAlreadyCancelled(DomainError):
    code = "payment_cancelled"
    text = "The payment has been cancelled"


class PaymentNotReserved(DomainError):
    code = "payment_not_reserved"
    text = "The payment is not reserved"


class PaymentAlreadyValidated(DomainError):
    code = "payment_validated"
    text = "The payment is already validated"


class InvalidAuthorizationId(InvalidInput):
    code = "invalid_authorization_id"
    text = "Invalid authorizationId"


class InvalidCode(DomainError):
    code = "invalid_code"
    text = "The one-time code is wrong"


class ValidationFailed(DomainError):
    code = "validation_failed"
    text = "The validation failed: attempts used up or the code expired"


class PaymentNotRefundable(DomainError):
    code = "payment_not_refundable"
    text = "The payment is not in a status that can be refunded"
