"""A one-time data migration: every stored MSISDN in its canonical ``tel:+<E.164>`` form.

Before ``charging.msisdn``, a national number was stored as typed (``tel:01077000090``), so the
same phone could own two open accounts (``tel:01077000090`` and ``tel:+821077000090``) and a
lookup by one spelling missed the other. This step rewrites ``ledger_accounts.msisdn`` and
``ledger_events.msisdn`` to the canonical form, in one transaction recorded in
``schema_migrations`` as component ``ledger-msisdn`` version 1 (it needs Python, so it is not a
SQL migration of ``charging.schema``). It runs after ``charging.schema.upgrade`` in
``LedgerEngine.open``.

It never merges accounts. When two open accounts turn out to share a number, neither is changed
and both are reported (logged as an error and returned): the operator closes one, and the other
is then found under the spelling it was stored with until it is re-keyed (``micropay account``).
A number that is not a valid number of its country is left as stored and reported too.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from charging import msisdn
from charging.errors import InvalidAddress
from storage import Database
from storage.database import Dialect, Transaction

logger = logging.getLogger("micropay.ledger.migration")

COMPONENT = "ledger-msisdn"
VERSION = 1
NAME = "canonical tel:+E.164 MSISDNs"


@dataclass
class MsisdnReport:
    """What the migration did: numbers rewritten, shared numbers, numbers it could not read."""

    rewritten: int = 0
    shared: dict[str, list[str]] = field(default_factory=dict)  # canonical -> open account numbers
    unreadable: dict[str, str] = field(default_factory=dict)  # account number -> stored MSISDN


def _canonical(stored: str) -> str | None:
    try:
        return msisdn.tel_uri(stored)
    except InvalidAddress:
        return None


def canonicalise(tx: Transaction) -> MsisdnReport:
    """Rewrite the stored MSISDNs of one ledger database (see the module docstring)."""
    report = MsisdnReport()
    rows = tx.all(  # accounts without an MSISDN (the ledger's own) have nothing to rewrite
        "SELECT number, msisdn, status FROM ledger_accounts WHERE msisdn IS NOT NULL"
        " ORDER BY number"
    )
    canonical = {number: _canonical(stored) for number, stored, _ in rows}
    open_by_number: dict[str, list[str]] = {}
    for number, stored, status in rows:
        target = canonical[number]
        if target is None:
            report.unreadable[number] = stored
        elif status != "closed":
            open_by_number.setdefault(target, []).append(number)
    report.shared = {n: accounts for n, accounts in open_by_number.items() if len(accounts) > 1}
    sharing = {a for accounts in report.shared.values() for a in accounts}
    for number, stored, _ in rows:
        target = canonical[number]
        if target is None or target == stored or number in sharing:
            continue
        tx.execute("UPDATE ledger_accounts SET msisdn = ? WHERE number = ?", (target, number))
        tx.execute(
            "UPDATE ledger_events SET msisdn = ? WHERE account_number = ? AND msisdn = ?",
            (target, number, stored),
        )
        report.rewritten += 1
    return report


def upgrade(db: Database) -> MsisdnReport | None:
    """Apply the migration once; return its report, or None when it had been applied before."""
    with db.transaction() as tx:
        if db.dialect is Dialect.POSTGRESQL:
            tx.execute("SELECT pg_advisory_xact_lock(?)", (zlib.crc32(COMPONENT.encode()),))
        if tx.one(
            "SELECT 1 FROM schema_migrations WHERE component = ? AND version = ?",
            (COMPONENT, VERSION),
        ):
            return None
        report = canonicalise(tx)
        tx.execute(
            "INSERT INTO schema_migrations (component, version, name, applied_at)"
            " VALUES (?, ?, ?, ?)",
            (COMPONENT, VERSION, NAME, datetime.now(UTC).isoformat()),
        )
    for number, accounts in report.shared.items():
        logger.error(
            "open accounts %s share the MSISDN %s; left unchanged: close all but one",
            ", ".join(accounts),
            number,
        )
    for account, stored in report.unreadable.items():
        logger.error("account %s has MSISDN %r, which is no valid number; left", account, stored)
    if report.rewritten:
        logger.info("%d MSISDNs rewritten in their canonical form", report.rewritten)
    return report
