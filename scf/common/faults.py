"""The one fault table: every domain error's Parlay X fault, gRPC status and HTTP status.

DESIGN §3 and §6: domain code raises typed :class:`charging.errors.DomainError` values; each
surface (the CORBA servants, the gRPC shim, the web application) turns them into its standard
form through :func:`fault_for` and nothing else, so the three always agree. ``docs/faults.md``
renders this same table (``python -m scf.common.faults_doc --write``), and a test proves that
every ``DomainError`` subclass has a row here.

Transport-free on purpose: gRPC codes are plain names (``"FAILED_PRECONDITION"``), so the domain
side never imports grpc. Anything that is not a ``DomainError`` becomes SVC0001 (or SVC1000 when
it is known to be transient) with an opaque incident id and nothing of its own text: no SQL or
driver message ever reaches a client.
"""

from __future__ import annotations

import enum
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from charging.errors import DomainError
from charging.money import from_minor
from storage.database import StorageUnavailable, TransactionConflict

log = logging.getLogger("micropay.faults")

ERROR_DOMAIN = "micropay"  # google.rpc.ErrorInfo.domain
UNSPECIFIED = "unspecified"  # a variable the raiser did not supply


class Kind(enum.StrEnum):
    """The two Parlay X fault families (ES 202 391-1 §5.3-5.4)."""

    SERVICE = "ServiceException"
    POLICY = "PolicyException"


@dataclass(frozen=True)
class Variable:
    """One %n of a template. ``name`` is lowerCamelCase: it is also the ErrorInfo metadata key.

    The value is the first of ``name``, its snake_case form and ``aliases`` found in the error's
    variables, then in the surface's context (the request's own parameters), else ``default``,
    else ``"unspecified"``. A ``money`` variable holds integer minor units -- domain code counts
    in them -- and is rendered as a decimal amount of the ``currency`` found the same way
    (``name_minor`` is accepted too); a value that is not an integer is shown as given.
    """

    name: str
    aliases: tuple[str, ...] = ()
    default: str | None = None
    money: bool = False
    instant: bool = False  # an ISO 8601 date and time: shown in UTC with "Z", whole seconds

    def candidates(self) -> tuple[str, ...]:
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", self.name).lower()
        names = (self.name, snake, *self.aliases)
        return names + tuple(f"{n}_minor" for n in names) if self.money else names


@dataclass(frozen=True)
class FaultSpec:
    """One row of the table."""

    code: str  # DomainError.code
    kind: Kind
    message_id: str
    template: str  # Parlay X text with %1, %2 ...
    variables: tuple[Variable, ...]
    grpc_code: str  # a grpc.StatusCode name
    http_status: int
    origin: str  # where the messageId comes from (shown in docs/faults.md)


@dataclass(frozen=True)
class Fault:
    """A rendered fault, ready for any surface."""

    code: str
    kind: Kind
    message_id: str
    template: str
    text: str  # the template with the variables substituted
    variables: list[str]
    variable_names: tuple[str, ...]
    grpc_code: str
    http_status: int
    incident: str | None = None  # set for unexpected errors: the id that is in the server log

    def metadata(self) -> dict[str, str]:
        """The variables by name: google.rpc.ErrorInfo.metadata (AIP-193)."""
        return dict(zip(self.variable_names, self.variables, strict=True))

    def error_info(self) -> dict[str, object]:
        """The fields of google.rpc.ErrorInfo: reason = messageId, domain, metadata."""
        return {"reason": self.message_id, "domain": ERROR_DOMAIN, "metadata": self.metadata()}

    def http_body(self) -> dict[str, object]:
        """The OneAPI-style JSON body: {"requestError": {"policyException": {...}}}."""
        key = "serviceException" if self.kind is Kind.SERVICE else "policyException"
        fields = {"messageId": self.message_id, "text": self.template, "variables": self.variables}
        return {"requestError": {key: fields}}


