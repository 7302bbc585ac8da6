"""The application's own database: orders, received events and SMS, sent SMS, subscriptions.

SQLite in the application's data folder (WAL, ``synchronous=FULL``: a received event is on disk
before ``reportNotification`` returns). It is the application's, not the gateway's: a third
party keeps its own books. Order states move only by compare-and-set through the procedure's
table (:func:`apps.micropay.procedure.step`), so two requests for one order cannot both move it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apps.micropay.ports import ChargingEvent, InboundSms
from apps.micropay.procedure import Event, State, step

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    product_id TEXT NOT NULL,
    title TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    two_step INTEGER NOT NULL,
    state TEXT NOT NULL,
    end_user TEXT NOT NULL DEFAULT '',
    msisdn TEXT NOT NULL DEFAULT '',
    reservation_id TEXT NOT NULL DEFAULT '',
    low_balance_threshold TEXT NOT NULL DEFAULT '',
    refusal_reason TEXT NOT NULL DEFAULT '',
    refusal_message_id TEXT NOT NULL DEFAULT '',
    refusal_text TEXT NOT NULL DEFAULT '',
    balance_after TEXT NOT NULL DEFAULT '',
    sms_text TEXT NOT NULL DEFAULT '',
    paid_at TEXT NOT NULL DEFAULT '',
    payment_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS orders_created ON orders (created_at);
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    name TEXT NOT NULL,
    end_user TEXT NOT NULL,
    currency TEXT NOT NULL,
    balance TEXT NOT NULL,
    amount TEXT NOT NULL,
    event_time TEXT NOT NULL,
    reference_code TEXT NOT NULL,
    additional_info TEXT NOT NULL,
    assignment_id INTEGER NOT NULL,
    acted_at TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS inbound_sms (
    sms_key TEXT PRIMARY KEY,
    received_at TEXT NOT NULL,
    sender TEXT NOT NULL,
    activation_number TEXT NOT NULL,
    message TEXT NOT NULL,
    acted_at TEXT NOT NULL DEFAULT '',
    reply TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS sent_sms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sent_at TEXT NOT NULL,
    address TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    request_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS confirmations (
    order_id TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,
    sent_to TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    authorization_id TEXT NOT NULL DEFAULT ''
);
"""
# Columns added since a table was first made: (table, column, definition), added when missing.
ADDED_COLUMNS = (
    ("confirmations", "authorization_id", "TEXT NOT NULL DEFAULT ''"),
    ("orders", "payment_id", "TEXT NOT NULL DEFAULT ''"),
)


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Order:
    order_id: str
    created_at: str
    updated_at: str
    product_id: str
    title: str
    quantity: int
    amount: str
    currency: str
    two_step: int
    state: str
    end_user: str
    msisdn: str
    reservation_id: str
    low_balance_threshold: str
    refusal_reason: str
    refusal_message_id: str
    refusal_text: str
    balance_after: str
    sms_text: str
    paid_at: str
    payment_id: str  # the gateway's id of the payment, where it gives one (CAMARA's paymentId)

    @property
    def status(self) -> State:
        return State(self.state)


