"""The Payment, Account Management and SMS faces over gRPC (proto/micropay/v1/*.proto).

Each face sends the agreement's service access token as ``authorization: Bearer``; amounts go as
``Money`` (minor units with an exponent: an amount written with more decimals than the currency
has keeps them, so the IUT sees it as written). Callbacks become the resumable server streams:
the harness opens them with a deadline and reads until what it waits for arrives.
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from typing import Any

import grpc
from google.protobuf import timestamp_pb2
from micropay.v1 import account_pb2 as apb
from micropay.v1 import account_pb2_grpc, payment_pb2_grpc, sms_pb2_grpc
from micropay.v1 import common_pb2 as cpb
from micropay.v1 import payment_pb2 as ppb
from micropay.v1 import sms_pb2 as spb

from apps.interop import money
from apps.interop.faces import ACCOUNT_STATES, DELIVERY_STATUSES, Charge, ChargingEvent, Message
from apps.interop.grpc_framework import call, refusal_from
from apps.interop.profile import AccountStatus


def money_of(amount: str, currency: str) -> cpb.Money:
    minor, exponent = money.wire_minor(amount, currency)
    return cpb.Money(currency_code=currency, amount_minor=minor, exponent=exponent)


def decimal_of(value: cpb.Money) -> Decimal:
    return Decimal(value.amount_minor).scaleb(-value.exponent)


def _ci(charge: Charge) -> cpb.ChargingInformation:
    return cpb.ChargingInformation(
        description=charge.description,
        amount=money_of(charge.amount, charge.currency),
        code=charge.code,
    )


def _props(parameters: dict[str, str]) -> list[cpb.Property]:
    return [cpb.Property(name=k, value=v) for k, v in parameters.items()]


def _time(value: timestamp_pb2.Timestamp) -> str:
    return value.ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")


class _Bound:
    def __init__(self, stub: Any, token: str) -> None:
        self.stub, self.token = stub, token

    def __call__(self, name: str, request: Any) -> Any:
        return call(self.stub, name, request, self.token)

    def stream(self, name: str, request: Any, timeout_s: float) -> Any:
        metadata = (("authorization", f"Bearer {self.token}"),)
        return getattr(self.stub, name)(request, metadata=metadata, timeout=timeout_s)


def _first(stream: Any, predicate: Any) -> Any:
    """The first streamed item matching, or None when the stream's deadline passes first."""
    try:
        for item in stream:
            if predicate(item):
                stream.cancel()
                return item
    except grpc.RpcError as err:
        if err.code() in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED):
            return None
        raise refusal_from(err) from None
    return None


