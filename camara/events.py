"""The CloudEvents 1.0 a payment's or refund's changes produce (pure: values in, dict out).

Types are r3.2's: ``org.camaraproject.carrier-billing.v0.payment-{pending-validation, reserved,
completed, cancelled, denied}`` and ``org.camaraproject.carrier-billing-refund.v0.refund-{
completed, denied}``; ``data.status`` is ``succeeded`` when the procedure was accomplished and
``failed`` when it was not (a denial).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from camara.openapi import PAYMENT_EVENT, REFUND_EVENT


def rfc3339(moment: datetime) -> str:
    """``2026-01-01T09:00:00.123Z``: UTC, milliseconds."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _envelope(kind: str, source: str, now: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "source": source,
        "type": kind,
        "specversion": "1.0",
        "datacontenttype": "application/json",
        "time": rfc3339(now),
        "data": data,
    }


def payment_event(
    kind: str,
    *,
    payment_id: str,
    source: str,
    now: datetime,
    description: str,
    payment_date: datetime | None = None,
    denial_reason: str | None = None,
) -> dict[str, Any]:
    """``kind``: pending-validation, reserved, completed, cancelled or denied."""
    data: dict[str, Any] = {
        "paymentId": payment_id,
        "status": "failed" if kind == "denied" else "succeeded",
        "description": description,
    }
    if kind == "completed":
        assert payment_date is not None
        data["paymentDate"] = rfc3339(payment_date)
    if denial_reason is not None:
        data["denialReason"] = denial_reason
    return _envelope(PAYMENT_EVENT + kind, source, now, data)


def refund_event(
    kind: str,
    *,
    payment_id: str,
    refund_id: str,
    source: str,
    now: datetime,
    description: str,
    refund_date: datetime | None = None,
    denial_reason: str | None = None,
) -> dict[str, Any]:
    """``kind``: completed or denied."""
    data: dict[str, Any] = {
        "paymentId": payment_id,
        "refundId": refund_id,
        "status": "failed" if kind == "denied" else "succeeded",
        "description": description,
    }
    if kind == "completed":
        assert refund_date is not None
        data["refundDate"] = rfc3339(refund_date)
    if denial_reason is not None:
        data["denialReason"] = denial_reason
    return _envelope(REFUND_EVENT + kind, source, now, data)
