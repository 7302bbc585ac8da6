"""A thread that handles queued items in batches: one wake-up per window under load, none idle.

Serving threads hand their call records and log lines to such a thread instead of doing the
work themselves. Woken for every item, the thread would cost a context switch and a GIL
hand-over per call -- more than a trivial CORBA call costs -- so it waits for the first item, lets
a short window pass while more arrive, and then handles all of them.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

WINDOW_S = 0.01
FLUSH_TIMEOUT_S = 5.0

logger = logging.getLogger("micropay.batches")


class BatchThread(Generic[T]):
    """``put`` items from any thread; ``handle`` runs on one thread, in the order put."""

    def __init__(self, name: str, handle: Callable[[T], None], window_s: float = WINDOW_S):
        self._items: queue.SimpleQueue[T | threading.Event | None] = queue.SimpleQueue()
        self._handle = handle
        self._window_s = window_s
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def put(self, item: T) -> None:
        self._items.put(item)

    def flush(self) -> None:
        """Wait until everything put so far has been handled."""
        if self._thread.is_alive():
            done = threading.Event()
            self._items.put(done)
            done.wait(FLUSH_TIMEOUT_S)

    def close(self) -> None:
        """Handle everything put so far, then stop the thread."""
        if self._thread.is_alive():
            self._items.put(None)
            self._thread.join()

    def _run(self) -> None:
        while True:
            batch = [self._items.get()]
            time.sleep(self._window_s)
            try:
                while True:
                    batch.append(self._items.get_nowait())
            except queue.Empty:
                pass
            for item in batch:
                if item is None:
                    return
                if isinstance(item, threading.Event):  # a flush mark
                    item.set()
                    continue
                try:
                    self._handle(item)
                except Exception:  # one bad item must not stop the thread
                    logger.exception("handling a queued item failed")
