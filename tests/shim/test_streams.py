"""Server streams resume from a cursor after a disconnect: charging events (ledger outbox), SMS
delivery receipts and inbound SMS (SMS event outbox); they end when the token is revoked or the
deadline passes, and refuse a cursor they never handed out."""

from __future__ import annotations

import threading

import grpc
import pytest
from micropay.v1 import account_pb2, account_pb2_grpc, payment_pb2, sms_pb2
from org.csapi.parlayx import common

from tests.shim.harness import ShimGateway
from tests.shim.messages import charge

WAIT_S = 20
ACTIVATION = "short:1555"  # the gateway's default sms.short_code


def take(stream, count: int) -> list:  # noqa: ANN001
    """The first ``count`` items of a stream, then hang up (the disconnect)."""
    items = []
    for item in stream:
        items.append(item)
        if len(items) == count:
            break
    stream.cancel()
    return items


def test_charging_events_resume_after_a_disconnect(shim: ShimGateway) -> None:
    app = shim.register("stream-charging")
    _, msisdn = shim.new_account(balance_minor=100_000)
    corba = shim.connect_corba(app)
    try:
        with shim.connect(app) as session:
            account = session.obtain_service("P_ACCOUNT_MANAGEMENT")
            payment = session.obtain_service("P_PAYMENT")
            criteria = account_pb2.ChargingEventCriteria(
                charging_events=[account_pb2.P_AM_CHARGING], users=[msisdn]
            )
            first = account.CreateNotification(
                account_pb2.CreateNotificationRequest(charging_event_criteria=criteria)
            ).assignment_id
            second = account.CreateNotification(
                account_pb2.CreateNotificationRequest(charging_event_criteria=criteria)
            ).assignment_id
            for n in (1, 2):
                payment.ChargeAmount(
                    payment_pb2.ChargeAmountRequest(
                        end_user_identifier=msisdn, charge=charge(100 * n), reference_code=f"e{n}"
                    )
                )
            manager = corba.obtain_service("P_PAYMENT")  # a charge over CORBA streams too
            manager.chargeAmount(msisdn, common.ChargingInformation("d", "KRW", "300", ""), "e3")

            def stream(after: str = "") -> grpc.Call:
                return account.StreamChargingEvents(
                    account_pb2.StreamChargingEventsRequest(after_cursor=after), timeout=WAIT_S
                )

            everything = take(stream(), 6)
            seen = [
                (e.assignment_id, e.charging_event_info.event_amount.amount_minor)
                for e in everything
            ]
            ids = sorted((first, second))
            assert seen == [(a, amount) for amount in (100, 200, 300) for a in ids]
            info = everything[0].charging_event_info
            assert info.charging_event_name == account_pb2.P_AM_CHARGING
            assert info.reference_code == "e1" and info.end_user_identifier == msisdn
            assert everything[-1].charging_event_info.reference_code == "e3"

            # disconnect between the two assignments of one event: neither is lost or repeated
            resumed = take(stream(everything[2].cursor), 3)
            assert [e.cursor for e in resumed] == [e.cursor for e in everything[3:6]]
            only = account.StreamChargingEvents(
                account_pb2.StreamChargingEventsRequest(
                    after_cursor=everything[1].cursor, assignment_ids=[second]
                ),
                timeout=WAIT_S,
            )
            assert [e.assignment_id for e in take(only, 2)] == [second, second]

            with pytest.raises(grpc.RpcError) as caught:
                take(stream("ce1.99999999.1"), 1)
            assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        corba.terminate()


