"""The durable SMS outbox: requests, per-address status and the parts the sender submits.

Every function takes an open :class:`storage.database.Transaction`; callers choose the
transaction boundaries (sendSms: one per request; the sender: one per batch of responses).

Part states: ``queued`` (to submit; ``lease_*`` says who holds it in flight) -> ``submitted``
(submit_sm_resp OK, SMSC message id known) -> ``delivered`` / ``failed`` / ``uncertain`` (from the
receipt). A part that failed to submit for good goes straight to ``failed``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from scf.sms.events import insert_event
from scf.sms.model import FINAL_STATUSES, DeliveryStatus, SimpleReference
from smpp.addresses import SmppAddress
from smpp.encoding import EncodedMessage
from smpp.receipts import Receipt, message_id_candidates
from storage.database import Dialect, Transaction

QUEUED, SUBMITTED, DELIVERED, FAILED, UNCERTAIN = (
    "queued",
    "submitted",
    "delivered",
    "failed",
    "uncertain",
)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class PartRow:
    part_id: int
    request_id: str
    address: str
    source: SmppAddress
    destination: SmppAddress
    seq: int
    total: int
    esm_class: int
    data_coding: int
    user_data: bytes
    attempts: int


_PART_COLUMNS = (
    "part_id, request_id, address, source_digits, source_ton, source_npi, dest_digits, dest_ton,"
    " dest_npi, seq, total, esm_class, data_coding, user_data, attempts"
)


def _part(row: tuple) -> PartRow:
    return PartRow(
        part_id=row[0],
        request_id=row[1],
        address=row[2],
        source=SmppAddress(row[3], row[4], row[5]),
        destination=SmppAddress(row[6], row[7], row[8]),
        seq=row[9],
        total=row[10],
        esm_class=row[11],
        data_coding=row[12],
        user_data=bytes.fromhex(row[13]),
        attempts=row[14],
    )


def store_request(
    tx: Transaction,
    *,
    request_id: str,
    app_id: str,
    sender: str,
    source: SmppAddress,
    message: str,
    encoded: EncodedMessage,
    addresses: list[tuple[str, SmppAddress]],
    receipt_request: SimpleReference | None,
) -> None:
    """Write a request, its addresses (MessageWaiting) and one part row per address and part."""
    created = utc_now()
    tx.execute(
        "INSERT INTO sms_request (request_id, app_id, sender, message, data_coding, parts_total,"
        " receipt_endpoint, receipt_interface, receipt_correlator, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            request_id,
            app_id,
            sender,
            message,
            encoded.data_coding,
            len(encoded.parts),
            receipt_request.endpoint if receipt_request else None,
            receipt_request.interfaceName if receipt_request else None,
            receipt_request.correlator if receipt_request else None,
            created,
        ),
    )
    tx.executemany(
        "INSERT INTO sms_address (request_id, address, status, notified, updated_at)"
        " VALUES (?, ?, ?, 0, ?)",
        [(request_id, uri, DeliveryStatus.MessageWaiting.value, created) for uri, _ in addresses],
    )
    rows = []
    for uri, dest in addresses:
        for seq, part in enumerate(encoded.parts, start=1):
            rows.append(
                (
                    request_id,
                    uri,
                    source.digits,
                    source.ton,
                    source.npi,
                    dest.digits,
                    dest.ton,
                    dest.npi,
                    seq,
                    len(encoded.parts),
                    part.esm_class,
                    part.data_coding,
                    part.short_message.hex(),
                    QUEUED,
                )
            )
    tx.executemany(
        "INSERT INTO sms_part (request_id, address, source_digits, source_ton, source_npi,"
        " dest_digits, dest_ton, dest_npi, seq, total, esm_class, data_coding, user_data, state)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def claim_due(tx: Transaction, owner: str, limit: int, lease_ms: int) -> list[PartRow]:
    """Lease up to ``limit`` due parts to ``owner``, oldest first."""
    now = now_ms()
    lock = " FOR UPDATE SKIP LOCKED" if tx.dialect is Dialect.POSTGRESQL else ""
    rows = tx.all(
        f"SELECT {_PART_COLUMNS} FROM sms_part WHERE state = ? AND next_attempt_ms <= ?"
        f" AND lease_until_ms <= ? ORDER BY part_id LIMIT ?{lock}",
        (QUEUED, now, now, limit),
    )
    if rows:
        tx.executemany(
            "UPDATE sms_part SET lease_owner = ?, lease_until_ms = ? WHERE part_id = ?",
            [(owner, now + lease_ms, r[0]) for r in rows],
        )
    return [_part(r) for r in rows]


def count_due(tx: Transaction) -> int:
    row = tx.one("SELECT COUNT(*) FROM sms_part WHERE state = ?", (QUEUED,))
    return int(row[0]) if row else 0


def record_ack(tx: Transaction, part_id: int, message_id: str) -> None:
    """submit_sm_resp OK: the part is with the SMSC under ``message_id``."""
    row = tx.one("SELECT request_id, address, state FROM sms_part WHERE part_id = ?", (part_id,))
    assert row is not None, f"unknown part {part_id}"
    if row[2] != QUEUED:
        return  # a late answer to a copy that was resubmitted and answered already
    tx.execute(
        "UPDATE sms_part SET state = ?, smsc_message_id = ?, lease_owner = NULL,"
        " lease_until_ms = 0, submitted_at = ?, last_error = NULL WHERE part_id = ?",
        (SUBMITTED, message_id, utc_now(), part_id),
    )
    refresh_address(tx, row[0], row[1])
    ids = message_id_candidates(message_id)
    marks = ", ".join("?" for _ in ids)
    early = tx.one(
        f"SELECT message_id, stat, err FROM sms_receipt_early WHERE message_id IN ({marks})",
        tuple(ids),
    )
    if early is not None:
        tx.execute("DELETE FROM sms_receipt_early WHERE message_id = ?", (early[0],))
        apply_receipt(tx, Receipt(message_id=early[0], stat=early[1], err=early[2]))


def record_retry(
    tx: Transaction, part_id: int, delay_ms: int, error: str, count_attempt: bool = True
) -> None:
    """Submit again after ``delay_ms``; throttling does not count as a failed attempt."""
    tx.execute(
        "UPDATE sms_part SET lease_owner = NULL, lease_until_ms = 0, next_attempt_ms = ?,"
        " last_error = ?, attempts = attempts + ? WHERE part_id = ? AND state = ?",
        (now_ms() + delay_ms, error, 1 if count_attempt else 0, part_id, QUEUED),
    )


def record_failure(tx: Transaction, part_id: int, error: str) -> None:
    row = tx.one("SELECT request_id, address FROM sms_part WHERE part_id = ?", (part_id,))
    assert row is not None
    tx.execute(
        "UPDATE sms_part SET state = ?, lease_owner = NULL, lease_until_ms = 0, last_error = ?"
        " WHERE part_id = ? AND state = ?",
        (FAILED, error, part_id, QUEUED),
    )
    refresh_address(tx, row[0], row[1])


def release(tx: Transaction, part_ids: list[int]) -> None:
    """Give back leases of parts whose submission ended without an answer (connection lost)."""
    tx.executemany(
        "UPDATE sms_part SET lease_owner = NULL, lease_until_ms = 0 WHERE part_id = ? AND state = ?",
        [(pid, QUEUED) for pid in part_ids],
    )


def apply_receipt(tx: Transaction, receipt: Receipt) -> bool:
    """Record a delivery receipt against its part; False if no part has that message id yet
    (the receipt is then kept until :func:`record_ack` learns the id)."""
    ids = message_id_candidates(receipt.message_id)
    marks = ", ".join("?" for _ in ids)
    row = tx.one(
        f"SELECT part_id, request_id, address, state FROM sms_part WHERE smsc_message_id IN ({marks})"
        " ORDER BY part_id DESC LIMIT 1",
        tuple(ids),
    )
    if row is None:
        # its submit_sm_resp may not be recorded yet: keep it for record_ack
        tx.execute(
            "INSERT INTO sms_receipt_early (message_id, stat, err, received_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (receipt.message_id, receipt.stat, receipt.err, utc_now()),
        )
        return False
    new_state = receipt.part_state
    if row[3] in (DELIVERED, FAILED) or new_state == SUBMITTED:
        return True  # final already (a repeated receipt), or an intermediate one
    tx.execute(
        "UPDATE sms_part SET state = ?, last_error = ? WHERE part_id = ?",
        (new_state, f"stat:{receipt.stat} err:{receipt.err}", row[0]),
    )
    refresh_address(tx, row[1], row[2])
    return True


def address_status(states: list[str]) -> DeliveryStatus:
    """One address's DeliveryStatus from the states of its parts (all parts must arrive)."""
    if any(s == FAILED for s in states):
        return DeliveryStatus.DeliveryImpossible
    if all(s == DELIVERED for s in states):
        return DeliveryStatus.DeliveredToTerminal
    if any(s == QUEUED for s in states):
        return DeliveryStatus.MessageWaiting
    if any(s == UNCERTAIN for s in states):
        return DeliveryStatus.DeliveryUncertain
    return DeliveryStatus.DeliveredToNetwork


