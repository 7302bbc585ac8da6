"""The shop's payments over CAMARA Carrier Billing (r3.2), everything else over the framework.

CAMARA's Carrier Billing API has payments and refunds only, so :class:`CamaraGateway` wraps the
shop's CORBA or gRPC port and takes over just its payment operations; account status, history,
top-ups, SMS, charging events and self-care still go over that port (``[gateway] endpoint``)::

    chargeAmount        -> createPayment (1-step)
    reserveAmount       -> preparePayment (2-step)
    chargeReservation   -> confirmPayment (the whole hold: CAMARA confirms no part of one)
    releaseReservation  -> cancelPayment
    refundAmount        -> createRefund (total: what is left of the order's payment)
    a payment the account confirms by code -> preparePayment answers pending_validation and the
                           gateway texts its code; validatePayment checks what the shopper typed

The token comes from the same registered key the framework's agreements are signed with
(``client.camara``: client credentials, private_key_jwt). A refusal's status, code and message
are read back into the Parlay X messageId and variables (``scf.common.fault_text``), so the
shopper reads the same words as over CORBA or gRPC. No answer (a timeout, a reset, a token the
gateway refuses) is :class:`~apps.micropay.ports.GatewayUnavailable`; the same referenceCode
again returns the first payment, as the ledger answers a repeated Parlay X charge.

CAMARA keeps a payment's referenceCode even when the payment ended without a charge (cancelled,
denied): an order paid again after that -- a code typed wrong five times, then paid anew -- takes
``<referenceCode>.2``, ``.3`` ... (``checkout.order_of_reference`` reads them back).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from apps.micropay.ports import (
    CodeFailed,
    CodeHold,
    GatewayFault,
    GatewayUnavailable,
    WrongCode,
)
from client.camara import CamaraClient, CamaraError, TokenRefused
from scf.common.fault_text import read_camara
from scf.common.faults import SPECS, Kind

logger = logging.getLogger("micropay.shop.camara")

T = TypeVar("T")
ENDED = ("cancelled", "denied")  # a payment that charged nothing and never will
REFERENCE_ATTEMPTS_MAX = 20
# CAMARA's answers that mean the hold is no longer there to confirm or cancel: the shop reads
# them as Parlay X's SVC1101 (unknown, expired or closed reservation), as over CORBA.
GONE = ("SVC1101", "SVC1104", "SVC1108", "POL1110")


def _fault(spec_code: str, *variables: str) -> GatewayFault:
    spec = SPECS[spec_code]
    kind = "policy" if spec.kind is Kind.POLICY else "service"
    return GatewayFault(kind, spec.message_id, spec.template, list(variables))


class CamaraGateway:
    """The :class:`~apps.micropay.ports.Gateway` port with CAMARA payments (a
    :class:`~apps.micropay.ports.CarrierBilling`); other calls go to ``framework``."""

    def __init__(self, framework: Any, client: CamaraClient) -> None:
        self.framework = framework
        self.client = client

    def __getattr__(self, name: str) -> Any:  # what CAMARA has no operation for
        return getattr(self.framework, name)

    def close(self) -> None:
        try:
            self.client.close()
        finally:
            self.framework.close()

    # -- answers ---------------------------------------------------------------------------------
    def _answer(self, fn: Callable[[], T]) -> T:
        """``fn``'s result; no answer -> GatewayUnavailable (CamaraError passes through)."""
        try:
            return fn()
        except TokenRefused as exc:
            raise GatewayUnavailable(f"no CAMARA access token: {exc}") from None
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(f"CAMARA: {type(exc).__name__}") from None

    def _call(self, fn: Callable[[], T]) -> T:
        try:
            return self._answer(fn)
        except CamaraError as exc:
            raise self.fault_of(exc) from None

    @staticmethod
    def fault_of(exc: CamaraError) -> Exception:
        """The Parlay X fault a CAMARA error answer is (GatewayUnavailable without a row)."""
        found = read_camara(exc.status, exc.code, exc.message)
        if found is None:
            if exc.status in (401, 429) or exc.status >= 500:
                return GatewayUnavailable(f"CAMARA {exc.status} {exc.code}")
            return GatewayFault("service", "", exc.message, [])
        kind = "policy" if found.kind is Kind.POLICY else "service"
        return GatewayFault(kind, found.message_id, found.spec.template, found.variables)

    @staticmethod
    def _phone(end_user: str) -> str:
        if not end_user.startswith("tel:"):  # checkout refuses account numbers before
            raise _fault("invalid_address", "endUserIdentifier")
        return end_user[len("tel:") :]

    def _begin(self, op: Callable[..., dict[str, Any]], end_user: str, amount: Decimal,
               currency: str, description: str, reference: str) -> dict[str, Any]:  # fmt: skip
        """createPayment or preparePayment with the first referenceCode no ended payment holds
        (the same request again: its payment)."""
        phone = self._phone(end_user)
        for n in range(1, REFERENCE_ATTEMPTS_MAX + 1):
            ref = reference if n == 1 else f"{reference}.{n}"
            try:
                payment = self._call(lambda r=ref: op(phone, amount, currency, description, r))
            except GatewayFault as fault:
                if fault.message_id == "SVC1102":  # held by an earlier attempt's payment
                    continue
                raise
            if payment.get("paymentStatus") not in ENDED:
                return payment
        raise GatewayUnavailable(f"no free referenceCode after {reference}.{n}")

    def _subject(self, payment_id: str) -> dict[str, Any]:
        """The payment (confirm and cancel name its phone number); gone -> SVC1101."""
        try:
            return self._answer(lambda: self.client.retrieve_payment(payment_id))
        except CamaraError as exc:
            raise self._gone_or(exc, payment_id) from None

    def _gone_or(self, exc: CamaraError, payment_id: str) -> Exception:
        fault = self.fault_of(exc)
        if isinstance(fault, GatewayFault) and fault.message_id in GONE:
            return _fault("unknown_reservation", payment_id)
        return fault

    # -- the Gateway port's payments ---------------------------------------------------------------
    def charge_amount(
        self, end_user: str, amount: Decimal, currency: str, description: str, reference_code: str
    ) -> str:
        payment = self._begin(self.client.create_payment, end_user, amount, currency,
                              description, reference_code)  # fmt: skip
        return str(payment["paymentId"])

    def refund_amount(self, end_user: str, amount: Decimal, currency: str, description: str,
                      reference_code: str, payment_id: str) -> None:  # fmt: skip
        """createRefund, total (the same referenceCode again: the same refund)."""
        self._call(lambda: self.client.create_refund(payment_id, reference_code,
                                                     reason=description))  # fmt: skip

    def reserve_amount(
        self, end_user: str, amount: Decimal, currency: str, description: str, reference_code: str
    ) -> str:
        payment = self._begin(self.client.prepare_payment, end_user, amount, currency,
                              description, reference_code)  # fmt: skip
        if payment["paymentStatus"] == "pending_validation":  # the gateway's default threshold
            self.release_reservation(payment["paymentId"])
            raise _fault("confirmation_required", "0", currency)
        return str(payment["paymentId"])

    def charge_reservation(
        self,
        reservation_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        reference_code: str,
    ) -> None:
        """confirmPayment of the whole hold (a repeat after a lost answer finds it charged)."""
        payment = self._subject(reservation_id)
        if payment["paymentStatus"] == "succeeded":
            return
        self._second_step(self.client.confirm_payment, reservation_id, payment)

    def release_reservation(self, reservation_id: str) -> None:
        """cancelPayment; a payment already charged has nothing held (done), an ended one is
        SVC1101 as a released reservation is."""
        payment = self._subject(reservation_id)
        status = payment["paymentStatus"]
        if status == "succeeded":
            return
        if status in ENDED:
            raise _fault("unknown_reservation", reservation_id)
        self._second_step(self.client.cancel_payment, reservation_id, payment)

    def _second_step(self, step: Any, payment_id: str, payment: dict[str, Any]) -> None:
        """confirmPayment or cancelPayment (``step``) of ``payment`` by its payer; one confirmed
        meanwhile (a repeat after a lost answer) is done."""
        phone = payment["amountTransaction"]["phoneNumber"]
        try:
            self._answer(lambda: step(payment_id, phone))
        except CamaraError as exc:
            if exc.code == "CARRIER_BILLING.PAYMENT_CONFIRMED":
                return
            raise self._gone_or(exc, payment_id) from None

    # -- CarrierBilling: codes the gateway sends and checks -----------------------------------------
    def hold_for_code(
        self, end_user: str, amount: Decimal, currency: str, description: str, reference_code: str
    ) -> CodeHold:
        payment = self._begin(self.client.prepare_payment, end_user, amount, currency,
                              description, reference_code)  # fmt: skip
        info = payment.get("validationInfo") or {}
        if payment["paymentStatus"] != "pending_validation":
            return CodeHold(str(payment["paymentId"]), "")
        return CodeHold(str(payment["paymentId"]), str(info.get("authorizationId", "")))

    def validate_code(self, reservation_id: str, authorization_id: str, code: str) -> None:
        try:
            self._answer(
                lambda: self.client.validate_payment(reservation_id, authorization_id, code)
            )
        except CamaraError as exc:
            found = read_camara(exc.status, exc.code, exc.message)
            named = found.metadata() if found is not None else {}
            if (
                exc.code == "CARRIER_BILLING.INVALID_CODE"
                and named.get("attemptsLeft", "").isdigit()
            ):
                raise WrongCode(int(named["attemptsLeft"])) from None
            if exc.code == "CARRIER_BILLING.VALIDATION_FAILED":
                raise CodeFailed("expired" in named.get("reason", "")) from None
            if found is not None and found.message_id == "SVC1109":  # validated: a lost answer
                return
            raise self._gone_or(exc, reservation_id) from None
