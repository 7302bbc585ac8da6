"""The newest id of an outbox, read at most once per poll interval for all streams together.

Every idle stream wakes every ``stream_poll_interval_s``; without this each would query its
outbox. With it, a stream reads only when the outbox's newest id passed its own position, and
the newest id itself is read once per interval whatever the number of streams. Thread-safe: the
streams' reads run on the worker pool.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from shim import limits


class Watermark:
    def __init__(
        self,
        read: Callable[[], int],
        age_s_max: float = limits.stream_poll_interval_s,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._age_s_max = age_s_max
        self._clock = clock
        self._lock = threading.Lock()
        self._value = -1
        self._at = float("-inf")

    def newest(self) -> int:
        """The outbox's newest id, at most ``age_s_max`` old."""
        with self._lock:
            if self._clock() - self._at < self._age_s_max:
                return self._value
        value = self._read()
        with self._lock:
            self._value, self._at = max(self._value, value), self._clock()
            return self._value