def refresh_address(tx: Transaction, request_id: str, address: str) -> None:
    """Recompute an address's status; on reaching a final one, queue the receipt notification."""
    states = [
        r[0]
        for r in tx.all(
            "SELECT state FROM sms_part WHERE request_id = ? AND address = ?", (request_id, address)
        )
    ]
    status = address_status(states)
    current = tx.one(
        "SELECT status, notified FROM sms_address WHERE request_id = ? AND address = ?",
        (request_id, address),
    )
    assert current is not None
    if current[0] != status.value:
        tx.execute(
            "UPDATE sms_address SET status = ?, updated_at = ? WHERE request_id = ? AND address = ?",
            (status.value, utc_now(), request_id, address),
        )
    if status in FINAL_STATUSES and not current[1]:
        req = tx.one(
            "SELECT app_id, receipt_endpoint, receipt_correlator FROM sms_request"
            " WHERE request_id = ?",
            (request_id,),
        )
        assert req is not None
        if req[1]:
            insert_event(
                tx,
                kind="receipt",
                app_id=req[0],
                endpoint=req[1],
                correlator=req[2],
                payload={"address": address, "deliveryStatus": status.value},
            )
        tx.execute(
            "UPDATE sms_address SET notified = 1 WHERE request_id = ? AND address = ?",
            (request_id, address),
        )


def delivery_status(tx: Transaction, app_id: str, request_id: str) -> list[tuple[str, str]] | None:
    """(address, status) per address of a request of this application; None if unknown."""
    owner = tx.one("SELECT app_id FROM sms_request WHERE request_id = ?", (request_id,))
    if owner is None or owner[0] != app_id:
        return None
    return [
        (r[0], r[1])
        for r in tx.all(
            "SELECT address, status FROM sms_address WHERE request_id = ? ORDER BY address",
            (request_id,),
        )
    ]


def dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
