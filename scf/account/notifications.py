"""Charging-event notifications: the durable registry of assignments (createNotification ...).

An assignment is one application's request for charging events: its criteria (event names, and
the end users to watch -- none means every account the application has charged), the
stringified reference of its ``IpAppAccountManager`` callback, and its delivery cursor: the
sequence number of the last ledger event (``Ledger.events_after``) dealt with. All of it is
stored in the ledger's database (migrations of the ``account`` component), so a gateway restart
loses nothing: the dispatcher (:mod:`scf.account.dispatcher`) carries on from each cursor.

Assignments belong to the application, not to one manager reference: after a restart or a new
agreement, ``getNotification`` shows them again. A new assignment starts at the newest event: it
reports what happens from then on. Assignment ids are random positive 31-bit integers (an
application cannot learn how many others exist); another application's id is unknown.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from charging.errors import InvalidInput, TooManyAddresses, TooManyNotifications, UnknownAssignment
from charging.ledger import Ledger
from charging.model import EventName
from scf.account import end_user
from scf.account.end_user import EndUser
from storage import Migration, UniqueViolation, migrate

COMPONENT = "account"
NOTIFICATIONS_PER_APP_MAX = 16
USERS_PER_CRITERIA_MAX = 100
CALLBACK_CHARS_MAX = 4096  # a stringified object reference ("IOR:..." or "corbaloc:...")
ASSIGNMENT_ID_MAX = 2**31 - 1  # TpAssignmentID is a TpInt32

_V1 = """
CREATE TABLE am_assignments (
    assignment_id BIGINT PRIMARY KEY,
    app_id TEXT NOT NULL,
    callback TEXT NOT NULL,
    events TEXT NOT NULL,
    users TEXT NOT NULL,
    cursor_seq BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX am_assignments_app ON am_assignments (app_id)
"""

MIGRATIONS = [Migration(1, "charging-event notification assignments", _V1)]


@dataclass(frozen=True)
class Criteria:
    """TpChargingEventCriteria: event names and canonical end-user URIs (empty: every account
    the application has charged)."""

    events: tuple[EventName, ...]
    users: tuple[str, ...]

    @classmethod
    def parse(cls, events: Sequence[str], users: Sequence[str]) -> Criteria:
        if not events:
            raise InvalidInput(field="ChargingEvents", reason="name at least one event")
        try:
            names = tuple(dict.fromkeys(EventName(e) for e in events))
        except ValueError:
            raise InvalidInput(field="ChargingEvents", reason="unknown event name") from None
        if len(users) > USERS_PER_CRITERIA_MAX:
            raise TooManyAddresses(part="Users", maximum=USERS_PER_CRITERIA_MAX)
        uris = tuple(dict.fromkeys(end_user.parse(u, part="Users").uri for u in users))
        return cls(names, uris)

    def end_users(self) -> list[EndUser]:
        return [end_user.parse(u) for u in self.users]


@dataclass(frozen=True)
class Assignment:
    assignment_id: int
    app_id: str
    callback: str
    criteria: Criteria
    cursor: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _assignment(row: tuple) -> Assignment:
    events = tuple(EventName(e) for e in row[3].split(",") if e)
    return Assignment(
        int(row[0]), row[1], row[2], Criteria(events, tuple(json.loads(row[4]))), int(row[5])
    )


_COLUMNS = "assignment_id, app_id, callback, events, users, cursor_seq"


class NotificationRegistry:
    """The assignments of one ledger database (migrated on construction)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.db = ledger.db
        migrate(self.db, COMPONENT, MIGRATIONS)
        self._changed = threading.Condition()
        self.generation = 0  # bumped on every change, so the dispatcher re-reads at once

    def wake(self) -> None:
        with self._changed:
            self.generation += 1
            self._changed.notify_all()

    def wait_for_change(self, generation: int, timeout_ms: int) -> None:
        """Block until a change after ``generation`` or ``timeout_ms`` (the dispatcher's sleep)."""
        with self._changed:
            self._changed.wait_for(lambda: self.generation != generation, timeout_ms / 1000)

    # -- the application's operations -----------------------------------------------------------
    def create(self, app_id: str, callback: str, criteria: Criteria) -> int:
        if not callback or len(callback) > CALLBACK_CHARS_MAX:
            raise InvalidInput(field="appAccountManager", reason="a callback reference is needed")
        cursor = self.ledger.latest_event_seq()
        now = _now()
        for _ in range(8):
            assignment_id = secrets.randbelow(ASSIGNMENT_ID_MAX) + 1
            try:
                with self.db.transaction() as tx:
                    row = tx.one("SELECT COUNT(*) FROM am_assignments WHERE app_id = ?", (app_id,))
                    if row is not None and int(row[0]) >= NOTIFICATIONS_PER_APP_MAX:
                        raise TooManyNotifications(maximum=NOTIFICATIONS_PER_APP_MAX)
                    tx.execute(
                        f"INSERT INTO am_assignments ({_COLUMNS}, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            assignment_id,
                            app_id,
                            callback,
                            ",".join(criteria.events),
                            json.dumps(list(criteria.users)),
                            cursor,
                            now,
                            now,
                        ),
                    )
            except UniqueViolation:
                continue  # the random id was taken: draw another
            self.wake()
            return assignment_id
        raise AssertionError("no free assignment id after 8 draws")

    def change(self, app_id: str, assignment_id: int, criteria: Criteria) -> None:
        with self.db.transaction() as tx:
            changed = tx.execute(
                "UPDATE am_assignments SET events = ?, users = ?, updated_at = ? "
                "WHERE assignment_id = ? AND app_id = ?",
                (
                    ",".join(criteria.events),
                    json.dumps(list(criteria.users)),
                    _now(),
                    assignment_id,
                    app_id,
                ),
            ).rowcount
        if changed != 1:
            raise UnknownAssignment(assignment_id=assignment_id)
        self.wake()

    def destroy(self, app_id: str, assignment_id: int) -> None:
        with self.db.transaction() as tx:
            gone = tx.execute(
                "DELETE FROM am_assignments WHERE assignment_id = ? AND app_id = ?",
                (assignment_id, app_id),
            ).rowcount
        if gone != 1:
            raise UnknownAssignment(assignment_id=assignment_id)
        self.wake()

    def of_app(self, app_id: str) -> list[Assignment]:
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT {_COLUMNS} FROM am_assignments WHERE app_id = ? ORDER BY created_at",
                (app_id,),
            )
        return [_assignment(r) for r in rows]

    # -- the dispatcher's and the operator's ----------------------------------------------------
    def all(self) -> list[Assignment]:
        with self.db.transaction(write=False) as tx:
            rows = tx.all(f"SELECT {_COLUMNS} FROM am_assignments ORDER BY assignment_id")
        return [_assignment(r) for r in rows]

    def advance(self, assignment_id: int, cursor: int) -> None:
        """Record that every event up to ``cursor`` was dealt with (never moves backwards)."""
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE am_assignments SET cursor_seq = ? "
                "WHERE assignment_id = ? AND cursor_seq < ?",
                (cursor, assignment_id, cursor),
            )

    def destroy_for_app(self, app_id: str) -> int:
        """End every assignment of an application (when its contract ends); how many."""
        with self.db.transaction() as tx:
            gone = int(
                tx.execute("DELETE FROM am_assignments WHERE app_id = ?", (app_id,)).rowcount
            )
        self.wake()
        return gone
