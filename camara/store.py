"""SQL over ``storage`` for the CAMARA surface's rows (``camara.schema``).

Functions that write take the caller's open transaction (the surface runs them through a
``charging.group_commit.GroupCommitter``, so concurrent requests share one durable commit);
reads open their own read transaction. No SQL lives elsewhere in ``camara/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from camara import jsonio
from camara.model import (
    Flow,
    Payment,
    Refund,
    RefundStatus,
    RefundType,
    Sink,
    Status,
)
from charging.group_commit import RetryRequest
from framework.core.records import from_text, to_text
from storage import Database, UniqueViolation
from storage.database import Transaction

PAYMENT_COLUMNS = (
    "payment_id, app_id, flow, status, pending_op, request_hash, client_correlator, "
    "reference_code, phone_number, account, currency, amount_minor, description, "
    "merchant_identifier, payment_amount, sink, reservation_id, transaction_id, created_at, "
    "payment_date, expires_at, denial_reason, refunded_minor, refund_held_minor, validation_id"
)
REFUND_COLUMNS = (
    "refund_id, payment_id, app_id, refund_type, status, pending_op, request_hash, "
    "client_correlator, reference_code, currency, amount_minor, reason, merchant_identifier, "
    "refund_amount, sink, transaction_id, created_at, refund_date"
)


class Taken(Exception):  # noqa: N818 -- a verdict, not a bug
    """A key of the new row is held by another row: ``existing`` (same or other request)."""

    def __init__(self, existing: Any, key: str) -> None:
        super().__init__(key)
        self.existing, self.key = existing, key


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else to_text(moment)


def _sink_text(sink: Sink | None) -> str | None:
    if sink is None:
        return None
    return jsonio.dumps(
        {"url": sink.url, "token": sink.access_token, "expires": _text(sink.expires_at)}
    )


def _sink(text: str | None) -> Sink | None:
    if not text:
        return None
    data = jsonio.loads(text)
    return Sink(data["url"], data.get("token"), from_text(data.get("expires")))


def _payment(row: Sequence[Any]) -> Payment:
    created = from_text(row[18])
    assert created is not None
    return Payment(
        payment_id=row[0], app_id=row[1], flow=Flow(row[2]), status=Status(row[3]),
        pending_op=row[4], request_hash=row[5], client_correlator=row[6], reference_code=row[7],
        phone_number=row[8], account=row[9], currency=row[10], amount_minor=int(row[11]),
        description=row[12], merchant_identifier=row[13],
        payment_amount=jsonio.loads(row[14]), sink=_sink(row[15]), reservation_id=row[16],
        transaction_id=None if row[17] is None else int(row[17]), created_at=created,
        payment_date=from_text(row[19]), expires_at=from_text(row[20]), denial_reason=row[21],
        refunded_minor=int(row[22]), refund_held_minor=int(row[23]), validation_id=row[24],
    )  # fmt: skip


def _refund(row: Sequence[Any]) -> Refund:
    created = from_text(row[16])
    assert created is not None
    return Refund(
        refund_id=row[0], payment_id=row[1], app_id=row[2], refund_type=RefundType(row[3]),
        status=RefundStatus(row[4]), pending_op=row[5], request_hash=row[6],
        client_correlator=row[7], reference_code=row[8], currency=row[9],
        amount_minor=int(row[10]), reason=row[11], merchant_identifier=row[12],
        refund_amount=jsonio.loads(row[13]), sink=_sink(row[14]),
        transaction_id=None if row[15] is None else int(row[15]), created_at=created,
        refund_date=from_text(row[17]),
    )  # fmt: skip


# -- payments --------------------------------------------------------------------------------
def find_payment(tx: Transaction, app_id: str, payment_id: str) -> Payment | None:
    row = tx.one(
        f"SELECT {PAYMENT_COLUMNS} FROM camara_payments WHERE payment_id = ? AND app_id = ?",
        (payment_id, app_id),
    )
    return _payment(row) if row else None


def payment(db: Database, app_id: str, payment_id: str) -> Payment | None:
    with db.transaction(write=False) as tx:
        return find_payment(tx, app_id, payment_id)


def _taken(
    tx: Transaction, table: str, columns: str, make: Any, row: Payment | Refund
) -> Taken | None:
    """The row of ``table`` that holds ``row``'s clientCorrelator or referenceCode, if any (the
    caller compares request hashes: a retry, or another request)."""
    for column, value in (("client_correlator", row.client_correlator),
                          ("reference_code", row.reference_code)):  # fmt: skip
        if value is not None:
            found = tx.one(f"SELECT {columns} FROM {table} WHERE app_id = ? AND {column} = ?",
                           (row.app_id, value))  # fmt: skip
            if found:
                return Taken(make(found), column)
    return None


def holder(tx: Transaction, p: Payment) -> Taken | None:
    """The payment that holds one of ``p``'s keys, if any."""
    return _taken(tx, "camara_payments", PAYMENT_COLUMNS, _payment, p)


