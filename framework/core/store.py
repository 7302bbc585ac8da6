"""The framework's durable state: client applications, service tokens and signed agreements.

Tables live in the framework database (``framework.url``, by default the ledger's) and are
created by ``storage.migrate(db, "framework", MIGRATIONS)`` (``schema.py``). The shared CHAP
secret must be kept in a form the framework can use (CHAP needs the secret itself, not a hash),
so it is sealed with AES-GCM under a master key kept outside the database (``sealing.py``):
a copy of the database alone holds no secret. Rows written before sealing existed are sealed
in place when the store opens (``seal_plain_secrets``).
Both signatures of every agreement are kept for non-repudiation.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from framework.core import limits
from framework.core.records import (
    AGREEMENT_COLUMNS,
    APP_COLUMNS,
    ENDED,
    IN_FORCE,
    SUPERSEDED,
    TERMINATED,
    AgreementRecord,
    Application,
    ApplicationExists,
    InvalidApplication,
    agreement_from_row,
    application_from_row,
    b64,
    from_text,
    to_text,
    valid_app_id,
)
from framework.core.schema import MIGRATIONS
from framework.core.sealing import Keyring, is_sealed
from framework.core.signing import load_public_key
from framework.core.trust import TrustRecords
from storage import Database, UniqueViolation, migrate

__all__ = [
    "ENDED",
    "IN_FORCE",
    "MIGRATIONS",
    "SUPERSEDED",
    "TERMINATED",
    "AgreementRecord",
    "Application",
    "ApplicationExists",
    "FrameworkStore",
    "InvalidApplication",
    "from_text",
    "to_text",
    "valid_app_id",
]


class FrameworkStore:
    """Plain SQL over ``storage``; every method is one transaction."""

    def __init__(self, db: Database, keyring: Keyring) -> None:
        self.db = db
        self.keyring = keyring
        migrate(db, "framework", MIGRATIONS)
        self.trust = TrustRecords(db)
        self.seal_plain_secrets()

    def seal_plain_secrets(self) -> int:
        """Seal, in one transaction, every secret still stored in plain base64 (databases of
        earlier versions); return how many. A row changed meanwhile is left to the next run."""
        with self.db.transaction() as tx:
            rows = tx.all("SELECT app_id, secret FROM fw_applications ORDER BY app_id")
            plain = [(app_id, stored) for app_id, stored in rows if not is_sealed(stored)]
            for app_id, stored in plain:
                sealed = self.keyring.seal(app_id, self.keyring.open(app_id, stored))
                tx.execute(
                    "UPDATE fw_applications SET secret = ? WHERE app_id = ? AND secret = ?",
                    (sealed, app_id, stored),
                )
        return len(plain)

    def reseal_secrets(self, keyring: Keyring) -> int:
        """Seal every secret again under ``keyring``'s first key (master key rotation)."""
        with self.db.transaction() as tx:
            rows = tx.all("SELECT app_id, secret FROM fw_applications ORDER BY app_id")
            for app_id, stored in rows:
                secret = self.keyring.open(app_id, stored)
                tx.execute(
                    "UPDATE fw_applications SET secret = ? WHERE app_id = ?",
                    (keyring.seal(app_id, secret), app_id),
                )
        self.keyring = keyring
        return len(rows)

    def sealing_key_ids(self) -> set[str]:
        """The master keys the stored secrets need."""
        with self.db.transaction(write=False) as tx:
            rows = tx.all("SELECT secret FROM fw_applications")
        return {kid for (stored,) in rows if (kid := self.keyring.sealed_with(stored))}

    def _application(self, row: tuple) -> Application:
        return application_from_row(row, self.keyring.open(row[0], row[1]))

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
        if not limits.secret_bytes_min <= len(secret) <= limits.secret_bytes_max:
            raise InvalidApplication(
                f"the secret must be {limits.secret_bytes_min}..{limits.secret_bytes_max} bytes"
            )
        if public_key_pem is not None:
            load_public_key(public_key_pem)  # raises InvalidKey
        stamp = to_text(now)
        with self.db.transaction() as tx:
            if tx.one("SELECT 1 FROM fw_applications WHERE app_id = ?", (app_id,)):
                raise ApplicationExists(app_id)
            tx.execute(
                f"INSERT INTO fw_applications ({APP_COLUMNS}, updated_at) "
                "VALUES (?, ?, ?, ?, ?, 1, 0, NULL, ?, ?)",
                (
                    app_id,
                    self.keyring.seal(app_id, secret),
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
            row = tx.one(f"SELECT {APP_COLUMNS} FROM fw_applications WHERE app_id = ?", (app_id,))
        return self._application(row) if row else None

    def applications(self) -> list[Application]:
        with self.db.transaction(write=False) as tx:
            rows = tx.all(f"SELECT {APP_COLUMNS} FROM fw_applications ORDER BY app_id")
        return [self._application(r) for r in rows]

    def set_enabled(self, app_id: str, enabled: bool, now: datetime) -> bool:
        with self.db.transaction() as tx:
            cur = tx.execute(
                "UPDATE fw_applications SET enabled = ?, auth_failures = 0, locked_until = NULL, "
                "updated_at = ? WHERE app_id = ?",
                (1 if enabled else 0, to_text(now), app_id),
            )
            tx.execute("DELETE FROM fw_auth_failures WHERE app_id = ?", (app_id,))
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
            except UniqueViolation:  # another session or gateway made it first
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
        self, token: str, *, now: datetime, text: str, signature: bytes, reason: str
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
                (TERMINATED, to_text(now), reason, text, b64(signature), token, IN_FORCE),
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
                f"INSERT INTO fw_agreements ({AGREEMENT_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL)",
                (
                    record.agreement_id,
                    record.token,
                    record.app_id,
                    record.service_id,
                    record.service_type,
                    record.agreement_text,
                    record.signing_algorithm,
                    b64(record.app_signature),
                    b64(record.fw_signature),
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
                f"SELECT {AGREEMENT_COLUMNS} FROM fw_agreements WHERE agreement_id = ?",
                (agreement_id,),
            )
        return agreement_from_row(row) if row else None

    def agreements(self, app_id: str | None = None) -> list[AgreementRecord]:
        sql = f"SELECT {AGREEMENT_COLUMNS} FROM fw_agreements"
        params: tuple = ()
        if app_id is not None:
            sql += " WHERE app_id = ?"
            params = (app_id,)
        with self.db.transaction(write=False) as tx:
            rows = tx.all(sql + " ORDER BY signed_at, agreement_id", params)
        return [agreement_from_row(r) for r in rows]

    def in_force_signed(
        self, *, app_id: str, token: str, text: str, algorithm: str, now: datetime
    ) -> AgreementRecord | None:
        """The agreement in force under ``token`` whose signed text and algorithm are these,
        wherever it was signed (re-attaching it on another gateway); None if there is none."""
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                f"SELECT {AGREEMENT_COLUMNS} FROM fw_agreements WHERE token = ? AND app_id = ? "
                "AND state = ? AND valid_until > ? AND agreement_text = ? "
                "AND signing_algorithm = ?",
                (token, app_id, IN_FORCE, to_text(now), text, algorithm),
            )
        return agreement_from_row(row) if row else None

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
