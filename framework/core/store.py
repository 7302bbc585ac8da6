"""The framework's durable state: client applications, service tokens and signed agreements.

Tables live in the framework database (``framework.url``, by default the ledger's) and are
created by ``storage.migrate(db, "framework", MIGRATIONS)``. The shared CHAP secret must be
kept in a form the framework can use (CHAP needs the secret itself, not a hash), so the
database is as sensitive as a key store; secrets never leave it except into CHAP digests.
Both signatures of every agreement are kept for non-repudiation.
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from framework.core import limits
from framework.core.signing import PublicKey, load_public_key
from storage import Database, Migration, migrate

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
    )
]

# Agreement states in the table; "expired" is derived from valid_until when shown.
IN_FORCE, TERMINATED, ENDED, SUPERSEDED = "in_force", "terminated", "ended", "superseded"

_APP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so text order is time order


def to_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def from_text(text: str | None) -> datetime | None:
    return None if text is None else datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class ApplicationExists(Exception):
    pass


class InvalidApplication(ValueError):
    pass


def valid_app_id(app_id: str) -> bool:
    return 0 < len(app_id) <= limits.identifier_max_chars and bool(_APP_ID.match(app_id))


@dataclass(frozen=True)
class Application:
    app_id: str
    secret: bytes
    public_key_pem: str | None
    auth_mechanisms: tuple[str, ...]
    service_types: tuple[str, ...]
    enabled: bool
    auth_failures: int
    locked_until: datetime | None
    created_at: datetime

    def public_key(self) -> PublicKey | None:
        return load_public_key(self.public_key_pem) if self.public_key_pem else None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def __repr__(self) -> str:  # never show the secret, even in a traceback
        return f"Application({self.app_id!r}, enabled={self.enabled})"


@dataclass(frozen=True)
class AgreementRecord:
    agreement_id: str
    token: str
    app_id: str
    service_id: str
    service_type: str
    agreement_text: str
    signing_algorithm: str
    app_signature: bytes
    fw_signature: bytes
    signed_at: datetime
    valid_until: datetime
    state: str = IN_FORCE
    ended_at: datetime | None = None
    end_reason: str | None = None
    termination_text: str | None = None
    termination_signature: bytes | None = None

    def shown_state(self, now: datetime) -> str:
        return "expired" if self.state == IN_FORCE and now >= self.valid_until else self.state


_APP_COLUMNS = (
    "app_id, secret, public_key_pem, auth_mechanisms, service_types, enabled, auth_failures, "
    "locked_until, created_at"
)
_AGREEMENT_COLUMNS = (
    "agreement_id, token, app_id, service_id, service_type, agreement_text, signing_algorithm, "
    "app_signature, fw_signature, signed_at, valid_until, state, ended_at, end_reason, "
    "termination_text, termination_signature"
)


def _application(row: tuple) -> Application:
    return Application(
        app_id=row[0],
        secret=base64.b64decode(row[1]),
        public_key_pem=row[2],
        auth_mechanisms=tuple(x for x in row[3].split(",") if x),
        service_types=tuple(x for x in row[4].split(",") if x),
        enabled=bool(row[5]),
        auth_failures=int(row[6]),
        locked_until=from_text(row[7]),
        created_at=from_text(row[8]) or datetime.now(UTC),
    )


def _agreement(row: tuple) -> AgreementRecord:
    return AgreementRecord(
        agreement_id=row[0],
        token=row[1],
        app_id=row[2],
        service_id=row[3],
        service_type=row[4],
        agreement_text=row[5],
        signing_algorithm=row[6],
        app_signature=base64.b64decode(row[7]),
        fw_signature=base64.b64decode(row[8]),
        signed_at=from_text(row[9]) or datetime.now(UTC),
        valid_until=from_text(row[10]) or datetime.now(UTC),
        state=row[11],
        ended_at=from_text(row[12]),
        end_reason=row[13],
        termination_text=row[14],
        termination_signature=base64.b64decode(row[15]) if row[15] else None,
    )


class FrameworkStore:
    """Plain SQL over ``storage``; every method is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        migrate(db, "framework", MIGRATIONS)

    # -- applications ---------------------------------------------------------------------------
    def register_application(
        self,
        app_id: str,
        secret: bytes,
        public_key_pem: str | None,
        auth_mechanisms: Iterable[str],
        service_types: Iterable[str],
        now: datetime,
    ) -> Application:
        if not valid_app_id(app_id):
            raise InvalidApplication("application id must be letters, digits and ._:@- only")
        if not limits.secret_min_bytes <= len(secret) <= limits.secret_max_bytes:
            raise InvalidApplication(
                f"the secret must be {limits.secret_min_bytes}..{limits.secret_max_bytes} bytes"
            )
        if public_key_pem is not None:
            load_public_key(public_key_pem)  # raises InvalidKey
        stamp = to_text(now)
        with self.db.transaction() as tx:
            if tx.one("SELECT 1 FROM fw_applications WHERE app_id = ?", (app_id,)):
                raise ApplicationExists(app_id)
            tx.execute(
                f"INSERT INTO fw_applications ({_APP_COLUMNS}, updated_at) "
                "VALUES (?, ?, ?, ?, ?, 1, 0, NULL, ?, ?)",
                (
                    app_id,
                    _b64(secret),
                    public_key_pem,
                    ",".join(auth_mechanisms),
                    ",".join(service_types),
                    stamp,
                    stamp,
                ),
            )
        app = self.application(app_id)
        assert app is not None
        return app

    def application(self, app_id: str) -> Application | None:
        with self.db.transaction(write=False) as tx:
            row = tx.one(f"SELECT {_APP_COLUMNS} FROM fw_applications WHERE app_id = ?", (app_id,))
        return _application(row) if row else None

    def applications(self) -> list[Application]:
        with self.db.transaction(write=False) as tx:
            rows = tx.all(f"SELECT {_APP_COLUMNS} FROM fw_applications ORDER BY app_id")
        return [_application(r) for r in rows]

    def set_enabled(self, app_id: str, enabled: bool, now: datetime) -> bool:
        with self.db.transaction() as tx:
            cur = tx.execute(
                "UPDATE fw_applications SET enabled = ?, auth_failures = 0, locked_until = NULL, "
                "updated_at = ? WHERE app_id = ?",
                (1 if enabled else 0, to_text(now), app_id),
            )
            return cur.rowcount == 1

    def disabled_among(self, app_ids: Iterable[str]) -> set[str]:
        ids = sorted(set(app_ids))
        if not ids:
            return set()
        marks = ",".join("?" for _ in ids)
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT app_id FROM fw_applications WHERE enabled = 0 AND app_id IN ({marks})",
                ids,
            )
        return {r[0] for r in rows} | (set(ids) - self._known(ids))

    def _known(self, ids: list[str]) -> set[str]:
        marks = ",".join("?" for _ in ids)
        with self.db.transaction(write=False) as tx:
            rows = tx.all(f"SELECT app_id FROM fw_applications WHERE app_id IN ({marks})", ids)
        return {r[0] for r in rows}

    # -- lock-out ---------------------------------------------------------------------------------
    def record_auth_failure(
        self, app_id: str, now: datetime, max_failures: int, lockout_base_s: float
    ) -> datetime | None:
        """Count a failed authentication; past ``max_failures`` lock out with doubling back-off."""
        with self.db.transaction() as tx:
            row = tx.one("SELECT auth_failures FROM fw_applications WHERE app_id = ?", (app_id,))
            if row is None:
                return None
            failures = int(row[0]) + 1
            locked_until = None
            if failures >= max_failures:
                seconds = min(
                    lockout_base_s * 2 ** (failures - max_failures), limits.auth_lockout_max_s
                )
                locked_until = now + timedelta(seconds=seconds)
            tx.execute(
                "UPDATE fw_applications SET auth_failures = ?, locked_until = ? WHERE app_id = ?",
                (failures, to_text(locked_until) if locked_until else None, app_id),
            )
        return locked_until

    def clear_auth_failures(self, app_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE fw_applications SET auth_failures = 0, locked_until = NULL "
                "WHERE app_id = ? AND (auth_failures <> 0 OR locked_until IS NOT NULL)",
                (app_id,),
            )

    # -- service tokens ---------------------------------------------------------------------------
    def service_token(self, app_id: str, service_id: str, now: datetime) -> str:
        """The application's active token for the service; the same one on every re-select.

        The unique index on active (app_id, service_id) decides a race between two gateways:
        the loser rolls back to its savepoint and reads the winner's token.
        """
        select = (
            "SELECT token FROM fw_service_tokens WHERE app_id = ? AND service_id = ? "
            "AND terminated_at IS NULL"
        )
        with self.db.transaction() as tx:
            row = tx.one(select, (app_id, service_id))
            if row:
                return str(row[0])
            token = secrets.token_urlsafe(limits.service_token_bytes)
            tx.savepoint("new_token")
            try:
                tx.execute(
                    "INSERT INTO fw_service_tokens (token, app_id, service_id, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (token, app_id, service_id, to_text(now)),
                )
            except Exception as exc:
                if "unique" not in str(exc).lower():
                    raise
                tx.rollback_to("new_token")
                row = tx.one(select, (app_id, service_id))
                assert row is not None, "unique violation without a winning row"
                return str(row[0])
            tx.release("new_token")
            return token

    def token_owner(self, token: str) -> tuple[str, str] | None:
        """(app_id, service_id) of an active token, or None."""
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT app_id, service_id FROM fw_service_tokens "
                "WHERE token = ? AND terminated_at IS NULL",
                (token,),
            )
        return (row[0], row[1]) if row else None

    def terminate_token(
        self, token: str, now: datetime, text: str, signature: bytes, reason: str
    ) -> list[str]:
        """End the token and every agreement in force under it; return those agreement ids."""
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE fw_service_tokens SET terminated_at = ? WHERE token = ? "
                "AND terminated_at IS NULL",
                (to_text(now), token),
            )
            rows = tx.all(
                "SELECT agreement_id FROM fw_agreements WHERE token = ? AND state = ?",
                (token, IN_FORCE),
            )
            tx.execute(
                "UPDATE fw_agreements SET state = ?, ended_at = ?, end_reason = ?, "
                "termination_text = ?, termination_signature = ? WHERE token = ? AND state = ?",
                (TERMINATED, to_text(now), reason, text, _b64(signature), token, IN_FORCE),
            )
        return [r[0] for r in rows]

    # -- agreements -------------------------------------------------------------------------------
    def add_agreement(self, record: AgreementRecord, supersedes: str | None = None) -> None:
        with self.db.transaction() as tx:
            if supersedes:
                tx.execute(
                    "UPDATE fw_agreements SET state = ?, ended_at = ?, end_reason = ? "
                    "WHERE agreement_id = ? AND state = ?",
                    (SUPERSEDED, to_text(record.signed_at), "re-signed", supersedes, IN_FORCE),
                )
            tx.execute(
                f"INSERT INTO fw_agreements ({_AGREEMENT_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL)",
                (
                    record.agreement_id,
                    record.token,
                    record.app_id,
                    record.service_id,
                    record.service_type,
                    record.agreement_text,
                    record.signing_algorithm,
                    _b64(record.app_signature),
                    _b64(record.fw_signature),
                    to_text(record.signed_at),
                    to_text(record.valid_until),
                    IN_FORCE,
                ),
            )

    def end_agreements(self, agreement_ids: Iterable[str], now: datetime, reason: str) -> None:
        """Agreements whose access session ended (the record stays; only its state changes)."""
        ids = list(agreement_ids)
        if not ids:
            return
        with self.db.transaction() as tx:
            tx.executemany(
                "UPDATE fw_agreements SET state = ?, ended_at = ?, end_reason = ? "
                "WHERE agreement_id = ? AND state = ?",
                [(ENDED, to_text(now), reason, i, IN_FORCE) for i in ids],
            )

    def agreement(self, agreement_id: str) -> AgreementRecord | None:
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                f"SELECT {_AGREEMENT_COLUMNS} FROM fw_agreements WHERE agreement_id = ?",
                (agreement_id,),
            )
        return _agreement(row) if row else None

    def agreements(self, app_id: str | None = None) -> list[AgreementRecord]:
        sql = f"SELECT {_AGREEMENT_COLUMNS} FROM fw_agreements"
        params: tuple = ()
        if app_id is not None:
            sql += " WHERE app_id = ?"
            params = (app_id,)
        with self.db.transaction(write=False) as tx:
            rows = tx.all(sql + " ORDER BY signed_at, agreement_id", params)
        return [_agreement(r) for r in rows]

    def not_in_force(self, agreement_ids: Iterable[str], now: datetime) -> set[str]:
        """Of ``agreement_ids``, those no longer in force (ended, terminated or expired)."""
        ids = sorted(set(agreement_ids))
        if not ids:
            return set()
        marks = ",".join("?" for _ in ids)
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT agreement_id FROM fw_agreements WHERE agreement_id IN ({marks}) "
                "AND state = ? AND valid_until > ?",
                [*ids, IN_FORCE, to_text(now)],
            )
        return set(ids) - {r[0] for r in rows}
