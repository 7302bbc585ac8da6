"""Over gRPC the gateway cannot call the shop back: charging events and subscriber SMS come as
server streams (``StreamChargingEvents``, ``StreamSmsReceptions``) that the shop follows.

One thread per stream hands each item to the :class:`~apps.micropay.events.Inbox` (which records
it durably, de-duplicated) and only then stores the item's cursor in the shop's database; after
a disconnect, a gateway restart or a revoked token it follows again from the stored cursor, so
nothing is lost and a repeated item is dropped by the inbox. Streams are opened with a deadline
(``STREAM_DEADLINE_S``) and simply followed again when it passes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

import grpc
from micropay.v1 import account_pb2, sms_pb2

from apps.micropay.events import Inbox
from apps.micropay.grpc_transport import GrpcGateway, decimal_of, time_text
from apps.micropay.ports import ChargingEvent, GatewayUnavailable, InboundSms
from apps.micropay.store import Store

logger = logging.getLogger("micropay.shop.grpc")

STREAM_DEADLINE_S = 300
RETRY_S_MIN = 0.2
RETRY_S_MAX = 10.0


def charging_event(item: Any) -> ChargingEvent:
    e = item.charging_event_info
    return ChargingEvent(
        event_id=e.event_id,
        name=account_pb2.ChargingEventName.Name(e.charging_event_name),
        end_user=e.end_user_identifier,
        currency=e.current_balance.currency_code,
        balance=decimal_of(e, "current_balance"),
        amount=decimal_of(e, "event_amount"),
        event_time=time_text(e, "charging_event_time"),
        reference_code=e.reference_code,
        additional_info=e.additional_info,
        assignment_id=int(item.assignment_id),
    )


def inbound_sms(item: Any) -> InboundSms:
    m = item.message
    return InboundSms(
        sender=m.sender_address,
        activation_number=m.sms_service_activation_number,
        message=m.message,
        date_time=time_text(m, "date_time"),
        correlator=item.correlator,
    )


class StreamFollower:
    """Follows one stream into the inbox from the cursor kept under ``cursor_key``."""

    def __init__(
        self,
        name: str,
        gateway: GrpcGateway,
        store: Store,
        open_stream: Callable[[Any, str], Iterable[Any]],
        deliver: Callable[[Any], None],
    ) -> None:
        self.name = name
        self.gateway = gateway
        self.store = store
        self.open_stream = open_stream
        self.deliver = deliver
        self.cursor_key = f"grpc.{name}.cursor"
        self._stop = threading.Event()
        self._call: Any = None
        self._thread = threading.Thread(target=self._run, name=f"shop-stream-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        call = self._call
        if call is not None:
            call.cancel()
        self._thread.join(10)

    def _run(self) -> None:
        wait = RETRY_S_MIN
        while not self._stop.is_set():
            try:
                stubs = self.gateway.stubs()
                cursor = self.store.setting(self.cursor_key) or ""
                self._call = self.open_stream(stubs, cursor)
                for item in self._call:
                    self.deliver(item)
                    self.store.set_setting(self.cursor_key, item.cursor)
                    wait = RETRY_S_MIN
            except GatewayUnavailable as exc:
                logger.warning("stream %s: %s", self.name, exc)
            except grpc.RpcError as exc:
                code = exc.code()  # type: ignore[attr-defined]
                if code == grpc.StatusCode.UNAUTHENTICATED:  # revoked: a new session
                    self.gateway.drop()
                elif code == grpc.StatusCode.INVALID_ARGUMENT:  # the gateway forgot our cursor
                    logger.warning(
                        "stream %s: cursor refused; following from the oldest", self.name
                    )
                    self.store.set_setting(self.cursor_key, None)
                elif code not in (grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED):
                    logger.warning("stream %s ended: %s", self.name, code.name)
            self._call = None
            if self._stop.wait(wait):
                return
            wait = min(wait * 2, RETRY_S_MAX)


def follow_streams(
    gateway: GrpcGateway, store: Store, inbox: Inbox, assignment: int, correlator: str
) -> list[StreamFollower]:
    def events(stubs: Any, cursor: str) -> Iterable[Any]:
        request = account_pb2.StreamChargingEventsRequest(
            after_cursor=cursor, assignment_ids=[assignment]
        )
        return stubs.account.StreamChargingEvents(request, timeout=STREAM_DEADLINE_S)

    def receptions(stubs: Any, cursor: str) -> Iterable[Any]:
        request = sms_pb2.StreamSmsReceptionsRequest(after_cursor=cursor, correlators=[correlator])
        return stubs.sms.StreamSmsReceptions(request, timeout=STREAM_DEADLINE_S)

    followers = [
        StreamFollower(
            "events", gateway, store, events, lambda i: inbox.charging_event(charging_event(i))
        ),
        StreamFollower("sms", gateway, store, receptions, lambda i: inbox.sms(inbound_sms(i))),
    ]
    for follower in followers:
        follower.start()
    return followers
