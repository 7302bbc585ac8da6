"""Typed refusals of the SMS SCF (Parlay X Part 4), beside the shared ones in charging.errors.

They subclass :class:`charging.errors.DomainError` so every surface maps them through the one
fault table, ``scf/common/faults.py`` (messageIds from Parlay X Part 1 §10 and the SMS range
SVC0280-0284).
"""

from __future__ import annotations

from charging.errors import DomainError, InvalidAddress, InvalidInput

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


class EmptyMessage(InvalidInput):
    code = "empty_message"
    text = "The message is empty"


class MessageTooLong(InvalidInput):
    code = "message_too_long"
    text = "Message too long"


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
