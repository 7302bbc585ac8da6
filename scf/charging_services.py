"""The domain services of the two charging SCFs, built once per process and shared by every
surface: ``PaymentService`` and ``AccountService`` on one ledger, with one ``NotificationRegistry``.

They hold state beside the ledger: the Payment hot path's ``Directory`` cache of end users, and
the registry's wake condition, which the charging-event dispatcher waits on so a new or changed
assignment is served at once. Built twice, each surface would get its own cache and condition,
and a registration made over gRPC would wake a registry no dispatcher waits on. So the gateway
builds them here once (``scf.payment.component``), registers the CORBA managers on them and
leaves them on ``runtime.extras`` for the gRPC shim (``shim.domain``). Transport-free.
"""

from __future__ import annotations

from dataclasses import dataclass

from charging.ledger import Ledger
from scf.account.notifications import NotificationRegistry
from scf.account.service import AccountService
from scf.payment.service import PaymentService
from scf.payment.tariff import TariffStore


@dataclass(frozen=True)
class ChargingServices:
    ledger: Ledger
    notifications: NotificationRegistry  # the dispatcher waits on its wake condition
    payment: PaymentService
    account: AccountService


def build_charging_services(ledger: Ledger) -> ChargingServices:
    """Payment and Account Management on ``ledger``, sharing its one notification registry."""
    notifications = NotificationRegistry(ledger)
    return ChargingServices(
        ledger=ledger,
        notifications=notifications,
        payment=PaymentService(ledger, TariffStore(ledger.db)),
        account=AccountService(ledger, notifications),
    )