V = Variable
_S, _P = Kind.SERVICE, Kind.POLICY
_PX1 = "Parlay X Part 1 (ES 202 391-1 §10)"
_PX4 = "Parlay X Part 4 (ES 202 391-4), SMS range SVC0280-0284"
_PX7 = "Parlay X Part 7 (ES 202 391-7 §9)"
_ONEAPI = "GSMA OneAPI operator code (third-party range)"
_OURS = "micropay (third-party range, block 1100-1199)"
_PART = V("part", aliases=("field",))
_SERVICE = V("service", default="micro-payment")
_AMOUNT = V("amount", aliases=("attempted",), money=True)
_CURRENCY = V("currency", aliases=("account_currency",))
_RESERVATION = V("reservationIdentifier", aliases=("reservation_id", "reservation"))
_PAYMENT = V("paymentId")

# One row per DomainError code. Standard messageIds keep the standard text as the prefix; where
# the standard text has no place for what the client needs (which limit, which amount), micropay
# appends it with further %n variables (docs/faults.md).
# fmt: off
FAULT_TABLE: tuple[FaultSpec, ...] = (
    # -- input ------------------------------------------------------------------------------
    FaultSpec("invalid_input", _S, "SVC0002", "Invalid input value for message part %1",
              (_PART,), "INVALID_ARGUMENT", 400, _PX1),
    FaultSpec("invalid_address", _S, "SVC0002", "Invalid input value for message part %1",
              (V("part", aliases=("field",), default="address"),), "INVALID_ARGUMENT", 400, _PX1),
    FaultSpec("invalid_amount", _S, "SVC0007",
              "Invalid charging information: amount '%1' refused, %2",
              (V("amount"), V("reason")), "INVALID_ARGUMENT", 400, _PX1),
    FaultSpec("unknown_currency", _S, "SVC0007",
              "Invalid charging information: currency %1 is unknown or not supported",
              (V("currency"),), "INVALID_ARGUMENT", 400, _PX1),
    FaultSpec("currency_mismatch", _S, "SVC0007",
              "Invalid charging information: currency %1 is not the account's currency %2",
              (V("currency"), V("accountCurrency")), "INVALID_ARGUMENT", 400, _PX1),
    FaultSpec("empty_message", _S, "SVC0002", "Invalid input value for message part %1",
              (V("part", default="message"),), "INVALID_ARGUMENT", 400, _PX1),
    FaultSpec("message_too_long", _S, "SVC0280", "Message too long. Maximum length is %1 characters",
              (V("maxLength"),), "INVALID_ARGUMENT", 400, _PX4),
    FaultSpec("voucher_invalid", _S, "SVC0251", "Voucher %1 is not valid.",
              (V("voucherIdentifier", aliases=("voucher", "voucher_id")),),
              "INVALID_ARGUMENT", 400, _PX7),
    # -- identifiers that name nothing (yet) --------------------------------------------------
    FaultSpec("unknown_reservation", _S, "SVC1101",
              "Reservation %1 is unknown, expired or already closed",
              (_RESERVATION,), "NOT_FOUND", 404, _OURS),
    FaultSpec("unknown_correlator", _S, "SVC0002", "Invalid input value for message part %1",
              (V("part", default="correlator"),), "NOT_FOUND", 404, _PX1),
    FaultSpec("unknown_request_id", _S, "SVC0002", "Invalid input value for message part %1",
              (V("part", default="requestIdentifier"),), "NOT_FOUND", 404, _PX1),
    FaultSpec("unknown_registration", _S, "SVC0002", "Invalid input value for message part %1",
              (V("part", default="registrationIdentifier"),), "NOT_FOUND", 404, _PX1),
    FaultSpec("unknown_assignment", _S, "SVC0002", "Invalid input value for message part %1",
              (V("part", default="assignmentId"),), "NOT_FOUND", 404, _PX1),
    # -- conflicts with what exists ------------------------------------------------------------
    FaultSpec("reference_code_reused", _S, "SVC1102",
              "referenceCode %1 was already used for a different request",
              (V("referenceCode", aliases=("reference",)),), "ALREADY_EXISTS", 409, _OURS),
    FaultSpec("duplicate_correlator", _S, "SVC0005",
              "Correlator %1 specified in message part %2 is a duplicate",
              (V("correlator"), V("part", default="correlator")), "ALREADY_EXISTS", 409, _PX1),
    FaultSpec("overlapped_criteria", _S, "SVC0008", "Overlapped Criteria %1",
              (V("criteria"),), "ALREADY_EXISTS", 409, _PX1),
    FaultSpec("reservation_exceeded", _S, "SVC1103",
              "The charge of %1 exceeds the %2 reserved by reservation %3 (%4)",
              (_AMOUNT, V("reserved", aliases=("remaining",), money=True), _RESERVATION,
               _CURRENCY), "FAILED_PRECONDITION", 409, _OURS),
    # -- end-user authentication ---------------------------------------------------------------
    FaultSpec("wrong_pin", _S, "SVC0250", "End user authentication failed.", (),
              "PERMISSION_DENIED", 403, _PX7),
    FaultSpec("pin_locked", _P, "POL1103",
              "End user authentication is locked after too many failures; retry after %1",
              (V("lockedUntil", aliases=("until",), default="the lockout period", instant=True),),
              "RESOURCE_EXHAUSTED", 429, _OURS),
    # -- account state -------------------------------------------------------------------------
    FaultSpec("unregistered_account", _P, "POL1009", "User has not been provisioned for %1",
              (_SERVICE,), "NOT_FOUND", 404, _ONEAPI),
    FaultSpec("account_suspended", _P, "POL1010", "User has been suspended from %1",
              (_SERVICE,), "FAILED_PRECONDITION", 403, _ONEAPI),
    FaultSpec("account_expired", _P, "POL1101", "User's %1 account expired on %2",
              (_SERVICE, V("validUntil")), "FAILED_PRECONDITION", 403, _OURS),
    FaultSpec("account_closed", _P, "POL1102", "User's %1 account has been closed",
              (_SERVICE,), "FAILED_PRECONDITION", 403, _OURS),
    # -- money and limits ----------------------------------------------------------------------
    FaultSpec("transaction_limit_exceeded", _P, "POL0254",
              "The amount exceeds the operator limit for a single charge "
              "(limit %1, attempted %2 %3)",
              (V("limit", money=True), _AMOUNT, _CURRENCY), "FAILED_PRECONDITION", 422, _ONEAPI),
    FaultSpec("monthly_limit_exceeded", _P, "POL1001",
              "The %1 operator charging limit for this user has been exceeded "
              "(limit %2, spent %3, reserved %4, attempted %5 %6)",
              (V("period", default="monthly"), V("limit", money=True), V("spent", money=True),
               V("reserved", default="0", money=True), _AMOUNT, _CURRENCY),
              "FAILED_PRECONDITION", 422, _ONEAPI),
    FaultSpec("insufficient_balance", _P, "POL1000",
              "User has insufficient credit for transaction (available %1, attempted %2 %3)",
              (V("available", aliases=("balance",), money=True), _AMOUNT, _CURRENCY),
              "FAILED_PRECONDITION", 422, _ONEAPI),
    FaultSpec("refund_exceeds_charges", _P, "POL1104",
              "The refund of %1 exceeds the %2 still refundable (%3)",
              (_AMOUNT, V("refundable", aliases=("charged",), money=True), _CURRENCY),
              "FAILED_PRECONDITION", 422, _OURS),
    FaultSpec("not_entitled", _P, "POL1105",
              "The application is not entitled to %1; the operator grants it",
              (V("operation"),), "PERMISSION_DENIED", 403, _OURS),
    FaultSpec("recharge_cap_exceeded", _P, "POL1106",
              "The %1 recharge cap of the application's grant is exceeded "
              "(cap %2, used %3, attempted %4 %5)",
              (V("period"), V("cap", money=True), V("used", default="0", money=True), _AMOUNT,
               _CURRENCY), "FAILED_PRECONDITION", 422, _OURS),
    FaultSpec("float_insufficient", _P, "POL1107",
              "The application's top-up float does not cover the recharge "
              "(available %1, attempted %2 %3)",
              (V("available", money=True), _AMOUNT, _CURRENCY), "FAILED_PRECONDITION", 422, _OURS),
    FaultSpec("pin_required", _P, "POL1108",
              "The end user's PIN is required to %1", (V("operation", default="do this"),),
              "PERMISSION_DENIED", 403, _OURS),
    FaultSpec("charging_not_supported", _P, "POL0008", "Charging is not supported", (),
              "PERMISSION_DENIED", 403, _PX1),
    FaultSpec("vouchers_not_accepted", _P, "POL0220", "Vouchers not accepted.", (),
              "FAILED_PRECONDITION", 403, _PX7),
    FaultSpec("too_many_notifications", _P, "POL0005", "Too many notifications requested",
              (), "RESOURCE_EXHAUSTED", 429, _PX1),
    FaultSpec("too_many_addresses", _P, "POL0003",
              "Too many addresses specified in message part %1",
              (_PART,), "INVALID_ARGUMENT", 400, _PX1),
    # -- the CAMARA Carrier Billing flows' own refusals (camara/errors.py) --------------------
    FaultSpec("unknown_payment", _S, "SVC1104", "Payment %1 is unknown", (_PAYMENT,),
              "NOT_FOUND", 404, _OURS),
    FaultSpec("unknown_refund", _S, "SVC1105", "Refund %1 of payment %2 is unknown",
              (V("refundId"), _PAYMENT), "NOT_FOUND", 404, _OURS),
    FaultSpec("client_correlator_reused", _S, "SVC1106",
              "clientCorrelator %1 was already used for a different request",
              (V("clientCorrelator"),), "ALREADY_EXISTS", 409, _OURS),
    FaultSpec("missing_identifier", _S, "SVC0002", "Invalid input value for message part %1",
              (V("part", default="phoneNumber"),), "INVALID_ARGUMENT", 400, _PX1),
    FaultSpec("invalid_sink", _S, "SVC0002", "Invalid input value for message part %1",
              (V("part", default="sink"),), "INVALID_ARGUMENT", 400, _PX1),
    FaultSpec("invalid_sink_credential", _S, "SVC0002", "Invalid input value for message part %1",
              (V("part", default="sinkCredential.credentialType"),), "INVALID_ARGUMENT", 400,
              _PX1),
    FaultSpec("invalid_sink_token", _S, "SVC0002", "Invalid input value for message part %1",
              (V("part", default="sinkCredential.accessTokenType"),), "INVALID_ARGUMENT", 400,
              _PX1),
    FaultSpec("invalid_date_range", _S, "SVC0002", "Invalid input value for message part %1",
              (V("part", default="creationDate.lte"),), "INVALID_ARGUMENT", 400, _PX1),
    FaultSpec("out_of_range", _S, "SVC0002", "Invalid input value for message part %1",
              (_PART,), "INVALID_ARGUMENT", 400, _PX1),
    FaultSpec("too_many_matching_records", _S, "SVC0002",
              "Invalid input value for message part %1", (V("part", default="filters"),),
              "INVALID_ARGUMENT", 400, _PX1),
    FaultSpec("invalid_authorization_id", _S, "SVC0002", "Invalid input value for message part %1",
              (V("part", default="authorizationId"),), "INVALID_ARGUMENT", 400, _PX1),
    FaultSpec("confirmation_required", _P, "POL1109",
              "The end user confirms payments above %1 %2 with a one-time code: prepare the "
              "payment and validate it",
              (V("threshold", money=True), _CURRENCY), "FAILED_PRECONDITION", 403, _OURS),
    FaultSpec("payment_confirmed", _S, "SVC1107", "Payment %1 has been confirmed", (_PAYMENT,),
              "FAILED_PRECONDITION", 409, _OURS),
    FaultSpec("payment_cancelled", _S, "SVC1108", "Payment %1 has been cancelled", (_PAYMENT,),
              "FAILED_PRECONDITION", 409, _OURS),
    FaultSpec("payment_not_reserved", _P, "POL1110", "Payment %1 is %2, not reserved",
              (_PAYMENT, V("status")), "FAILED_PRECONDITION", 403, _OURS),
    FaultSpec("payment_validated", _S, "SVC1109", "Payment %1 is already validated", (_PAYMENT,),
              "ALREADY_EXISTS", 409, _OURS),
    FaultSpec("invalid_code", _S, "SVC1110",
              "The one-time code is wrong (%1 attempts left)", (V("attemptsLeft"),),
              "PERMISSION_DENIED", 403, _OURS),
    FaultSpec("validation_failed", _P, "POL1111", "The validation of payment %1 failed: %2",
              (_PAYMENT, V("reason")), "FAILED_PRECONDITION", 403, _OURS),
    FaultSpec("payment_not_refundable", _P, "POL1112",
              "Payment %1 is %2; only a succeeded payment is refunded", (_PAYMENT, V("status")),
              "FAILED_PRECONDITION", 422, _OURS),
    # -- the base class: a refusal without a row of its own ----------------------------------
    FaultSpec("domain_error", _P, "POL0001", "A policy error occurred. Error code is %1",
              (V("errorCode"),), "FAILED_PRECONDITION", 403, _PX1),
)

