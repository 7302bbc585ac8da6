"""The thread that releases expired reservations: the gateway starts one per process
(``Ledger.start_sweeper``). Several processes sweeping one PostgreSQL ledger is safe: a sweep
locks each reservation and skips those another process released first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger("micropay.ledger.sweeper")


class ReservationSweeper:
    """Calls ``sweep()`` every ``interval_ms`` milliseconds until :meth:`stop`."""

    def __init__(self, sweep: Callable[[], int], interval_ms: int) -> None:
        assert interval_ms > 0
        self._sweep = sweep
        self.interval_ms = interval_ms
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-sweeper", daemon=True)
        self.swept = 0  # reservations released so far, for health and tests

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_ms / 1000):
            try:
                self.swept += self._sweep()
            except Exception:  # keep sweeping: the database may come back
                logger.exception("sweeping expired reservations failed")