def add_payment(tx: Transaction, p: Payment, now: datetime) -> None:
    """Insert ``p``, whose keys :func:`holder` found free in this transaction."""
    try:
        tx.execute(
            f"INSERT INTO camara_payments ({PAYMENT_COLUMNS}, updated_at) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (p.payment_id, p.app_id, p.flow.value, p.status.value, p.pending_op, p.request_hash,
             p.client_correlator, p.reference_code, p.phone_number, p.account, p.currency,
             p.amount_minor, p.description, p.merchant_identifier,
             jsonio.dumps(p.payment_amount), _sink_text(p.sink), p.reservation_id,
             p.transaction_id, to_text(p.created_at), _text(p.payment_date),
             _text(p.expires_at), p.denial_reason, 0, 0, p.validation_id, to_text(now)),
        )  # fmt: skip
    except UniqueViolation:  # another gateway inserted one of the keys meanwhile
        raise RetryRequest("a payment key was taken meanwhile") from None


_PAYMENT_FIELDS = {
    "status", "pending_op", "reservation_id", "transaction_id", "payment_date", "expires_at",
    "denial_reason", "validation_id",
}  # fmt: skip


def update_payment(
    tx: Transaction,
    payment_id: str,
    now: datetime,
    expect: Sequence[Status] = (),
    **fields: Any,
) -> bool:
    """Set ``fields`` -- only while the status is one of ``expect``, when given (so two
    requests racing on one payment move it once); True when the row changed."""
    assert set(fields) <= _PAYMENT_FIELDS, set(fields) - _PAYMENT_FIELDS
    values = [
        v.value if isinstance(v, Status) else (_text(v) if isinstance(v, datetime) else v)
        for v in fields.values()
    ]
    sets = ", ".join(f"{name} = ?" for name in fields)
    guard = ""
    if expect:
        guard = f" AND status IN ({','.join('?' for _ in expect)})"
        values += [s.value for s in expect]
    cur = tx.execute(
        f"UPDATE camara_payments SET {sets}, updated_at = ? WHERE payment_id = ?{guard}",
        (*values[: len(fields)], to_text(now), payment_id, *values[len(fields) :]),
    )
    return cur.rowcount == 1


def delete_payment(tx: Transaction, payment_id: str) -> None:
    tx.execute("DELETE FROM camara_validations WHERE payment_id = ?", (payment_id,))
    tx.execute("DELETE FROM camara_payments WHERE payment_id = ?", (payment_id,))


@dataclass(frozen=True)
class Query:
    """retrievePayments / retrieveRefunds filters."""

    created_from: datetime | None = None
    created_until: datetime | None = None
    statuses: tuple[str, ...] = ()
    merchant_identifier: str | None = None
    ascending: bool = False


def _where(query: Query, base: str, params: list[Any]) -> str:
    where = base
    if query.created_from is not None:
        where += " AND created_at >= ?"
        params.append(to_text(query.created_from))
    if query.created_until is not None:
        where += " AND created_at <= ?"
        params.append(to_text(query.created_until))
    if query.statuses:
        where += f" AND status IN ({','.join('?' for _ in query.statuses)})"
        params.extend(query.statuses)
    if query.merchant_identifier is not None:
        where += " AND merchant_identifier = ?"
        params.append(query.merchant_identifier)
    return where


