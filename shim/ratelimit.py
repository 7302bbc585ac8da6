"""Per-application request rate limit: a token bucket per application id.

``grpc.app_rate_limit_per_s`` tokens a second flow into each application's bucket, which holds at
most ``grpc.app_burst_max``; each authenticated RPC takes one. An empty bucket is
RESOURCE_EXHAUSTED naming the limit, with a RetryInfo of when a token will be there. 0 turns
the limit off. Used from the event loop only, but locked anyway: it is cheap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

BUCKETS_MAX = 100_000  # past this many applications the idle buckets are dropped (they refill)


class RateLimiter:
    def __init__(
        self, rate_per_s: float, burst_max: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate_per_s = rate_per_s
        self.burst_max = max(1, burst_max)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # app -> (tokens, at)

    @property
    def enabled(self) -> bool:
        return self.rate_per_s > 0

    def take(self, app_id: str) -> float | None:
        """None when the request may go; else the seconds until it could."""
        if not self.enabled:
            return None
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(app_id, (float(self.burst_max), now))
            tokens = min(float(self.burst_max), tokens + (now - at) * self.rate_per_s)
            if tokens < 1.0:
                self._buckets[app_id] = (tokens, now)
                return (1.0 - tokens) / self.rate_per_s
            if len(self._buckets) >= BUCKETS_MAX and app_id not in self._buckets:
                self._buckets.clear()
            self._buckets[app_id] = (tokens - 1.0, now)
            return None
