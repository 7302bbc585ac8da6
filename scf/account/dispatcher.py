"""Delivers charging events to applications: at least once, in order, through outages.

CORBA-free: the dispatcher hands each :class:`Notification` to a :class:`Deliverer` (the CORBA
adapter in :mod:`scf.account.callbacks` calls ``IpAppAccountManager.reportNotification``), which
returns once the application has it or raises :class:`Unreachable`.

For every assignment, one thread reads the ledger's event outbox after the assignment's cursor
(``Ledger.events_after``), in sequence order, and delivers the events its criteria select.
Delivery stops at the first event the application did not take; that assignment then waits
``retry_ms_min``, doubling up to ``retry_ms_max``, and resumes with that same event, so each
application receives its events in ledger order -- per account and overall -- with no gap.
The cursor is stored after every batch (and before a back-off), so a restart redelivers at most
one batch: receivers de-duplicate on the event id (the ledger's sequence number). Other
assignments are not held up by one that is unreachable beyond the time one call may take
(``callback_timeout_ms`` in the CORBA adapter).

Several gateways on one database: every gateway runs a dispatcher, but only the one that holds
the database-backed ``leadership`` (:class:`storage.cluster.Leadership`: a PostgreSQL advisory
lock, or a lease row) delivers; the others wait, trying to take the lead every
``LEADER_RETRY_MS``, and one of them carries on from the stored cursors when the leader dies or
stops. Without a ``leadership`` the dispatcher delivers as if it were alone.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from charging.errors import DomainError
from charging.ledger import Ledger
from charging.model import ChargingEvent, EventName
from scf.account.end_user import EndUser, parse
from scf.account.notifications import Assignment, NotificationRegistry

logger = logging.getLogger("micropay.account.notifications")

NOTIFY_POLL_INTERVAL_MS = 100  # how often the outbox is read when nothing is happening
NOTIFY_RETRY_MS_MIN = 500  # first wait after an application was unreachable
NOTIFY_RETRY_MS_MAX = 30_000  # the wait doubles up to this
NOTIFY_BATCH_MAX = 100  # events read per assignment per round
CURSOR_SAVE_INTERVAL_MS = 1000  # a cursor moved only past unselected events is saved this often


def monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class Unreachable(Exception):  # noqa: N818 -- a condition, not a bug
    """The application did not take the notification (down, slow, or refusing it)."""


@dataclass(frozen=True)
class Notification:
    """One event for one assignment, with what the application may see of it."""

    assignment_id: int
    app_id: str
    callback: str  # the application's stringified IpAppAccountManager reference
    event: ChargingEvent
    reference_code: str  # of the application's own charge or recharge; else ""
    additional_info: str  # P_AM_ACCOUNT_DISABLED: suspended or closed; else ""


class Deliverer(Protocol):
    def deliver(self, notification: Notification) -> None:
        """Return once the application has it; raise :class:`Unreachable` otherwise."""


@dataclass
class _State:
    retry_at_ms: int = 0
    delay_ms: int = 0
    saved_at_ms: int = 0


class NotificationDispatcher:
    def __init__(
        self,
        ledger: Ledger,
        registry: NotificationRegistry,
        deliverer: Deliverer,
        *,
        poll_interval_ms: int = NOTIFY_POLL_INTERVAL_MS,
        retry_ms_min: int = NOTIFY_RETRY_MS_MIN,
        retry_ms_max: int = NOTIFY_RETRY_MS_MAX,
        batch_max: int = NOTIFY_BATCH_MAX,
        clock: Callable[[], int] = monotonic_ms,
        leadership: Any = None,
    ) -> None:
        """``leadership``: a :class:`storage.cluster.Leadership` (``held()``, ``release()``,
        ``retry_ms``) when other gateways share the database; None to deliver alone."""
        self.ledger = ledger
        self.registry = registry
        self.deliverer = deliverer
        self.poll_interval_ms = poll_interval_ms
        self.retry_ms_min = retry_ms_min
        self.retry_ms_max = retry_ms_max
        self.batch_max = batch_max
        self._clock = clock
        self._states: dict[int, _State] = {}
        self._charged: set[tuple[str, str]] = set()  # (app, account) pairs known to match
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.leadership = leadership
        self.delivered = 0  # for health, metrics and tests

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> NotificationDispatcher:
        self._thread = threading.Thread(target=self._run, name="am-notifications", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.registry.wake()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    @property
    def leading(self) -> bool:
        """Whether this dispatcher delivers now (always, without a leadership)."""
        return self.leadership is None or bool(self.leadership.leading)

    def _run(self) -> None:
        try:
            self._rounds()
        finally:
            if self.leadership is not None:
                self.leadership.release()

    def _rounds(self) -> None:
        while not self._stop.is_set():
            if self.leadership is not None and not self.leadership.held():
                self._states.clear()  # a new leader starts from the stored cursors
                self._stop.wait(self.leadership.retry_ms / 1000)
                continue
            generation = self.registry.generation
            try:
                busy = self.run_once()
            except Exception:  # the database is away, say: log and try again later
                logger.exception("notification round failed")
                busy = False
            if not busy:
                self.registry.wait_for_change(generation, self.poll_interval_ms)

    # -- one round -----------------------------------------------------------------------------
    def run_once(self) -> bool:
        """Serve every assignment once; True when some assignment has more events waiting."""
        busy = False
        assignments = self.registry.all()
        live = {a.assignment_id for a in assignments}
        for gone in set(self._states) - live:
            del self._states[gone]
        for assignment in assignments:
            if self._stop.is_set():
                break
            state = self._states.setdefault(assignment.assignment_id, _State())
            if state.retry_at_ms > self._clock():
                continue
            busy |= self._serve(assignment, state)
        return busy

    def _serve(self, assignment: Assignment, state: _State) -> bool:
        events = self.ledger.events_after(assignment.cursor, self.batch_max)
        if not events:
            return False
        cursor = assignment.cursor
        delivered = False
        users = [parse(u) for u in assignment.criteria.users]
        for event in events:
            if self._selects(assignment, users, event):
                try:
                    self.deliverer.deliver(self._notification(assignment, event))
                except Unreachable as exc:
                    self._back_off(assignment, state, cursor, exc)
                    return False
                delivered = True
                self.delivered += 1
            cursor = event.seq
        now = self._clock()
        if delivered or now - state.saved_at_ms >= CURSOR_SAVE_INTERVAL_MS:
            self.registry.advance(assignment.assignment_id, cursor)
            state.saved_at_ms = now
        state.delay_ms = 0
        return len(events) == self.batch_max

    def _back_off(self, assignment: Assignment, state: _State, cursor: int, exc: Exception) -> None:
        if cursor > assignment.cursor:
            self.registry.advance(assignment.assignment_id, cursor)
        state.delay_ms = min(max(state.delay_ms * 2, self.retry_ms_min), self.retry_ms_max)
        state.retry_at_ms = self._clock() + state.delay_ms
        logger.info(
            "application %s unreachable for assignment %s (%s); retry in %d ms",
            assignment.app_id,
            assignment.assignment_id,
            exc,
            state.delay_ms,
        )

    def _selects(self, assignment: Assignment, users: list[EndUser], event: ChargingEvent) -> bool:
        if event.event not in assignment.criteria.events:
            return False
        if users:
            return any(u.names(event.account, event.msisdn) for u in users)
        key = (assignment.app_id, event.account)
        if key not in self._charged and self.ledger.app_has_charged(*key):
            self._charged.add(key)  # once charged, always charged: remember it
        return key in self._charged

    def _notification(self, assignment: Assignment, event: ChargingEvent) -> Notification:
        own = event.app_id == assignment.app_id
        info = ""
        if event.event is EventName.P_AM_ACCOUNT_DISABLED:
            try:
                info = self.ledger.get_account(event.account).status.value
            except DomainError:
                info = ""
        return Notification(
            assignment_id=assignment.assignment_id,
            app_id=assignment.app_id,
            callback=assignment.callback,
            event=event,
            reference_code=(event.reference_code or "") if own else "",
            additional_info=info,
        )
