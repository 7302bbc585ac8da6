"""The ledger's tables, as versioned migrations applied by ``storage.migrate(db, "ledger", ...)``.

Add a migration to change the schema; never edit one that has shipped. Timestamps are fixed-width
UTC text (see ``charging.clock``) and dates ``YYYY-MM-DD`` text, so the same SQL runs on both
dialects; money is ``BIGINT`` minor units.

Rules the database itself enforces, as a last line behind the checks in ``charging.checks``:
the idempotency key (``ledger_requests_idempotency_key``), one open account per MSISDN, a
prepaid account never holding more reserved than it has, and a float never below zero.

Version 2 makes the ledger double-entry (``charging.movements``): system accounts beside the
subscribers', a second posting for every movement (``transfer_id`` pairs them), the idempotency
record's outcome as columns, events that carry who moved the money, and application grants.
Its Python step (``charging.upgrade_v2``) gives every movement of a version 1 ledger its other
side, so that history is kept and the ledger sums to zero afterwards. On PostgreSQL it also drops
the foreign key from entries to accounts: entries are written only by a batch that holds the row
lock of every account it posts to, and the per-row check cost a third of each insert;
``micropay ledger reconcile`` names any entry of an account that does not exist. And it leaves
room in the accounts' pages (fillfactor 70), so that the batch's updates of balances -- no
indexed column changes -- stay heap-only (HOT) instead of touching every index; and the entries'
primary key becomes (account, id), the order history and running balances are read in, so a
posting updates one index instead of two. (On SQLite the id is the rowid and costs no index.)

Version 3 is the subscriber's own protection (``charging.selfcare``): the PIN lock-out that
escalates (how many lock-outs in the current window, since when), who suspended an account (a
subscriber resumes only what the subscriber or the lock-out suspended), the amounts above which
a payment raises an alert or needs a one-time code, a raised monthly limit waiting for its
cooling-off to end, the alert outbox (``ledger_alerts``, with the cursor of the charging events
it has looked at for large payments), and the ``selfcare`` grant.
"""

from __future__ import annotations

from storage import Database, Migration, migrate

COMPONENT = "ledger"
IDEMPOTENCY_KEY = "ledger_requests_idempotency_key"
MSISDN_KEY = "ledger_accounts_msisdn_key"
ACCOUNT_KEY = "ledger_accounts_pkey"  # PostgreSQL's name of the accounts' primary key
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

TRANSFER_ID_COUNTER = "transfer_id"  # SQLite: the last transfer id handed out
TRANSFER_ID_SEQUENCE = "ledger_transfer_ids"  # PostgreSQL: the same, as a sequence

ACCOUNT_KINDS = (
    "'prepaid', 'postpaid', 'settlement', 'float', 'funding', 'voucher_issuance', "
    "'voucher_liability'"
)
_V2_ACCOUNT_RULES = f"""CONSTRAINT ledger_accounts_kind CHECK (kind IN ({ACCOUNT_KINDS})),
    CONSTRAINT ledger_accounts_postpaid_limit
        CHECK (kind <> 'postpaid' OR monthly_limit_minor IS NOT NULL),
    CONSTRAINT ledger_accounts_prepaid_covered
        CHECK (kind <> 'prepaid' OR ledger_balance_minor >= reserved_minor),
    CONSTRAINT ledger_accounts_float_covered CHECK (kind <> 'float' OR ledger_balance_minor >= 0),
    CONSTRAINT ledger_accounts_subscriber_msisdn
        CHECK ((kind IN ('prepaid', 'postpaid')) = (msisdn IS NOT NULL))"""

