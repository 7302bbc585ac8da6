"""``micropay.v1.PaymentService`` on :class:`scf.payment.service.PaymentService`.

Thin, as the CORBA ``IpPaymentManager`` servant is: convert, call the domain service with the
application of the caller's agreement, report failures through the one fault table with the
same request context the servant gives it (``referenceCode``, ``reservationIdentifier``), so
both surfaces render the same fault for the same request.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import grpc
from micropay.v1 import payment_pb2 as pb
from micropay.v1 import payment_pb2_grpc

from charging.errors import InvalidInput
from shim.calls import Calls, caller
from shim.convert import charging_information, money, properties
from shim.domain import Domain

Context: TypeAlias = grpc.aio.ServicerContext  # type: ignore[type-arg]


def _app() -> str:
    return str(caller().app_id)


class PaymentServicer(payment_pb2_grpc.PaymentServiceServicer):
    def __init__(self, domain: Domain, calls: Calls) -> None:
        self.domain = domain
        self.calls = calls

    async def _run(self, context: Context, work: Any, **fault_context: object) -> Any:
        return await self.calls.run(context, work, fault_context=fault_context)

    # -- AmountCharging -----------------------------------------------------------------------
    async def ChargeAmount(self, request: Any, context: Context) -> Any:
        app = _app()

        async def work() -> Any:
            await self.domain.payment().charge_amount_async(
                app,
                request.end_user_identifier,
                charging_information(request.charge),
                request.reference_code,
                self.calls.blocking,
            )
            return pb.ChargeAmountResponse()

        return await self.calls.run_async(
            context, work, fault_context={"referenceCode": request.reference_code}
        )

    async def RefundAmount(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            self.domain.payment().refund_amount(
                app,
                request.end_user_identifier,
                charging_information(request.charge),
                request.reference_code,
            )
            return pb.RefundAmountResponse()

        return await self._run(context, work, referenceCode=request.reference_code)

    async def ChargeSplitAmount(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            shares = [(s.end_user_identifier, s.percentage) for s in request.end_user_identifiers]
            self.domain.payment().charge_split_amount(
                app, shares, charging_information(request.charge), request.reference_code
            )
            return pb.ChargeSplitAmountResponse()

        return await self._run(context, work, referenceCode=request.reference_code)

    # -- VolumeCharging -----------------------------------------------------------------------
    async def ChargeVolume(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            self.domain.payment().charge_volume(
                app,
                request.end_user_identifier,
                request.volume,
                request.billing_text,
                request.reference_code,
                properties(request.parameters),
            )
            return pb.ChargeVolumeResponse()

        return await self._run(context, work, referenceCode=request.reference_code)

    async def GetAmount(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            price = self.domain.payment().get_amount(
                app, request.end_user_identifier, request.volume, properties(request.parameters)
            )
            return pb.GetAmountResponse(amount=money(price.amount_minor, price.currency))

        return await self._run(context, work)

    async def RefundVolume(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            self.domain.payment().refund_volume(
                app,
                request.end_user_identifier,
                request.volume,
                request.billing_text,
                request.reference_code,
                properties(request.parameters),
            )
            return pb.RefundVolumeResponse()

        return await self._run(context, work, referenceCode=request.reference_code)

    # -- reservations -------------------------------------------------------------------------
    async def ReserveAmount(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            reservation = self.domain.payment().reserve_amount(
                app, request.end_user_identifier, charging_information(request.charge)
            )
            return pb.ReserveAmountResponse(reservation_identifier=reservation)

        return await self._run(context, work)

    async def ReserveAdditionalAmount(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            self.domain.payment().reserve_additional_amount(
                app, request.reservation_identifier, charging_information(request.charge)
            )
            return pb.ReserveAdditionalAmountResponse()

        return await self._run(context, work, reservationIdentifier=request.reservation_identifier)

    async def ReserveVolume(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            reservation = self.domain.payment().reserve_volume(
                app,
                request.end_user_identifier,
                request.volume,
                request.billing_text,
                properties(request.parameters),
            )
            return pb.ReserveVolumeResponse(reservation_identifier=reservation)

        return await self._run(context, work)

    async def ReserveAdditionalVolume(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            self.domain.payment().reserve_additional_volume(
                app,
                request.reservation_identifier,
                request.volume,
                request.billing_text,
                properties(request.parameters),
            )
            return pb.ReserveAdditionalVolumeResponse()

        return await self._run(context, work, reservationIdentifier=request.reservation_identifier)

    async def ChargeReservation(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            service = self.domain.payment()
            settlement = request.WhichOneof("settlement")
            if settlement == "charge":
                service.charge_reservation(
                    app,
                    request.reservation_identifier,
                    charging_information(request.charge),
                    request.reference_code,
                )
            elif settlement == "volume":
                v = request.volume
                service.charge_reservation_volume(
                    app,
                    request.reservation_identifier,
                    v.volume,
                    v.billing_text,
                    request.reference_code,
                    properties(v.parameters),
                )
            else:
                raise InvalidInput(part="settlement", reason="set charge or volume")
            return pb.ChargeReservationResponse()

        return await self._run(
            context,
            work,
            reservationIdentifier=request.reservation_identifier,
            referenceCode=request.reference_code,
        )

    async def ReleaseReservation(self, request: Any, context: Context) -> Any:
        app = _app()

        def work() -> Any:
            self.domain.payment().release_reservation(app, request.reservation_identifier)
            return pb.ReleaseReservationResponse()

        return await self._run(context, work, reservationIdentifier=request.reservation_identifier)
