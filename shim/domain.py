"""Where the servicers find the domain services: the handles the SCF components left on
``runtime.extras``, looked up when a call needs them (so start order does not matter).

- ``extras["payment"]`` / ``extras["account"]``: ``PaymentService`` / ``AccountService``. When a
  component left only ``extras["ledger"]``, the shim builds them from the SCFs' own classes on
  that ledger once (the same code, the same database; nothing of their logic is repeated here).
- ``extras["sms"]``: the ``SmsService`` (or the whole ``scf.sms.runtime.SmsRuntime``).

:meth:`Domain.wire` also tells the SCFs' notification dispatchers (``extras["sms_runtime"]``'s
dispatcher, ``extras["charging_dispatcher"]``) to leave gRPC registrations to the streams: their
resolver / deliverer is wrapped so ``grpc:`` endpoints count as delivered instead of being
retried as unreachable CORBA references.

A service that is not running answers UNAVAILABLE (SVC1000): a retry later is right.
"""

from __future__ import annotations

import threading
from typing import Any

from shim.streams_charging import grpc_aware_deliverer
from shim.streams_sms import grpc_aware_resolver

P_PAYMENT, P_ACCOUNT_MANAGEMENT, P_SMS = "P_PAYMENT", "P_ACCOUNT_MANAGEMENT", "P_SMS"


class NotRunning(ConnectionError):
    """The SCF behind a service is not running in this gateway (reported as SVC1000)."""


class Domain:
    def __init__(self, extras: dict[str, Any]) -> None:
        self.extras = extras
        self._lock = threading.Lock()
        self._built: dict[str, Any] = {}

    def _ledger(self) -> Any:
        ledger = self.extras.get("ledger")
        if ledger is None:
            raise NotRunning("no ledger is running")
        return ledger

    def payment(self) -> Any:
        found = self.extras.get("payment")
        if found is not None:
            return found
        with self._lock:
            if "payment" not in self._built:
                from scf.payment.service import PaymentService
                from scf.payment.tariff import TariffStore

                ledger = self._ledger()
                self._built["payment"] = PaymentService(ledger, TariffStore(ledger.db))
            return self._built["payment"]

    def account(self) -> Any:
        self.wire()
        found = self.extras.get("account")
        if found is not None:
            return found
        with self._lock:
            if "account" not in self._built:
                from scf.account.notifications import NotificationRegistry
                from scf.account.service import AccountService

                ledger = self._ledger()
                self._built["account"] = AccountService(ledger, NotificationRegistry(ledger))
            return self._built["account"]

    def sms(self) -> Any:
        found = self.extras.get("sms")
        if found is None:
            raise NotRunning("the SMS SCF is not running")
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
