"""The SMS SCF's tables (component "sms"), on the ledger's database (config.ledger_url).

- sms_request / sms_address / sms_part: the durable outbox. sendSms returns once its rows are
  committed; the SMPP sender claims due parts (a lease, so several gateways on one PostgreSQL
  never submit the same part at once), and marks each part submitted with the SMSC's message id
  in the same commit that records the submit_sm_resp.
- sms_event: the notification outbox (notifySmsReception / notifySmsDeliveryReceipt), written in
  the transaction that caused the event and delivered at least once by the dispatcher.
- sms_registration / sms_subscription / sms_inbound / sms_mo_part: activation numbers, started
  notifications, messages waiting for getReceivedSms, and parts of long MO messages being
  reassembled.
- sms_unrouted: MO messages no notification or registration took, kept until one does.
"""

from __future__ import annotations

from scf.sms import msisdn_migration
from storage import Database, Migration, migrate

_V1 = """
CREATE TABLE sms_request (
    request_id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    message TEXT NOT NULL,
    data_coding INTEGER NOT NULL,
    parts_total INTEGER NOT NULL,
    receipt_endpoint TEXT,
    receipt_interface TEXT,
    receipt_correlator TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE sms_address (
    request_id TEXT NOT NULL REFERENCES sms_request (request_id),
    address TEXT NOT NULL,
    status TEXT NOT NULL,
    notified INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (request_id, address)
);
CREATE TABLE sms_part (
    part_id {serial},
    request_id TEXT NOT NULL,
    address TEXT NOT NULL,
    source_digits TEXT NOT NULL,
    source_ton INTEGER NOT NULL,
    source_npi INTEGER NOT NULL,
    dest_digits TEXT NOT NULL,
    dest_ton INTEGER NOT NULL,
    dest_npi INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    total INTEGER NOT NULL,
    esm_class INTEGER NOT NULL,
    data_coding INTEGER NOT NULL,
    user_data TEXT NOT NULL,
    state TEXT NOT NULL,
    smsc_message_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until_ms BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    submitted_at TEXT
);
CREATE INDEX sms_part_due ON sms_part (state, next_attempt_ms);
CREATE INDEX sms_part_message_id ON sms_part (smsc_message_id);
CREATE INDEX sms_part_request ON sms_part (request_id, address);
CREATE TABLE sms_event (
    event_id {serial},
    kind TEXT NOT NULL,
    app_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    correlator TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX sms_event_due ON sms_event (state, next_attempt_ms);
CREATE TABLE sms_registration (
    registration_id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    activation_number TEXT NOT NULL,
    criteria TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT sms_registration_number_criteria UNIQUE (activation_number, criteria)
);
CREATE TABLE sms_subscription (
    app_id TEXT NOT NULL,
    correlator TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    interface_name TEXT NOT NULL,
    activation_number TEXT NOT NULL,
    criteria TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT sms_subscription_correlator PRIMARY KEY (app_id, correlator)
);
CREATE TABLE sms_inbound (
    inbound_id {serial},
    registration_id TEXT NOT NULL,
    message TEXT NOT NULL,
    sender TEXT NOT NULL,
    activation_number TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX sms_inbound_registration ON sms_inbound (registration_id, inbound_id);
CREATE TABLE sms_mo_part (
    source TEXT NOT NULL,
    destination TEXT NOT NULL,
    ref INTEGER NOT NULL,
    total INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    data_coding INTEGER NOT NULL,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (source, destination, ref, total, seq)
)
"""

# A receipt may overtake its own submit_sm_resp (the smpp34 server does it; SMPP does not forbid
# it): it waits here until the answer that names its message id is recorded.
_V2 = """
CREATE TABLE sms_receipt_early (
    message_id TEXT PRIMARY KEY,
    stat TEXT NOT NULL,
    err TEXT NOT NULL,
    received_at TEXT NOT NULL
)
"""

# An MO message that matches no started notification and no registration is kept here (never
# acknowledged and dropped) until an application starts one that matches it.
_V3 = """
CREATE TABLE sms_unrouted (
    unrouted_id {serial},
    message TEXT NOT NULL,
    sender TEXT NOT NULL,
    activation_number TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX sms_unrouted_number ON sms_unrouted (activation_number, unrouted_id)
"""

MIGRATIONS = [
    Migration(
        1,
        "sms outbox, events, registrations, inbound",
        _V1.replace("{serial}", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        sql_by_dialect={"postgresql": _V1.replace("{serial}", "BIGSERIAL PRIMARY KEY")},
    ),
    Migration(2, "receipts that overtake their submit_sm_resp", _V2),
    Migration(
        3,
        "MO messages no application takes (yet)",
        _V3.replace("{serial}", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        sql_by_dialect={"postgresql": _V3.replace("{serial}", "BIGSERIAL PRIMARY KEY")},
    ),
]


def migrate_sms(db: Database) -> int:
    """The ``sms`` schema, then the one-time canonicalisation of its numbers."""
    version = migrate(db, "sms", MIGRATIONS)
    msisdn_migration.upgrade(db)
    return version
