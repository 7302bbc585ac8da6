"""The gateway component of the two charging SCFs: Payment, Account Management and the
charging-event dispatcher, on one ledger (``micropay serve``).

``start_charging_scfs(runtime)`` has the shape of ``gateway.components`` start functions: it
reads ``runtime.config``, registers ``P_PAYMENT`` and ``P_ACCOUNT_MANAGEMENT`` with
``runtime.services`` (the framework's ``ServiceRegistry``), starts the dispatcher on
``runtime.orb.orb`` and returns something with ``name`` and ``stop()``. It uses the ledger a
component before it left in ``runtime.extras["ledger"]``; without one it opens the configured
ledger itself (and closes it on stop), starts its reservation sweeper and leaves it there for
components after it. Nothing here imports the gateway: the runtime is duck-typed.

The domain services are built once (:func:`scf.charging_services.build_charging_services`): the
CORBA managers are made on them, and they are left in ``runtime.extras["payment"]`` and
``runtime.extras["account"]`` for the gRPC shim, so both surfaces share one Directory cache and
one notification registry -- the one the dispatcher waits on.

Every gateway runs the dispatcher, but with several gateways on one database only the holder of
the ``charging-events`` leadership (``ledger.leader_election``; :mod:`storage.cluster`) delivers,
so each event reaches each application once; the dispatcher is left in
``runtime.extras["charging_dispatcher"]`` (metrics, the gRPC shim's wiring).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from charging.ledger import Ledger
from charging.selfcare_ops import LEDGER_SETTINGS as SETTINGS
from scf.account.callbacks import start_notifications
from scf.account.dispatcher import NotificationDispatcher
from scf.account.servant import register_account
from scf.account.service import AccountService
from scf.charging_services import build_charging_services
from scf.payment.servant import register_payment
from scf.payment.service import PaymentService
from storage.cluster import Leadership

LEDGER_KEY = "ledger"
PAYMENT_KEY = "payment"  # runtime.extras: the one PaymentService of the process
ACCOUNT_KEY = "account"  # runtime.extras: the one AccountService of the process
DISPATCHER_KEY = "charging_dispatcher"
SCFS_KEY = "charging_scfs"
LEADERSHIP_NAME = "charging-events"  # the job only one gateway of a database does at a time


@dataclass
class ChargingScfs:
    """What ``start_charging_scfs`` started; ``stop()`` undoes it."""

    ledger: Ledger
    payment: PaymentService
    account: AccountService
    dispatcher: NotificationDispatcher
    service_ids: list[str] = field(default_factory=list)
    owns_ledger: bool = False
    registry: Any = None
    name: str = "payment+account"

    extras: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        for service_id in self.service_ids:
            self.registry.unregister(service_id)
        for key in (PAYMENT_KEY, ACCOUNT_KEY, SCFS_KEY):
            self.extras.pop(key, None)
        self.dispatcher.stop()  # steps down, so another gateway takes over at once
        if self.owns_ledger:
            self.ledger.close()


def start_charging_scfs(runtime: Any) -> ChargingScfs:
    assert runtime.orb is not None and runtime.services is not None, "start the ORB first"
    config = runtime.config
    ledger = runtime.extras.get(LEDGER_KEY)
    owns = ledger is None
    if owns:
        if not config["ledger"]["url"]:
            config.ensure_data_dir()
        settings = {k: v for k, v in config["ledger"].items() if k in SETTINGS}
        ledger = Ledger.open(config.ledger_url, **settings)
        ledger.start_sweeper()
        runtime.extras[LEDGER_KEY] = ledger
    try:
        services = build_charging_services(ledger)
        leadership = Leadership(
            ledger.db,
            LEADERSHIP_NAME,
            mode=str(config["ledger"]["leader_election"]),
            ttl_ms=int(config["ledger"]["leader_lease_ttl_s"]) * 1000,
        )
        dispatcher = start_notifications(
            ledger,
            runtime.orb.orb,
            services.notifications,
            callback_timeout_ms=int(config["framework"]["callback_timeout_ms"]),
            leadership=leadership,
        )
    except BaseException:
        if owns:
            ledger.close()
        raise
    started = ChargingScfs(ledger, services.payment, services.account, dispatcher, owns_ledger=owns)
    started.registry = runtime.services
    started.extras = runtime.extras
    started.service_ids = [
        register_payment(runtime.services, services.payment),
        register_account(runtime.services, services.account, runtime.orb.orb),
    ]
    runtime.extras[PAYMENT_KEY] = services.payment
    runtime.extras[ACCOUNT_KEY] = services.account
    runtime.extras[DISPATCHER_KEY] = dispatcher
    runtime.extras[SCFS_KEY] = started  # the CAMARA surface's domain services (camara.domain)
    runtime.health.add_check(
        "notifications",
        lambda: (
            True,
            f"delivered={dispatcher.delivered} leader={'yes' if dispatcher.leading else 'no'}",
        ),
    )
    return started
