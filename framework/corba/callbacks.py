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
from typing import Any

from framework.logs import log

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
