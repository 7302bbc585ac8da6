"""When to try binding to the SMSC again, and what to say about it: pure, no I/O, no clock.

Three kinds of failure, each with its own exponential back-off (the delay doubles from a minimum
to a cap, and starts again at the minimum after a successful bind):

- ``network``: no connection, a timeout, a dropped session -- the SMSC restarts; retry soon.
- ``refused``: the SMSC answered the bind with an error status other than the two below
  (ESME_RBINDFAIL, ESME_RALYBND, throttling) -- retry more slowly.
- ``authentication``: ESME_RINVPASWD or ESME_RINVSYSID -- the credentials are wrong and stay
  wrong until an operator fixes them, and an SMSC may lock the account after a few failed binds:
  the slowest path, and after ``auth_failures_max`` of them in a row (0: never) the sender stops
  trying until it is restarted.

:meth:`BindBackoff.describe` is the cause shown in ``/readyz``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

ESME_RINVPASWD, ESME_RINVSYSID = 0x0E, 0x0F
AUTHENTICATION_STATUSES = frozenset({ESME_RINVPASWD, ESME_RINVSYSID})


class BindFailure(enum.StrEnum):
    NETWORK = "network"
    REFUSED = "refused"
    AUTHENTICATION = "authentication"


@dataclass(frozen=True)
class BindRetryPolicy:
    """Back-off bounds per kind of failure, in milliseconds; ``auth_failures_max`` 0 = no stop."""

    network_ms_min: int = 100
    network_ms_max: int = 5_000
    refused_ms_min: int = 1_000
    refused_ms_max: int = 60_000
    auth_ms_min: int = 30_000
    auth_ms_max: int = 600_000
    auth_failures_max: int = 0

    def bounds(self, kind: BindFailure) -> tuple[int, int]:
        if kind is BindFailure.NETWORK:
            return self.network_ms_min, self.network_ms_max
        if kind is BindFailure.REFUSED:
            return self.refused_ms_min, self.refused_ms_max
        return self.auth_ms_min, self.auth_ms_max


def classify(status: int | None) -> BindFailure:
    """A bind's failure by the bind_resp status (None: no answer at all)."""
    if status is None:
        return BindFailure.NETWORK
    return BindFailure.AUTHENTICATION if status in AUTHENTICATION_STATUSES else BindFailure.REFUSED


class BindBackoff:
    """The state of one sender's attempts: feed it failures and successes, read delays."""

    def __init__(self, policy: BindRetryPolicy | None = None) -> None:
        self.policy = policy or BindRetryPolicy()
        self.kind: BindFailure | None = None  # of the last failure, None once bound
        self.cause = ""  # the last failure, as the log says it
        self.in_a_row = 0  # failures of ``kind`` since the last bind or change of kind
        self.auth_failures = 0  # authentication failures since the last bind
        self.delay_ms = 0  # the wait before the next attempt
        self.stopped = False

    def failed(self, kind: BindFailure, cause: str) -> int | None:
        """Record a failed attempt; return the wait before the next one, None to stop trying."""
        self.in_a_row = self.in_a_row + 1 if kind is self.kind else 1
        self.kind, self.cause = kind, cause
        if kind is BindFailure.AUTHENTICATION:
            self.auth_failures += 1
            limit = self.policy.auth_failures_max
            if limit and self.auth_failures >= limit:
                self.stopped, self.delay_ms = True, 0
                return None
        low, high = self.policy.bounds(kind)
        self.delay_ms = min(low * 2 ** min(self.in_a_row - 1, 30), high)
        return self.delay_ms

    def bound(self) -> None:
        self.kind, self.cause, self.in_a_row, self.auth_failures, self.delay_ms = (
            None,
            "",
            0,
            0,
            0,
        )

    def describe(self) -> str:
        """Why the sender is not bound, for ``/readyz`` ("" when nothing failed)."""
        if self.kind is None:
            return ""
        if self.stopped:
            return (
                f"stopped after {self.auth_failures} authentication failures in a row"
                f" ({self.cause}); fix smsc.system_id / smsc.password_file and restart"
            )
        return (
            f"last bind failed: {self.cause} ({self.kind}, {self.in_a_row} in a row),"
            f" next try in {self.delay_ms} ms"
        )