# Not domain errors: what an unexpected exception becomes (no detail of it leaves the server).
UNEXPECTED = FaultSpec("unexpected", _S, "SVC0001", "A service error occurred. Error code is %1",
                       (V("errorCode"),), "INTERNAL", 500, _PX1)
TRANSIENT = FaultSpec("transient", _S, "SVC1000", "No resources", (), "UNAVAILABLE", 503, _ONEAPI)
# fmt: on


@dataclass(frozen=True)
class CamaraForm:
    """A row's CAMARA form (camara/, docs/camara.md): the HTTP status and the ErrorInfo
    ``code`` of Carrier Billing r3.2; ``refund_code`` where the Carrier Billing Refund API names
    the same refusal with its own code; ``operations`` where one operation's documented answers
    allow only another code there ((operationId, code), ...)."""

    status: int
    code: str
    refund_code: str | None = None
    operations: tuple[tuple[str, str], ...] = ()

    def code_for(self, operation: str, refund_api: bool) -> str:
        for name, code in self.operations:
            if name == operation:
                return code
        return self.refund_code if refund_api and self.refund_code else self.code


_C = CamaraForm
_DENIED = "CARRIER_BILLING.PAYMENT_DENIED"
_REFUND_DENIED = "CARRIER_BILLING_REFUND.REFUND_DENIED"
_BAD = _C(400, "INVALID_ARGUMENT")
_GONE = _C(404, "NOT_FOUND")
_EXISTS = _C(409, "ALREADY_EXISTS")
_FORBIDDEN = _C(403, "PERMISSION_DENIED")
_BY_BUSINESS = _C(403, _DENIED, _REFUND_DENIED)
_TOO_MANY = _C(429, "TOO_MANY_REQUESTS")

