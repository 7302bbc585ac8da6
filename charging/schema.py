"""The ledger's tables, as versioned migrations applied by ``storage.migrate(db, "ledger", ...)``.

Add a migration to change the schema; never edit one that has shipped. Timestamps are fixed-width
UTC text (see ``charging.clock``) and dates ``YYYY-MM-DD`` text, so the same SQL runs on both
dialects; money is ``BIGINT`` minor units.

Rules the database itself enforces, as a last line behind the checks in ``charging.checks``:
the idempotency key (``ledger_requests_idempotency_key``), one open account per MSISDN, and a
prepaid account never holding more reserved than it has.
"""

from __future__ import annotations

from storage import Database, Migration, migrate

COMPONENT = "ledger"
IDEMPOTENCY_KEY = "ledger_requests_idempotency_key"
MSISDN_KEY = "ledger_accounts_msisdn_key"
EVENT_SEQ_COUNTER = "event_seq"

_V1 = """
CREATE TABLE ledger_accounts (
    number TEXT PRIMARY KEY,
    msisdn TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('prepaid', 'postpaid')),
    currency TEXT NOT NULL,
    ledger_balance_minor BIGINT NOT NULL,
    reserved_minor BIGINT NOT NULL DEFAULT 0 CHECK (reserved_minor >= 0),
    month_key TEXT NOT NULL,
    month_spent_minor BIGINT NOT NULL DEFAULT 0 CHECK (month_spent_minor >= 0),
    monthly_limit_minor BIGINT CHECK (monthly_limit_minor >= 0),
    transaction_limit_minor BIGINT CHECK (transaction_limit_minor >= 0),
    low_balance_minor BIGINT NOT NULL DEFAULT 0 CHECK (low_balance_minor >= 0),
    valid_until TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
    pin_hash TEXT,
    pin_failures INTEGER NOT NULL DEFAULT 0,
    pin_locked_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (kind = 'prepaid' OR monthly_limit_minor IS NOT NULL),
    CHECK (kind = 'postpaid' OR ledger_balance_minor >= reserved_minor)
);
CREATE UNIQUE INDEX ledger_accounts_msisdn_key ON ledger_accounts (msisdn)
    WHERE status <> 'closed';
CREATE TABLE ledger_entries (
    id {entry_id},
    account_number TEXT NOT NULL REFERENCES ledger_accounts (number),
    kind TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    ledger_balance_after_minor BIGINT NOT NULL,
    app_id TEXT,
    reference_code TEXT,
    reservation_id TEXT,
    description TEXT NOT NULL DEFAULT '',
    code TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ledger_entries_account ON ledger_entries (account_number, id);
CREATE TABLE ledger_requests (
    app_id TEXT NOT NULL,
    reference_code TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    operation TEXT NOT NULL,
    outcome TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX ledger_requests_idempotency_key ON ledger_requests (app_id, reference_code);
CREATE TABLE ledger_reservations (
    id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    account_number TEXT NOT NULL REFERENCES ledger_accounts (number),
    currency TEXT NOT NULL,
    reserved_minor BIGINT NOT NULL CHECK (reserved_minor >= 0),
    charged_minor BIGINT NOT NULL DEFAULT 0,
    released_minor BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('open', 'released', 'expired')),
    description TEXT NOT NULL DEFAULT '',
    code TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX ledger_reservations_open ON ledger_reservations (expires_at) WHERE state = 'open';
CREATE TABLE ledger_vouchers (
    id TEXT PRIMARY KEY,
    pin_hash TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL,
    valid_until TEXT,
    state TEXT NOT NULL CHECK (state IN ('issued', 'redeemed')),
    redeemed_by TEXT REFERENCES ledger_accounts (number),
    redeemed_at TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE ledger_events (
    seq BIGINT PRIMARY KEY,
    account_number TEXT NOT NULL,
    msisdn TEXT NOT NULL,
    event TEXT NOT NULL,
    currency TEXT NOT NULL,
    balance_minor BIGINT NOT NULL,
    amount_minor BIGINT,
    transaction_id BIGINT,
    occurred_at TEXT NOT NULL
);
CREATE TABLE ledger_counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO ledger_counters (name, value) VALUES ('event_seq', 0)
"""

MIGRATIONS = [
    Migration(
        1,
        "accounts, entries, requests, reservations, vouchers, event outbox",
        _V1.format(entry_id="INTEGER PRIMARY KEY"),
        {"postgresql": _V1.format(entry_id="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")},
    ),
]


def upgrade(db: Database) -> int:
    """Bring the ledger's tables to the newest version; returns it."""
    return migrate(db, COMPONENT, MIGRATIONS)
