"""Setting a gateway up with seed data as an operator would, idempotently: applications registered
with the credentials in their files, accounts opened when they are missing.

``micropay demo`` (``apps/demo``) uses it for the shop and its demo accounts and for the
conformance profile (``apps/interop/demo_profile.py``). Every step checks before it writes, so
the demo's second start changes nothing -- what the operator did to an account since stays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

from charging.errors import UnregisteredAccount
from charging.ledger import Ledger
from charging.model import Kind
from framework.core.signing import load_public_key
from gateway.cli.account import ledger_settings
from gateway.cli.output import CommandError
from gateway.config import Config
from gateway.framework_store import open_store

PAST_DAYS = 60  # an expired account is made on a clock this far back, valid for 30 days of it


class CredentialFiles(Protocol):
    """An application's shared secret and public key, as files (an application makes them)."""

    @property
    def secret(self) -> Path: ...

    @property
    def public_key(self) -> Path: ...


@dataclass(frozen=True)
class SeedAccount:
    number: str
    msisdn: str
    what: str = ""
    kind: Kind = Kind.PREPAID
    balance: int = 0
    monthly_limit: int | None = 300_000
    transaction_limit: int | None = None
    low_balance: int = 5_000
    pin: str | None = None
    state: str = "active"  # or suspended, expired, closed
    spent_this_month: int = 0


def register_once(
    config: Config,
    app_id: str,
    files: CredentialFiles,
    services: Iterable[str],
    mechanisms: Iterable[str] = ("P_OSA_HMAC_SHA256",),
) -> None:
    """Register ``app_id`` with the secret and key in ``files``; on a re-run check it is still
    registered with them (another secret would lock the application out)."""
    secret = files.secret.read_bytes().rstrip(b"\r\n")
    public_pem = files.public_key.read_text()
    services = tuple(services)
    store = open_store(config)
    try:
        app = store.application(app_id)
        if app is None:
            store.register_application(
                app_id, secret, public_pem, list(mechanisms), services, datetime.now(UTC)
            )
            return
        same_key = app.public_key_pem and (
            load_public_key(app.public_key_pem) == load_public_key(public_pem)
        )
        if app.secret != secret or not same_key:
            raise CommandError(
                f"{app_id} is registered with other credentials than {files.secret.parent} "
                f"holds; remove {config.data_dir} to start the demo afresh"
            )
        if not set(services) <= set(app.service_types):
            raise CommandError(f"{app_id} is registered without {services}")
    finally:
        store.db.close()


def open_accounts(config: Config, accounts: Iterable[SeedAccount], currency: str) -> None:
    """Open the accounts that are missing, in the state they are meant to have."""
    accounts = tuple(accounts)
    settings = ledger_settings(config)
    past = datetime.now(UTC) - timedelta(days=PAST_DAYS)
    expired = [a for a in accounts if a.state == "expired"]
    if expired:  # an account valid until a past day can only be opened on a clock of the past
        with Ledger.open(config.ledger_url, **settings, clock=lambda: past) as ledger:
            for a in expired:
                _open(ledger, a, currency, valid_until=(past + timedelta(days=30)).date())
    with Ledger.open(config.ledger_url, **settings) as ledger:
        for a in accounts:
            if a.state != "expired":
                _open(ledger, a, currency)


def _open(ledger: Ledger, a: SeedAccount, currency: str, valid_until: date | None = None) -> None:
    try:
        ledger.get_account(a.number)
        return
    except UnregisteredAccount:
        pass
    ledger.create_account(
        a.number, msisdn=a.msisdn, currency=currency, kind=a.kind, balance_minor=a.balance,
        monthly_limit_minor=a.monthly_limit, transaction_limit_minor=a.transaction_limit,
        low_balance_minor=a.low_balance, valid_until=valid_until, pin=a.pin,
    )  # fmt: skip
    if a.state in ("suspended", "closed"):
        ledger.set_status(a.number, a.state)
