"""The catalogue of service types and registered services that discovery answers from.

CORBA-free: a service here is its id, type and properties; the SCF manager factory that goes
with it lives in the CORBA-side registry (``framework/corba/registry.py``). An application only
ever sees the types its contract (its registered service types) allows: other types are
answered as unknown, so discovery does not reveal what an application may not use.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from framework.core import limits
from framework.core.errors import IllegalServiceType, InvalidProperty, UnknownServiceType

# TpServiceTypePropertyMode literals (fw_data.idl order)
NORMAL, MANDATORY, READONLY, MANDATORY_READONLY = (
    "NORMAL",
    "MANDATORY",
    "READONLY",
    "MANDATORY_READONLY",
)
PROPERTY_MODES = (NORMAL, MANDATORY, READONLY, MANDATORY_READONLY)
# TpServicePropertyTypeName of every property micropay declares (UNCONFIRMED spelling: the
# spec's list of type names was not retrievable; string-valued properties are the common case).
XSD_STRING = "XSD_STRING"

_TYPE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class PropertyDecl:
    name: str
    mode: str = NORMAL
    type_name: str = XSD_STRING

    def __post_init__(self) -> None:
        assert self.mode in PROPERTY_MODES, self.mode


@dataclass(frozen=True)
class ServiceType:
    name: str
    properties: tuple[PropertyDecl, ...] = ()
    supertypes: tuple[str, ...] = ()

    def declared(self, name: str) -> PropertyDecl | None:
        return next((p for p in self.properties if p.name == name), None)


@dataclass(frozen=True)
class ServiceOffer:
    service_id: str
    service_type: str
    properties: dict[str, tuple[str, ...]] = field(default_factory=dict)
    terms: str = ""

    def matches(self, desired: list[tuple[str, list[str]]]) -> bool:
        """Every desired property is present and holds every desired value."""
        for name, values in desired:
            have = self.properties.get(name)
            if have is None or not set(values) <= set(have):
                return False
        return True


def legal_type_name(name: str) -> bool:
    return 0 < len(name) <= limits.identifier_chars_max and bool(_TYPE_NAME.match(name))


class Catalog:
    """Service types and offers; safe to read from many ORB threads while SCFs register."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._types: dict[str, ServiceType] = {}
        self._offers: dict[str, ServiceOffer] = {}

    def add_type(self, service_type: ServiceType) -> None:
        assert legal_type_name(service_type.name), service_type.name
        with self._lock:
            self._types[service_type.name] = service_type

    def add_offer(self, offer: ServiceOffer) -> None:
        with self._lock:
            kind = self._types.get(offer.service_type)
            assert kind is not None, f"register the type {offer.service_type} first"
            assert offer.service_id not in self._offers, f"duplicate service {offer.service_id}"
            for name in offer.properties:
                assert kind.declared(name), f"{name} is not a property of {kind.name}"
            for decl in kind.properties:
                if decl.mode in (MANDATORY, MANDATORY_READONLY):
                    assert decl.name in offer.properties, f"{decl.name} is mandatory"
            self._offers[offer.service_id] = offer

    def remove_offer(self, service_id: str) -> None:
        with self._lock:
            self._offers.pop(service_id, None)

    def service_type(self, name: str) -> ServiceType | None:
        return self._types.get(name)

    def offer(self, service_id: str) -> ServiceOffer | None:
        return self._offers.get(service_id)

    def type_names(self, visible: tuple[str, ...]) -> list[str]:
        return sorted(t for t in self._types if t in visible)

    def describe(self, name: str, visible: tuple[str, ...]) -> tuple[ServiceType, bool]:
        """The type and whether a service of it is registered (AvailableOrUnavailable)."""
        kind = self._visible_type(name, visible)
        available = any(o.service_type == name for o in list(self._offers.values()))
        return kind, available

    def discover(
        self,
        type_name: str,
        desired: list[tuple[str, list[str]]],
        services_max: int,
        visible: tuple[str, ...],
    ) -> list[ServiceOffer]:
        kind = self._visible_type(type_name, visible)
        names = [name for name, _ in desired]
        if len(set(names)) != len(names):
            raise InvalidProperty("a property is named twice")
        for name in names:
            if kind.declared(name) is None:
                raise InvalidProperty(f"{name} is not a property of {type_name}")
        count = min(max(services_max, 0), limits.discover_services_max)
        found = [
            o
            for o in sorted(self._offers.values(), key=lambda o: o.service_id)
            if o.service_type == type_name and o.matches(desired)
        ]
        return found[:count]

    def subscribed(self, visible: tuple[str, ...]) -> list[ServiceOffer]:
        return sorted(
            (o for o in self._offers.values() if o.service_type in visible),
            key=lambda o: o.service_id,
        )

    def _visible_type(self, name: str, visible: tuple[str, ...]) -> ServiceType:
        if not legal_type_name(name):
            raise IllegalServiceType("malformed service type name")
        kind = self._types.get(name)
        if kind is None or name not in visible:
            raise UnknownServiceType(name)
        return kind