# The third column: every row's CAMARA form (a test keeps it complete).
# fmt: off
CAMARA_FORMS: dict[str, CamaraForm] = {
    "invalid_input": _BAD, "invalid_address": _BAD, "invalid_amount": _BAD,
    "unknown_currency": _BAD, "currency_mismatch": _BAD, "empty_message": _BAD,
    "message_too_long": _BAD, "voucher_invalid": _BAD,
    "unknown_reservation": _GONE, "unknown_correlator": _GONE, "unknown_request_id": _GONE,
    "unknown_registration": _GONE, "unknown_assignment": _GONE,
    "reference_code_reused": _EXISTS, "duplicate_correlator": _EXISTS,
    "overlapped_criteria": _EXISTS,
    "reservation_exceeded": _C(422, "CARRIER_BILLING.UNAUTHORIZED_AMOUNT",
                               "CARRIER_BILLING_REFUND.UNAUTHORIZED_AMOUNT"),
    "wrong_pin": _FORBIDDEN, "pin_locked": _TOO_MANY,
    "unregistered_account": _C(404, "IDENTIFIER_NOT_FOUND", "NOT_FOUND"),
    "account_suspended": _BY_BUSINESS, "account_expired": _BY_BUSINESS,
    "account_closed": _BY_BUSINESS,
    "transaction_limit_exceeded": _C(422, "CARRIER_BILLING.UNAUTHORIZED_AMOUNT",
                                     "CARRIER_BILLING_REFUND.UNAUTHORIZED_AMOUNT"),
    "monthly_limit_exceeded": _C(422, "CARRIER_BILLING.USER_AMOUNT_THRESHOLD_OVERPASSED",
                                 "CARRIER_BILLING_REFUND.USER_AMOUNT_THRESHOLD_OVERPASSED"),
    "insufficient_balance": _BY_BUSINESS,
    "refund_exceeds_charges": _C(422, "CARRIER_BILLING_REFUND.UNAUTHORIZED_AMOUNT"),
    "not_entitled": _FORBIDDEN, "recharge_cap_exceeded": _FORBIDDEN,
    "float_insufficient": _FORBIDDEN, "pin_required": _FORBIDDEN,
    "charging_not_supported": _FORBIDDEN, "vouchers_not_accepted": _FORBIDDEN,
    "too_many_notifications": _TOO_MANY, "too_many_addresses": _BAD,
    "unknown_payment": _GONE, "unknown_refund": _GONE,
    "client_correlator_reused": _BAD,
    "missing_identifier": _C(422, "MISSING_IDENTIFIER"),
    "invalid_sink": _C(400, "INVALID_SINK"),
    "invalid_sink_credential": _C(400, "INVALID_CREDENTIAL"),
    "invalid_sink_token": _C(400, "INVALID_TOKEN"),
    "invalid_date_range": _C(400, "CARRIER_BILLING.INVALID_DATE_RANGE",
                             "CARRIER_BILLING_REFUND.INVALID_DATE_RANGE"),
    "out_of_range": _C(400, "OUT_OF_RANGE"),
    "too_many_matching_records": _C(400, "CARRIER_BILLING.TOO_MANY_MATCHING_RECORDS",
                                    "CARRIER_BILLING_REFUND.TOO_MANY_MATCHING_RECORDS"),
    "invalid_authorization_id": _C(400, "CARRIER_BILLING.INVALID_AUTHORIZATION_ID"),
    "confirmation_required": _C(403, _DENIED),
    "payment_confirmed": _C(409, "CARRIER_BILLING.PAYMENT_CONFIRMED"),
    "payment_cancelled": _C(409, "CARRIER_BILLING.PAYMENT_CANCELLED"),
    "payment_not_reserved": _C(403, _DENIED, operations=(("cancelPayment", "PERMISSION_DENIED"),
                                                         ("validatePayment", "PERMISSION_DENIED"))),
    "payment_validated": _EXISTS,
    "invalid_code": _C(400, "CARRIER_BILLING.INVALID_CODE"),
    "validation_failed": _C(400, "CARRIER_BILLING.VALIDATION_FAILED"),
    "payment_not_refundable": _C(422, "CARRIER_BILLING_REFUND.INVALID_PAYMENT_STATUS"),
    "domain_error": _FORBIDDEN,
    "unexpected": _C(500, "INTERNAL"),
    "transient": _C(503, "UNAVAILABLE"),
}
# fmt: on

