"""A one-time data migration of the SMS tables: stored numbers in their canonical form.

The SMS SCF stored national numbers as typed (``tel:01011110001``); numbers are now compared as
``tel:+<E.164>`` (:mod:`charging.msisdn`), so a registration, a started notification, a waiting
or kept MO message, or a delivery status stored under the old spelling would no longer be found.
This step rewrites them once, in one transaction recorded in ``schema_migrations`` as component
``sms-msisdn`` version 1, after the ``sms`` schema migrations. Short codes stay as they are; a
value that is no valid number (an old ``tel:+821555`` short code, say) is left and logged; a
row whose canonical form would collide with a row that exists already (the same request to both
spellings, the same number and criteria registered twice) is left and logged, never merged.
"""

from __future__ import annotations

import logging
import zlib
from datetime import UTC, datetime

from charging import msisdn
from domain_errors import InvalidAddress
from storage import Database
from storage.database import Dialect, Transaction

logger = logging.getLogger("micropay.sms.migration")

COMPONENT = "sms-msisdn"
VERSION = 1
NAME = "canonical tel:+E.164 numbers in the SMS tables"

# (table, column, the other columns of a unique key that includes it -- () for none)
COLUMNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("sms_request", "sender", ()),
    ("sms_address", "address", ("request_id",)),
    ("sms_part", "address", ()),
    ("sms_subscription", "activation_number", ()),
    ("sms_registration", "activation_number", ("criteria",)),
    ("sms_inbound", "sender", ()),
    ("sms_inbound", "activation_number", ()),
    ("sms_unrouted", "sender", ()),
    ("sms_unrouted", "activation_number", ()),
)


def _canonical(value: str) -> str | None:
    if not value.lower().startswith("tel:"):
        return value  # a short code or an alphanumeric sender name
    try:
        return msisdn.tel_uri(value)
    except InvalidAddress:
        return None


def _rewrite(tx: Transaction, table: str, column: str, key: tuple[str, ...]) -> int:
    rewritten = 0
    for (stored,) in tx.all(f"SELECT DISTINCT {column} FROM {table}"):
        target = _canonical(stored)
        if target is None:
            logger.warning("%s.%s %r is no valid number; left as stored", table, column, stored)
            continue
        if target == stored:
            continue
        if not key:
            cur = tx.execute(
                f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (target, stored)
            )
            rewritten += max(cur.rowcount, 0)
            continue
        cols = ", ".join(key)
        for row in tx.all(f"SELECT {cols} FROM {table} WHERE {column} = ?", (stored,)):
            match = " AND ".join(f"{k} = ?" for k in key)
            if tx.one(f"SELECT 1 FROM {table} WHERE {column} = ? AND {match}", (target, *row)):
                logger.warning(
                    "%s: %r and %r are one number for %s; left unmerged", table, stored, target, row
                )
                continue
            tx.execute(
                f"UPDATE {table} SET {column} = ? WHERE {column} = ? AND {match}",
                (target, stored, *row),
            )
            rewritten += 1
    return rewritten


def upgrade(db: Database) -> int | None:
    """Apply the migration once; return how many rows it rewrote (None: applied before)."""
    with db.transaction() as tx:
        if db.dialect is Dialect.POSTGRESQL:
            tx.execute("SELECT pg_advisory_xact_lock(?)", (zlib.crc32(COMPONENT.encode()),))
        if tx.one(
            "SELECT 1 FROM schema_migrations WHERE component = ? AND version = ?",
            (COMPONENT, VERSION),
        ):
            return None
        rewritten = sum(_rewrite(tx, *column) for column in COLUMNS)
        tx.execute(
            "INSERT INTO schema_migrations (component, version, name, applied_at)"
            " VALUES (?, ?, ?, ?)",
            (COMPONENT, VERSION, NAME, datetime.now(UTC).isoformat()),
        )
    if rewritten:
        logger.info("%d numbers in the SMS tables rewritten in their canonical form", rewritten)
    return rewritten
