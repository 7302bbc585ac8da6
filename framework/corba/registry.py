"""The service registry: how an SCF offers its manager through the framework.

This is the contract the SCFs use (docs/framework.md, "Registering an SCF"). At start-up an SCF
calls :meth:`ServiceRegistry.register` with its service type (``P_PAYMENT``,
``P_ACCOUNT_MANAGEMENT``, ``P_SMS``), its properties and a factory. When an application has
signed a service agreement for that service, the framework calls the factory once with a
:class:`ServiceContext` (application id, agreement id, ...) and hands the application a
reference to the servant it returns. That reference:

- is bound to that one application and that one agreement (the servant reads ``context``);
- lives in a POA under an unguessable object id (160 random bits);
- stops working (OBJECT_NOT_EXIST) as soon as the agreement is terminated or expires, the
  access session ends, or the application is disabled. ``context.on_revoke`` lets the SCF
  release what it holds for the context; ``context.activate`` puts further objects the SCF
  hands out for that context (e.g. a charging session) under the same revocation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import org__POA.csapi as csapi_POA

from framework.corba.objects import ObjectTable
from framework.core.lease import Lease
from framework.core.services import (
    Catalog,
    PropertyDecl,
    ServiceOffer,
    ServiceType,
    legal_type_name,
)

# Service types micropay's SCFs offer (DESIGN §5); declared up front so discovery can describe
# them (AvailableOrUnavailable is false until an SCF registers a service of the type).
P_PAYMENT = "P_PAYMENT"
P_ACCOUNT_MANAGEMENT = "P_ACCOUNT_MANAGEMENT"
P_SMS = "P_SMS"
WELL_KNOWN_TYPES = (P_PAYMENT, P_ACCOUNT_MANAGEMENT, P_SMS)


@dataclass(frozen=True)
class ServiceContext:
    """What one manager servant is bound to: one application, one signed agreement."""

    app_id: str
    service_id: str
    service_type: str
    agreement_id: str
    token: str
    _lease: Lease = field(repr=False)
    _objects: ObjectTable = field(repr=False)

    @property
    def alive(self) -> bool:
        return self._lease.alive

    def on_revoke(self, hook: Callable[[], object]) -> None:
        """Run ``hook`` once when the context is revoked (at once if it already is)."""
        self._lease.on_revoke(hook)

    def activate(self, servant: Any) -> Any:
        """A reference to another object for this context, revoked together with it."""
        return self._objects.activate(servant, self._lease)


ManagerFactory = Callable[[ServiceContext], Any]


class ServiceRegistry:
    def __init__(self, root_poa: Any) -> None:
        self.catalog = Catalog()
        self.objects = ObjectTable(root_poa, "micropay-services")
        self._factories: dict[str, ManagerFactory] = {}
        self._lock = threading.Lock()
        for name in WELL_KNOWN_TYPES:
            self.register_type(name)

    def register_type(
        self,
        name: str,
        properties: Sequence[PropertyDecl] = (),
        supertypes: Sequence[str] = (),
    ) -> None:
        """Declare (or redeclare) a service type and the properties its services may carry."""
        if not legal_type_name(name):
            raise ValueError(f"illegal service type name {name!r}")
        self.catalog.add_type(ServiceType(name, tuple(properties), tuple(supertypes)))

    def register(
        self,
        service_type: str,
        factory: ManagerFactory,
        *,
        properties: Mapping[str, Sequence[str]] | None = None,
        service_id: str | None = None,
        terms: str = "",
    ) -> str:
        """Offer a service; return its service id (default: ``payment``, ``sms``, ...).

        Property names not declared for the type are declared (mode NORMAL). ``terms`` is the
        service's paragraph in the agreement text the application signs.
        """
        props = {k: tuple(v) for k, v in (properties or {}).items()}
        with self._lock:
            kind = self.catalog.service_type(service_type)
            if kind is None:
                self.register_type(service_type)
                kind = ServiceType(service_type)
            missing = [PropertyDecl(n) for n in props if kind.declared(n) is None]
            if missing:
                self.register_type(service_type, (*kind.properties, *missing), kind.supertypes)
            service_id = service_id or self._default_id(service_type)
            self.catalog.add_offer(ServiceOffer(service_id, service_type, props, terms))
            self._factories[service_id] = factory
        return service_id

    def unregister(self, service_id: str) -> None:
        """Withdraw a service from discovery (managers already handed out keep working)."""
        with self._lock:
            self.catalog.remove_offer(service_id)
            self._factories.pop(service_id, None)

    def _default_id(self, service_type: str) -> str:
        base = service_type.removeprefix("P_").lower()
        candidate, n = base, 1
        while self.catalog.offer(candidate) is not None:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def issue(
        self, app_id: str, service_id: str, agreement_id: str, token: str, lease: Lease
    ) -> Any:
        """Make the manager for one agreement (framework use only); None when withdrawn."""
        factory = self._factories.get(service_id)
        offer = self.catalog.offer(service_id)
        if factory is None or offer is None:
            return None
        context = ServiceContext(
            app_id, service_id, offer.service_type, agreement_id, token, lease, self.objects
        )
        servant = factory(context)
        assert isinstance(servant, csapi_POA.IpService), "a manager must implement IpService"
        return self.objects.activate(servant, lease)
