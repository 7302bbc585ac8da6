"""Mobile-originated messages: reassembly of long ones, then routing by activation number.

Routing (DESIGN §2): a message to an activation number goes to the started notification whose
criteria match (notifySmsReception, via the event outbox); if none matches it waits in the
registration's queue for getReceivedSms; if no registration matches it is dropped (and logged).
Criteria match case-insensitively against the first word of the message; an empty criteria
matches every message, and a non-empty match wins over an empty one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from scf.sms.encoding import decode_text, join_payloads
from scf.sms.events import insert_event
from scf.sms.pdus import UserData
from storage.database import Transaction

logger = logging.getLogger("micropay.sms.inbound")

ROUTED_NOTIFICATION = "notification"
ROUTED_QUEUE = "queue"
UNROUTABLE = "unroutable"
PARTIAL = "partial"


def first_word(text: str) -> str:
    words = text.split(maxsplit=1)
    return words[0].casefold() if words else ""


def _best(candidates: list[tuple], criteria_index: int, text: str) -> tuple | None:
    word = first_word(text)
    specific = [c for c in candidates if c[criteria_index] and c[criteria_index].casefold() == word]
    if specific:
        return specific[0]
    catch_all = [c for c in candidates if not c[criteria_index]]
    return catch_all[0] if catch_all else None


def route(tx: Transaction, sender: str, activation_number: str, text: str, received_at: str) -> str:
    subs = tx.all(
        "SELECT app_id, correlator, endpoint, criteria FROM sms_subscription"
        " WHERE activation_number = ? ORDER BY created_at",
        (activation_number,),
    )
    chosen = _best(subs, 3, text)
    if chosen is not None:
        insert_event(
            tx,
            kind="reception",
            app_id=chosen[0],
            endpoint=chosen[2],
            correlator=chosen[1],
            payload={
                "message": text,
                "senderAddress": sender,
                "smsServiceActivationNumber": activation_number,
                "dateTime": received_at,
            },
        )
        return ROUTED_NOTIFICATION
    regs = tx.all(
        "SELECT registration_id, criteria FROM sms_registration WHERE activation_number = ?"
        " ORDER BY created_at",
        (activation_number,),
    )
    reg = _best(regs, 1, text)
    if reg is None:
        logger.warning("MO message to %s has no registration; dropped", activation_number)
        return UNROUTABLE
    tx.execute(
        "INSERT INTO sms_inbound (registration_id, message, sender, activation_number, received_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (reg[0], text, sender, activation_number, received_at),
    )
    return ROUTED_QUEUE


def handle_mo(tx: Transaction, sender: str, destination: str, data: UserData) -> str:
    """Store one received MO PDU; route the message once all of its parts are here."""
    received_at = datetime.now(UTC).isoformat(timespec="milliseconds")
    if data.concat is None or data.concat.total <= 1:
        return route(
            tx, sender, destination, decode_text(data.payload, data.data_coding), received_at
        )
    c = data.concat
    tx.execute(
        "INSERT INTO sms_mo_part (source, destination, ref, total, seq, data_coding, payload,"
        " received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (
            sender,
            destination,
            c.ref,
            c.total,
            c.seq,
            data.data_coding,
            data.payload.hex(),
            received_at,
        ),
    )
    key = (sender, destination, c.ref, c.total)
    rows = tx.all(
        "SELECT seq, data_coding, payload FROM sms_mo_part"
        " WHERE source = ? AND destination = ? AND ref = ? AND total = ? ORDER BY seq",
        key,
    )
    if len(rows) < c.total:
        return PARTIAL
    tx.execute(
        "DELETE FROM sms_mo_part WHERE source = ? AND destination = ? AND ref = ? AND total = ?",
        key,
    )
    text = join_payloads([bytes.fromhex(r[2]) for r in rows], rows[0][1])
    return route(tx, sender, destination, text, received_at)
