"""Idempotency on (application, referenceCode): the database decides.

A successful request leaves a row in ``ledger_requests`` keyed by the unique index
``ledger_requests_idempotency_key``, with a hash of the request's content and its outcome. The
ledger looks the key up first (row 0 of ``charging.checks``): same hash, the first outcome is
returned; another hash, ``ReferenceCodeReused``. When two gateway processes race with the same key,
the database's unique index refuses the second insert; the storage layer raises
``UniqueViolation(IDEMPOTENCY_KEY)`` and the request runs again in its batch, now finding the
winner's row. A refused request writes nothing, so it is re-evaluated when retried.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any

from charging import clock
from charging.group_commit import RetryRequest
from charging.model import EntryKind, ReservationInfo, TransactionResult
from charging.schema import IDEMPOTENCY_KEY
from storage import UniqueViolation
from storage.database import Transaction

Outcome = TransactionResult | ReservationInfo | str | list[TransactionResult]


@dataclass(frozen=True)
class Prior:
    request_hash: str
    outcome: str


def request_hash(operation: str, content: dict[str, Any]) -> str:
    """A digest of what the request asks for, to tell a retry from a different request."""
    text = json.dumps([operation, content], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def lookup(tx: Transaction, app_id: str, reference_code: str) -> Prior | None:
    row = tx.one(
        "SELECT request_hash, outcome FROM ledger_requests WHERE app_id = ? AND reference_code = ?",
        (app_id, reference_code),
    )
    return None if row is None else Prior(row[0], row[1])


def remember(
    tx: Transaction,
    app_id: str,
    reference_code: str,
    digest: str,
    operation: str,
    outcome: Outcome,
    now: datetime,
) -> None:
    """Record a successful request. Losing a race for the key re-runs the request."""
    try:
        tx.execute(
            "INSERT INTO ledger_requests (app_id, reference_code, request_hash, operation, "
            "outcome, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (app_id, reference_code, digest, operation, encode(outcome), clock.to_text(now)),
        )
    except UniqueViolation as exc:
        if exc.constraint != IDEMPOTENCY_KEY:
            raise
        raise RetryRequest(f"{app_id}/{reference_code} committed by another writer") from exc


# -- outcomes as JSON ----------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return clock.to_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


_FIELDS = {
    kind: tuple(f for f in fields(kind) if f.name != "replayed")
    for kind in (TransactionResult, ReservationInfo)
}


def encode(outcome: Outcome) -> str:
    if isinstance(outcome, str):
        return json.dumps({"type": "reservation_id", "value": outcome})
    if isinstance(outcome, list):  # a split charge: one result per share
        parts = [json.loads(encode(o))["value"] for o in outcome]
        return json.dumps({"type": "transactions", "value": parts})
    kind = "transaction" if isinstance(outcome, TransactionResult) else "reservation"
    values = {f.name: _plain(getattr(outcome, f.name)) for f in _FIELDS[type(outcome)]}
    return json.dumps({"type": kind, "value": values})


def _transaction(value: dict[str, Any]) -> TransactionResult:
    value["kind"] = EntryKind(value["kind"])
    value["valid_until"] = value["valid_until"] and date.fromisoformat(value["valid_until"])
    return replace(TransactionResult(**value), replayed=True)


def decode(text: str) -> Outcome:
    """The stored outcome, marked as a replay."""
    data = json.loads(text)
    value = data["value"]
    if data["type"] == "reservation_id":
        return str(value)
    if data["type"] == "transactions":
        return [_transaction(v) for v in value]
    if data["type"] == "transaction":
        return _transaction(value)
    value["expires_at"] = clock.from_text(value["expires_at"])
    return replace(ReservationInfo(**value), replayed=True)
