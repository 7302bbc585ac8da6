"""Mobile-originated messages: their addresses, reassembly of long ones, then routing by
activation number.

Addresses: the SMSC's (TON, digits) are read by :class:`scf.sms.addresses.Addressing`, with the
short codes known at that moment (the configured one and those of started notifications and
registrations), so ``7175`` with TON 0 or 3 is ``short:7175`` when an application listens there.

Routing: a message to an activation number goes to the started notification whose criteria
match (notifySmsReception, via the event outbox); if none matches it waits in the matching
registration's queue for getReceivedSms. If nothing matches it is kept in ``sms_unrouted`` --
never acknowledged and dropped -- and handed over when a notification or registration that
matches it is started (:func:`reroute`). Criteria match case-insensitively against the first
word of the message; an empty criteria matches every message, and a non-empty match wins over an
empty one.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import UTC, datetime

from scf.sms.events import insert_event
from smpp.addresses import Addressing, SmppAddress
from smpp.encoding import decode_text, join_payloads
from smpp.pdus import UserData
from storage.database import Transaction

logger = logging.getLogger("micropay.sms.inbound")

ROUTED_NOTIFICATION = "notification"
ROUTED_QUEUE = "queue"
UNROUTED = "unrouted"  # kept in sms_unrouted until something matches it
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


def _deliver(
    tx: Transaction, *, sender: str, activation_number: str, text: str, received_at: str
) -> str | None:
    """Hand the message to a matching notification or registration; None if none matches."""
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
        return None
    tx.execute(
        "INSERT INTO sms_inbound (registration_id, message, sender, activation_number, received_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (reg[0], text, sender, activation_number, received_at),
    )
    return ROUTED_QUEUE


def route(
    tx: Transaction, *, sender: str, activation_number: str, text: str, received_at: str
) -> str:
    """Deliver or queue one whole MO message; keep it in ``sms_unrouted`` if nothing takes it."""
    outcome = _deliver(
        tx, sender=sender, activation_number=activation_number, text=text, received_at=received_at
    )
    if outcome is not None:
        return outcome
    tx.execute(
        "INSERT INTO sms_unrouted (message, sender, activation_number, received_at)"
        " VALUES (?, ?, ?, ?)",
        (text, sender, activation_number, received_at),
    )
    logger.warning(
        "MO message to %s matches no notification or registration; kept as unrouted",
        activation_number,
    )
    return UNROUTED


def reroute(tx: Transaction, activation_number: str) -> int:
    """Hand over the kept messages to ``activation_number`` that now match; return how many."""
    rows = tx.all(
        "SELECT unrouted_id, message, sender, received_at FROM sms_unrouted"
        " WHERE activation_number = ? ORDER BY unrouted_id",
        (activation_number,),
    )
    moved = [
        unrouted_id
        for unrouted_id, message, sender, received_at in rows
        if _deliver(
            tx,
            sender=sender,
            activation_number=activation_number,
            text=message,
            received_at=received_at,
        )
        is not None
    ]
    tx.executemany("DELETE FROM sms_unrouted WHERE unrouted_id = ?", [(i,) for i in moved])
    return len(moved)


def unrouted(tx: Transaction, limit: int) -> list[dict[str, object]]:
    """The kept messages, oldest first (``micropay sms unrouted``)."""
    rows = tx.all(
        "SELECT unrouted_id, activation_number, sender, received_at, message FROM sms_unrouted"
        " ORDER BY unrouted_id LIMIT ?",
        (limit,),
    )
    keys = ("id", "to", "from", "received_at", "text")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def count_unrouted(tx: Transaction) -> int:
    row = tx.one("SELECT COUNT(*) FROM sms_unrouted")
    return int(row[0]) if row else 0


def known_short_codes(tx: Transaction, configured: Collection[str]) -> set[str]:
    """The digits of every short code an MO message may be addressed to right now."""
    rows = tx.all(
        "SELECT activation_number FROM sms_subscription WHERE activation_number LIKE ?"
        " UNION SELECT activation_number FROM sms_registration WHERE activation_number LIKE ?",
        ("short:%", "short:%"),
    )
    return set(configured) | {row[0].removeprefix("short:") for row in rows}


def handle_smpp_mo(
    tx: Transaction,
    source: SmppAddress,
    destination: SmppAddress,
    data: UserData,
    addressing: Addressing,
    short_codes: Collection[str],
) -> str:
    """An MO deliver_sm as the SMSC addressed it: read its addresses, then :func:`handle_mo`."""
    codes = known_short_codes(tx, short_codes)
    sender = addressing.to_uri(source.digits, source.ton, codes)
    number = addressing.to_uri(destination.digits, destination.ton, codes)
    return handle_mo(tx, sender, number, data)


def handle_mo(tx: Transaction, sender: str, destination: str, data: UserData) -> str:
    """Store one received MO PDU; route the message once all of its parts are here."""
    received_at = datetime.now(UTC).isoformat(timespec="milliseconds")
    if data.concat is None or data.concat.total <= 1:
        return route(
            tx,
            sender=sender,
            activation_number=destination,
            text=decode_text(data.payload, data.data_coding),
            received_at=received_at,
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
    return route(
        tx, sender=sender, activation_number=destination, text=text, received_at=received_at
    )
