"""The framework's records: applications and signed agreements, and their row mapping."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from framework.core import limits
from framework.core.signing import PublicKey, load_public_key

# Agreement states in the table; "expired" is derived from valid_until when shown.
IN_FORCE, TERMINATED, ENDED, SUPERSEDED = "in_force", "terminated", "ended", "superseded"

_APP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so text order is time order


def to_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def from_text(text: str | None) -> datetime | None:
    return None if text is None else datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class ApplicationExists(Exception):
    pass


class InvalidApplication(ValueError):
    pass


def valid_app_id(app_id: str) -> bool:
    return 0 < len(app_id) <= limits.identifier_chars_max and bool(_APP_ID.match(app_id))


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


APP_COLUMNS = (
    "app_id, secret, public_key_pem, auth_mechanisms, service_types, enabled, auth_failures, "
    "locked_until, created_at"
)
AGREEMENT_COLUMNS = (
    "agreement_id, token, app_id, service_id, service_type, agreement_text, signing_algorithm, "
    "app_signature, fw_signature, signed_at, valid_until, state, ended_at, end_reason, "
    "termination_text, termination_signature"
)


def application_from_row(row: tuple, secret: bytes) -> Application:
    """The record of a row whose stored secret the caller opened (``sealing.Keyring``)."""
    return Application(
        app_id=row[0],
        secret=secret,
        public_key_pem=row[2],
        auth_mechanisms=tuple(x for x in row[3].split(",") if x),
        service_types=tuple(x for x in row[4].split(",") if x),
        enabled=bool(row[5]),
        auth_failures=int(row[6]),
        locked_until=from_text(row[7]),
        created_at=from_text(row[8]) or datetime.now(UTC),
    )


def agreement_from_row(row: tuple) -> AgreementRecord:
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