class GrpcPayment:
    def __init__(self, channel: grpc.Channel, token: str) -> None:
        self.raw = _Bound(payment_pb2_grpc.PaymentServiceStub(channel), token)

    def chargeAmount(self, user: str, charge: Charge, ref: str) -> None:  # noqa: N802
        self.raw("ChargeAmount", ppb.ChargeAmountRequest(
            end_user_identifier=user, charge=_ci(charge), reference_code=ref))  # fmt: skip

    def refundAmount(self, user: str, charge: Charge, ref: str) -> None:  # noqa: N802
        self.raw("RefundAmount", ppb.RefundAmountRequest(
            end_user_identifier=user, charge=_ci(charge), reference_code=ref))  # fmt: skip

    def chargeSplitAmount(self, splits: list[tuple[str, int]], charge: Charge, ref: str) -> None:  # noqa: N802
        shares = [ppb.EndUserSplit(end_user_identifier=u, percentage=p) for u, p in splits]
        self.raw("ChargeSplitAmount", ppb.ChargeSplitAmountRequest(
            end_user_identifiers=shares, charge=_ci(charge), reference_code=ref))  # fmt: skip

    def chargeVolume(
        self, user: str, volume: int, text: str, ref: str, params: dict[str, str]
    ) -> None:  # noqa: N802
        self.raw("ChargeVolume", ppb.ChargeVolumeRequest(
            end_user_identifier=user, volume=volume, billing_text=text, reference_code=ref,
            parameters=_props(params)))  # fmt: skip

    def refundVolume(
        self, user: str, volume: int, text: str, ref: str, params: dict[str, str]
    ) -> None:  # noqa: N802
        self.raw("RefundVolume", ppb.RefundVolumeRequest(
            end_user_identifier=user, volume=volume, billing_text=text, reference_code=ref,
            parameters=_props(params)))  # fmt: skip

    def getAmount(self, user: str, volume: int, params: dict[str, str]) -> Decimal:  # noqa: N802
        answer = self.raw("GetAmount", ppb.GetAmountRequest(
            end_user_identifier=user, volume=volume, parameters=_props(params)))  # fmt: skip
        return decimal_of(answer.amount)

    rvGetAmount = getAmount  # noqa: N815  (one RPC serves both port types)

    def reserveAmount(self, user: str, charge: Charge) -> str:  # noqa: N802
        return self.raw("ReserveAmount", ppb.ReserveAmountRequest(
            end_user_identifier=user, charge=_ci(charge))).reservation_identifier  # fmt: skip

    def reserveAdditionalAmount(self, reservation: str, charge: Charge) -> None:  # noqa: N802
        self.raw("ReserveAdditionalAmount", ppb.ReserveAdditionalAmountRequest(
            reservation_identifier=reservation, charge=_ci(charge)))  # fmt: skip

    def chargeReservation(self, reservation: str, charge: Charge, ref: str) -> None:  # noqa: N802
        self.raw("ChargeReservation", ppb.ChargeReservationRequest(
            reservation_identifier=reservation, charge=_ci(charge), reference_code=ref))  # fmt: skip

    def releaseReservation(self, reservation: str) -> None:  # noqa: N802
        self.raw("ReleaseReservation", ppb.ReleaseReservationRequest(
            reservation_identifier=reservation))  # fmt: skip

    rvReleaseReservation = releaseReservation  # noqa: N815

    def reserveVolume(self, user: str, volume: int, text: str, params: dict[str, str]) -> str:  # noqa: N802
        return self.raw("ReserveVolume", ppb.ReserveVolumeRequest(
            end_user_identifier=user, volume=volume, billing_text=text,
            parameters=_props(params))).reservation_identifier  # fmt: skip

    def reserveAdditionalVolume(
        self, reservation: str, volume: int, text: str, params: dict[str, str]
    ) -> None:  # noqa: N802
        self.raw("ReserveAdditionalVolume", ppb.ReserveAdditionalVolumeRequest(
            reservation_identifier=reservation, volume=volume, billing_text=text,
            parameters=_props(params)))  # fmt: skip

    def chargeReservationVolume(  # noqa: N802
        self, reservation: str, volume: int, text: str, ref: str, params: dict[str, str]
    ) -> None:
        charge = ppb.VolumeCharge(volume=volume, billing_text=text, parameters=_props(params))
        self.raw("ChargeReservation", ppb.ChargeReservationRequest(
            reservation_identifier=reservation, volume=charge, reference_code=ref))  # fmt: skip


