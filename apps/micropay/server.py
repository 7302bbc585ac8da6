"""Run the shop: its runtime (callbacks, session, subscriptions, worker) and its web server.

``serve_shop(settings)`` blocks until SIGINT/SIGTERM (uvicorn's handlers), then stops the web
server, ends the access session with a signed terminateAccess and stops the callbacks.
``on_ready(url)`` is called once the web server listens.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

import uvicorn

from apps.micropay.runtime import ShopRuntime
from apps.micropay.settings import ShopSettings
from apps.micropay.web import create_app

logger = logging.getLogger("micropay.shop")


def serve_shop(settings: ShopSettings, on_ready: Callable[[str], None] | None = None) -> None:
    runtime = ShopRuntime(settings)
    runtime.start()
    # uvicorn handles SIGINT/SIGTERM while it runs, then raises the signal again for the
    # handler it found: ours, which only notes it, so that the shop stops in order below.
    previous = {sig: signal.signal(sig, _noted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        config = uvicorn.Config(
            create_app(runtime),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        server = uvicorn.Server(config)
        if on_ready is not None:
            url = f"http://{settings.host}:{settings.port}"

            def announce() -> None:
                while not server.started and not server.should_exit:
                    threading.Event().wait(0.05)
                if server.started:
                    on_ready(url)

            threading.Thread(target=announce, name="shop-ready", daemon=True).start()
        server.run()
    finally:
        runtime.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        logger.info("shop stopped")


def _noted(signum: int, frame: object) -> None:
    logger.info("signal %s: stopping", signum)
