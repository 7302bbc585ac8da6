"""One table of fault cases, run against every surface (CORBA and gRPC): the same request must
be refused with the same Parlay X messageId (and the same variables) whichever way it came.

A case names an operation, the account it runs against (a role from :data:`ACCOUNTS`, made
fresh for each surface; None: a well-formed number without an account), its input, operations
to run first (which must succeed), and the expected messageId. A surface is any object with
the methods of :class:`Surface`: each performs one operation and returns None on success or the
(messageId, variables) of the fault.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from scf.common.faults import domain_error_classes

Outcome = tuple[str, list[str], str] | None  # (messageId, variables, text) of a fault; None: ok

# Account roles: ledger.create_account settings (KRW) plus an optional status to set after.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "funded": {"balance_minor": 10_000},
    "suspended": {"balance_minor": 10_000, "status": "suspended"},
    "closed": {"balance_minor": 0, "status": "closed"},
    "limited": {
        "balance_minor": 100_000,
        "transaction_limit_minor": 2_000,
        "monthly_limit_minor": 5_000,
    },
    "pinned": {"balance_minor": 10_000, "pin": "4321"},
    "postpaid": {"kind": "postpaid", "balance_minor": 0, "monthly_limit_minor": 50_000},
}
UNREGISTERED = "tel:+821055500001"  # well-formed, never given an account

# What the operator grants each surface's application before the cases run (charging.grants):
# vouchers, self-care, and recharges in KRW of at most RECHARGE_CAP each from a float of FLOAT.
RECHARGE_CAP, DAILY_RECHARGE_CAP, FLOAT = 50_000, 1_000_000, 20_000


class Surface(Protocol):
    def chargeAmount(self, end_user: str, amount: str, currency: str, ref: str) -> Outcome: ...

    def refundAmount(self, end_user: str, amount: str, currency: str, ref: str) -> Outcome: ...

    def reserveAmount(self, end_user: str, amount: str, currency: str) -> Outcome: ...

    def chargeReservation(
        self, reservation: str, amount: str, currency: str, ref: str
    ) -> Outcome: ...

    def getBalance(self, end_user: str, pin: str) -> Outcome: ...

    def getHistory(self, end_user: str, pin: str) -> Outcome: ...

    def sendSms(self, addresses: list[str], message: str) -> Outcome: ...

    def sendSmsCharged(self, addresses: list[str], amount: str, currency: str) -> Outcome: ...

    def getSmsDeliveryStatus(self, request_id: str) -> Outcome: ...

    def getReceivedSms(self, registration_id: str) -> Outcome: ...

    def stopSmsNotification(self, correlator: str) -> Outcome: ...

    def balanceUpdate(self, end_user: str, amount: str, ref: str) -> Outcome: ...

    def voucherUpdate(self, end_user: str, voucher: str, voucher_pin: str, ref: str) -> Outcome: ...

    def resumeAccount(self, end_user: str, pin: str) -> Outcome: ...


@dataclass(frozen=True)
class FaultCase:
    name: str
    operation: str
    account: str | None
    input: dict[str, Any]
    message_id: str
    setup: tuple[tuple[str, dict[str, Any]], ...] = field(default=())
    # Why the variables may differ between surfaces ("" = they must not): the wire forms differ
    # (CORBA sends decimal text, gRPC minor units and an exponent), so the echo of the input does.
    variables_differ: str = ""
    variables: tuple[str, ...] | None = None  # exactly these, when given
    code: str = ""  # the row of docs/faults.md (scf.common.faults) the case walks


def _charge(amount: str, ref: str, currency: str = "KRW") -> dict[str, Any]:
    return {"amount": amount, "currency": currency, "ref": ref}


FAULT_CASES: tuple[FaultCase, ...] = (
    FaultCase("unregistered account", "chargeAmount", None, _charge("100", "u-1"), "POL1009"),
    FaultCase(
        "malformed address",
        "chargeAmount",
        "funded",
        {**_charge("100", "m-1"), "end_user": "tel:12ab"},
        "SVC0002",
        code="invalid_address",
    ),
    FaultCase("insufficient credit", "chargeAmount", "funded", _charge("20000", "i-1"), "POL1000"),
    FaultCase(
        "not the account's currency",
        "chargeAmount",
        "funded",
        _charge("10.00", "c-1", "USD"),
        "SVC0007",
        code="currency_mismatch",
    ),
    FaultCase(
        "more decimals than KRW has",
        "chargeAmount",
        "funded",
        _charge("12.5", "p-1"),
        "SVC0007",
        variables_differ="the amount echoed is the wire form: '12.5' vs 125 with exponent 1",
        code="invalid_amount",
    ),
    FaultCase(
        "empty referenceCode",
        "chargeAmount",
        "funded",
        _charge("100", ""),
        "SVC0002",
        variables=("referenceCode",),
        code="invalid_input",
    ),
    FaultCase(
        "over-long referenceCode",
        "chargeAmount",
        "funded",
        _charge("100", "r" * 129),
        "SVC0002",
        variables=("referenceCode",),
        code="invalid_input",
    ),
    FaultCase(
        "zero amount",
        "chargeAmount",
        "funded",
        _charge("0", "z-1"),
        "SVC0007",
        code="invalid_amount",
    ),
    FaultCase("suspended account", "chargeAmount", "suspended", _charge("100", "s-1"), "POL1010"),
    FaultCase("closed account", "chargeAmount", "closed", _charge("100", "x-1"), "POL1102"),
    FaultCase(
        "per-transaction limit", "chargeAmount", "limited", _charge("3000", "t-1"), "POL0254"
    ),
    FaultCase(
        "monthly limit",
        "chargeAmount",
        "limited",
        _charge("1500", "ml-3"),
        "POL1001",
        setup=(
            ("chargeAmount", _charge("2000", "ml-1")),
            ("chargeAmount", _charge("2000", "ml-2")),
        ),
    ),
    FaultCase(
        "referenceCode reused for another amount",
        "chargeAmount",
        "funded",
        _charge("200", "dup-1"),
        "SVC1102",
        setup=(("chargeAmount", _charge("100", "dup-1")),),
    ),
    FaultCase(
        "refund more than charged",
        "refundAmount",
        "funded",
        _charge("500", "rf-2"),
        "POL1104",
        setup=(("chargeAmount", _charge("100", "rf-1")),),
    ),
    FaultCase(
        "unknown reservation",
        "chargeReservation",
        "funded",
        {**_charge("100", "ur-1"), "reservation": "no-such-reservation"},
        "SVC1101",
    ),
    FaultCase("wrong PIN", "getBalance", "pinned", {"pin": "0000"}, "SVC0250"),
    FaultCase("history of no account", "getHistory", None, {"pin": ""}, "POL1009"),
    FaultCase(
        "SMS without addresses",
        "sendSms",
        None,
        {"addresses": [], "message": "hi"},
        "SVC0002",
        code="invalid_address",
    ),
    FaultCase(
        "SMS to a malformed address",
        "sendSms",
        None,
        {"addresses": ["mailto:someone"], "message": "hi"},
        "SVC0002",
        code="invalid_address",
    ),
    FaultCase("SMS too long", "sendSms", "funded", {"message": "x" * 2000}, "SVC0280"),
    FaultCase(
        "unknown currency",
        "chargeAmount",
        "funded",
        _charge("100", "uc-1", "XYZ"),
        "SVC0007",
        code="unknown_currency",
    ),
    FaultCase("empty SMS", "sendSms", "funded", {"message": ""}, "SVC0002", code="empty_message"),
    FaultCase(
        "SMS to too many addresses",
        "sendSms",
        None,
        {"addresses": [f"tel:+821055{n:06d}" for n in range(101)], "message": "hi"},
        "POL0003",
        variables=("addresses",),
    ),
    FaultCase(
        "a charged SMS without a billing account",
        "sendSmsCharged",
        "funded",
        {"amount": "10", "currency": "KRW"},
        "POL0008",
    ),
    FaultCase(
        "unknown SMS request",
        "getSmsDeliveryStatus",
        None,
        {"request_id": "no-such-request"},
        "SVC0002",
        variables=("requestIdentifier",),
        code="unknown_request_id",
    ),
    FaultCase(
        "unknown registration",
        "getReceivedSms",
        None,
        {"registration_id": "no-such-registration"},
        "SVC0002",
        variables=("registrationIdentifier",),
        code="unknown_registration",
    ),
    FaultCase(
        "unknown correlator",
        "stopSmsNotification",
        None,
        {"correlator": "no-such-correlator"},
        "SVC0002",
        variables=("correlator",),
        code="unknown_correlator",
    ),
    FaultCase(
        "unknown voucher",
        "voucherUpdate",
        "funded",
        {"voucher": "no-such-voucher", "voucher_pin": "1234", "ref": "v-1"},
        "SVC0251",
    ),
    FaultCase(
        "a voucher PIN too short",
        "voucherUpdate",
        "funded",
        {"voucher": "V-1", "voucher_pin": "1", "ref": "v-2"},
        "SVC0002",
        variables=("voucherPin",),
        code="invalid_input",
    ),
    FaultCase(
        "a voucher on a postpaid account",
        "voucherUpdate",
        "postpaid",
        {"voucher": "V-2", "voucher_pin": "1234", "ref": "v-3"},
        "POL0220",
    ),
    FaultCase(
        "a recharge above the grant's per-recharge cap",
        "balanceUpdate",
        "funded",
        {"amount": str(RECHARGE_CAP + 1), "ref": "t-1"},
        "POL1106",
        variables=("single", "50000", "0", "50001", "KRW"),
    ),
    FaultCase(
        "a recharge the application's float cannot cover",
        "balanceUpdate",
        "funded",
        {"amount": str(FLOAT + 1), "ref": "t-2"},
        "POL1107",
        variables=("20000", "20001", "KRW"),
    ),
    FaultCase(
        "resuming a suspended account without the PIN (self-care)",
        "resumeAccount",
        "suspended",
        {"pin": ""},
        "POL1108",
        variables=("resume the account",),
    ),
)

# Rows of docs/faults.md no case above walks, and why; a new row must be walked or named here.
NOT_WALKED: dict[str, str] = {
    "unknown_assignment": "Account Management notifications: tests/scf/account/test_notifications.py",
    "duplicate_correlator": "needs a callback object on CORBA: tests/sms/test_corba_faults.py",
    "overlapped_criteria": "needs a callback object on CORBA: tests/sms/test_corba_faults.py",
    "reservation_exceeded": "needs the reservation id a setup step returns: "
    "tests/scf/payment/test_reservations_and_volume.py",
    "pin_locked": "needs failing setup steps: tests/scf/account/test_account_management.py",
    "account_expired": "an account cannot be opened expired: tests/charging/test_payments.py",
    "too_many_notifications": "Account Management notifications: "
    "tests/scf/account/test_notifications.py",
    "domain_error": "the fallback of a DomainError without a row: tests/scf/common/test_faults.py",
    "not_entitled": "needs an application without grants: tests/shim/test_grants.py",
    "unexpected": "not a refusal a request can ask for: tests/scf/common/test_faults.py",
    "transient": "needs the database down: tests/faults/test_postgres_restarted.py",
    **{
        cls.code: "raised only by the CAMARA surface (camara/errors.py), which has no CORBA or "
        "gRPC operation: tests/camara/test_refusals.py"
        for cls in domain_error_classes()
        if cls.__module__ == "camara.errors" and "code" in vars(cls)
    },
}


def run_case(
    case: FaultCase,
    surface: Surface,
    new_account: Callable[[str], str],
) -> Outcome:
    """Run ``case`` on ``surface``: its account made by ``new_account(role) -> tel URI``, its
    setup operations first (each must succeed), then the operation; return its outcome."""
    end_user = new_account(case.account) if case.account is not None else UNREGISTERED

    def call(operation: str, given: dict[str, Any]) -> Outcome:
        args = {"end_user": end_user, **given}
        if operation in ("chargeAmount", "refundAmount"):
            return getattr(surface, operation)(
                args["end_user"], args["amount"], args["currency"], args["ref"]
            )
        if operation == "chargeReservation":
            return surface.chargeReservation(
                args["reservation"], args["amount"], args["currency"], args["ref"]
            )
        if operation in ("getBalance", "getHistory", "resumeAccount"):
            return getattr(surface, operation)(args["end_user"], args["pin"])
        if operation == "sendSms":
            return surface.sendSms(args.get("addresses", [end_user]), args["message"])
        if operation == "sendSmsCharged":
            return surface.sendSmsCharged([end_user], args["amount"], args["currency"])
        if operation == "getSmsDeliveryStatus":
            return surface.getSmsDeliveryStatus(args["request_id"])
        if operation == "getReceivedSms":
            return surface.getReceivedSms(args["registration_id"])
        if operation == "stopSmsNotification":
            return surface.stopSmsNotification(args["correlator"])
        if operation == "balanceUpdate":
            return surface.balanceUpdate(args["end_user"], args["amount"], args["ref"])
        if operation == "voucherUpdate":
            return surface.voucherUpdate(
                args["end_user"], args["voucher"], args["voucher_pin"], args["ref"]
            )
        raise AssertionError(f"no such operation in the table: {operation}")

    for operation, given in case.setup:
        assert call(operation, given) is None, f"{case.name}: setup {operation} failed"
    return call(case.operation, case.input)