def test_inbound_sms_and_receipts_resume_after_a_disconnect(shim: ShimGateway) -> None:
    app = shim.register("stream-sms")
    _, msisdn = shim.new_account()
    with shim.connect(app) as session:
        sms = session.obtain_service("P_SMS")
        sms.StartSmsNotification(
            sms_pb2.StartSmsNotificationRequest(
                correlator="mo-1", sms_service_activation_number=ACTIVATION, criteria="PAY"
            )
        )
        for text in ("PAY 1", "PAY 2"):
            done = shim.gateway.cli("sms", "mo", msisdn, ACTIVATION, text)
            assert done.returncode == 0, done.stderr

        def receptions(after: str = "") -> grpc.Call:
            return sms.StreamSmsReceptions(
                sms_pb2.StreamSmsReceptionsRequest(after_cursor=after), timeout=WAIT_S
            )

        (one,) = take(receptions(), 1)
        assert (one.correlator, one.message.message) == ("mo-1", "PAY 1")
        assert one.message.sender_address == msisdn
        assert one.message.sms_service_activation_number == ACTIVATION
        (two,) = take(receptions(one.cursor), 1)
        assert two.message.message == "PAY 2"

        for n in (1, 2):
            sms.SendSms(
                sms_pb2.SendSmsRequest(
                    addresses=[msisdn], message=f"receipt {n}", receipt_correlator=f"dr-{n}"
                )
            )

        def receipts(after: str = "") -> grpc.Call:
            return sms.StreamDeliveryReceipts(
                sms_pb2.StreamDeliveryReceiptsRequest(after_cursor=after), timeout=WAIT_S
            )

        first = take(receipts(), 1)[0]
        rest = take(receipts(first.cursor), 1)[0]
        assert {first.correlator, rest.correlator} == {"dr-1", "dr-2"}
        assert rest.delivery_status.delivery_status == sms_pb2.DELIVERED_TO_TERMINAL

        with pytest.raises(grpc.RpcError) as caught:
            take(receipts("mo1.1"), 1)  # another stream's cursor
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_stream_ends_when_its_agreement_ends_and_at_its_deadline(shim: ShimGateway) -> None:
    app = shim.register("stream-end")
    with shim.connect(app) as session:
        account = session.obtain_service("P_ACCOUNT_MANAGEMENT")
        request = account_pb2.StreamChargingEventsRequest()
        with pytest.raises(grpc.RpcError) as caught:
            list(account.StreamChargingEvents(request, timeout=1.0))
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED

        stream = account.StreamChargingEvents(request, timeout=WAIT_S)
        outcome: list[grpc.StatusCode] = []

        def drain() -> None:
            try:
                list(stream)
            except grpc.RpcError as err:
                outcome.append(err.code())

        reader = threading.Thread(target=drain)
        reader.start()
        token = next(iter(session.agreements))
        session.terminate_agreement(token)
        reader.join(WAIT_S)
        assert outcome == [grpc.StatusCode.UNAUTHENTICATED]


def test_charging_events_resume_across_a_gateway_restart(tmp_path) -> None:  # noqa: ANN001
    """The outbox is durable and the cursor is the client's: the application ended its access
    (its tokens with it), the gateway restarted, and after a new handshake the stream continues
    after the last cursor the application processed."""
    first = ShimGateway.start(tmp_path)
    try:
        app = first.register("stream-restart")
        _, msisdn = first.new_account(balance_minor=100_000)
        with first.connect(app) as session:
            account = session.obtain_service("P_ACCOUNT_MANAGEMENT")
            payment = session.obtain_service("P_PAYMENT")
            criteria = account_pb2.ChargingEventCriteria(
                charging_events=[account_pb2.P_AM_CHARGING], users=[msisdn]
            )
            account.CreateNotification(
                account_pb2.CreateNotificationRequest(charging_event_criteria=criteria)
            )
            for n in (1, 2):
                payment.ChargeAmount(
                    payment_pb2.ChargeAmountRequest(
                        end_user_identifier=msisdn, charge=charge(n), reference_code=f"r{n}"
                    )
                )
            (seen,) = take(
                account.StreamChargingEvents(
                    account_pb2.StreamChargingEventsRequest(), timeout=WAIT_S
                ),
                1,
            )
            old_token = account.token
    finally:
        first.stop()
    second = ShimGateway.start(tmp_path)
    try:
        with second.connect(app) as session, second.channel() as channel:
            with pytest.raises(grpc.RpcError) as caught:
                account_pb2_grpc.AccountServiceStub(channel).GetBalance(
                    account_pb2.GetBalanceRequest(end_user_identifier=msisdn),
                    metadata=[("authorization", f"Bearer {old_token}")],
                    timeout=WAIT_S,
                )
            assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
            account = session.obtain_service("P_ACCOUNT_MANAGEMENT")
            payment = session.obtain_service("P_PAYMENT")
            payment.ChargeAmount(
                payment_pb2.ChargeAmountRequest(
                    end_user_identifier=msisdn, charge=charge(3), reference_code="r3"
                )
            )
            rest = take(
                account.StreamChargingEvents(
                    account_pb2.StreamChargingEventsRequest(after_cursor=seen.cursor),
                    timeout=WAIT_S,
                ),
                2,
            )
        amounts = [e.charging_event_info.event_amount.amount_minor for e in rest]
        assert (seen.charging_event_info.event_amount.amount_minor, amounts) == (1, [2, 3])
    finally:
        second.stop()
