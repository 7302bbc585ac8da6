"""A server on its own asyncio event loop, in a thread of the gateway process (the gRPC shim, the
CAMARA surface): the life cycle both share, so each says only how it serves and how it stops.

``start()`` returns once ``_serve`` has called ``_started()`` -- its port is bound -- or raises
what ``_serve`` raised before that; a failure after start is logged. ``stop()`` asks the loop to
stop (``_stop_soon``, run on the loop) and waits for in-flight requests up to the grace time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Self


class LoopThread:
    def __init__(self, *, name: str, what: str, start_timeout_s: float, stop_grace_s: float,
                 log: logging.Logger) -> None:  # fmt: skip
        self._what, self._log = what, log
        self._start_timeout_s, self._stop_grace_s = start_timeout_s, stop_grace_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def start(self) -> Self:
        self._thread.start()
        if not self._ready.wait(self._start_timeout_s):
            raise RuntimeError(f"the {self._what} did not start in time")
        if self._failure is not None:
            raise self._failure
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and self._ready.is_set():
            with contextlib.suppress(RuntimeError):  # the loop has ended already
                loop.call_soon_threadsafe(self._stop_soon)
        self._thread.join(self._stop_grace_s + 10)

    def _started(self) -> None:
        """Called by ``_serve`` once it listens: ``start()`` returns."""
        self._ready.set()

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as exc:  # reported to start(); after start, logged
            self._failure = exc
            self._ready.set()
            self._log.exception("%s failed", self._what)

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self._serve()

    async def _serve(self) -> None:
        raise NotImplementedError

    def _stop_soon(self) -> None:
        raise NotImplementedError
