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
