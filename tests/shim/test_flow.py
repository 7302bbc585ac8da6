"""The micro-payment procedure over gRPC, end to end through a real gateway over TLS:
handshake -> account status -> charge -> balance -> SMS (delivered by the embedded SMSC, its
receipt on the stream), with the agreements in the framework's store."""

from __future__ import annotations

import json
import time

import grpc
import pytest
from micropay.v1 import account_pb2, common_pb2, payment_pb2, sms_pb2

from client.grpc_errors import GrpcFault
from scf.payment.tariff import TariffStore
from smsc.credentials import smsc_data_dir
from smsc.store import read_inbox
from tests.shim.harness import ShimGateway
from tests.shim.messages import charge

WAIT_S = 20


def wait_for(predicate, timeout_s: float = WAIT_S):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def test_micro_payment_procedure(shim: ShimGateway) -> None:
    app = shim.register("flow-app")
    _, msisdn = shim.new_account(balance_minor=10_000, low_balance_minor=9_000)
    with shim.connect(app) as session:
        assert session.signing_algorithm == "P_SHA256_RSA_2048"
        account = session.obtain_service("P_ACCOUNT_MANAGEMENT")
        payment = session.obtain_service("P_PAYMENT")
        sms = session.obtain_service("P_SMS")

        # Idle -> the user enters the account -> is it usable?
        status = account.GetAccountStatus(
            account_pb2.GetAccountStatusRequest(end_user_identifier=msisdn)
        )
        assert status.registered and status.state == account_pb2.ACTIVE
        assert status.remaining_headroom.amount_minor == 10_000
        assert status.balance.currency_code == "KRW" and status.balance.exponent == 0

        # -> charge it (a retry with the same reference_code changes nothing)
        request = payment_pb2.ChargeAmountRequest(
            end_user_identifier=msisdn, charge=charge(1500), reference_code="order-1"
        )
        payment.ChargeAmount(request)
        payment.ChargeAmount(request)

        balance = account.GetBalance(account_pb2.GetBalanceRequest(end_user_identifier=msisdn))
        assert [(b.balance_type, b.amount.amount_minor) for b in balance.result] == [
            ("MICROPAY", 8500)
        ]

        # -> the payment details by SMS, with a delivery receipt on the stream
        sent = sms.SendSms(
            sms_pb2.SendSmsRequest(
                addresses=[msisdn], message="Paid 1500 KRW for Song 42", receipt_correlator="r-1"
            )
        )
        inbox = smsc_data_dir(shim.gateway.data_dir)
        delivered = wait_for(lambda: read_inbox(inbox, msisdn))
        assert delivered[0]["text"] == "Paid 1500 KRW for Song 42"
        receipts = sms.StreamDeliveryReceipts(
            sms_pb2.StreamDeliveryReceiptsRequest(correlators=["r-1"]), timeout=WAIT_S
        )
        receipt = next(iter(receipts))
        receipts.cancel()
        assert receipt.correlator == "r-1"
        assert receipt.delivery_status.address == msisdn
        assert receipt.delivery_status.delivery_status == sms_pb2.DELIVERED_TO_TERMINAL
        status_now = sms.GetSmsDeliveryStatus(
            sms_pb2.GetSmsDeliveryStatusRequest(request_identifier=sent.request_identifier)
        )
        assert [d.delivery_status for d in status_now.result] == [sms_pb2.DELIVERED_TO_TERMINAL]

        # the agreements are the framework's: `micropay agreement list` shows them
        listed = json.loads(shim.gateway.cli("--json", "agreement", "list").stdout)
        mine = {a["service_type"] for a in listed if a["app_id"] == "flow-app"}
        assert mine == {"P_PAYMENT", "P_ACCOUNT_MANAGEMENT", "P_SMS"}
        assert all(a["state"] == "in_force" for a in listed if a["app_id"] == "flow-app")
    listed = json.loads(shim.gateway.cli("--json", "agreement", "list").stdout)
    assert {a["state"] for a in listed if a["app_id"] == "flow-app"} == {"ended"}


def test_unregistered_account_is_an_answer_and_a_charge_is_pol1009(shim: ShimGateway) -> None:
    app = shim.register("flow-unregistered")
    with shim.connect(app) as session:
        account = session.obtain_service("P_ACCOUNT_MANAGEMENT")
        status = account.GetAccountStatus(
            account_pb2.GetAccountStatusRequest(end_user_identifier="tel:+821099999999")
        )
        assert not status.registered and status.state == account_pb2.UNREGISTERED
        payment = session.obtain_service("P_PAYMENT")
        with pytest.raises(GrpcFault) as caught:
            payment.ChargeAmount(
                payment_pb2.ChargeAmountRequest(
                    end_user_identifier="tel:+821099999999", charge=charge(100), reference_code="u"
                )
            )
        assert caught.value.code == grpc.StatusCode.NOT_FOUND
        assert caught.value.message_id == "POL1009"


def test_reservation_and_volume_over_grpc(shim: ShimGateway) -> None:
    app = shim.register("flow-reserve")
    number, msisdn = shim.new_account(balance_minor=10_000)
    with shim.connect(app) as session:
        payment = session.obtain_service("P_PAYMENT")
        reserved = payment.ReserveAmount(
            payment_pb2.ReserveAmountRequest(end_user_identifier=msisdn, charge=charge(3000))
        )
        payment.ChargeReservation(
            payment_pb2.ChargeReservationRequest(
                reservation_identifier=reserved.reservation_identifier,
                charge=charge(1000),
                reference_code="res-1",
            )
        )
        payment.ReleaseReservation(
            payment_pb2.ReleaseReservationRequest(
                reservation_identifier=reserved.reservation_identifier
            )
        )
        assert shim.ledger.get_account(number).balance_minor == 9000
        TariffStore(shim.ledger.db).set("grpc-test", "KRW", 30, per_units=1)
        price = payment.GetAmount(
            payment_pb2.GetAmountRequest(
                end_user_identifier=msisdn,
                volume=5,
                parameters=[common_pb2.Property(name="tariff", value="grpc-test")],
            )
        )
        assert (price.amount.amount_minor, price.amount.currency_code) == (150, "KRW")