# The ledger names its inputs in Python (``reference_code``); a client knows them by their Parlay X
# message part names, so the ``part`` variable of a fault says those on every surface.
PART_NAMES: dict[str, str] = {
    "reference_code": "referenceCode",
    "reservation_id": "reservationIdentifier",
    "voucher_id": "voucherIdentifier",
    "pin": "endUserPin",
}

SPECS: dict[str, FaultSpec] = {spec.code: spec for spec in FAULT_TABLE}
assert len(SPECS) == len(FAULT_TABLE), "a code appears twice in FAULT_TABLE"

_PLACEHOLDER = re.compile(r"%(\d+)")
VARIABLE_CHARS_MAX = 128  # the longest identifier a request may carry (referenceCode)


def _lookup(var: Variable, sources: tuple[Mapping[str, str], ...]) -> str | None:
    for source in sources:
        for name in var.candidates():
            if name in source:
                return source[name]
    return None


def _clipped(value: str) -> str:
    """A variable as a client may see it: a value the client chose (an identifier, a currency
    code) can be any size, but the fault must stay small -- gRPC refuses trailers over 8 KiB,
    so an echoed megabyte would reach the client as RESOURCE_EXHAUSTED, not as the fault."""
    if len(value) <= VARIABLE_CHARS_MAX:
        return value
    return value[: VARIABLE_CHARS_MAX - 1] + "\u2026"