_NEXT_RULE, _ADD_NEXT_RULE = ",\n    CONSTRAINT", ",\n    ADD CONSTRAINT"
_V2_COMMON = """ALTER TABLE ledger_entries ADD COLUMN transfer_id BIGINT;
ALTER TABLE ledger_requests ADD COLUMN transfer_id BIGINT;
ALTER TABLE ledger_requests ADD COLUMN account_number TEXT;
ALTER TABLE ledger_requests ADD COLUMN kind TEXT;
ALTER TABLE ledger_requests ADD COLUMN amount_minor BIGINT;
ALTER TABLE ledger_requests ADD COLUMN currency TEXT;
ALTER TABLE ledger_requests ADD COLUMN balance_after_minor BIGINT;
ALTER TABLE ledger_requests ADD COLUMN headroom_after_minor BIGINT;
ALTER TABLE ledger_requests ADD COLUMN low_balance_crossed INTEGER;
ALTER TABLE ledger_requests ADD COLUMN valid_until TEXT;
ALTER TABLE ledger_events ADD COLUMN app_id TEXT;
ALTER TABLE ledger_events ADD COLUMN reference_code TEXT;
CREATE TABLE ledger_grants (
    app_id TEXT NOT NULL,
    operation TEXT NOT NULL CHECK (operation IN ('recharge', 'voucher')),
    currency TEXT NOT NULL,
    cap_minor BIGINT CHECK (cap_minor > 0),
    daily_cap_minor BIGINT CHECK (daily_cap_minor > 0),
    day_key TEXT NOT NULL DEFAULT '',
    day_used_minor BIGINT NOT NULL DEFAULT 0 CHECK (day_used_minor >= 0),
    granted_at TEXT NOT NULL,
    PRIMARY KEY (app_id, operation, currency)
)"""

_ACCOUNT_COLUMNS = (
    "number, msisdn, kind, currency, ledger_balance_minor, reserved_minor, month_key, "
    "month_spent_minor, monthly_limit_minor, transaction_limit_minor, low_balance_minor, "
    "valid_until, status, pin_hash, pin_failures, pin_locked_until, created_at, updated_at"
)

# SQLite cannot change a table's CHECK constraints: rebuild it (foreign keys off meanwhile).
_V2_SQLITE = f"""CREATE TABLE ledger_accounts_v2 (
    number TEXT PRIMARY KEY,
    msisdn TEXT,
    kind TEXT NOT NULL,
    app_id TEXT,
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
    {_V2_ACCOUNT_RULES}
);
INSERT INTO ledger_accounts_v2 ({_ACCOUNT_COLUMNS}) SELECT {_ACCOUNT_COLUMNS} FROM ledger_accounts;
DROP TABLE ledger_accounts;
ALTER TABLE ledger_accounts_v2 RENAME TO ledger_accounts;
CREATE UNIQUE INDEX ledger_accounts_msisdn_key ON ledger_accounts (msisdn)
    WHERE status <> 'closed';
INSERT INTO ledger_counters (name, value) VALUES ('{TRANSFER_ID_COUNTER}', 0);
{_V2_COMMON}"""

_V2_POSTGRESQL = f"""ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_check;
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_check1;
ALTER TABLE ledger_accounts ALTER COLUMN msisdn DROP NOT NULL;
ALTER TABLE ledger_accounts ADD COLUMN app_id TEXT;
ALTER TABLE ledger_accounts ADD {_V2_ACCOUNT_RULES.replace(_NEXT_RULE, _ADD_NEXT_RULE)};
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_account_number_fkey;
ALTER TABLE ledger_accounts SET (fillfactor = 70);
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_pkey;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_pkey PRIMARY KEY (account_number, id);
DROP INDEX ledger_entries_account;
CREATE SEQUENCE {TRANSFER_ID_SEQUENCE} AS BIGINT;
{_V2_COMMON}"""


ALERT_CURSOR = "alert_event_seq"  # ledger_counters: the last charging event scanned for alerts

