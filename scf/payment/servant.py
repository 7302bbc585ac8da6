"""The Payment SCF over CORBA: ``IpPaymentManager`` and its ``ReserveVolumeCharging``.

Thin on purpose: each operation converts the IDL types, calls :class:`PaymentService` with the
application the manager is bound to, and reports failures through the one fault table
(:func:`scf.corba_edge.parlayx_faults`). The framework makes one manager per signed
agreement through :func:`make_payment_factory` (its registry passes a context with the
application id, and ``context.activate`` for further objects revoked with the agreement);
:func:`register_payment` offers the service as ``P_PAYMENT``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from org__POA.csapi.parlayx import payment as payment__POA

from scf.common.amounts import text_from_minor
from scf.corba_edge import ManagerContext, charging_information, parlayx_faults, properties
from scf.payment.service import PaymentService
from telemetry.calls import observed

P_PAYMENT = "P_PAYMENT"
PAYMENT_TERMS = (
    "Payment (P_PAYMENT): the application may charge, refund and reserve amounts and volumes on "
    "end users' micro-payment accounts within each account's limits. A referenceCode identifies "
    "a request within the application: a repeat with the same content returns the first outcome."
)


@observed
class PaymentManager(payment__POA.IpPaymentManager):
    """One application's Payment manager (AmountCharging, VolumeCharging,
    ReserveAmountCharging, and the ReserveVolumeCharging object of the same context)."""

    def __init__(self, service: PaymentService, context: ManagerContext) -> None:
        self._service = service
        self._context = context
        self._app = context.app_id
        self._lock = threading.Lock()
        self._reserve_volume: Any = None

    # -- IpService: Payment makes no callbacks -----------------------------------------------------
    def setCallback(self, appInterface: Any) -> None:
        return None

    def setCallbackWithSessionID(self, appInterface: Any, sessionID: int) -> None:
        return None

    # -- AmountCharging --------------------------------------------------------------------------
    def chargeAmount(self, endUserIdentifier: str, charge: Any, referenceCode: str) -> None:
        parlayx_faults(
            lambda: self._service.charge_amount(
                self._app, endUserIdentifier, charging_information(charge), referenceCode
            ),
            {"referenceCode": referenceCode},
        )

    def refundAmount(self, endUserIdentifier: str, charge: Any, referenceCode: str) -> None:
        parlayx_faults(
            lambda: self._service.refund_amount(
                self._app, endUserIdentifier, charging_information(charge), referenceCode
            ),
            {"referenceCode": referenceCode},
        )

    def chargeSplitAmount(self, endUserIdentifiers: Any, charge: Any, referenceCode: str) -> None:
        shares = [(s.endUserIdentifier, s.percentage) for s in endUserIdentifiers]
        parlayx_faults(
            lambda: self._service.charge_split_amount(
                self._app, shares, charging_information(charge), referenceCode
            ),
            {"referenceCode": referenceCode},
        )

    # -- VolumeCharging --------------------------------------------------------------------------
    def chargeVolume(
        self,
        endUserIdentifier: str,
        volume: int,
        billingText: str,
        referenceCode: str,
        parameters: Any,
    ) -> None:
        parlayx_faults(
            lambda: self._service.charge_volume(
                self._app,
                endUserIdentifier,
                volume,
                billingText,
                referenceCode,
                properties(parameters),
            ),
            {"referenceCode": referenceCode},
        )

    def getAmount(self, endUserIdentifier: str, volume: int, parameters: Any) -> str:
        return _get_amount(self._service, self._app, endUserIdentifier, volume, parameters)

    def refundVolume(
        self,
        endUserIdentifier: str,
        volume: int,
        billingText: str,
        referenceCode: str,
        parameters: Any,
    ) -> None:
        parlayx_faults(
            lambda: self._service.refund_volume(
                self._app,
                endUserIdentifier,
                volume,
                billingText,
                referenceCode,
                properties(parameters),
            ),
            {"referenceCode": referenceCode},
        )

    # -- ReserveAmountCharging -------------------------------------------------------------------
    def reserveAmount(self, endUserIdentifier: str, charge: Any) -> str:
        return parlayx_faults(
            lambda: self._service.reserve_amount(
                self._app, endUserIdentifier, charging_information(charge)
            )
        )

    def reserveAdditionalAmount(self, reservationIdentifier: str, charge: Any) -> None:
        parlayx_faults(
            lambda: self._service.reserve_additional_amount(
                self._app, reservationIdentifier, charging_information(charge)
            ),
            {"reservationIdentifier": reservationIdentifier},
        )

    def chargeReservation(
        self, reservationIdentifier: str, charge: Any, referenceCode: str
    ) -> None:
        parlayx_faults(
            lambda: self._service.charge_reservation(
                self._app, reservationIdentifier, charging_information(charge), referenceCode
            ),
            {"reservationIdentifier": reservationIdentifier, "referenceCode": referenceCode},
        )

    def releaseReservation(self, reservationIdentifier: str) -> None:
        parlayx_faults(
            lambda: self._service.release_reservation(self._app, reservationIdentifier),
            {"reservationIdentifier": reservationIdentifier},
        )

    # -- the fifth port type ---------------------------------------------------------------------
    def getReserveVolumeCharging(self) -> Any:
        """The ReserveVolumeCharging object of this context: made once, revoked with it."""

        def make() -> Any:
            with self._lock:
                if self._reserve_volume is None:
                    servant = ReserveVolumeCharging(self._service, self._app)
                    self._reserve_volume = self._context.activate(servant)
                return self._reserve_volume

        return parlayx_faults(make)


@observed
class ReserveVolumeCharging(payment__POA.ReserveVolumeCharging):
    def __init__(self, service: PaymentService, app_id: str) -> None:
        self._service = service
        self._app = app_id

    def getAmount(self, endUserIdentifier: str, volume: int, parameters: Any) -> str:
        return _get_amount(self._service, self._app, endUserIdentifier, volume, parameters)

    def reserveVolume(
        self, endUserIdentifier: str, volume: int, billingText: str, parameters: Any
    ) -> str:
        return parlayx_faults(
            lambda: self._service.reserve_volume(
                self._app, endUserIdentifier, volume, billingText, properties(parameters)
            )
        )

    def reserveAdditionalVolume(
        self, reservationIdentifier: str, volume: int, billingText: str, parameters: Any
    ) -> None:
        parlayx_faults(
            lambda: self._service.reserve_additional_volume(
                self._app, reservationIdentifier, volume, billingText, properties(parameters)
            ),
            {"reservationIdentifier": reservationIdentifier},
        )

    def chargeReservation(
        self,
        reservationIdentifier: str,
        volume: int,
        billingText: str,
        referenceCode: str,
        parameters: Any,
    ) -> None:
        parlayx_faults(
            lambda: self._service.charge_reservation_volume(
                self._app,
                reservationIdentifier,
                volume,
                billingText,
                referenceCode,
                properties(parameters),
            ),
            {"reservationIdentifier": reservationIdentifier, "referenceCode": referenceCode},
        )

    def releaseReservation(self, reservationIdentifier: str) -> None:
        parlayx_faults(
            lambda: self._service.release_reservation(self._app, reservationIdentifier),
            {"reservationIdentifier": reservationIdentifier},
        )


def _get_amount(
    service: PaymentService, app_id: str, end_user: str, volume: int, parameters: Any
) -> str:
    def price() -> str:
        found = service.get_amount(app_id, end_user, volume, properties(parameters))
        return text_from_minor(found.amount_minor, found.currency)

    return parlayx_faults(price)


def make_payment_factory(service: PaymentService) -> Callable[[ManagerContext], PaymentManager]:
    """The manager factory the framework's service registry calls once per signed agreement."""

    def factory(context: ManagerContext) -> PaymentManager:
        return PaymentManager(service, context)

    return factory


def register_payment(registry: Any, service: PaymentService) -> str:
    """Offer Payment as ``P_PAYMENT`` in the framework's ``ServiceRegistry``; its service id."""
    return registry.register(P_PAYMENT, make_payment_factory(service), terms=PAYMENT_TERMS)
