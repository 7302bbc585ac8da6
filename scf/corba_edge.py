"""The CORBA edge the three Parlay X servants share (Payment, Account Management, SMS).

One copy of what every servant does at the edge, so the three cannot drift:

- :func:`parlayx_faults`: run a domain call and turn what it raises into the Parlay X fault of
  the one fault table (``scf.common.faults``): a ``DomainError`` into ServiceException /
  PolicyException {messageId, text (the template), variables}; anything else into SVC0001 (or
  SVC1000 when transient) with an incident id and none of its own text.
- :class:`ManagerContext`: what the framework binds a manager to (its ``ServiceContext``).
- conversions of the IDL types the servants take (``common::ChargingInformation``, Property
  lists) and give (``common::Decimal`` text, ``common::DateTime`` text and back).

``scf/common`` stays transport-free (a test checks it): this module is its CORBA counterpart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from org.csapi.parlayx import common

from charging.errors import InvalidInput
from scf.common.amounts import text_from_minor
from scf.common.charging_information import ChargingInformation
from scf.common.faults import Fault, Kind, fault_for_exception
from scf.common.optional import text_or_none

T = TypeVar("T")


class ManagerContext(Protocol):
    """What a manager is bound to: the framework's ``ServiceContext`` is one (an application,
    one signed agreement); ``activate`` puts further objects under the same revocation."""

    app_id: str

    def activate(self, servant: Any) -> Any:
        """A reference to a further object of this context, revoked together with it."""


def corba_fault(fault: Fault) -> common.ServiceException | common.PolicyException:
    cls = common.ServiceException if fault.kind is Kind.SERVICE else common.PolicyException
    return cls(fault.message_id, fault.template, list(fault.variables))


def parlayx_faults(call: Callable[[], T], context: Mapping[str, object] | None = None) -> T:
    """``call()``, with every exception it raises reported as a Parlay X fault. ``context`` is
    what the request said (Parlay X parameter names), for variables the error does not carry."""
    try:
        return call()
    except Exception as exc:
        raise corba_fault(fault_for_exception(exc, context)) from None


def charging_information(charge: Any) -> ChargingInformation:
    """The IDL ``common::ChargingInformation`` as the domain type ("" members are absent; a
    currency given must be known, an amount must be xsd:decimal text)."""
    return ChargingInformation.from_text(
        description=charge.description,
        currency=charge.currency,
        amount=charge.amount,
        code=charge.code,
    )


def properties(parameters: Any) -> list[tuple[str, str]]:
    """A ``payment::PropertyList`` as (name, value) pairs."""
    return [(p.name, p.value) for p in parameters]


def decimal_text(minor: int | None, currency: str | None) -> str:
    """``common::Decimal`` text of an amount; "" when there is none (optional members)."""
    if minor is None or currency is None:
        return ""
    return text_from_minor(minor, currency)


def date_time_text(instant: datetime | None) -> str:
    """``common::DateTime``: ISO 8601 in UTC with a ``Z``; "" when absent (optional member).

    A naive datetime is taken as UTC -- the zone every stored instant is in, and the reading
    :func:`parse_date_time` gives a zone-less text -- never as the host's local time."""
    if instant is None:
        return ""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_date_time(text: str, part: str = "date") -> datetime | None:
    """An optional ``common::DateTime`` ("" = absent); one without a zone is taken as UTC."""
    value = text_or_none(text)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field=part, reason="an ISO 8601 date and time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