def _value(var: Variable, sources: tuple[Mapping[str, str], ...]) -> str:
    """The rendered value of ``var`` (see :class:`Variable`), at most ``VARIABLE_CHARS_MAX``."""
    return _clipped(_raw_value(var, sources))


def utc_text(value: str) -> str:
    """``2026-01-01T09:00:00.25+09:00`` -> ``2026-01-01T00:00:01Z``: the one form of a date and
    time on every surface (rounded up: it says when something becomes possible again)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _raw_value(var: Variable, sources: tuple[Mapping[str, str], ...]) -> str:
    value = _lookup(var, sources)
    if value is None:
        return var.default if var.default is not None else UNSPECIFIED
    if var.instant:
        return utc_text(value)
    if not var.money or not re.fullmatch(r"-?\d+", value):
        return value
    currency = _lookup(_CURRENCY, sources)
    try:
        return str(from_minor(int(value), currency)) if currency else f"{value} (minor units)"
    except DomainError:  # an unknown currency: show the units as they are, never guess
        return f"{value} (minor units)"


def render(template: str, values: list[str]) -> str:
    """Substitute %1, %2 ... in one pass (a value containing '%2' is left as it is)."""
    return _PLACEHOLDER.sub(lambda m: values[int(m.group(1)) - 1], template)


def spec_for(error: DomainError) -> FaultSpec:
    """The row for ``error``: its own code's, else its nearest ancestor's, else the base row."""
    for cls in type(error).__mro__:
        code = getattr(cls, "code", None)
        if isinstance(code, str) and code in SPECS:
            return SPECS[code]
    return SPECS["domain_error"]


def domain_error_classes() -> list[type[DomainError]]:
    """Every DomainError class: charging.errors and, when present, scf.sms.errors and
    camara.errors (walked recursively, so subclasses of subclasses count)."""
    import importlib

    for module in ("charging.errors", "scf.sms.errors", "camara.errors"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    found: list[type[DomainError]] = [DomainError]
    for cls in found:
        found.extend(sub for sub in cls.__subclasses__() if sub not in found)
    return found


def _build(spec: FaultSpec, values: list[str], code: str, incident: str | None = None) -> Fault:
    return Fault(
        code=code,
        kind=spec.kind,
        message_id=spec.message_id,
        template=spec.template,
        text=render(spec.template, values),
        variables=values,
        variable_names=tuple(v.name for v in spec.variables),
        grpc_code=spec.grpc_code,
        http_status=spec.http_status,
        incident=incident,
    )


def fault_for(error: DomainError, context: Mapping[str, object] | None = None) -> Fault:
    """The fault every surface reports for a domain error.

    ``context`` is what the surface knows of the request (Parlay X parameter names, e.g.
    ``{"referenceCode": ..., "currency": ...}``); it fills variables the error does not carry.
    """
    spec = spec_for(error)
    own = dict(error.variables)
    if spec.code == "domain_error":
        own.setdefault("errorCode", error.code)
    sources = (own, {k: str(v) for k, v in (context or {}).items()})
    values = [_value(var, sources) for var in spec.variables]
    values = [
        PART_NAMES.get(value, value) if var.name == "part" else value
        for var, value in zip(spec.variables, values, strict=True)
    ]
    return _build(spec, values, error.code)


def _is_transient(exc: BaseException) -> bool:
    """Conditions that pass by themselves, so a retry with the same referenceCode is right."""
    return isinstance(
        exc, StorageUnavailable | TransactionConflict | TimeoutError | ConnectionError
    )


def fault_for_exception(exc: BaseException, context: Mapping[str, object] | None = None) -> Fault:
    """The fault for anything a servant or servicer caught: domain errors through the table;
    anything else is logged here with an incident id and reported without a word of its text
    (SVC1000 when the condition passes by itself, so that a retry is right; else SVC0001)."""
    if isinstance(exc, DomainError):
        return fault_for(exc, context)
    incident = secrets.token_hex(6)
    log.error("incident %s: unexpected %s", incident, type(exc).__name__, exc_info=exc)
    if _is_transient(exc):
        return _build(TRANSIENT, [], TRANSIENT.code, incident)
    return _build(UNEXPECTED, [incident], UNEXPECTED.code, incident)