_V3_COMMON = f"""ALTER TABLE ledger_accounts ADD COLUMN pin_lockouts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ledger_accounts ADD COLUMN pin_lockout_window_start TEXT;
ALTER TABLE ledger_accounts ADD COLUMN suspended_by TEXT;
ALTER TABLE ledger_accounts ADD COLUMN alert_above_minor BIGINT;
ALTER TABLE ledger_accounts ADD COLUMN confirm_above_minor BIGINT;
ALTER TABLE ledger_accounts ADD COLUMN pending_monthly_limit_minor BIGINT;
ALTER TABLE ledger_accounts ADD COLUMN pending_limit_at TEXT;
UPDATE ledger_accounts SET suspended_by = 'operator' WHERE status = 'suspended';
CREATE INDEX ledger_accounts_pending_limit ON ledger_accounts (pending_limit_at)
    WHERE pending_limit_at IS NOT NULL;
CREATE TABLE ledger_alerts (
    seq {{alert_id}},
    account_number TEXT NOT NULL,
    msisdn TEXT NOT NULL,
    kind TEXT NOT NULL,
    fields TEXT NOT NULL,
    app_id TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX ledger_alerts_unsent ON ledger_alerts (seq) WHERE sent_at IS NULL;
INSERT INTO ledger_counters (name, value)
    SELECT '{ALERT_CURSOR}', COALESCE(MAX(seq), 0) FROM ledger_events"""

_GRANT_OPERATIONS = "'recharge', 'voucher', 'selfcare'"
_GRANT_COLUMNS = (
    "app_id, operation, currency, cap_minor, daily_cap_minor, day_key, day_used_minor, granted_at"
)
# SQLite cannot change a CHECK constraint: rebuild the (small) grants table.
_V3_SQLITE = (
    _V3_COMMON.format(alert_id="INTEGER PRIMARY KEY")
    + f""";
CREATE TABLE ledger_grants_v3 (
    app_id TEXT NOT NULL,
    operation TEXT NOT NULL CHECK (operation IN ({_GRANT_OPERATIONS})),
    currency TEXT NOT NULL,
    cap_minor BIGINT CHECK (cap_minor > 0),
    daily_cap_minor BIGINT CHECK (daily_cap_minor > 0),
    day_key TEXT NOT NULL DEFAULT '',
    day_used_minor BIGINT NOT NULL DEFAULT 0 CHECK (day_used_minor >= 0),
    granted_at TEXT NOT NULL,
    PRIMARY KEY (app_id, operation, currency)
);
INSERT INTO ledger_grants_v3 ({_GRANT_COLUMNS}) SELECT {_GRANT_COLUMNS} FROM ledger_grants;
DROP TABLE ledger_grants;
ALTER TABLE ledger_grants_v3 RENAME TO ledger_grants"""
)
_V3_POSTGRESQL = (
    _V3_COMMON.format(alert_id="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
    + f""";
ALTER TABLE ledger_grants DROP CONSTRAINT ledger_grants_operation_check;
ALTER TABLE ledger_grants ADD CONSTRAINT ledger_grants_operation_check
    CHECK (operation IN ({_GRANT_OPERATIONS}))"""
)


def _upgrade_v2(tx: object) -> None:
    from charging.upgrade_v2 import double_entry

    double_entry(tx)  # type: ignore[arg-type]


MIGRATIONS = [
    Migration(
        1,
        "accounts, entries, requests, reservations, vouchers, event outbox",
        _V1.format(entry_id="INTEGER PRIMARY KEY"),
        {"postgresql": _V1.format(entry_id="BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")},
    ),
    Migration(
        2,
        "double entry: system accounts, paired postings, outcome columns, grants",
        _V2_SQLITE,
        {"postgresql": _V2_POSTGRESQL},
        then=_upgrade_v2,
        rebuilds_tables=True,
    ),
    Migration(
        3,
        "subscriber self-care: escalating PIN lock-out, alerts, thresholds, pending limits",
        _V3_SQLITE,
        {"postgresql": _V3_POSTGRESQL},
    ),
]


def upgrade(db: Database) -> int:
    """Bring the ledger's tables to the newest version; returns it."""
    return migrate(db, COMPONENT, MIGRATIONS)
