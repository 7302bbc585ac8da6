"""Typed refusals of the SMS SCF (Parlay X Part 4), beside the shared ones in domain_errors.

They subclass :class:`domain_errors.DomainError` so every surface maps them through the one
fault table, ``scf/common/faults.py`` (messageIds from Parlay X Part 1 §10 and the SMS range
SVC0280-0284). The codec's two (an empty or too long message) are :mod:`smpp.errors`'s, named
here too.
"""

from __future__ import annotations

from domain_errors import DomainError, InvalidAddress, InvalidInput
from smpp.errors import EmptyMessage, MessageTooLong

__all__ = [
    "ChargingNotSupported",
    "DuplicateCorrelator",
    "EmptyMessage",
    "InvalidAddress",
    "MessageTooLong",
    "OverlappedCriteria",
    "UnknownCorrelator",
    "UnknownRegistration",
    "UnknownRequestId",
]


class DuplicateCorrelator(DomainError):
    code = "duplicate_correlator"
    text = "The correlator is already in use"


class UnknownCorrelator(InvalidInput):
    code = "unknown_correlator"
    text = "No notification is registered with this correlator"


class OverlappedCriteria(DomainError):
    code = "overlapped_criteria"
    text = "Another notification already uses this activation number and criteria"


class UnknownRequestId(InvalidInput):
    code = "unknown_request_id"
    text = "Unknown request identifier"


class UnknownRegistration(InvalidInput):
    code = "unknown_registration"
    text = "Unknown registration identifier"


class ChargingNotSupported(DomainError):
    code = "charging_not_supported"
    text = "Charging is not supported"
