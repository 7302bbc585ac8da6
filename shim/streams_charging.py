"""Charging events as a resumable stream, read from the ledger's event outbox.

``CreateNotification`` over gRPC registers an ordinary assignment with the Account Management
SCF (same criteria checks, same limit per application), whose callback is not an object
reference but ``grpc:stream;from=<seq>``: the newest ledger event when it was made. The stream
reads ``Ledger.events_after`` -- numbered in commit order, so reading after N never skips an
event that commits later -- and for each event, in assignment-id order, asks the SCF's own
selection (the dispatcher's ``_selects`` / ``_notification``: which events an assignment gets,
which referenceCode the application may see) whether and what to send. Nothing of that logic is
repeated here. The cursor is ``ce1.<seq>.<assignment id>``: an event that two assignments select
is sent once for each, and a resume between the two loses neither.

The SCF's CORBA dispatcher also sees these assignments; :func:`grpc_aware_deliverer` (wired by
``shim.domain.Domain.wire``) makes it take their events as delivered instead of retrying a
callback it cannot call. The stream never reads the dispatcher's per-assignment cursor: it
starts from the floor in the callback, so nothing the dispatcher does moves it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scf.account.dispatcher import Notification, NotificationDispatcher
from scf.account.end_user import parse
from scf.account.notifications import ASSIGNMENT_ID_MAX, Assignment
from shim import cursors, limits

GRPC_CALLBACK = "grpc:stream"
CURSOR_KIND = "ce1"
_FLOOR = re.compile(r"^grpc:stream;from=(\d+)$")
_PAST_ALL = ASSIGNMENT_ID_MAX + 1  # "every assignment of this event was dealt with"


def grpc_callback(floor_seq: int) -> str:
    return f"{GRPC_CALLBACK};from={floor_seq}"


def floor_of(callback: str) -> int | None:
    """The first event seq an assignment may get, for gRPC assignments; None for others."""
    match = _FLOOR.match(callback)
    return int(match.group(1)) if match else None


def grpc_aware_deliverer(inner: Any) -> Any:
    """A Deliverer that takes ``grpc:`` assignments' events as delivered (the stream reads the
    outbox itself) and passes the others to ``inner``."""

    class StreamAware:
        grpc_aware = stream_aware = True  # both markers in use: wrap once

        def deliver(self, notification: Notification) -> None:
            if floor_of(notification.callback) is None:
                inner.deliver(notification)

    return StreamAware()


class _NoDelivery:
    def deliver(self, notification: Notification) -> None:
        raise AssertionError("the stream's selector never delivers")


@dataclass
class ChargingEventReader:
    """One stream's position: after (event seq, assignment id)."""

    account: Any  # scf.account.service.AccountService
    app_id: str
    assignment_ids: frozenset[int]
    newest: Callable[[], int] | None = None  # the ledger's newest event seq (a Watermark)
    seq: int = -1  # -1: not started ("" cursor -> from the assignments' floors)
    assignment_id: int = _PAST_ALL
    _selector: NotificationDispatcher | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        ledger = self.account.ledger
        self._selector = NotificationDispatcher(ledger, self.account.notifications, _NoDelivery())

    def start(self, after_cursor: str) -> None:
        found = cursors.decode(CURSOR_KIND, after_cursor, 2)
        if found is not None:
            cursors.beyond(found[0], self.account.ledger.latest_event_seq())
            self.seq, self.assignment_id = found

    def _assignments(self) -> list[tuple[Assignment, int]]:
        mine = []
        for a in self.account.get_notifications(self.app_id):
            floor = floor_of(a.callback)
            if floor is not None and (
                not self.assignment_ids or a.assignment_id in self.assignment_ids
            ):
                mine.append((a, floor))
        return sorted(mine, key=lambda pair: pair[0].assignment_id)

    def read(self) -> list[tuple[str, Notification]]:
        caught_up = self.seq >= 0 and self.assignment_id == _PAST_ALL
        if caught_up and self.newest is not None and self.newest() <= self.seq:
            return []  # nothing new in the outbox: no query of this stream's own
        assignments = self._assignments()
        if not assignments:
            if self.seq < 0:
                self.seq = self.account.ledger.latest_event_seq()
            return []
        if self.seq < 0:
            self.seq, self.assignment_id = min(f for _, f in assignments), _PAST_ALL
        after = self.seq if self.assignment_id == _PAST_ALL else self.seq - 1
        events = self.account.ledger.events_after(after, limits.stream_batch_max)
        selector = self._selector
        assert selector is not None
        found: list[tuple[str, Notification]] = []
        for event in events:
            for assignment, floor in assignments:
                if event.seq <= floor or (event.seq, assignment.assignment_id) <= (
                    self.seq,
                    self.assignment_id,
                ):
                    continue
                users = [parse(u) for u in assignment.criteria.users]
                if selector._selects(assignment, users, event):
                    cursor = cursors.encode(CURSOR_KIND, event.seq, assignment.assignment_id)
                    found.append((cursor, selector._notification(assignment, event)))
            self.seq, self.assignment_id = event.seq, _PAST_ALL
        return found
