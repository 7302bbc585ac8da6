"""The framework's tables, as versioned migrations (``storage.migrate(db, "framework", ...)``)."""

from __future__ import annotations

from storage import Migration

MIGRATIONS = [
    Migration(
        1,
        "applications, service tokens and agreements",
        """
CREATE TABLE fw_applications (
    app_id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    public_key_pem TEXT,
    auth_mechanisms TEXT NOT NULL,
    service_types TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    auth_failures INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE fw_service_tokens (
    token TEXT PRIMARY KEY,
    app_id TEXT NOT NULL REFERENCES fw_applications (app_id),
    service_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    terminated_at TEXT
);
CREATE UNIQUE INDEX fw_service_tokens_one_active
    ON fw_service_tokens (app_id, service_id) WHERE terminated_at IS NULL;
CREATE TABLE fw_agreements (
    agreement_id TEXT PRIMARY KEY,
    token TEXT NOT NULL REFERENCES fw_service_tokens (token),
    app_id TEXT NOT NULL,
    service_id TEXT NOT NULL,
    service_type TEXT NOT NULL,
    agreement_text TEXT NOT NULL,
    signing_algorithm TEXT NOT NULL,
    app_signature TEXT NOT NULL,
    fw_signature TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    state TEXT NOT NULL,
    ended_at TEXT,
    end_reason TEXT,
    termination_text TEXT,
    termination_signature TEXT
);
CREATE INDEX fw_agreements_by_app ON fw_agreements (app_id, signed_at);
CREATE INDEX fw_agreements_by_token ON fw_agreements (token)
""",
    ),
    Migration(
        2,
        "trust records every gateway shares: outstanding challenges, failures per address, "
        "used termination signatures",
        """
CREATE TABLE fw_challenges (
    value_hash TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    issued_at TEXT NOT NULL
);
CREATE INDEX fw_challenges_by_age ON fw_challenges (issued_at);
CREATE TABLE fw_auth_failures (
    app_id TEXT NOT NULL,
    peer TEXT NOT NULL,
    failures INTEGER NOT NULL,
    locked_until TEXT,
    last_failure_at TEXT NOT NULL,
    PRIMARY KEY (app_id, peer)
);
CREATE TABLE fw_used_signatures (
    signature_hash TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    used_at TEXT NOT NULL
)
""",
    ),
]
