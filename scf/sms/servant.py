"""The SMS SCF over CORBA: ``org::csapi::parlayx::sms::IpSmsManager``.

Thin on purpose: each operation converts the IDL types (optional parameters by the one rule of
``scf.common.optional``), calls :class:`scf.sms.service.SmsService` with the application the
manager is bound to (``ServiceContext.app_id``), and reports every failure through the one fault
table (``scf.common.faults``) by the CORBA edge all three SCF servants share (``scf.corba_edge``):
a ``DomainError`` becomes the ServiceException / PolicyException {messageId, text (the
template), variables} of its row; anything else becomes SVC0001 (SVC1000 when it passes by
itself) with an incident id and none of its own text.

The framework makes one manager per signed agreement through :func:`make_sms_factory`; the
registry deactivates it when the agreement or the access session ends (OBJECT_NOT_EXIST).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from org.csapi.parlayx import sms as sms_idl
from org__POA.csapi.parlayx import sms as sms__POA

from domain_errors import InvalidInput
from scf.common.optional import one_or_none, text_or_none
from scf.corba_edge import ManagerContext, charging_information, date_time_text, parlayx_faults
from scf.sms.corba_callbacks import delivery_information, parses_as_reference
from scf.sms.model import SimpleReference
from scf.sms.service import SmsService
from telemetry.calls import observed

P_SMS = "P_SMS"
SMS_TERMS = (
    "Short Messaging (P_SMS): the application may send SMS to end users (sendSms, "
    "getSmsDeliveryStatus), receive mobile-originated messages to its activation numbers "
    "(startSmsNotification, stopSmsNotification, getReceivedSms) and asks for delivery receipts "
    "with a receiptRequest. Notifications are delivered at least once; a charge given with "
    "sendSms is debited from the application's billing account."
)


@observed
class SmsManager(sms__POA.IpSmsManager):
    """One application's SMS manager: SendSms, ReceiveSms and SmsNotificationManager."""

    def __init__(self, service: SmsService, context: ManagerContext, orb: Any) -> None:
        self._service = service
        self._app = context.app_id
        self._orb = orb

    # -- IpService: accepted and unused (notifications go to each SimpleReference) -------------
    def setCallback(self, appInterface: Any) -> None:
        return None

    def setCallbackWithSessionID(self, appInterface: Any, sessionID: int) -> None:
        return None

    def _reference(self, ref: Any, part: str) -> SimpleReference:
        """A ``SimpleReference`` whose endpoint, when given, must be an object reference."""
        if ref.endpoint and not parses_as_reference(self._orb, ref.endpoint):
            raise InvalidInput(part=part, reason="endpoint is not an object reference")
        return SimpleReference(ref.endpoint, ref.interfaceName, ref.correlator)

    # -- SendSms ---------------------------------------------------------------------------------
    def sendSms(
        self,
        addresses: Any,
        senderName: str,
        charging: Any,
        message: str,
        receiptRequest: Any,
    ) -> str:
        def call() -> str:
            charge = one_or_none(charging, part="charging")
            receipt = one_or_none(receiptRequest, part="receiptRequest")
            return self._service.sendSms(
                self._app,
                list(addresses),
                text_or_none(senderName),
                None if charge is None else charging_information(charge),
                message,
                None if receipt is None else self._reference(receipt, "receiptRequest"),
            )

        return parlayx_faults(call)

    def getSmsDeliveryStatus(self, requestIdentifier: str) -> list:
        def call() -> list:
            found = self._service.getSmsDeliveryStatus(self._app, requestIdentifier)
            return [delivery_information(d) for d in found]

        return parlayx_faults(call, {"requestIdentifier": requestIdentifier})

    # -- ReceiveSms ------------------------------------------------------------------------------
    def getReceivedSms(self, registrationIdentifier: str) -> list:
        def call() -> list:
            found = self._service.getReceivedSms(self._app, registrationIdentifier)
            return [
                sms_idl.SmsMessage(
                    m.message,
                    m.senderAddress,
                    m.smsServiceActivationNumber,
                    date_time_text(m.dateTime),
                )
                for m in found
            ]

        return parlayx_faults(call, {"registrationIdentifier": registrationIdentifier})

    # -- SmsNotificationManager ------------------------------------------------------------------
    def startSmsNotification(
        self, reference: Any, smsServiceActivationNumber: str, criteria: str
    ) -> None:
        parlayx_faults(
            lambda: self._service.startSmsNotification(
                self._app,
                self._reference(reference, "reference"),
                smsServiceActivationNumber,
                text_or_none(criteria),
            ),
            {"correlator": reference.correlator, "criteria": criteria},
        )

    def stopSmsNotification(self, correlator: str) -> None:
        parlayx_faults(
            lambda: self._service.stopSmsNotification(self._app, correlator),
            {"correlator": correlator},
        )


def make_sms_factory(service: SmsService, orb: Any) -> Callable[[ManagerContext], SmsManager]:
    """The manager factory the framework's service registry calls once per signed agreement."""

    def factory(context: ManagerContext) -> SmsManager:
        return SmsManager(service, context, orb)

    return factory


def register_sms(
    registry: Any,
    service: SmsService,
    orb: Any,
    properties: Mapping[str, list[str]] | None = None,
) -> str:
    """Offer SMS as ``P_SMS`` in the framework's ``ServiceRegistry``; return its service id."""
    return registry.register(
        P_SMS, make_sms_factory(service, orb), properties=properties, terms=SMS_TERMS
    )
