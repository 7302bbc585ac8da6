"""The CAMARA surface's tables, in the ledger's database (migrations of the ``camara`` component).

- ``camara_payments`` / ``camara_refunds``: the resources, with the ledger operation under way
  (``pending_op``) so a request a crash interrupted is driven to its end again (idempotent on
  its ledger referenceCode); unique (application, clientCorrelator) and (application,
  referenceCode), as Parlay X keys its requests;
- ``camara_validations``: the one-time code of a payment pending validation (its HMAC only);
- ``camara_events``: the CloudEvents outbox, written in the transaction that changes the
  resource, delivered by ``camara.sinks``;
- ``camara_tokens``: OAuth access tokens by their SHA-256 (a token works on every gateway of the
  database); ``camara_assertions``: the jti of each client assertion used, against replays.
"""

from __future__ import annotations

from storage import Database, Migration, migrate

COMPONENT = "camara"

_V1 = """
CREATE TABLE camara_payments (
    payment_id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    flow TEXT NOT NULL,
    status TEXT NOT NULL,
    pending_op TEXT,
    request_hash TEXT NOT NULL,
    client_correlator TEXT,
    reference_code TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    account TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    description TEXT NOT NULL,
    merchant_identifier TEXT,
    payment_amount TEXT NOT NULL,
    sink TEXT,
    reservation_id TEXT,
    transaction_id BIGINT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    payment_date TEXT,
    expires_at TEXT,
    denial_reason TEXT,
    refunded_minor BIGINT NOT NULL DEFAULT 0,
    refund_held_minor BIGINT NOT NULL DEFAULT 0,
    validation_id TEXT,
    CHECK (refunded_minor >= 0 AND refund_held_minor >= 0
           AND refunded_minor + refund_held_minor <= amount_minor)
);
CREATE UNIQUE INDEX camara_payments_reference ON camara_payments (app_id, reference_code);
CREATE UNIQUE INDEX camara_payments_correlator ON camara_payments (app_id, client_correlator)
    WHERE client_correlator IS NOT NULL;
CREATE INDEX camara_payments_created ON camara_payments (app_id, created_at);
CREATE INDEX camara_payments_pending ON camara_payments (updated_at) WHERE pending_op IS NOT NULL;
CREATE INDEX camara_payments_holds ON camara_payments (expires_at)
    WHERE status IN ('reserved', 'pending_validation');
CREATE TABLE camara_refunds (
    refund_id TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES camara_payments (payment_id),
    app_id TEXT NOT NULL,
    refund_type TEXT NOT NULL,
    status TEXT NOT NULL,
    pending_op TEXT,
    request_hash TEXT NOT NULL,
    client_correlator TEXT,
    reference_code TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    reason TEXT,
    merchant_identifier TEXT,
    refund_amount TEXT NOT NULL,
    sink TEXT,
    transaction_id BIGINT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    refund_date TEXT
);
CREATE UNIQUE INDEX camara_refunds_reference ON camara_refunds (app_id, reference_code);
CREATE UNIQUE INDEX camara_refunds_correlator ON camara_refunds (app_id, client_correlator)
    WHERE client_correlator IS NOT NULL;
CREATE INDEX camara_refunds_payment ON camara_refunds (payment_id, created_at);
CREATE INDEX camara_refunds_pending ON camara_refunds (updated_at) WHERE pending_op IS NOT NULL;
CREATE TABLE camara_validations (
    payment_id TEXT PRIMARY KEY REFERENCES camara_payments (payment_id),
    authorization_id TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    expires_at TEXT NOT NULL,
    state TEXT NOT NULL
);
CREATE TABLE camara_events (
    seq {serial},
    app_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    sink TEXT NOT NULL,
    access_token TEXT,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT
);
CREATE INDEX camara_events_pending ON camara_events (seq) WHERE state = 'pending';
CREATE TABLE camara_tokens (
    token_hash TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    scopes TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX camara_tokens_app ON camara_tokens (app_id);
CREATE TABLE camara_assertions (
    app_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (app_id, jti)
)
"""

MIGRATIONS = [
    Migration(
        1,
        "CAMARA payments, refunds, codes, events, tokens",
        _V1.replace("{serial}", "INTEGER PRIMARY KEY AUTOINCREMENT"),
        sql_by_dialect={"postgresql": _V1.replace("{serial}", "BIGSERIAL PRIMARY KEY")},
    )
]


def prepare(db: Database) -> None:
    migrate(db, COMPONENT, MIGRATIONS)