def payments(
    db: Database, app_id: str, query: Query, offset: int, limit: int
) -> tuple[int, list[Payment]]:
    """(how many match, the page): newest first unless ``query.ascending``."""
    params: list[Any] = [app_id]
    where = _where(query, "app_id = ?", params)
    total, rows = _page(db, "camara_payments", PAYMENT_COLUMNS, "payment_id", where, params,
                        query.ascending, offset, limit)  # fmt: skip
    return total, [_payment(r) for r in rows]


def _page(
    db: Database, table: str, columns: str, id_column: str, where: str, params: list[Any],
    ascending: bool, offset: int, limit: int,
) -> tuple[int, list[Any]]:  # fmt: skip
    """(how many rows match ``where``, one page of them by creation time, then id), read in one
    transaction so the count and the page agree."""
    order = "ASC" if ascending else "DESC"
    with db.transaction(write=False) as tx:
        total = tx.one(f"SELECT COUNT(*) FROM {table} WHERE {where}", params)
        rows = tx.all(
            f"SELECT {columns} FROM {table} WHERE {where} "
            f"ORDER BY created_at {order}, {id_column} {order} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
    return (int(total[0]) if total else 0), rows


def stalled_payments(db: Database, before: datetime, limit: int = 100) -> list[Payment]:
    """Rows whose ledger operation a crash may have interrupted."""
    with db.transaction(write=False) as tx:
        rows = tx.all(
            f"SELECT {PAYMENT_COLUMNS} FROM camara_payments WHERE pending_op IS NOT NULL "
            "AND updated_at < ? ORDER BY updated_at LIMIT ?",
            (to_text(before), limit),
        )
    return [_payment(r) for r in rows]


def lapsed_holds(db: Database, now: datetime, limit: int = 100) -> list[Payment]:
    """Reserved or pending payments whose hold (or code) has expired."""
    with db.transaction(write=False) as tx:
        rows = tx.all(
            f"SELECT {PAYMENT_COLUMNS} FROM camara_payments WHERE status IN "
            "('reserved', 'pending_validation') AND expires_at < ? AND pending_op IS NULL "
            "ORDER BY expires_at LIMIT ?",
            (to_text(now), limit),
        )
    return [_payment(r) for r in rows]


# -- one-time codes ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Validation:
    payment_id: str
    authorization_id: str
    code_hash: str
    attempts: int
    expires_at: datetime
    state: str  # "waiting", "used", "failed"


def put_validation(tx: Transaction, v: Validation) -> None:
    tx.execute("DELETE FROM camara_validations WHERE payment_id = ?", (v.payment_id,))
    tx.execute(
        "INSERT INTO camara_validations (payment_id, authorization_id, code_hash, attempts, "
        "expires_at, state) VALUES (?, ?, ?, ?, ?, ?)",
        (v.payment_id, v.authorization_id, v.code_hash, v.attempts, to_text(v.expires_at),
         v.state),
    )  # fmt: skip


def find_validation(tx: Transaction, payment_id: str) -> Validation | None:
    row = tx.one(
        "SELECT payment_id, authorization_id, code_hash, attempts, expires_at, state "
        "FROM camara_validations WHERE payment_id = ?",
        (payment_id,),
    )
    if row is None:
        return None
    expires = from_text(row[4])
    assert expires is not None
    return Validation(row[0], row[1], row[2], int(row[3]), expires, row[5])


def count_attempt(tx: Transaction, payment_id: str) -> None:
    tx.execute(
        "UPDATE camara_validations SET attempts = attempts + 1 WHERE payment_id = ?",
        (payment_id,),
    )


def close_validation(tx: Transaction, payment_id: str, state: str) -> None:
    tx.execute(
        "UPDATE camara_validations SET state = ? WHERE payment_id = ? AND state = 'waiting'",
        (state, payment_id),
    )


# -- refunds -------------------------------------------------------------------------------------
def find_refund(tx: Transaction, app_id: str, payment_id: str, refund_id: str) -> Refund | None:
    row = tx.one(
        f"SELECT {REFUND_COLUMNS} FROM camara_refunds WHERE refund_id = ? AND payment_id = ? "
        "AND app_id = ?",
        (refund_id, payment_id, app_id),
    )
    return _refund(row) if row else None


def refund(db: Database, app_id: str, payment_id: str, refund_id: str) -> Refund | None:
    with db.transaction(write=False) as tx:
        return find_refund(tx, app_id, payment_id, refund_id)


def insert_refund(tx: Transaction, r: Refund, now: datetime) -> bool:
    """Insert ``r`` and hold its amount on the payment, in one guarded statement: False when
    the payment's remaining amount does not cover it (concurrent refunds cannot overdraw it).
    :class:`Taken` when another refund holds one of its keys."""
    taken = _taken(tx, "camara_refunds", REFUND_COLUMNS, _refund, r)
    if taken is not None:
        raise taken
    held = tx.execute(
        "UPDATE camara_payments SET refund_held_minor = refund_held_minor + ?, updated_at = ? "
        "WHERE payment_id = ? AND amount_minor - refunded_minor - refund_held_minor >= ?",
        (r.amount_minor, to_text(now), r.payment_id, r.amount_minor),
    )
    if held.rowcount != 1:
        return False
    try:
        tx.execute(
            f"INSERT INTO camara_refunds ({REFUND_COLUMNS}, updated_at) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (r.refund_id, r.payment_id, r.app_id, r.refund_type.value, r.status.value,
             r.pending_op, r.request_hash, r.client_correlator, r.reference_code, r.currency,
             r.amount_minor, r.reason, r.merchant_identifier, jsonio.dumps(r.refund_amount),
             _sink_text(r.sink), r.transaction_id, to_text(r.created_at), _text(r.refund_date),
             to_text(now)),
        )  # fmt: skip
    except UniqueViolation:
        raise RetryRequest("a refund key was taken meanwhile") from None
    return True


