"""Delivers the notification outbox to applications, at least once, with retries and back-off.

The dispatcher thread claims due events (which pushes their next attempt a lease ahead, so an
event a crash interrupted is tried again), resolves the endpoint to an
:class:`scf.sms.model.SmsNotification` and calls ``notifySmsReception`` or
``notifySmsDeliveryReceipt``. A raised exception schedules a retry after a delay that doubles
from ``NOTIFY_RETRY_MS_MIN`` to ``NOTIFY_RETRY_MS_MAX``; after ``NOTIFY_ATTEMPTS_MAX`` attempts
the event is kept as ``dead`` (visible to operators) and no longer tried.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from scf.sms import events
from scf.sms.model import (
    DeliveryInformation,
    DeliveryStatus,
    NotificationResolver,
    SmsMessage,
)
from storage import Database

logger = logging.getLogger("micropay.sms.notifications")

NOTIFY_RETRY_MS_MIN = 200
NOTIFY_RETRY_MS_MAX = 60_000
NOTIFY_ATTEMPTS_MAX = 20
NOTIFY_LEASE_MS = 30_000
NOTIFY_BATCH_MAX = 64
NOTIFY_POLL_INTERVAL_MS = 500


def deliver(resolver: NotificationResolver, event: events.Event) -> None:
    """Call the application for one event (raises whatever the call raises)."""
    target = resolver(event.endpoint)
    p = event.payload
    if event.kind == "receipt":
        target.notifySmsDeliveryReceipt(
            event.correlator, DeliveryInformation(p["address"], DeliveryStatus(p["deliveryStatus"]))
        )
    elif event.kind == "reception":
        when = datetime.fromisoformat(p["dateTime"]) if p.get("dateTime") else None
        target.notifySmsReception(
            event.correlator,
            SmsMessage(p["message"], p["senderAddress"], p["smsServiceActivationNumber"], when),
        )
    else:
        raise AssertionError(f"unknown event kind {event.kind}")


def retry_delay_ms(attempts: int) -> int:
    return min(NOTIFY_RETRY_MS_MIN * 2 ** max(attempts - 1, 0), NOTIFY_RETRY_MS_MAX)


class NotificationDispatcher:
    def __init__(self, db: Database, resolver: NotificationResolver) -> None:
        self.db = db
        self.resolver = resolver
        self.stats = {"delivered": 0, "failed_attempts": 0, "dead": 0}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sms-notify", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout_s: int = 10) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def run_once(self) -> int:
        """Deliver what is due now; return how many events were attempted."""
        with self.db.transaction() as tx:
            due = events.claim_events(tx, NOTIFY_BATCH_MAX, NOTIFY_LEASE_MS)
        for event in due:
            try:
                deliver(self.resolver, event)
            except Exception as exc:  # the application's failure, whatever it is
                dead = event.attempts >= NOTIFY_ATTEMPTS_MAX
                self.stats["dead" if dead else "failed_attempts"] += 1
                logger.warning(
                    "notification %s to %s failed (attempt %d): %s",
                    event.kind,
                    event.endpoint,
                    event.attempts,
                    exc,
                )
                with self.db.transaction() as tx:
                    events.mark_retry(
                        tx, event.event_id, retry_delay_ms(event.attempts), repr(exc), dead
                    )
            else:
                self.stats["delivered"] += 1
                with self.db.transaction() as tx:
                    events.mark_delivered(tx, event.event_id)
        return len(due)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                attempted = self.run_once()
            except Exception:
                logger.exception("notification dispatcher pass failed")
                attempted = 0
            if attempted < NOTIFY_BATCH_MAX:
                self._wake.wait(NOTIFY_POLL_INTERVAL_MS / 1000)
                self._wake.clear()
