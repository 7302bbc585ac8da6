"""Bounded "seen once" memories: refuse a replayed challenge value or termination signature."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Protocol


class Once(Protocol):
    """Anything that remembers values per key and refuses a repeat (in memory or shared)."""

    def first_use(self, key: str, value: bytes) -> bool: ...


class OnceMemory:
    """Per key (an application id), the last ``per_key_max`` values seen; a repeat is refused.

    Values are kept as SHA-256 digests, so no signature or challenge is held in clear.
    """

    def __init__(self, per_key_max: int) -> None:
        self.per_key_max = per_key_max
        self._lock = threading.Lock()
        self._seen: dict[str, OrderedDict[bytes, None]] = {}

    def first_use(self, key: str, value: bytes) -> bool:
        """Remember ``value`` under ``key``; False when it was already seen."""
        digest = hashlib.sha256(value).digest()
        with self._lock:
            seen = self._seen.setdefault(key, OrderedDict())
            if digest in seen:
                return False
            seen[digest] = None
            while len(seen) > self.per_key_max:
                seen.popitem(last=False)
            return True

    def size(self, key: str) -> int:
        with self._lock:
            return len(self._seen.get(key, ()))
