"""One behaviour, two surfaces: a payment made over CORBA is seen over gRPC and the other way
round, and a referenceCode is one key across both (a retry on the other surface is the same
charge)."""

from __future__ import annotations

from micropay.v1 import account_pb2, payment_pb2
from org.csapi.parlayx import common

from client.grpc_errors import GrpcFault
from tests.shim.harness import ShimGateway
from tests.shim.messages import charge


def test_payments_are_seen_across_surfaces(shim: ShimGateway) -> None:
    app = shim.register("cross-app")
    number, msisdn = shim.new_account(balance_minor=10_000)
    corba = shim.connect_corba(app)
    try:
        with shim.connect(app) as session:
            payment = session.obtain_service("P_PAYMENT")
            account = session.obtain_service("P_ACCOUNT_MANAGEMENT")
            corba_payment = corba.obtain_service("P_PAYMENT")
            corba_account = corba.obtain_service("P_ACCOUNT_MANAGEMENT")

            corba_payment.chargeAmount(
                msisdn, common.ChargingInformation("by CORBA", "KRW", "1000", ""), "cross-1"
            )
            balance = account.GetBalance(account_pb2.GetBalanceRequest(end_user_identifier=msisdn))
            assert balance.result[0].amount.amount_minor == 9000
            history = account.GetHistory(account_pb2.GetHistoryRequest(end_user_identifier=msisdn))
            assert "ref cross-1" in history.result[0].transaction_details

            payment.ChargeAmount(
                payment_pb2.ChargeAmountRequest(
                    end_user_identifier=msisdn,
                    charge=charge(500, description="by gRPC"),
                    reference_code="cross-2",
                )
            )
            (corba_balance,) = corba_account.getBalance(msisdn, "")
            assert corba_balance.amount == "8500"
            details = corba_account.getHistory(msisdn, "", "", [])[0].transactionDetails
            assert "by gRPC" in details and "ref cross-2" in details

            # the same referenceCode is the same request on either surface
            payment.ChargeAmount(
                payment_pb2.ChargeAmountRequest(
                    end_user_identifier=msisdn,
                    charge=charge(1000, description="by CORBA"),
                    reference_code="cross-1",
                )
            )
            assert shim.ledger.get_account(number).balance_minor == 8500
            try:
                payment.ChargeAmount(
                    payment_pb2.ChargeAmountRequest(
                        end_user_identifier=msisdn, charge=charge(999), reference_code="cross-1"
                    )
                )
            except GrpcFault as fault:
                assert fault.message_id == "SVC1102"
            else:
                raise AssertionError("a reused referenceCode with other content was accepted")
    finally:
        corba.terminate()


def test_national_numbers_name_the_same_subscriber_on_both_surfaces(shim: ShimGateway) -> None:
    """tel:010-... (read in numbers.default_region, KR) is the account opened under tel:+8210...;
    an SMS to it is one address in E.164; a number that is no valid number is SVC0002."""
    from micropay.v1 import sms_pb2

    app = shim.register("national-app")
    _, msisdn = shim.new_account(balance_minor=7_000)
    national = "tel:0" + msisdn.removeprefix("tel:+82")  # tel:010...
    corba = shim.connect_corba(app)
    try:
        with shim.connect(app) as session:
            account = session.obtain_service("P_ACCOUNT_MANAGEMENT")
            balance = account.GetBalance(
                account_pb2.GetBalanceRequest(end_user_identifier=national)
            )
            assert balance.result[0].amount.amount_minor == 7_000
            (corba_balance,) = corba.obtain_service("P_ACCOUNT_MANAGEMENT").getBalance(
                national[:7] + "-" + national[7:], ""
            )
            assert corba_balance.amount == "7000"
            sms = session.obtain_service("P_SMS")
            rid = sms.SendSms(
                sms_pb2.SendSmsRequest(addresses=[national, msisdn], message="hi")
            ).request_identifier
            status = sms.GetSmsDeliveryStatus(
                sms_pb2.GetSmsDeliveryStatusRequest(request_identifier=rid)
            )
            assert [d.address for d in status.result] == [msisdn]
            try:
                account.GetBalance(account_pb2.GetBalanceRequest(end_user_identifier="tel:0101234"))
            except GrpcFault as fault:
                assert (fault.message_id, fault.variables) == (
                    "SVC0002",
                    {"part": "endUserIdentifier"},
                )
            else:
                raise AssertionError("an invalid national number was accepted")
    finally:
        corba.terminate()
