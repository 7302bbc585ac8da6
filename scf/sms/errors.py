"""Typed refusals of the SMS SCF (Parlay X Part 4), beside the shared ones in charging.errors.

They subclass :class:`charging.errors.DomainError` so every surface maps them through its one
fault table. ``PARLAY_X_FAULTS`` below is the mapping this module proposes for that table
(``scf/common/faults.py``): messageId and the variables order, taken from Parlay X Part 1 §10 and
the SMS range SVC0280-0284.
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
    "PARLAY_X_FAULTS",
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


# domain code -> (Parlay X messageId, variable names in the order of the %1, %2 placeholders)
PARLAY_X_FAULTS: dict[str, tuple[str, tuple[str, ...]]] = {
    EmptyMessage.code: ("SVC0002", ("part",)),
    MessageTooLong.code: ("SVC0280", ("max_length",)),
    DuplicateCorrelator.code: ("SVC0005", ("correlator", "part")),
    UnknownCorrelator.code: ("SVC0002", ("part",)),
    OverlappedCriteria.code: ("SVC0008", ("criteria",)),
    UnknownRequestId.code: ("SVC0002", ("part",)),
    UnknownRegistration.code: ("SVC0002", ("part",)),
    ChargingNotSupported.code: ("POL0008", ()),
    InvalidAddress.code: ("SVC0004", ("part",)),
}