def settle_refund(
    tx: Transaction,
    r: Refund,
    now: datetime,
    *,
    succeeded: bool,
    transaction_id: int | None = None,
) -> None:
    """The ledger answered: move the held amount to refunded, or give it back."""
    moved = r.amount_minor if succeeded else 0
    tx.execute(
        "UPDATE camara_payments SET refund_held_minor = refund_held_minor - ?, "
        "refunded_minor = refunded_minor + ?, updated_at = ? WHERE payment_id = ?",
        (r.amount_minor, moved, to_text(now), r.payment_id),
    )
    status = RefundStatus.SUCCEEDED if succeeded else RefundStatus.DENIED
    tx.execute(
        "UPDATE camara_refunds SET status = ?, pending_op = NULL, transaction_id = ?, "
        "refund_date = ?, updated_at = ? WHERE refund_id = ?",
        (status.value, transaction_id, to_text(now) if succeeded else None, to_text(now),
         r.refund_id),
    )  # fmt: skip


def delete_refund(tx: Transaction, r: Refund, now: datetime) -> None:
    """A refusal answered at once: the refund is not created, its hold is given back."""
    tx.execute(
        "UPDATE camara_payments SET refund_held_minor = refund_held_minor - ?, updated_at = ? "
        "WHERE payment_id = ?",
        (r.amount_minor, to_text(now), r.payment_id),
    )
    tx.execute("DELETE FROM camara_refunds WHERE refund_id = ?", (r.refund_id,))


def refunds(
    db: Database, app_id: str, payment_id: str, query: Query, offset: int, limit: int
) -> tuple[int, list[Refund]]:
    params: list[Any] = [app_id, payment_id]
    where = _where(query, "app_id = ? AND payment_id = ?", params)
    total, rows = _page(db, "camara_refunds", REFUND_COLUMNS, "refund_id", where, params,
                        query.ascending, offset, limit)  # fmt: skip
    return total, [_refund(r) for r in rows]


def stalled_refunds(db: Database, before: datetime, limit: int = 100) -> list[Refund]:
    with db.transaction(write=False) as tx:
        rows = tx.all(
            f"SELECT {REFUND_COLUMNS} FROM camara_refunds WHERE pending_op IS NOT NULL "
            "AND updated_at < ? ORDER BY updated_at LIMIT ?",
            (to_text(before), limit),
        )
    return [_refund(r) for r in rows]


