"""SMS notifications as resumable streams, read from the SMS SCF's durable event outbox.

``StartSmsNotification`` and ``SendSms(receipt_correlator=...)`` over gRPC register the
notification with the endpoint :data:`GRPC_ENDPOINT`. The SMS service then writes each MO
message and each final delivery receipt into ``sms_event`` in the transaction that caused it
(its outbox, ``scf.sms.events``), exactly as for a CORBA application; the streams read that
table in ``event_id`` order and the cursor is the ``event_id``.

Ids are handed out at insert, not at commit, so on PostgreSQL a row with a lower id can commit
after a higher one. A reader that sees a hole in the ids therefore waits for it
(``stream_gap_wait_s``) before going past it -- a rolled-back insert leaves a hole for ever.

The SMS notification dispatcher must not try to call ``grpc:`` endpoints:
:func:`grpc_aware_resolver` wraps its resolver so it takes them as delivered (the stream is
their delivery) and passes every other endpoint on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shim import cursors, limits

GRPC_ENDPOINT = "grpc:stream"
GRPC_INTERFACE = "SmsNotification"
RECEIPT, RECEPTION = "receipt", "reception"
CURSOR_KINDS = {RECEIPT: "dr1", RECEPTION: "mo1"}


class _StreamTakesIt:
    """What the dispatcher calls for a ``grpc:`` endpoint: the stream reads the outbox itself."""

    def notifySmsReception(self, correlator: str, message: Any) -> None:
        return None

    def notifySmsDeliveryReceipt(self, correlator: str, deliveryStatus: Any) -> None:
        return None


def grpc_aware_resolver(inner: Any) -> Any:
    taken = _StreamTakesIt()

    def resolve(endpoint: str) -> Any:
        return taken if endpoint == GRPC_ENDPOINT else inner(endpoint)

    resolve.grpc_aware = True  # type: ignore[attr-defined]
    return resolve


def newest_event_id(db: Any) -> int:
    """The highest id in the SMS event outbox (0 when empty)."""
    with db.transaction(write=False) as tx:
        row = tx.one("SELECT COALESCE(MAX(event_id), 0) FROM sms_event")
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class SmsEvent:
    event_id: int
    correlator: str
    payload: dict[str, Any]


@dataclass
class SmsEventReader:
    """One stream's position in ``sms_event``: (app, kind, correlators) after an event id."""

    db: Any
    app_id: str
    kind: str
    correlators: frozenset[str]
    position: int = 0
    newest: Callable[[], int] | None = None  # the outbox's newest event id (a Watermark)
    _hole_since: tuple[int, float] | None = field(default=None, repr=False)

    def start(self, after_cursor: str) -> None:
        found = cursors.decode(CURSOR_KINDS[self.kind], after_cursor, 1)
        if found is not None:
            cursors.beyond(found[0], newest_event_id(self.db))
            self.position = found[0]

    def cursor(self, event: SmsEvent) -> str:
        return cursors.encode(CURSOR_KINDS[self.kind], event.event_id)

    def read(self) -> list[SmsEvent]:
        """The next items for this stream; the position moves past every id read."""
        if self.newest is not None and self.newest() <= self.position:
            return []  # nothing new in the outbox: no query of this stream's own
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT event_id, app_id, kind, endpoint, correlator, payload FROM sms_event"
                " WHERE event_id > ? ORDER BY event_id LIMIT ?",
                (self.position, limits.stream_batch_max),
            )
        found: list[SmsEvent] = []
        for event_id, app_id, kind, endpoint, correlator, payload in rows:
            if event_id != self.position + 1 and not self._hole_passed(self.position + 1):
                break
            self.position = int(event_id)
            if (
                app_id == self.app_id
                and kind == self.kind
                and endpoint == GRPC_ENDPOINT
                and (not self.correlators or correlator in self.correlators)
            ):
                found.append(SmsEvent(int(event_id), correlator, json.loads(payload)))
        return found

    def _hole_passed(self, missing_id: int) -> bool:
        now = time.monotonic()
        if self._hole_since is None or self._hole_since[0] != missing_id:
            self._hole_since = (missing_id, now)
        return now - self._hole_since[1] >= limits.stream_gap_wait_s
