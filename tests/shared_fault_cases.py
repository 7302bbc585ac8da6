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

Outcome = tuple[str, list[str]] | None  # (messageId, variables) of a fault; None: success

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
}
UNREGISTERED = "tel:+821055500001"  # well-formed, never given an account


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
    ),
    FaultCase("insufficient credit", "chargeAmount", "funded", _charge("20000", "i-1"), "POL1000"),
    FaultCase(
        "not the account's currency",
        "chargeAmount",
        "funded",
        _charge("10.00", "c-1", "USD"),
        "SVC0007",
    ),
    FaultCase(
        "more decimals than KRW has",
        "chargeAmount",
        "funded",
        _charge("12.5", "p-1"),
        "SVC0007",
        variables_differ="the amount echoed is the wire form: '12.5' vs 125 with exponent 1",
    ),
    FaultCase(
        "empty referenceCode",
        "chargeAmount",
        "funded",
        _charge("100", ""),
        "SVC0002",
        variables=("referenceCode",),
    ),
    FaultCase(
        "over-long referenceCode",
        "chargeAmount",
        "funded",
        _charge("100", "r" * 129),
        "SVC0002",
        variables=("referenceCode",),
    ),
    FaultCase("zero amount", "chargeAmount", "funded", _charge("0", "z-1"), "SVC0007"),
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
        "SMS without addresses", "sendSms", None, {"addresses": [], "message": "hi"}, "SVC0002"
    ),
    FaultCase(
        "SMS to a malformed address",
        "sendSms",
        None,
        {"addresses": ["mailto:someone"], "message": "hi"},
        "SVC0002",
    ),
    FaultCase("SMS too long", "sendSms", "funded", {"message": "x" * 2000}, "SVC0280"),
)


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
        if operation in ("getBalance", "getHistory"):
            return getattr(surface, operation)(args["end_user"], args["pin"])
        if operation == "sendSms":
            return surface.sendSms(args.get("addresses", [end_user]), args["message"])
        raise AssertionError(f"no such operation in the table: {operation}")

    for operation, given in case.setup:
        assert call(operation, given) is None, f"{case.name}: setup {operation} failed"
    return call(case.operation, case.input)