# -- the CloudEvents outbox ----------------------------------------------------------------------
@dataclass(frozen=True)
class OutboxEvent:
    seq: int
    app_id: str
    subject_id: str
    sink: str
    access_token: str | None
    body: str
    attempts: int
    next_attempt_ms: int


def add_event(
    tx: Transaction, app_id: str, subject_id: str, sink: Sink, body: str, now: datetime
) -> None:
    tx.execute(
        "INSERT INTO camara_events (app_id, subject_id, sink, access_token, body, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (app_id, subject_id, sink.url, sink.access_token, body, to_text(now)),
    )


def pending_events(db: Database, limit: int) -> list[OutboxEvent]:
    with db.transaction(write=False) as tx:
        rows = tx.all(
            "SELECT seq, app_id, subject_id, sink, access_token, body, attempts, "
            "next_attempt_ms FROM camara_events WHERE state = 'pending' ORDER BY seq LIMIT ?",
            (limit,),
        )
    return [
        OutboxEvent(int(r[0]), r[1], r[2], r[3], r[4], r[5], int(r[6]), int(r[7])) for r in rows
    ]


def event_done(db: Database, seq: int, state: str, error: str | None = None) -> None:
    with db.transaction() as tx:
        tx.execute(
            "UPDATE camara_events SET state = ?, attempts = attempts + 1, last_error = ? "
            "WHERE seq = ?",
            (state, error, seq),
        )


def event_retry(db: Database, seq: int, next_attempt_ms: int, error: str) -> None:
    with db.transaction() as tx:
        tx.execute(
            "UPDATE camara_events SET attempts = attempts + 1, next_attempt_ms = ?, "
            "last_error = ? WHERE seq = ?",
            (next_attempt_ms, error[:500], seq),
        )


# -- OAuth tokens --------------------------------------------------------------------------------
@dataclass(frozen=True)
class TokenRecord:
    app_id: str
    scopes: frozenset[str]
    expires_at: datetime
    revoked: bool


def add_token(
    db: Database, token_hash: str, app_id: str, scopes: Sequence[str], now: datetime,
    expires: datetime, jti: str, jti_expires: datetime,
) -> bool:  # fmt: skip
    """Record the token and the assertion's jti in one transaction; False when the jti was
    used before (a replayed assertion: no token)."""
    with db.transaction() as tx:
        tx.execute("DELETE FROM camara_assertions WHERE expires_at < ?", (to_text(now),))
        try:
            tx.execute(
                "INSERT INTO camara_assertions (app_id, jti, expires_at) VALUES (?, ?, ?)",
                (app_id, jti, to_text(jti_expires)),
            )
        except UniqueViolation:
            return False
        tx.execute(
            "INSERT INTO camara_tokens (token_hash, app_id, scopes, issued_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (token_hash, app_id, " ".join(scopes), to_text(now), to_text(expires)),
        )
    return True


def token(db: Database, token_hash: str) -> TokenRecord | None:
    with db.transaction(write=False) as tx:
        row = tx.one(
            "SELECT app_id, scopes, expires_at, revoked_at FROM camara_tokens WHERE token_hash = ?",
            (token_hash,),
        )
    if row is None:
        return None
    expires = from_text(row[2])
    assert expires is not None
    return TokenRecord(row[0], frozenset(row[1].split()), expires, row[3] is not None)


def revoke_tokens(db: Database, app_ids: Sequence[str], now: datetime) -> int:
    """Revoke every live token of these applications; how many."""
    if not app_ids:
        return 0
    marks = ",".join("?" for _ in app_ids)
    with db.transaction() as tx:
        cur = tx.execute(
            f"UPDATE camara_tokens SET revoked_at = ? WHERE revoked_at IS NULL "
            f"AND app_id IN ({marks})",
            (to_text(now), *app_ids),
        )
        tx.execute("DELETE FROM camara_tokens WHERE expires_at < ?", (to_text(now),))
    return int(cur.rowcount or 0)
