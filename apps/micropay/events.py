"""What reaches the application's callbacks, kept durably and acted on once.

Charging events (``IpAppAccountManager.reportNotification``) and subscriber SMS
(``SmsNotification.notifySmsReception``) arrive at least once. The callback only records them
(de-duplicated on the event id, or on sender, time and text) and returns; one worker thread
then acts on each recorded item in order and marks it done, so a redelivery is never acted on
twice and an item received just before a crash is acted on after the restart.

Acting on a charging event: the P_AM_CHARGING of an order's own referenceCode completes the
procedure -- it names the account's MSISDN, the amount and the balance after, so the worker
sends the payment-details SMS, and the balance SMS when the balance is now under the account's
threshold (``procedure.balance_fell_under``). Other events are shown on the operator view.
Acting on an SMS: ``sms_commands.answer``.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from apps.micropay.checkout import order_of_reference
from apps.micropay.notices import Notices
from apps.micropay.ports import ChargingEvent, InboundSms
from apps.micropay.procedure import IN_FLIGHT, Event, State, balance_fell_under
from apps.micropay.sms_commands import SmsCommands
from apps.micropay.store import Store, now_text

logger = logging.getLogger("micropay.shop.events")

WORKER_IDLE_WAIT_S = 1.0  # the worker also wakes on every new item
WORKER_RETRY_WAIT_S = 2.0  # after an item could not be acted on (gateway down)


class Inbox:
    """The callbacks' side (``record``) and the worker that acts (``start``/``stop``)."""

    def __init__(
        self, store: Store, notices: Notices, commands: SmsCommands, timezone: str = "Asia/Seoul"
    ) -> None:
        self.store = store
        self.notices = notices
        self.commands = commands
        self.zone = ZoneInfo(timezone)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the callbacks' side: record, wake the worker, return -----------------------------------
    def charging_event(self, event: ChargingEvent) -> None:
        if self.store.record_event(event):
            self._wake.set()

    def sms(self, message: InboundSms) -> None:
        key = f"{message.sender}|{message.date_time}|{message.message}"
        if self.store.record_inbound(message, key):
            self._wake.set()

    # -- the worker -----------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="shop-inbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(WORKER_IDLE_WAIT_S)
            self._wake.clear()
            try:
                done = self.drain()
            except Exception:
                logger.exception("acting on received events failed")
                done = False
            if not done:
                self._stop.wait(WORKER_RETRY_WAIT_S)

    def drain(self) -> bool:
        """Act on everything recorded and not yet acted on; False if something must wait."""
        for row in self.store.events(pending=True, limit=100):
            action = self._act_on_event(row)
            if action is None:
                return False
            self.store.event_acted(row["event_id"], action)
        for row in self.store.inbound(pending=True, limit=100):
            reply = self.commands.answer(row["sender"], row["message"])
            if reply is None:
                return False
            self.store.inbound_acted(row["sms_key"], reply)
        return True

    def _act_on_event(self, row: dict) -> str | None:
        """What was done about one event ("" = only shown); None = try again later."""
        if row["name"] != "P_AM_CHARGING":
            return "shown"
        order_id = order_of_reference(row["reference_code"])
        order = self.store.order(order_id) if order_id else None
        if order is None:
            return "shown"
        if order.status in IN_FLIGHT:  # the event overtook the gateway's answer to us
            self.store.move(order.order_id, Event.CHARGED, order.status, paid_at=now_text())
        order = self.store.order(order.order_id)
        assert order is not None
        if order.status is not State.CHARGED:
            return "already notified"
        currency = row["currency"] or order.currency
        balance = Decimal(row["balance"]) if row["balance"] else None
        amount = Decimal(row["amount"]) if row["amount"] else Decimal(order.amount)
        address = row["end_user"]
        self.store.annotate(order.order_id, msisdn=address, balance_after=row["balance"])
        text = self.notices.payment_details(
            address, amount, currency, balance, self._local(row["event_time"])
        )
        if text is None:
            return None
        threshold = Decimal(order.low_balance_threshold) if order.low_balance_threshold else None
        sent = [text]
        if balance_fell_under(threshold, balance):
            low = self.notices.low_balance(address, balance, currency)
            if low is not None:
                sent.append(low)
        self.store.move(order.order_id, Event.NOTIFY, State.CHARGED, sms_text="\n".join(sent))
        return f"payment SMS to {address}" + (" + low balance SMS" if len(sent) > 1 else "")

    def _local(self, event_time: str) -> str:
        try:
            moment = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
        except ValueError:
            return event_time
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
