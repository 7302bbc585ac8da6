"""Delivers the CloudEvents outbox (``camara_events``) to the clients' sinks: at least once, in
order per sink, with back-off; a sink that fails never holds up charging or other sinks.

One thread reads the pending events in sequence order. An event goes out as an HTTPS POST of
``application/cloudevents+json`` (with ``Authorization: Bearer`` when the client gave an access
token credential); any 2xx takes it. A sink that fails (connection, timeout, another status)
has that event retried after ``retry_ms_min``, doubling up to ``retry_ms_max``, and its later
events wait behind it, so each sink receives its events in order; after ``attempts_max``
failures, or at once on ``410 Gone`` (the sink says it is no longer there), the event is given
up (state ``failed``, the reason kept) and the next one goes. Receivers de-duplicate on the
event ``id``: a crash between a delivery and its record sends it again.

Several gateways on one database: only the holder of the ``camara-sinks`` leadership delivers
(:class:`storage.cluster.Leadership`), as with the charging events.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from camara import store
from storage import Database

log = logging.getLogger("micropay.camara.sinks")

POLL_INTERVAL_MS = 100
BATCH_MAX = 200
CONTENT_TYPE = "application/cloudevents+json"


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class SinkPolicy:
    timeout_ms: int = 5000
    retry_ms_min: int = 500
    retry_ms_max: int = 60_000
    attempts_max: int = 20
    ca_file: str = ""  # extra CA certificates to trust (besides the system's)


def tls_context(ca_file: str) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


class SinkDispatcher:
    def __init__(
        self,
        db: Database,
        policy: SinkPolicy,
        *,
        leadership: Any = None,
        clock: Callable[[], int] = wall_ms,
    ) -> None:
        self.db, self.policy, self.leadership, self.clock = db, policy, leadership, clock
        self.client = httpx.Client(
            verify=tls_context(policy.ca_file),
            timeout=policy.timeout_ms / 1000,
            follow_redirects=False,
        )
        self.delivered = 0
        self.failed = 0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camara-sinks", daemon=True)

    def start(self) -> SinkDispatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(self.policy.timeout_ms / 1000 + 5)
        self.client.close()
        if self.leadership is not None:
            self.leadership.release()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.leadership is not None and not self.leadership.held():
                self._stop.wait(self.leadership.retry_ms / 1000)
                continue
            try:
                busy = self.run_once()
            except Exception:  # the database is away, say: the next round tries again
                log.exception("sink round failed")
                busy = False
            if not busy:
                self._wake.wait(POLL_INTERVAL_MS / 1000)
                self._wake.clear()

    def run_once(self) -> bool:
        """One pass over the pending events; True when a full batch was read."""
        events = store.pending_events(self.db, BATCH_MAX)
        blocked: set[str] = set()
        for event in events:
            if self._stop.is_set():
                break
            if event.sink in blocked:
                continue  # an earlier event of this sink waits: keep the order
            if event.next_attempt_ms > self.clock():
                blocked.add(event.sink)
                continue
            if not self._deliver(event):
                blocked.add(event.sink)
        return len(events) == BATCH_MAX

    def _deliver(self, event: store.OutboxEvent) -> bool:
        """True when the sink's next event may go (this one is delivered or given up)."""
        headers = {"content-type": CONTENT_TYPE}
        if event.access_token:
            headers["authorization"] = f"Bearer {event.access_token}"
        try:
            response = self.client.post(event.sink, content=event.body.encode(), headers=headers)
            status = response.status_code
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except httpx.HTTPError as exc:
            status, error = 0, type(exc).__name__
        if error is None:
            store.event_done(self.db, event.seq, "delivered")
            self.delivered += 1
            return True
        attempts = event.attempts + 1
        if status == 410 or attempts >= self.policy.attempts_max:
            store.event_done(self.db, event.seq, "failed", error)
            self.failed += 1
            log.warning("camara event %d to app %s given up: %s", event.seq, event.app_id, error)
            return True
        delay = min(self.policy.retry_ms_min * 2 ** (attempts - 1), self.policy.retry_ms_max)
        store.event_retry(self.db, event.seq, self.clock() + delay, error)
        log.info("camara event %d to app %s: %s; retry in %d ms", event.seq, event.app_id,
                 error, delay)  # fmt: skip
        return False
