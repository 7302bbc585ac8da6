"""What the Payment and Account Management servants share at the CORBA edge.

- :func:`parlayx_faults`: run a domain call and turn what it raises into the Parlay X fault of
  the one fault table (``scf.common.faults``): a ``DomainError`` into ServiceException /
  PolicyException {messageId, text (the template), variables}; anything else into SVC0001 (or
  SVC1000 when transient) with an incident id and none of its own text.
- conversions of the IDL types both servants take (ChargingInformation, Property lists) and give
  (Decimal text, DateTime text).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from org.csapi.parlayx import common

from scf.common.amounts import text_from_minor
from scf.common.charging_information import ChargingInformation
from scf.common.faults import Fault, Kind, fault_for_exception

T = TypeVar("T")


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
    """The IDL ``common::ChargingInformation`` as the domain type ("" members are absent)."""
    return ChargingInformation.from_text(
        charge.description, charge.currency, charge.amount, charge.code
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
    """``common::DateTime``: ISO 8601 in UTC with a ``Z`` ("" when absent)."""
    if instant is None:
        return ""
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