_ORDER_COLUMNS = ", ".join(f.name for f in fields(Order))


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        for table, column, definition in ADDED_COLUMNS:
            have = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)  # notified on every order change

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self.changed.notify_all()

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- orders ---------------------------------------------------------------------------------
    def create_order(self, order: dict[str, Any]) -> None:
        stamp = now_text()
        row = {"created_at": stamp, "updated_at": stamp, "state": State.IDLE.value, **order}
        names = ", ".join(row)
        with self._tx() as db:
            db.execute(
                f"INSERT INTO orders ({names}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )

    def order(self, order_id: str) -> Order | None:
        rows = self._all(f"SELECT {_ORDER_COLUMNS} FROM orders WHERE order_id = ?", (order_id,))
        return Order(*rows[0]) if rows else None

    def orders(self, limit: int = 50, end_user: str | None = None) -> list[Order]:
        where, args = (
            ("WHERE end_user = ? OR msisdn = ?", (end_user, end_user)) if end_user else ("", ())
        )
        rows = self._all(
            f"SELECT {_ORDER_COLUMNS} FROM orders {where} ORDER BY created_at DESC LIMIT ?",
            (*args, limit),
        )
        return [Order(*r) for r in rows]

    def orders_in(self, states: Sequence[State]) -> list[Order]:
        marks = ", ".join("?" * len(states))
        rows = self._all(
            f"SELECT {_ORDER_COLUMNS} FROM orders WHERE state IN ({marks})",
            [s.value for s in states],
        )
        return [Order(*r) for r in rows]

    def move(self, order_id: str, event: Event, expect: State, **changes: str) -> Order | None:
        """Move the order by ``event`` if it is still in ``expect`` (compare-and-set); the new
        order, or None when another request moved it first."""
        target = step(expect, event)
        sets = ", ".join(f"{k} = ?" for k in ("state", "updated_at", *changes))
        with self._tx() as db:
            cursor = db.execute(
                f"UPDATE orders SET {sets} WHERE order_id = ? AND state = ?",
                (target.value, now_text(), *changes.values(), order_id, expect.value),
            )
            if cursor.rowcount != 1:
                return None
            row = db.execute(
                f"SELECT {_ORDER_COLUMNS} FROM orders WHERE order_id = ?", (order_id,)
            ).fetchone()
        return Order(*row)

    # -- payment confirmation codes (confirmation.py) ----------------------------------------------
    def put_confirmation(
        self,
        order_id: str,
        code_hash: str,
        sent_to: str,
        expires_at: str,
        authorization_id: str = "",
    ) -> None:
        """A new code for the order (replacing an earlier, closed one): the shop's own
        (``code_hash``), or one the gateway sent and checks (CAMARA: ``authorization_id``)."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO confirmations (order_id, code_hash, sent_to, expires_at, attempts,"
                " state, authorization_id) VALUES (?, ?, ?, ?, 0, 'waiting', ?)"
                " ON CONFLICT (order_id) DO UPDATE SET"
                " code_hash = excluded.code_hash, sent_to = excluded.sent_to,"
                " expires_at = excluded.expires_at, attempts = 0, state = 'waiting',"
                " authorization_id = excluded.authorization_id",
                (order_id, code_hash, sent_to, expires_at, authorization_id),
            )

    def confirmation(self, order_id: str) -> dict[str, Any] | None:
        rows = self._all(
            "SELECT code_hash, sent_to, expires_at, attempts, state, authorization_id"
            " FROM confirmations WHERE order_id = ?",
            (order_id,),
        )
        keys = ("code_hash", "sent_to", "expires_at", "attempts", "state", "authorization_id")
        return dict(zip(keys, rows[0], strict=True)) if rows else None

    def confirmation_attempt(self, order_id: str) -> int:
        """Count one typed code (durably, before it is compared); the attempts so far."""
        with self._tx() as db:
            db.execute(
                "UPDATE confirmations SET attempts = attempts + 1 WHERE order_id = ?", (order_id,)
            )
            row = db.execute(
                "SELECT attempts FROM confirmations WHERE order_id = ?", (order_id,)
            ).fetchone()
        return int(row[0]) if row else 0

    def close_confirmation(self, order_id: str, state: str) -> bool:
        """waiting -> ``state`` (used, failed, expired); False when it was closed already."""
        with self._tx() as db:
            done = db.execute(
                "UPDATE confirmations SET state = ? WHERE order_id = ? AND state = 'waiting'",
                (state, order_id),
            )
        return done.rowcount == 1

    def confirmations_expired(self, now: str) -> list[str]:
        rows = self._all(
            "SELECT order_id FROM confirmations WHERE state = 'waiting' AND expires_at <= ?",
            (now,),
        )
        return [r[0] for r in rows]

    def annotate(self, order_id: str, **changes: str) -> None:
        """Set fields that do not change the state (e.g. the MSISDN learned from an event)."""
        sets = ", ".join(f"{k} = ?" for k in changes)
        with self._tx() as db:
            db.execute(
                f"UPDATE orders SET {sets}, updated_at = ? WHERE order_id = ?",
                (*changes.values(), now_text(), order_id),
            )

    def wait_for(self, order_id: str, states: Sequence[State], timeout_s: float) -> Order | None:
        """Block until the order is in one of ``states`` (or the time is up); the order."""
        deadline = time.monotonic() + timeout_s
        while True:
            order = self.order(order_id)
            if order is None or order.status in states:
                return order
            left = deadline - time.monotonic()
            if left <= 0:
                return order
            with self._lock:
                self.changed.wait(min(left, 0.25))

    # -- charging events (de-duplicated on EventID, durably) ------------------------------------
    def record_event(self, e: ChargingEvent) -> bool:
        """Keep the event; False when it was already received (a redelivery)."""
        with self._tx() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO events (event_id, received_at, name, end_user, currency, "
                "balance, amount, event_time, reference_code, additional_info, assignment_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    e.event_id, now_text(), e.name, e.end_user, e.currency,
                    "" if e.balance is None else str(e.balance),
                    "" if e.amount is None else str(e.amount),
                    e.event_time, e.reference_code, e.additional_info, e.assignment_id,
                ),
            )  # fmt: skip
            return cursor.rowcount == 1

    def events(self, *, pending: bool = False, limit: int = 50) -> list[dict[str, Any]]:
        where = "WHERE acted_at = ''" if pending else ""
        order = "ASC" if pending else "DESC"
        rows = self._all(
            "SELECT event_id, received_at, name, end_user, currency, balance, amount, event_time, "
            "reference_code, additional_info, assignment_id, acted_at, action FROM events "
            f"{where} ORDER BY CAST(event_id AS INTEGER) {order}, event_id LIMIT ?",
            (limit,),
        )
        keys = (
            "event_id", "received_at", "name", "end_user", "currency", "balance", "amount",
            "event_time", "reference_code", "additional_info", "assignment_id", "acted_at",
            "action",
        )  # fmt: skip
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def event_acted(self, event_id: str, action: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE events SET acted_at = ?, action = ? WHERE event_id = ?",
                (now_text(), action, event_id),
            )

    # -- subscriber SMS (de-duplicated on sender, time and text) --------------------------------
    def record_inbound(self, m: InboundSms, key: str) -> bool:
        with self._tx() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO inbound_sms (sms_key, received_at, sender, "
                "activation_number, message) VALUES (?, ?, ?, ?, ?)",
                (key, now_text(), m.sender, m.activation_number, m.message),
            )
            return cursor.rowcount == 1

    def inbound(self, *, pending: bool = False, limit: int = 50) -> list[dict[str, Any]]:
        where = "WHERE acted_at = ''" if pending else ""
        rows = self._all(
            "SELECT sms_key, received_at, sender, activation_number, message, acted_at, reply "
            f"FROM inbound_sms {where} ORDER BY received_at {'ASC' if pending else 'DESC'} LIMIT ?",
            (limit,),
        )
        keys = (
            "sms_key",
            "received_at",
            "sender",
            "activation_number",
            "message",
            "acted_at",
            "reply",
        )
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def inbound_acted(self, key: str, reply: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE inbound_sms SET acted_at = ?, reply = ? WHERE sms_key = ?",
                (now_text(), reply, key),
            )

    # -- SMS the application sent ---------------------------------------------------------------
    def record_sent(self, address: str, kind: str, text: str, request_id: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO sent_sms (sent_at, address, kind, text, request_id) "
                "VALUES (?, ?, ?, ?, ?)",
                (now_text(), address, kind, text, request_id),
            )

    def sent(
        self, address: str | None = None, since: str = "", limit: int = 50
    ) -> list[dict[str, Any]]:
        where = "WHERE sent_at >= ?" + (" AND address = ?" if address else "")
        args: tuple = (since, address) if address else (since,)
        rows = self._all(
            f"SELECT sent_at, address, kind, text, request_id FROM sent_sms {where} "
            "ORDER BY id DESC LIMIT ?",
            (*args, limit),
        )
        keys = ("sent_at", "address", "kind", "text", "request_id")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # -- settings (subscription handles) --------------------------------------------------------
    def setting(self, key: str) -> str | None:
        rows = self._all("SELECT value FROM settings WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_setting(self, key: str, value: str | None) -> None:
        with self._tx() as db:
            if value is None:
                db.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                db.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