class GrpcAccount:
    def __init__(self, channel: grpc.Channel, token: str) -> None:
        self.raw = _Bound(account_pb2_grpc.AccountServiceStub(channel), token)

    def getBalance(self, user: str, pin: str = "") -> list[tuple[str, Decimal]]:  # noqa: N802
        answer = self.raw(
            "GetBalance", apb.GetBalanceRequest(end_user_identifier=user, end_user_pin=pin)
        )
        return [(b.balance_type, decimal_of(b.amount)) for b in answer.result]

    def getCreditExpiryDate(self, user: str, pin: str = "") -> list[tuple[str, str]]:  # noqa: N802
        answer = self.raw("GetCreditExpiryDate", apb.GetCreditExpiryDateRequest(
            end_user_identifier=user, end_user_pin=pin))  # fmt: skip
        return [
            (d.balance_type, _time(d.date) if d.HasField("date") else "") for d in answer.result
        ]

    def getBalanceTypes(self, user: str, pin: str = "") -> list[str]:  # noqa: N802
        return list(self.raw("GetBalanceTypes", apb.GetBalanceTypesRequest(
            end_user_identifier=user, end_user_pin=pin)).result)  # fmt: skip

    def balanceUpdate(  # noqa: N802
        self, user: str, pin: str, ref: str, balance_type: str, amount: str, currency: str,
        period: int | None = None,
    ) -> None:  # fmt: skip
        request = apb.BalanceUpdateRequest(
            end_user_identifier=user, end_user_pin=pin, reference_code=ref,
            balance_type=balance_type, amount=money_of(amount, currency),
        )  # fmt: skip
        if period is not None:
            request.period = period
        self.raw("BalanceUpdate", request)

    def voucherUpdate(self, user: str, pin: str, ref: str, voucher: str, voucher_pin: str) -> None:  # noqa: N802
        self.raw("VoucherUpdate", apb.VoucherUpdateRequest(
            end_user_identifier=user, end_user_pin=pin, reference_code=ref,
            voucher_identifier=voucher, voucher_pin=voucher_pin))  # fmt: skip

    def suspendAccount(self, user: str, pin: str = "") -> None:  # noqa: N802
        self.raw("SuspendAccount", apb.SuspendAccountRequest(end_user_identifier=user,
                                                             end_user_pin=pin))  # fmt: skip

    def resumeAccount(self, user: str, pin: str = "") -> None:  # noqa: N802
        self.raw("ResumeAccount", apb.ResumeAccountRequest(end_user_identifier=user,
                                                           end_user_pin=pin))  # fmt: skip

    def changeMonthlyLimit(self, user: str, pin: str, limit: str, currency: str) -> None:  # noqa: N802
        self.raw("ChangeMonthlyLimit", apb.ChangeMonthlyLimitRequest(
            end_user_identifier=user, end_user_pin=pin, monthly_limit=money_of(limit, currency)))  # fmt: skip

    def setThreshold(self, user: str, pin: str, kind: str, amount: str, currency: str) -> None:  # noqa: N802
        kinds = {"LargePaymentAlert": apb.LARGE_PAYMENT_ALERT,
                 "PaymentConfirmation": apb.PAYMENT_CONFIRMATION}  # fmt: skip
        self.raw("SetThreshold", apb.SetThresholdRequest(
            end_user_identifier=user, end_user_pin=pin, kind=kinds[kind],
            amount=money_of(amount, currency)))  # fmt: skip

    def getHistory(  # noqa: N802
        self, user: str, pin: str = "", date: str = "", entries_max: int | None = None
    ) -> list[tuple[str, str]]:
        request = apb.GetHistoryRequest(end_user_identifier=user, end_user_pin=pin)
        if date:
            request.date.FromJsonString(date)
        if entries_max is not None:
            request.max_entries = entries_max
        answer = self.raw("GetHistory", request)
        return [(_time(t.transaction_date), t.transaction_details) for t in answer.result]

    def getAccountStatus(self, user: str, pin: str = "") -> AccountStatus:  # noqa: N802
        s = self.raw("GetAccountStatus", apb.GetAccountStatusRequest(
            end_user_identifier=user, end_user_pin=pin))  # fmt: skip

        def amount(field: str) -> Decimal | None:
            return decimal_of(getattr(s, field)) if s.HasField(field) else None

        return AccountStatus(
            registered=s.registered,
            state=ACCOUNT_STATES[s.state - 1] if s.state else "",
            currency=s.currency_code,
            balance=amount("balance"),
            monthly_limit=amount("monthly_limit"),
            month_to_date_spend=amount("month_to_date_spend"),
            remaining_headroom=amount("remaining_headroom"),
            transaction_limit=amount("transaction_limit"),
            low_balance_threshold=amount("low_balance_threshold"),
            valid_until=_time(s.valid_until) if s.HasField("valid_until") else "",
            pin_required=s.pin_required,
        )

    @staticmethod
    def _criteria(events: list[str], users: list[str]) -> apb.ChargingEventCriteria:
        return apb.ChargingEventCriteria(
            charging_events=[apb.ChargingEventName.Value(e) for e in events], users=list(users)
        )

    def createNotification(self, events: list[str], users: list[str], callback: Any = "own") -> int:  # noqa: N802
        return self.raw("CreateNotification", apb.CreateNotificationRequest(
            charging_event_criteria=self._criteria(events, users))).assignment_id  # fmt: skip

    def changeNotification(self, assignment: int, events: list[str], users: list[str]) -> None:  # noqa: N802
        self.raw("ChangeNotification", apb.ChangeNotificationRequest(
            assignment_id=assignment, event_criteria=self._criteria(events, users)))  # fmt: skip

    def getNotification(self) -> list[tuple[int, list[str], list[str]]]:  # noqa: N802
        answer = self.raw("GetNotification", apb.GetNotificationRequest())
        return [
            (
                r.assignment_id,
                [apb.ChargingEventName.Name(e) for e in r.charging_event_criteria.charging_events],
                list(r.charging_event_criteria.users),
            )
            for r in answer.results
        ]

    def destroyNotification(self, assignment: int) -> None:  # noqa: N802
        self.raw("DestroyNotification", apb.DestroyNotificationRequest(assignment_id=assignment))

    def wait_event(self, assignment: int, predicate: Any, timeout_s: float) -> ChargingEvent | None:
        stream = self.raw.stream(
            "StreamChargingEvents",
            apb.StreamChargingEventsRequest(after_cursor="", assignment_ids=[assignment]),
            timeout_s,
        )

        def convert(item: Any) -> ChargingEvent:
            info = item.charging_event_info
            return ChargingEvent(
                apb.ChargingEventName.Name(info.charging_event_name),
                decimal_of(info.current_balance) if info.HasField("current_balance") else None,
                info.current_balance.currency_code,
                info.end_user_identifier,
                decimal_of(info.event_amount) if info.HasField("event_amount") else None,
                info.reference_code,
                info.additional_info,
                info.event_id,
                item.assignment_id,
            )

        found = _first(stream, lambda item: predicate(convert(item)))
        return None if found is None else convert(found)


