"""Where the CAMARA surface takes the gateway's domain services from: ONE function.

The Payment SCF's ``PaymentService`` and the ledger are the ones the charging SCFs' component
built for this gateway process (``scf.payment.component.start_charging_scfs`` leaves them in
``runtime.extras["charging_scfs"]``); the SMS SCF's service is looked up when a one-time code is
sent (it may start after this surface, or not at all). Nothing here builds a domain service:
when the gateway builds its services once for every surface, only this function changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CHARGING_SCFS_KEY = "charging_scfs"
SMS_KEY = "sms"


class NotRunning(ConnectionError):
    """A service this surface needs is not running in this gateway (SVC1000, 503)."""


@dataclass(frozen=True)
class DomainServices:
    payment: Any  # scf.payment.service.PaymentService
    ledger: Any  # charging.ledger.Ledger
    sms: Callable[[], Any]  # the SMS SCF's SmsService, when it runs


def domain_services(runtime: Any) -> DomainServices:
    scfs = runtime.extras.get(CHARGING_SCFS_KEY)
    if scfs is None:
        raise RuntimeError("the CAMARA surface needs the Payment SCF: start it first")

    def sms() -> Any:
        found = runtime.extras.get(SMS_KEY)
        if found is None:
            raise NotRunning("the SMS SCF is not running: no one-time code can be sent")
        return getattr(found, "service", found)

    return DomainServices(scfs.payment, scfs.ledger, sms)
