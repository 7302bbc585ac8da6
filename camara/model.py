"""A CAMARA payment's and refund's life as ONE transition table, and the records of both.

Payment statuses are the r3.2 ones. The moves (``(status, event) -> status``):

- 1-step: ``processing --charged--> succeeded``; a refusal deletes the row (the spec: "in case of
  any error scenario paymentId is not created"), unless the client was never answered (a crash,
  re-driven later), which ends ``denied``.
- 2-step: ``processing --reserved--> reserved`` or ``--held_for_code--> pending_validation``;
  ``pending_validation --validated--> reserved``, ``--validation_failed--> denied``;
  ``reserved --confirmed--> succeeded``, ``--confirm_refused--> denied``;
  ``reserved | pending_validation --cancelled--> cancelled`` (by the client, or the hold expired).

Any other move is refused with the error of the operation (``payments.py``). ``mermaid()``
draws the table (docs/camara.md shows it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class Status(enum.StrEnum):
    PROCESSING = "processing"
    PENDING_VALIDATION = "pending_validation"
    DENIED = "denied"
    RESERVED = "reserved"
    SUCCEEDED = "succeeded"
    CANCELLED = "cancelled"


class Event(enum.StrEnum):
    CHARGED = "charged"
    RESERVED = "reserved"
    HELD_FOR_CODE = "held_for_code"
    VALIDATED = "validated"
    VALIDATION_FAILED = "validation_failed"
    CONFIRMED = "confirmed"
    CONFIRM_REFUSED = "confirm_refused"
    CANCELLED = "cancelled"
    REFUSED_UNANSWERED = "refused_unanswered"  # a re-driven request the ledger refused


S, E = Status, Event
MOVES: dict[tuple[Status, Event], Status] = {
    (S.PROCESSING, E.CHARGED): S.SUCCEEDED,
    (S.PROCESSING, E.RESERVED): S.RESERVED,
    (S.PROCESSING, E.HELD_FOR_CODE): S.PENDING_VALIDATION,
    (S.PROCESSING, E.REFUSED_UNANSWERED): S.DENIED,
    (S.PENDING_VALIDATION, E.VALIDATED): S.RESERVED,
    (S.PENDING_VALIDATION, E.VALIDATION_FAILED): S.DENIED,
    (S.PENDING_VALIDATION, E.CANCELLED): S.CANCELLED,
    (S.RESERVED, E.CONFIRMED): S.SUCCEEDED,
    (S.RESERVED, E.CONFIRM_REFUSED): S.DENIED,
    (S.RESERVED, E.CANCELLED): S.CANCELLED,
}


def next_status(status: Status, event: Event) -> Status | None:
    """The status after ``event``, or None when the move is illegal."""
    return MOVES.get((status, event))


def mermaid() -> str:
    lines = ["stateDiagram-v2", "    [*] --> processing"]
    for (before, event), after in MOVES.items():
        lines.append(f"    {before.value} --> {after.value}: {event.value}")
    return "\n".join(lines)


class Flow(enum.StrEnum):
    ONE_STEP = "one_step"
    TWO_STEP = "two_step"


class RefundStatus(enum.StrEnum):
    PROCESSING = "processing"
    DENIED = "denied"
    SUCCEEDED = "succeeded"


class RefundType(enum.StrEnum):
    TOTAL = "total"
    PARTIAL = "partial"


@dataclass(frozen=True)
class Sink:
    """Where the client wants its notifications, and the bearer token to present there."""

    url: str
    access_token: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Payment:
    payment_id: str
    app_id: str
    flow: Flow
    status: Status
    pending_op: str | None  # the ledger operation under way (re-driven after a crash)
    request_hash: str
    client_correlator: str | None
    reference_code: str
    phone_number: str  # E.164 with "+"
    account: str
    currency: str
    amount_minor: int
    description: str
    merchant_identifier: str | None
    payment_amount: dict[str, Any]  # the request's paymentAmount, echoed as given
    sink: Sink | None
    reservation_id: str | None
    transaction_id: int | None
    created_at: datetime
    payment_date: datetime | None
    expires_at: datetime | None
    denial_reason: str | None
    refunded_minor: int  # refunds succeeded
    refund_held_minor: int  # refunds under way (not part of the remaining amount)
    validation_id: str | None  # the authorizationId of a pending validation

    @property
    def remaining_minor(self) -> int:
        return self.amount_minor - self.refunded_minor - self.refund_held_minor


@dataclass(frozen=True)
class Refund:
    refund_id: str
    payment_id: str
    app_id: str
    refund_type: RefundType
    status: RefundStatus
    pending_op: str | None
    request_hash: str
    client_correlator: str | None
    reference_code: str
    currency: str
    amount_minor: int
    reason: str | None
    merchant_identifier: str | None
    refund_amount: dict[str, Any]
    sink: Sink | None
    transaction_id: int | None
    created_at: datetime
    refund_date: datetime | None
