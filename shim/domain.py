"""Where the servicers find the domain services: the ones the SCF components built for the
gateway process and left on ``runtime.extras``, looked up when a call needs them (so start
order does not matter). The shim builds no domain service of its own: the CORBA servants and
the servicers call the very same objects (one Directory cache, one notification registry --
the one the charging-event dispatcher waits on).

- ``extras["payment"]`` / ``extras["account"]``: ``PaymentService`` / ``AccountService``
  (``scf.payment.component``, built by ``scf.charging_services``);
- ``extras["sms"]``: the ``SmsService`` (or the whole ``scf.sms.runtime.SmsRuntime``).

:meth:`Domain.wire` also tells the SCFs' notification dispatchers (``extras["sms_runtime"]``'s
dispatcher, ``extras["charging_dispatcher"]``) to leave gRPC registrations to the streams: their
resolver / deliverer is wrapped so ``grpc:`` endpoints count as delivered instead of being
retried as unreachable CORBA references.

A service that is not running answers UNAVAILABLE (SVC1000): a retry later is right.
"""

from __future__ import annotations

from typing import Any

from scf.payment.component import ACCOUNT_KEY, PAYMENT_KEY
from shim.streams_charging import grpc_aware_deliverer
from shim.streams_sms import grpc_aware_resolver

P_PAYMENT, P_ACCOUNT_MANAGEMENT, P_SMS = "P_PAYMENT", "P_ACCOUNT_MANAGEMENT", "P_SMS"


class NotRunning(ConnectionError):
    """The SCF behind a service is not running in this gateway (reported as SVC1000)."""


class Domain:
    def __init__(self, extras: dict[str, Any]) -> None:
        self.extras = extras

    def _running(self, key: str, scf: str) -> Any:
        found = self.extras.get(key)
        if found is None:
            raise NotRunning(f"the {scf} SCF is not running")
        return found

    def payment(self) -> Any:
        return self._running(PAYMENT_KEY, "Payment")

    def account(self) -> Any:
        self.wire()
        return self._running(ACCOUNT_KEY, "Account Management")

    def sms(self) -> Any:
        found = self._running("sms", "SMS")
        self.wire()
        return getattr(found, "service", found)

    def wire(self) -> None:
        """Wrap the SCFs' dispatchers for gRPC registrations (idempotent; cheap to repeat)."""
        for holder in (self.extras.get("sms_runtime"), self.extras.get("sms")):
            dispatcher = getattr(holder, "dispatcher", None)
            if dispatcher is not None and not getattr(dispatcher.resolver, "grpc_aware", False):
                dispatcher.resolver = grpc_aware_resolver(dispatcher.resolver)
        charging = self.extras.get("charging_dispatcher")
        if charging is not None and not getattr(charging.deliverer, "grpc_aware", False):
            charging.deliverer = grpc_aware_deliverer(charging.deliverer)

    def serves(self, service_type: str) -> bool:
        """Whether a call of this service type would find its domain service now."""
        try:
            if service_type == P_PAYMENT:
                self.payment()
            elif service_type == P_ACCOUNT_MANAGEMENT:
                self.account()
            elif service_type == P_SMS:
                self.sms()
            else:
                return False
        except NotRunning:
            return False
        return True
