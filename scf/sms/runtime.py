"""Wiring of the SMS SCF for the gateway: the domain service, the SMPP sender and the dispatcher.

``micropay serve`` does, in order::

    smsc = start_embedded_smsc(config) if config["smsc"]["embedded"] else None   # smsc.embedded
    sms = start_sms(config, smsc_port=smsc.port if smsc else None,
                    charging_hook=..., resolver=...)
    ... sms.service.sendSms(...) / sms.service.notify_subscriber(...) ...
    sms.stop(); smsc and smsc.stop()
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scf.sms.addresses import canonical_tel
from scf.sms.model import ChargingHook, NotificationResolver
from scf.sms.notifications import NotificationDispatcher
from scf.sms.sender import SUBMIT_LEASE_MS, SmppSender
from scf.sms.service import SmsService
from scf.sms.templates import Templates
from smpp.addresses import Addressing, parse_overrides
from smpp.bind_backoff import BindRetryPolicy
from smpp.credentials import read_password
from storage import Database, open_database
from storage.cluster import prepare


def _no_listener(endpoint: str):  # noqa: ANN202 - raises by design
    raise LookupError(f"no notification transport is wired for endpoint {endpoint!r}")


@dataclass
class SmsRuntime:
    service: SmsService
    sender: SmppSender
    dispatcher: NotificationDispatcher
    db: Database
    own_db: bool

    def stop(self) -> None:
        """Finish in-flight submissions and record them, then stop delivering notifications."""
        self.sender.stop()
        self.dispatcher.stop()
        if self.own_db:
            self.db.close()


def templates_path(config) -> Path:  # config: gateway.config.Config
    name = config["sms"].get("templates_file") or ""
    return Path(name) if name else config.data_dir / "sms-templates.toml"


def addressing(config) -> Addressing:  # config: gateway.config.Config
    """How short codes go to the SMSC (``sms.short_code_ton/npi/overrides``)."""
    sms = config["sms"]
    return Addressing(
        int(sms["short_code_ton"]),
        int(sms["short_code_npi"]),
        parse_overrides(str(sms["short_code_overrides"])),
    )


def bind_retry(config) -> BindRetryPolicy:  # config: gateway.config.Config
    smsc = config["smsc"]
    return BindRetryPolicy(
        network_ms_max=int(smsc["reconnect_delay_ms_max"]),
        auth_ms_min=int(smsc["bind_auth_retry_ms_min"]),
        auth_ms_max=int(smsc["bind_auth_retry_ms_max"]),
        auth_failures_max=int(smsc["bind_auth_failures_max"]),
    )


def start_sms(
    config,
    *,
    db: Database | None = None,
    smsc_port: int | None = None,
    charging_hook: ChargingHook | None = None,
    resolver: NotificationResolver | None = None,
    lease_ms: int = SUBMIT_LEASE_MS,
) -> SmsRuntime:
    """Open (or share) the ledger's database, migrate the "sms" tables, start sender and dispatcher."""
    own_db = db is None
    database = db or open_database(config.ledger_url)
    prepare(database)  # the sender's exclusive section (several gateways on one database)
    smsc = config["smsc"]
    pw_file = config.smpp_password_path
    dispatcher = NotificationDispatcher(database, resolver or _no_listener)
    service_addressing = addressing(config)
    short_code = canonical_tel(str(config["sms"]["short_code"]), "sms.short_code")
    sender = SmppSender(
        database,
        host=smsc["host"],
        port=smsc_port if smsc_port is not None else int(smsc["port"]),
        system_id=smsc["system_id"],
        password=lambda: read_password(pw_file),
        window_max=int(config["sms"]["submit_window_max"]),
        lease_ms=lease_ms,
        on_event=dispatcher.wake,
        addressing=service_addressing,
        short_codes=frozenset(
            [short_code.removeprefix("short:")] if short_code.startswith("short:") else []
        ),
        bind_retry=bind_retry(config),
    )
    service = SmsService(
        database,
        short_code=short_code,
        addressing=service_addressing,
        length_max=int(config["sms"]["length_max"]),
        charging_hook=charging_hook,
        templates=Templates(templates_path(config)),
        on_stored=sender.wake,
    )
    sender.start()
    dispatcher.start()
    return SmsRuntime(service, sender, dispatcher, database, own_db)
