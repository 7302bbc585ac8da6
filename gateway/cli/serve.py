"""``micropay serve``: start the gateway's components and run until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from gateway.config import Config
from gateway.health import HealthServer
from gateway.logs import log, setup_logging

logger = logging.getLogger("micropay.serve")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve", help="start the gateway (framework, SCFs, gRPC shim, embedded SMSC)"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    setup_logging()
    config.ensure_data_dir()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    health = HealthServer(config["health"]["host"], config["health"]["port"])
    health.start()
    log(
        logger,
        logging.INFO,
        "gateway started",
        data_dir=str(config.data_dir),
        health=f"http://{config['health']['host']}:{health.port}/readyz",
    )
    print(f"health: http://{config['health']['host']}:{health.port}/readyz", flush=True)
    stop.wait()
    health.stop()
    log(logger, logging.INFO, "gateway stopped")
    return 0
