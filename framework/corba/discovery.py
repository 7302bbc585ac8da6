"""IpServiceDiscovery: what the application's contract lets it see (TS 29.198-3 §7.3.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import org.csapi.fw as fw
import org__POA.csapi.fw.fw_application.discovery as discovery_POA
from org.csapi.fw.fw_application import discovery

from framework.corba.errors import servant_of
from framework.core.services import ServiceOffer
from telemetry.calls import observed

if TYPE_CHECKING:
    from framework.corba.framework import AccessHandle, Framework

_MODES = {
    "NORMAL": fw.NORMAL,
    "MANDATORY": fw.MANDATORY,
    "READONLY": fw.READONLY,
    "MANDATORY_READONLY": fw.MANDATORY_READONLY,
}


def service_struct(offer: ServiceOffer) -> Any:
    properties = [
        fw.TpServiceProperty(name, list(values)) for name, values in offer.properties.items()
    ]
    return fw.TpService(offer.service_id, fw.TpServiceDescription(offer.service_type, properties))


@servant_of(discovery.IpServiceDiscovery)
@observed
class IpServiceDiscoveryServant(discovery_POA.IpServiceDiscovery):
    def __init__(self, framework: Framework, handle: AccessHandle) -> None:
        self.catalog = framework.registry.catalog
        self.handle = handle

    def _visible(self) -> tuple[str, ...]:
        self.handle.session.use()
        return self.handle.session.app.service_types

    def listServiceTypes(self) -> list[str]:
        return self.catalog.type_names(self._visible())

    def describeServiceType(self, name: str) -> Any:
        kind, available = self.catalog.describe(name, self._visible())
        props = [
            fw.TpServiceTypeProperty(p.name, _MODES[p.mode], p.type_name) for p in kind.properties
        ]
        return fw.TpServiceTypeDescription(props, list(kind.supertypes), available)

    def discoverService(
        self,
        serviceTypeName: str,
        desiredPropertyList: list,
        max: int,  # the IDL parameter name
    ) -> list:
        desired = [
            (p.ServicePropertyName, list(p.ServicePropertyValueList)) for p in desiredPropertyList
        ]
        offers = self.catalog.discover(serviceTypeName, desired, max, self._visible())
        return [service_struct(o) for o in offers]

    def listSubscribedServices(self) -> list:
        return [service_struct(o) for o in self.catalog.subscribed(self._visible())]
