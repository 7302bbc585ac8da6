"""The base of every expected refusal, below every package that refuses something.

A :class:`DomainError` has a stable ``code`` (a plain-English identifier) and ``variables``
(what the limit and the attempted value were). Every surface maps ``code`` to its standard form
through one table (``scf/common/faults.py``: Parlay X messageId, gRPC status, HTTP). The ledger
(``charging.errors``), the SMS SCF (``scf.sms.errors``), the SMPP codec (``smpp.errors``) and
the embedded SMSC all refuse with subclasses of it, so none of them depends on another for its
error base. Broken invariants are assertions, not errors of this kind.

Besides the base, the generic refusal of bad input and of a malformed address live here: the
ledger, the SCFs and the number plan (``charging.msisdn``) all raise them.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """An expected refusal. Subclasses set ``code``; keyword arguments become ``variables``."""

    code: ClassVar[str] = "domain_error"
    text: ClassVar[str] = "The request was refused"

    def __init__(self, **variables: Any) -> None:
        self.variables = {k: str(v) for k, v in variables.items()}
        detail = ", ".join(f"{k}={v}" for k, v in self.variables.items())
        super().__init__(f"{self.text}" + (f" ({detail})" if detail else ""))


class InvalidInput(DomainError):
    code = "invalid_input"
    text = "Invalid input value"


class InvalidAddress(InvalidInput):
    code = "invalid_address"
    text = "Malformed end-user address"
