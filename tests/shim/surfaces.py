"""The two surfaces of tests/shared_fault_cases.py: each performs one Parlay X operation through a
real client (gRPC stubs bound by ``client.grpc_session``, CORBA managers from
``client.session``) and reports None or the fault's (messageId, variables, text): over CORBA the
text is the template (Parlay X clients substitute), over gRPC the rendered text.

gRPC variables are ErrorInfo metadata (by name); they are given here in the order of the fault
table's row, the order the CORBA ``variables`` sequence has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from micropay.v1 import account_pb2, payment_pb2, sms_pb2
from org.csapi.parlayx import common

from client.grpc_errors import GrpcFault
from scf.common.faults import FAULT_TABLE
from tests.shared_fault_cases import Outcome
from tests.shim.messages import charge as grpc_charge
from tests.shim.messages import money as grpc_money


def _ordered(message_id: str, metadata: dict[str, str]) -> list[str]:
    """The metadata values in the order of the table row whose variables they are."""
    for spec in FAULT_TABLE:
        names = [v.name for v in spec.variables]
        if spec.message_id == message_id and set(names) == set(metadata):
            return [metadata[n] for n in names]
    return sorted(metadata.values())


class GrpcSurface:
    def __init__(self, session: Any) -> None:
        self.payment = session.obtain_service("P_PAYMENT")
        self.account = session.obtain_service("P_ACCOUNT_MANAGEMENT")
        self.sms = session.obtain_service("P_SMS")

    @staticmethod
    def _outcome(call: Callable[[], Any]) -> Outcome:
        try:
            call()
        except GrpcFault as fault:
            return fault.message_id, _ordered(fault.message_id, fault.variables), fault.text
        return None

    def chargeAmount(self, end_user: str, amount: str, currency: str, ref: str) -> Outcome:
        request = payment_pb2.ChargeAmountRequest(
            end_user_identifier=end_user, charge=grpc_charge(amount, currency), reference_code=ref
        )
        return self._outcome(lambda: self.payment.ChargeAmount(request))

    def refundAmount(self, end_user: str, amount: str, currency: str, ref: str) -> Outcome:
        request = payment_pb2.RefundAmountRequest(
            end_user_identifier=end_user, charge=grpc_charge(amount, currency), reference_code=ref
        )
        return self._outcome(lambda: self.payment.RefundAmount(request))

    def reserveAmount(self, end_user: str, amount: str, currency: str) -> Outcome:
        request = payment_pb2.ReserveAmountRequest(
            end_user_identifier=end_user, charge=grpc_charge(amount, currency)
        )
        return self._outcome(lambda: self.payment.ReserveAmount(request))

    def chargeReservation(self, reservation: str, amount: str, currency: str, ref: str) -> Outcome:
        request = payment_pb2.ChargeReservationRequest(
            reservation_identifier=reservation,
            charge=grpc_charge(amount, currency),
            reference_code=ref,
        )
        return self._outcome(lambda: self.payment.ChargeReservation(request))

    def getBalance(self, end_user: str, pin: str) -> Outcome:
        request = account_pb2.GetBalanceRequest(end_user_identifier=end_user, end_user_pin=pin)
        return self._outcome(lambda: self.account.GetBalance(request))

    def getHistory(self, end_user: str, pin: str) -> Outcome:
        request = account_pb2.GetHistoryRequest(end_user_identifier=end_user, end_user_pin=pin)
        return self._outcome(lambda: self.account.GetHistory(request))

    def sendSms(self, addresses: list[str], message: str) -> Outcome:
        request = sms_pb2.SendSmsRequest(addresses=addresses, message=message)
        return self._outcome(lambda: self.sms.SendSms(request))

    def sendSmsCharged(self, addresses: list[str], amount: str, currency: str) -> Outcome:
        request = sms_pb2.SendSmsRequest(
            addresses=addresses, message="hi", charging=grpc_charge(amount, currency)
        )
        return self._outcome(lambda: self.sms.SendSms(request))

    def getSmsDeliveryStatus(self, request_id: str) -> Outcome:
        request = sms_pb2.GetSmsDeliveryStatusRequest(request_identifier=request_id)
        return self._outcome(lambda: self.sms.GetSmsDeliveryStatus(request))

    def getReceivedSms(self, registration_id: str) -> Outcome:
        request = sms_pb2.GetReceivedSmsRequest(registration_identifier=registration_id)
        return self._outcome(lambda: self.sms.GetReceivedSms(request))

    def stopSmsNotification(self, correlator: str) -> Outcome:
        request = sms_pb2.StopSmsNotificationRequest(correlator=correlator)
        return self._outcome(lambda: self.sms.StopSmsNotification(request))

    def balanceUpdate(self, end_user: str, amount: str, ref: str) -> Outcome:
        request = account_pb2.BalanceUpdateRequest(
            end_user_identifier=end_user,
            reference_code=ref,
            balance_type="MICROPAY",
            amount=grpc_money(amount),
        )
        return self._outcome(lambda: self.account.BalanceUpdate(request))

    def voucherUpdate(self, end_user: str, voucher: str, voucher_pin: str, ref: str) -> Outcome:
        request = account_pb2.VoucherUpdateRequest(
            end_user_identifier=end_user,
            reference_code=ref,
            voucher_identifier=voucher,
            voucher_pin=voucher_pin,
        )
        return self._outcome(lambda: self.account.VoucherUpdate(request))

    def resumeAccount(self, end_user: str, pin: str) -> Outcome:
        request = account_pb2.ResumeAccountRequest(end_user_identifier=end_user, end_user_pin=pin)
        return self._outcome(lambda: self.account.ResumeAccount(request))


class CorbaSurface:
    def __init__(self, session: Any) -> None:
        self.payment = session.obtain_service("P_PAYMENT")
        self.account = session.obtain_service("P_ACCOUNT_MANAGEMENT")
        self.sms = session.obtain_service("P_SMS")

    @staticmethod
    def _outcome(call: Callable[[], Any]) -> Outcome:
        try:
            call()
        except (common.ServiceException, common.PolicyException) as fault:
            return fault.messageId, list(fault.variables), fault.text
        return None

    @staticmethod
    def _charge(amount: str, currency: str) -> Any:
        return common.ChargingInformation("Song 42", currency, amount, "")

    def chargeAmount(self, end_user: str, amount: str, currency: str, ref: str) -> Outcome:
        info = self._charge(amount, currency)
        return self._outcome(lambda: self.payment.chargeAmount(end_user, info, ref))

    def refundAmount(self, end_user: str, amount: str, currency: str, ref: str) -> Outcome:
        info = self._charge(amount, currency)
        return self._outcome(lambda: self.payment.refundAmount(end_user, info, ref))

    def reserveAmount(self, end_user: str, amount: str, currency: str) -> Outcome:
        info = self._charge(amount, currency)
        return self._outcome(lambda: self.payment.reserveAmount(end_user, info))

    def chargeReservation(self, reservation: str, amount: str, currency: str, ref: str) -> Outcome:
        info = self._charge(amount, currency)
        return self._outcome(lambda: self.payment.chargeReservation(reservation, info, ref))

    def getBalance(self, end_user: str, pin: str) -> Outcome:
        return self._outcome(lambda: self.account.getBalance(end_user, pin))

    def getHistory(self, end_user: str, pin: str) -> Outcome:
        return self._outcome(lambda: self.account.getHistory(end_user, pin, "", []))

    def sendSms(self, addresses: list[str], message: str) -> Outcome:
        return self._outcome(lambda: self.sms.sendSms(addresses, "", [], message, []))

    def sendSmsCharged(self, addresses: list[str], amount: str, currency: str) -> Outcome:
        info = [self._charge(amount, currency)]
        return self._outcome(lambda: self.sms.sendSms(addresses, "", info, "hi", []))

    def getSmsDeliveryStatus(self, request_id: str) -> Outcome:
        return self._outcome(lambda: self.sms.getSmsDeliveryStatus(request_id))

    def getReceivedSms(self, registration_id: str) -> Outcome:
        return self._outcome(lambda: self.sms.getReceivedSms(registration_id))

    def stopSmsNotification(self, correlator: str) -> Outcome:
        return self._outcome(lambda: self.sms.stopSmsNotification(correlator))

    def balanceUpdate(self, end_user: str, amount: str, ref: str) -> Outcome:
        return self._outcome(
            lambda: self.account.balanceUpdate(end_user, "", ref, "MICROPAY", amount, [])
        )

    def voucherUpdate(self, end_user: str, voucher: str, voucher_pin: str, ref: str) -> Outcome:
        return self._outcome(
            lambda: self.account.voucherUpdate(end_user, "", ref, voucher, voucher_pin)
        )

    def resumeAccount(self, end_user: str, pin: str) -> Outcome:
        return self._outcome(lambda: self.account.resumeAccount(end_user, pin))
