"""The gateway components of the SMS SCF: the embedded SMSC, and SMS itself (``micropay serve``).

Both have the shape of ``gateway.components`` start functions (``start(runtime)`` returns
something with ``name`` and ``stop()``, or None); the runtime is duck-typed, so nothing here
imports the gateway. In ``COMPONENTS`` they come after the framework, in this order:

- :func:`start_embedded_smsc_component` -- only when ``smsc.embedded`` is true: the SMPP server as
  a child process (``smsc.embedded``), its handle in ``runtime.extras["smsc"]``, its endpoint
  printed as ``smsc: smpp://HOST:PORT (embedded ...)`` and a health check that it is alive.
- :func:`start_sms_component` -- the SMS runtime (outbox, SMPP sender, notification dispatcher)
  against that SMSC's port or the configured external SMSC (``smsc.host``/``smsc.port``), the
  ``P_SMS`` offer in the framework's registry, health checks ``smpp`` (bind state) and
  ``sms_outbox`` (parts waiting, dead notifications), the :class:`SmsService` in
  ``runtime.extras["sms"]`` for other components (``notify_subscriber``) and the whole
  :class:`SmsRuntime` in ``runtime.extras["sms_runtime"]`` (its dispatcher's resolver, for a
  surface that delivers some endpoints itself).

Charging on sendSms (:class:`LedgerChargingHook`): a ``ChargingInformation`` is debited, under
the sender application's contract, from that application's billing account in the ledger, named
by ``sms.billing_accounts = "APP_ID=ACCOUNT,..."``. The ledger is the one a charging component
left in ``runtime.extras["ledger"]``, looked up at each charge, so the start order does not
matter; without a ledger, or for an application without a billing account, charging is refused
with POL0008 (Charging is not supported).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from charging.errors import InvalidAmount, UnregisteredAccount
from charging.money import to_minor
from scf.sms import outbox
from scf.sms.corba_callbacks import CorbaNotificationResolver
from scf.sms.errors import ChargingNotSupported
from scf.sms.model import ChargingInformation
from scf.sms.runtime import SmsRuntime, start_sms
from scf.sms.servant import register_sms
from smsc.embedded import SmscHandle, start_embedded_smsc

logger = logging.getLogger("micropay.sms")

SMSC_KEY = "smsc"  # runtime.extras: the embedded SMSC's SmscHandle
SMS_KEY = "sms"  # runtime.extras: the SmsService
SMS_RUNTIME_KEY = "sms_runtime"  # runtime.extras: the SmsRuntime (sender, dispatcher, db)
LEDGER_KEY = "ledger"  # runtime.extras: a charging.ledger.Ledger, when a component opened one
FIRST_BIND_WAIT_S = 5  # the embedded SMSC is listening already: the first bind takes ms
OUTBOX_QUEUED_READY_MAX = 100_000  # parts waiting for the SMSC beyond this: not ready


class ConfigurationError(ValueError):
    """``sms.billing_accounts`` does not parse."""


def parse_billing_accounts(text: str) -> dict[str, str]:
    """``"app-1=ACC-1, app-2=ACC-2"`` -> {"app-1": "ACC-1", "app-2": "ACC-2"}."""
    accounts: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        app_id, sep, account = (s.strip() for s in item.partition("="))
        if not sep or not app_id or not account:
            raise ConfigurationError(f"sms.billing_accounts: expected APP_ID=ACCOUNT, got {item!r}")
        accounts[app_id] = account
    return accounts


class LedgerChargingHook:
    """The SMS service's ``ChargingHook``: one ledger charge per sendSms that carries charging.

    The amount applies to each message: an application sending to three addresses pays three
    times ``charging.amount``, in ``charging.currency`` or else its billing account's currency.
    The referenceCode is ``sms-<requestIdentifier>``, so the charge is found in the account's
    history by the request it paid for. Every ledger refusal (insufficient balance POL1000, a
    monthly limit POL1001, a currency mismatch SVC0007, ...) reaches the application as its
    fault, and nothing is stored or sent.
    """

    def __init__(
        self, ledger: Callable[[], Any | None], billing_accounts: Mapping[str, str]
    ) -> None:
        self._ledger = ledger
        self.billing_accounts = dict(billing_accounts)

    def __call__(
        self, app_id: str, request_id: str, addresses: list[str], charging: ChargingInformation
    ) -> None:
        ledger = self._ledger()
        account = self.billing_accounts.get(app_id)
        if ledger is None or account is None:
            raise ChargingNotSupported()
        if charging.amount is None:
            raise InvalidAmount(amount="", reason="charging.amount is required")
        try:
            currency = charging.currency or ledger.get_account(account).currency
            per_message_minor = to_minor(charging.amount, currency)
            ledger.charge(
                app_id=app_id,
                reference_code=f"sms-{request_id}",
                account=account,
                amount_minor=per_message_minor * len(addresses),
                currency=currency,
                description=charging.description,
                code=charging.code,
            )
        except UnregisteredAccount:
            # The operator named an account the ledger does not have: the application's
            # contract has no working charging, which is not the end user's fault (POL1009).
            logger.warning("billing account %s of %s is not in the ledger", account, app_id)
            raise ChargingNotSupported() from None


@dataclass
class EmbeddedSmsc:
    handle: SmscHandle
    name: str = "embedded-smsc"

    def stop(self) -> None:
        self.handle.stop()


def start_embedded_smsc_component(runtime: Any) -> EmbeddedSmsc | None:
    """Start the embedded SMSC when ``smsc.embedded`` is true (else nothing)."""
    if not runtime.config["smsc"]["embedded"]:
        return None
    handle = start_embedded_smsc(runtime.config)
    runtime.extras[SMSC_KEY] = handle
    runtime.endpoints["smsc"] = (
        f"smpp://{handle.host}:{handle.port} (embedded, data {handle.data_dir})"
    )

    def alive() -> tuple[bool, str]:
        code = handle.process.poll()
        return code is None, f"pid {handle.process.pid}" if code is None else f"exited {code}"

    runtime.health.add_check("smsc", alive)
    return EmbeddedSmsc(handle)


@dataclass
class SmsComponent:
    runtime: SmsRuntime
    registry: Any
    service_id: str
    extras: dict[str, Any]
    name: str = "sms"

    def stop(self) -> None:
        """Withdraw the offer, then finish in-flight submissions and stop notifying."""
        self.registry.unregister(self.service_id)
        if self.extras.get(SMS_KEY) is self.runtime.service:
            del self.extras[SMS_KEY]
        if self.extras.get(SMS_RUNTIME_KEY) is self.runtime:
            del self.extras[SMS_RUNTIME_KEY]
        self.runtime.stop()


def offer_properties(config: Any) -> dict[str, list[str]]:
    """What discovery shows of the P_SMS offer (all string-valued)."""
    return {
        "P_SMS_SHORT_CODE": [str(config["sms"]["short_code"])],
        "P_SMS_MAX_LENGTH": [str(config["sms"]["length_max"])],
        "P_SMS_NOTIFICATIONS": ["notifySmsReception", "notifySmsDeliveryReceipt"],
    }


def _health_checks(runtime: Any, sms: SmsRuntime) -> None:
    sender, dispatcher = sms.sender, sms.dispatcher

    def outbox_depth() -> tuple[bool, str]:
        with sms.db.transaction(write=False) as tx:
            queued = outbox.count_due(tx)
        dead = dispatcher.stats["dead"]
        detail = (
            f"queued={queued} notifications_delivered={dispatcher.stats['delivered']} dead={dead}"
        )
        return queued <= OUTBOX_QUEUED_READY_MAX, detail

    runtime.health.add_check("smpp", sender.bind_status)
    runtime.health.add_check("sms_outbox", outbox_depth)


def start_sms_component(runtime: Any) -> SmsComponent:
    """Start the SMS SCF against the embedded SMSC (when started) or the configured one."""
    assert runtime.orb is not None and runtime.services is not None, "start the ORB first"
    config = runtime.config
    smsc: SmscHandle | None = runtime.extras.get(SMSC_KEY)
    hook = LedgerChargingHook(
        lambda: runtime.extras.get(LEDGER_KEY),
        parse_billing_accounts(str(config["sms"]["billing_accounts"])),
    )
    resolver = CorbaNotificationResolver(
        runtime.orb.orb, int(config["framework"]["callback_timeout_ms"])
    )
    sms = start_sms(
        config,
        smsc_port=smsc.port if smsc is not None else None,
        charging_hook=hook,
        resolver=resolver,
    )
    try:
        if smsc is not None:
            smsc_address = f"{smsc.host}:{smsc.port}"
            if not sms.sender.connected.wait(FIRST_BIND_WAIT_S):
                logger.warning("not bound to the embedded SMSC yet; the sender keeps trying")
        else:
            smsc_address = f"{config['smsc']['host']}:{config['smsc']['port']}"
            runtime.endpoints["smsc"] = f"smpp://{smsc_address} (external)"
        service_id = register_sms(
            runtime.services, sms.service, runtime.orb.orb, offer_properties(config)
        )
    except BaseException:
        sms.stop()
        raise
    runtime.extras[SMS_KEY] = sms.service
    runtime.extras[SMS_RUNTIME_KEY] = sms
    _health_checks(runtime, sms)
    return SmsComponent(sms, runtime.services, service_id, runtime.extras)
