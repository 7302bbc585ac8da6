"""The bounded pool that makes the framework's calls to applications.

Calls back (challenge, authenticationSucceeded, signServiceAgreement, terminateAccess) run here,
never in the thread serving the application's own request, so a request returns before its
callback starts (TS 29.198-3 flow, spec §11). At most ``callback_workers_max`` run at once; each
is bounded by the ORB's call timeout (``framework.callback_timeout_ms``), so the queue drains
even when applications never answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from omniORB import CORBA

from framework.logs import log

T = TypeVar("T")

callback_workers_max = 16


class Callbacks:
    def __init__(self, workers_max: int = callback_workers_max) -> None:
        self._pool = ThreadPoolExecutor(workers_max, thread_name_prefix="fw-callback")
        self._closed = False

    def submit(self, what: str, fn: Callable[..., Any], *args: Any) -> Future | None:
        if self._closed:
            return None

        def run() -> None:
            try:
                fn(*args)
            except Exception as exc:  # a callback never takes the pool down; log the type only
                log(logging.WARNING, "callback failed", callback=what, error=type(exc).__name__)

        try:
            return self._pool.submit(run)
        except RuntimeError:  # shut down meanwhile
            return None

    def close(self) -> None:
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)


def call_application(call: Callable[[], T], *, idempotent: bool = False) -> T:
    """Make one call to an application, retried once when it cannot have reached it.

    An application restarted on its fixed callback port leaves the ORB a cached connection to
    the dead process; the first call on it fails with COMM_FAILURE or TRANSIENT, and omniORB
    drops that connection, so the one retry goes out on a fresh connection. Completion status
    NO (nothing was delivered) is always retried. omniORB reports the usual case -- the request
    written into the dead socket, the reset read while waiting for the reply -- as
    COMPLETED_MAYBE (minor COMM_FAILURE_WaitingForReply), so that is retried too when the call
    is ``idempotent`` (a second delivery changes nothing: a CHAP challenge, a notification).
    Any other failure, and a second one, is the application's.
    """
    try:
        return call()
    except (CORBA.COMM_FAILURE, CORBA.TRANSIENT) as exc:
        maybe = exc.completed == CORBA.COMPLETED_MAYBE
        if exc.completed != CORBA.COMPLETED_NO and not (idempotent and maybe):
            raise
        log(logging.INFO, "callback not delivered; retrying once", error=type(exc).__name__)
        return call()
