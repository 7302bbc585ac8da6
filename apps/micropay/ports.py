"""What the application needs from the gateway, as plain Python: the :class:`Gateway` port.

``corba.CorbaGateway`` implements it over the Parlay X SCFs, ``grpc_transport.GrpcGateway`` over
the gRPC shim, and ``camara_transport.CamaraGateway`` takes the payments over CAMARA Carrier
Billing (the rest over one of the other two; it is also a :class:`CarrierBilling`). The procedure
and the web pages only see these types, so they know nothing of CORBA, gRPC or HTTP. Faults keep Parlay X's shape
(messageId, text template, variables); a call whose answer never came is
:class:`GatewayUnavailable` -- its outcome is unknown, and only a repeat with the same
referenceCode is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from apps.micropay.procedure import AccountStatus
from apps.micropay.refusals import Refusal


class GatewayFault(Exception):
    """A Parlay X ServiceException or PolicyException from an SCF."""

    def __init__(
        self,
        kind: str,
        message_id: str,
        text: str,
        variables: list[str],
        named: dict[str, str] | None = None,
    ) -> None:
        self.kind = kind  # "service" or "policy"
        self.message_id = message_id
        self.text = text  # over CORBA the template with %1 ...; over gRPC the rendered text
        self.variables = variables  # by position (CORBA)
        self.named = named  # by name (gRPC ErrorInfo metadata)
        super().__init__(f"{message_id}: {self.rendered()}")

    def rendered(self) -> str:
        """The text with %1, %2 ... replaced, as Parlay X clients substitute them."""
        out = self.text
        for i in range(len(self.variables), 0, -1):  # %10 before %1
            out = out.replace(f"%{i}", self.variables[i - 1])
        return out

    def refusal(self) -> Refusal:
        if self.named is not None:
            return Refusal.from_named(self.message_id, self.named)
        return Refusal.from_fault(self.message_id, self.variables)


class GatewayUnavailable(Exception):
    """No answer from the gateway (down, restarting, access lost): the outcome is unknown."""


@dataclass(frozen=True)
class ChargingEvent:
    """One TpChargingEventInfo as the application's IpAppAccountManager received it."""

    event_id: str
    name: str  # P_AM_CHARGING, P_AM_RECHARGING, P_AM_ACCOUNT_LOW, ...
    end_user: str  # the account's address (tel: URI)
    currency: str
    balance: Decimal | None
    amount: Decimal | None
    event_time: str
    reference_code: str
    additional_info: str
    assignment_id: int


@dataclass(frozen=True)
class InboundSms:
    """One SmsMessage from notifySmsReception."""

    sender: str
    activation_number: str
    message: str
    date_time: str
    correlator: str


@dataclass(frozen=True)
class LimitChange:
    """changeMonthlyLimit's answer: the limit in force and a raise waiting, if any."""

    monthly_limit: Decimal | None
    pending_monthly_limit: Decimal | None
    pending_from: str  # ISO 8601 UTC; "" when nothing waits


@dataclass(frozen=True)
class HistoryItem:
    date: str
    details: str


class Gateway(Protocol):
    """The SCF operations the application uses (Parlay X names in the docstrings)."""

    def account_status(self, end_user: str, pin: str | None) -> AccountStatus:
        """getAccountStatus"""

    def charge_amount(
        self, end_user: str, amount: Decimal, currency: str, description: str, reference_code: str
    ) -> str:
        """chargeAmount: the gateway's id of the payment ("" where Parlay X gives none)"""

    def refund_amount(self, end_user: str, amount: Decimal, currency: str, description: str,
                      reference_code: str, payment_id: str) -> None:  # fmt: skip
        """refundAmount of a whole payment (``payment_id``: CAMARA refunds by it)"""

    def reserve_amount(
        self, end_user: str, amount: Decimal, currency: str, description: str, reference_code: str
    ) -> str:
        """reserveAmount: the reservationIdentifier. ``reference_code`` is the one its charge
        will have: Parlay X's reserveAmount has none (ignored), CAMARA's preparePayment does."""

    def charge_reservation(
        self,
        reservation_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        reference_code: str,
    ) -> None:
        """chargeReservation"""

    def release_reservation(self, reservation_id: str) -> None:
        """releaseReservation"""

    def balance_update(
        self, end_user: str, reference_code: str, amount: Decimal, currency: str
    ) -> None:
        """balanceUpdate (a direct recharge)"""

    def history(self, end_user: str, entries_max: int) -> list[HistoryItem]:
        """getHistory"""

    def send_sms(self, address: str, message: str) -> str:
        """sendSms to one address: the requestIdentifier"""

    # -- the self-care extension (needs the operator's "selfcare" grant) -------------------------
    def suspend_account(self, end_user: str) -> None:
        """suspendAccount"""

    def resume_account(self, end_user: str, pin: str) -> None:
        """resumeAccount"""

    def change_monthly_limit(self, end_user: str, pin: str | None, limit: Decimal) -> LimitChange:
        """changeMonthlyLimit"""

    def set_threshold(self, end_user: str, kind: str, amount: Decimal | None) -> None:
        """setThreshold: ``kind`` LargePaymentAlert or PaymentConfirmation; None = off"""


@dataclass(frozen=True)
class CodeHold:
    """A hold whose one-time code the gateway itself texted (CAMARA ``pending_validation``);
    ``authorization_id`` "" when the gateway asked for no code after all (the hold is plain)."""

    reservation_id: str
    authorization_id: str


class WrongCode(Exception):
    """The code typed is not the one sent; the gateway counted it."""

    def __init__(self, attempts_left: int) -> None:
        super().__init__(f"wrong code, {attempts_left} attempts left")
        self.attempts_left = attempts_left


class CodeFailed(Exception):
    """The code can no longer confirm the payment (attempts used up, or too late): the gateway
    denied the payment and gave its hold back."""

    def __init__(self, expired: bool) -> None:
        super().__init__("the code expired" if expired else "the attempts are used up")
        self.expired = expired


@runtime_checkable
class CarrierBilling(Protocol):
    """A port whose payments go over CAMARA Carrier Billing: the subscriber is named by phone
    number only (no account numbers), and a payment to be confirmed by a one-time code is
    prepared (the gateway texts the code) and validated there, not by the shop."""

    def hold_for_code(
        self, end_user: str, amount: Decimal, currency: str, description: str, reference_code: str
    ) -> CodeHold:
        """preparePayment of a payment the account confirms by code"""

    def validate_code(self, reservation_id: str, authorization_id: str, code: str) -> None:
        """validatePayment: the code is right (the payment is reserved) or WrongCode/CodeFailed"""