class GrpcSms:
    def __init__(self, channel: grpc.Channel, token: str) -> None:
        self.raw = _Bound(sms_pb2_grpc.SmsServiceStub(channel), token)

    def sendSms(  # noqa: N802
        self, addresses: list[str], sender_name: str, charging: Charge | None, message: str,
        receipt_correlator: str | None = None,
    ) -> str:  # fmt: skip
        request = spb.SendSmsRequest(
            addresses=list(addresses), sender_name=sender_name, message=message,
            receipt_correlator=receipt_correlator or "",
        )  # fmt: skip
        if charging is not None:
            request.charging.CopyFrom(_ci(charging))
        return self.raw("SendSms", request).request_identifier

    def getSmsDeliveryStatus(self, request: str) -> list[tuple[str, str]]:  # noqa: N802
        answer = self.raw("GetSmsDeliveryStatus", spb.GetSmsDeliveryStatusRequest(
            request_identifier=request))  # fmt: skip
        return [(d.address, _status(d.delivery_status)) for d in answer.result]

    def getReceivedSms(self, registration: str) -> list[Message]:  # noqa: N802
        answer = self.raw("GetReceivedSms", spb.GetReceivedSmsRequest(
            registration_identifier=registration))  # fmt: skip
        return [_message(m) for m in answer.result]

    def startSmsNotification(self, correlator: str, number: str, criteria: str = "") -> None:  # noqa: N802
        self.raw("StartSmsNotification", spb.StartSmsNotificationRequest(
            correlator=correlator, sms_service_activation_number=number, criteria=criteria))  # fmt: skip

    def stopSmsNotification(self, correlator: str) -> None:  # noqa: N802
        self.raw("StopSmsNotification", spb.StopSmsNotificationRequest(correlator=correlator))

    def wait_receipt(self, correlator: str, timeout_s: float) -> tuple[str, str] | None:
        stream = self.raw.stream(
            "StreamDeliveryReceipts",
            spb.StreamDeliveryReceiptsRequest(after_cursor="", correlators=[correlator]),
            timeout_s,
        )
        found = _first(stream, lambda item: item.correlator == correlator)
        if found is None:
            return None
        return found.delivery_status.address, _status(found.delivery_status.delivery_status)

    def wait_reception(self, correlator: str, timeout_s: float) -> Message | None:
        stream = self.raw.stream(
            "StreamSmsReceptions",
            spb.StreamSmsReceptionsRequest(after_cursor="", correlators=[correlator]),
            timeout_s,
        )
        found = _first(stream, lambda item: item.correlator == correlator)
        return None if found is None else _message(found.message)


def _status(value: int) -> str:
    return DELIVERY_STATUSES[value - 1] if value else "DELIVERY_STATUS_UNSPECIFIED"


def _message(m: Any) -> Message:
    return Message(
        m.message, m.sender_address, m.sms_service_activation_number,
        _time(m.date_time) if m.HasField("date_time") else "",
    )  # fmt: skip
