"""``micropay.v1.SmsService`` on :class:`scf.sms.service.SmsService`.

Thin, like the CORBA ``IpSmsManager`` servant: convert, call the SMS service with the caller's
application, report through the one fault table. Parlay X's ``SimpleReference`` endpoints become
:data:`shim.streams_sms.GRPC_ENDPOINT` (with the application's correlator), and the events the
SMS service writes for them are read back by ``StreamSmsReceptions`` and
``StreamDeliveryReceipts`` from its outbox.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, TypeAlias

import grpc
from micropay.v1 import sms_pb2 as pb
from micropay.v1 import sms_pb2_grpc

from scf.sms.model import SimpleReference
from shim.calls import Calls, caller
from shim.convert import charging_information, optional_text, timestamp
from shim.domain import Domain
from shim.follow import follow
from shim.streams_sms import (
    GRPC_ENDPOINT,
    GRPC_INTERFACE,
    RECEIPT,
    RECEPTION,
    SmsEvent,
    SmsEventReader,
    newest_event_id,
)
from shim.watermark import Watermark

Context: TypeAlias = grpc.aio.ServicerContext  # type: ignore[type-arg]


def _app() -> str:
    return str(caller().app_id)


def delivery_status(value: str) -> int:
    """Parlay X ``DeliveredToTerminal`` -> proto ``DELIVERED_TO_TERMINAL``."""
    return pb.DeliveryStatus.Value(re.sub(r"(?<!^)(?=[A-Z])", "_", value).upper())


def reference(correlator: str) -> SimpleReference:
    return SimpleReference(GRPC_ENDPOINT, GRPC_INTERFACE, correlator)


def sms_message(message: str, sender: str, number: str, when: datetime | None) -> Any:
    return pb.SmsMessage(
        message=message,
        sender_address=sender,
        sms_service_activation_number=number,
        date_time=timestamp(when),
    )


def receipt_message(reader: SmsEventReader) -> Any:
    def make(event: SmsEvent) -> Any:
        p = event.payload
        return pb.DeliveryReceiptNotification(
            cursor=reader.cursor(event),
            correlator=event.correlator,
            delivery_status=pb.DeliveryInformation(
                address=p["address"], delivery_status=delivery_status(p["deliveryStatus"])
            ),
            request_identifier=p.get("requestIdentifier", ""),
        )

    return make


def reception_message(reader: SmsEventReader) -> Any:
    def make(event: SmsEvent) -> Any:
        p = event.payload
        when = datetime.fromisoformat(p["dateTime"]) if p.get("dateTime") else None
        return pb.SmsReceptionNotification(
            cursor=reader.cursor(event),
            correlator=event.correlator,
            message=sms_message(
                p["message"], p["senderAddress"], p["smsServiceActivationNumber"], when
            ),
        )

    return make


class SmsServicer(sms_pb2_grpc.SmsServiceServicer):
    def __init__(self, domain: Domain, calls: Calls) -> None:
        self.domain = domain
        self.calls = calls
        self._newest_event: Watermark | None = None  # shared by every SMS stream

    def _watermark(self, db: Any) -> Watermark:
        if self._newest_event is None:
            self._newest_event = Watermark(lambda: newest_event_id(db))
        return self._newest_event

    async def SendSms(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            charging = None
            if request.HasField("charging"):
                charging = charging_information(request.charging)
            receipt = request.receipt_correlator
            request_id = self.domain.sms().sendSms(
                app,
                list(request.addresses),
                optional_text(request.sender_name),
                charging,
                request.message,
                reference(receipt) if receipt else None,
            )
            return pb.SendSmsResponse(request_identifier=request_id)

        return await self.calls.run(context, work)

    async def GetSmsDeliveryStatus(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            found = self.domain.sms().getSmsDeliveryStatus(app, request.request_identifier)
            return pb.GetSmsDeliveryStatusResponse(
                result=[
                    pb.DeliveryInformation(
                        address=d.address, delivery_status=delivery_status(d.deliveryStatus.value)
                    )
                    for d in found
                ]
            )

        return await self.calls.run(
            context, work, fault_context={"requestIdentifier": request.request_identifier}
        )

    async def GetReceivedSms(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            found = self.domain.sms().getReceivedSms(app, request.registration_identifier)
            return pb.GetReceivedSmsResponse(
                result=[
                    sms_message(
                        m.message, m.senderAddress, m.smsServiceActivationNumber, m.dateTime
                    )
                    for m in found
                ]
            )

        return await self.calls.run(context, work)

    async def StartSmsNotification(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            self.domain.sms().startSmsNotification(
                app,
                reference(request.correlator),
                request.sms_service_activation_number,
                optional_text(request.criteria),
            )
            return pb.StartSmsNotificationResponse()

        return await self.calls.run(context, work, fault_context={"correlator": request.correlator})

    async def StopSmsNotification(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            self.domain.sms().stopSmsNotification(app, request.correlator)
            return pb.StopSmsNotificationResponse()

        return await self.calls.run(context, work, fault_context={"correlator": request.correlator})

    async def _stream(self, request: Any, context: Context, kind: str, make: Any) -> Any:
        grant = caller()
        reader = SmsEventReader(None, grant.app_id, kind, frozenset(request.correlators))

        def start() -> None:
            reader.db = self.domain.sms().db
            reader.newest = self._watermark(reader.db).newest
            reader.start(request.after_cursor)

        async for item in follow(context, self.calls, grant, start, reader.read, make(reader)):
            yield item

    async def StreamSmsReceptions(self, request: Any, context: Context) -> Any:
        async for item in self._stream(request, context, RECEPTION, reception_message):
            yield item

    async def StreamDeliveryReceipts(self, request: Any, context: Context) -> Any:
        async for item in self._stream(request, context, RECEIPT, receipt_message):
            yield item
