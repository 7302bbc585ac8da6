"""``micropay serve``: start the gateway's components and run until SIGTERM/SIGINT.

The components and their order live in ``gateway/components.py``. Once all have started the
gateway lets clients in and prints its endpoints, one ``name: value`` line each (health first;
with ``--json`` one JSON object), and records them in ``<data>/gateway.json`` for ``micropay
status``; on SIGTERM/SIGINT it stops them in reverse order and exits 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from framework.core import files
from gateway.cli import where
from gateway.cli.output import CommandError
from gateway.config import Config
from gateway.health import HealthServer
from gateway.logs import log, setup_logging

if TYPE_CHECKING:
    from gateway.components import Component, StartFunction

logger = logging.getLogger("micropay.serve")
PRIVATE_UMASK = 0o077


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="start the gateway (framework, SCFs, gRPC shim, embedded SMSC)",
        description="Start the gateway: the OSA framework and the Payment, Account Management "
        "and SMS SCFs over CORBA, the gRPC shim, the embedded SMS center and the health and "
        "metrics endpoint, on the configuration's data folder. Prints its endpoints once it "
        "accepts requests; SIGTERM or Ctrl-C stops it.",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    return serve(config, as_json=bool(args.json))


def serve(
    config: Config, extra_components: Sequence[StartFunction] = (), *, as_json: bool = False
) -> int:
    """Run ``COMPONENTS`` (then ``extra_components``, e.g. a test-only service) until a signal."""
    from gateway.components import COMPONENTS, Runtime  # the ORB and every SCF: only when serving

    setup_logging(str(config["log"]["level"]).upper())
    for key in config.renamed:  # old names still work: say once which name replaces each
        log(logger, logging.WARNING, "deprecated configuration key", old=key.old, new=key.new,
            source=key.source)  # fmt: skip
    os.umask(PRIVATE_UMASK)  # also when started as a function (tests, demo)
    for path in files.tighten(config.ensure_data_dir()):  # left by an older version
        log(logger, logging.WARNING, "tightened to owner-only", path=str(path))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    health = HealthServer(config["health"]["host"], config["health"]["port"])
    health.start()
    runtime = Runtime(config, health)
    runtime.endpoints["health"] = f"http://{config['health']['host']}:{health.port}/readyz"
    started: list[Component] = []
    try:
        for start in [*COMPONENTS, *extra_components]:
            try:
                component = start(runtime)
            except Exception as exc:
                log(logger, logging.ERROR, "component failed to start", error=repr(exc))
                raise CommandError(f"could not start: {exc}") from None
            if component is not None:
                started.append(component)
        runtime.accept_requests()
        log(
            logger,
            logging.INFO,
            "gateway started",
            data_dir=str(config.data_dir),
            **runtime.endpoints,
        )
        where.write_running(config.data_dir, runtime.endpoints)
        if as_json:
            print(json.dumps(runtime.endpoints), flush=True)
        else:
            for name, value in runtime.endpoints.items():
                print(f"{name}: {value}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        where.clear_running(config.data_dir)
        for component in reversed(started):
            try:
                component.stop()
            except Exception as exc:  # stop the others anyway
                log(logger, logging.WARNING, "component failed to stop", error=repr(exc))
        health.stop()
        log(logger, logging.INFO, "gateway stopped")
    return 0
