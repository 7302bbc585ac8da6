"""Run the shop: its runtime (callbacks, session, subscriptions, worker) and its web server.

``serve_shop(settings)`` blocks until SIGINT/SIGTERM (uvicorn's handlers), then stops the web
server, ends the access session with a signed terminateAccess and stops the callbacks.
``on_ready(url)`` is called once the web server listens.
"""

from __future__ import annotations

import logging
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
        logger.info("shop stopped")
