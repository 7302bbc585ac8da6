"""Idempotency on (application, referenceCode): the database decides.

A successful request leaves a row in ``ledger_requests`` keyed by the unique index
``ledger_requests_idempotency_key``, with a hash of the request's content and its outcome: a
money movement's outcome as columns (transfer id, account, figures after), anything else
(a reservation id, a reservation's state, a split charge's results) as JSON. The batch reads the
records of all its keys at once (row 0 of ``charging.checks``): same hash, the first outcome is
returned; another hash, ``ReferenceCodeReused``. Two requests with one key in one batch are
decided in order: the second finds the first's outcome. When two gateway processes race with the
same key, the database's unique index refuses the second insert and that batch runs again, now
finding the winner's row. A refused request writes nothing, so it is re-evaluated when retried.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from charging import clock
from charging.model import EntryKind, ReservationInfo, TransactionResult

if TYPE_CHECKING:
    from charging.batch import Command

Outcome = TransactionResult | ReservationInfo | str | list[TransactionResult]


def request_hash(operation: str, content: dict[str, Any]) -> str:
    """A digest of what the request asks for, to tell a retry from a different request."""
    text = json.dumps([operation, content], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


_quoted = json.encoder.encode_basestring_ascii  # exactly json.dumps's rendering of a str


def money_hash(
    operation: str, *, account: str, amount: int, currency: str, description: str, code: str | None
) -> str:
    """:func:`request_hash` of the content of a plain money request, without building and
    sorting a dict per request: the same text, so the same digest, as the tests check."""
    text = (
        f'[{_quoted(operation)},{{"account":{_quoted(account)},"amount":{amount},'
        f'"code":{"null" if code is None else _quoted(code)},"currency":{_quoted(currency)},'
        f'"description":{_quoted(description)}}}]'
    )
    return hashlib.sha256(text.encode()).hexdigest()


def row(command: Command, outcome: Outcome, created_at: str) -> tuple:
    """The ``ledger_requests`` row of a successful request (``charging.bulk`` column order)."""
    head = (command.app_id, command.reference_code, command.digest, str(command.operation))
    if type(outcome) is TransactionResult:
        o = outcome
        until = None if o.valid_until is None else o.valid_until.isoformat()
        return (*head, "", created_at, o.transaction_id, o.account, o.kind.value, o.amount_minor,
                o.currency, o.balance_minor, o.headroom_minor, int(o.low_balance_crossed), until)  # fmt: skip
    return (*head, encode(outcome), created_at, None, None, None, None, None, None, None, None,
            None)  # fmt: skip


def from_row(prior: tuple) -> Outcome:
    """The outcome kept in a ``ledger_requests`` row read with ``charging.bulk.PRIOR_COLUMNS``."""
    (_app, _ref, _hash, outcome, transfer_id, account, kind, amount, currency, balance,
     headroom, low_crossed, valid_until) = prior  # fmt: skip
    if transfer_id is None:
        return decode(outcome)
    return TransactionResult(
        transaction_id=int(transfer_id),
        account=account,
        kind=EntryKind(kind),
        amount_minor=int(amount),
        currency=currency,
        balance_minor=int(balance),
        headroom_minor=None if headroom is None else int(headroom),
        low_balance_crossed=bool(low_crossed),
        valid_until=None if valid_until is None else date.fromisoformat(valid_until),
    )


def replayed(outcome: Outcome) -> Outcome:
    """The first outcome, marked as a replay."""
    if isinstance(outcome, list):
        return [replace(o, replayed=True) for o in outcome]
    if isinstance(outcome, TransactionResult | ReservationInfo):
        return replace(outcome, replayed=True)
    return outcome


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
    return TransactionResult(**value)


def decode(text: str) -> Outcome:
    """An outcome stored as JSON (as version 1 stored every outcome)."""
    data = json.loads(text)
    value = data["value"]
    if data["type"] == "reservation_id":
        return str(value)
    if data["type"] == "transactions":
        return [_transaction(v) for v in value]
    if data["type"] == "transaction":
        return _transaction(value)
    value["expires_at"] = clock.from_text(value["expires_at"])
    return ReservationInfo(**value)
