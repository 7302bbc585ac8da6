"""Serve the Payment and Account Management managers WITHOUT the framework handshake.

For the SCFs' own tests, the CORBA benchmark and integration work: one process with a ledger,
the two SCFs, the notification dispatcher and, for each application id given, a Payment and an
Account Management manager bound to it (as the framework's factory would bind them), activated
in the RootPOA. Never a production entry point: here anyone holding an IOR is the application.

    python -m scf.payment.direct LEDGER_URL READY_FILE [--apps test-app,other-app]
        [--pin-failures-max N] [--pin-lockout-s S] [--reservation-ttl-s S]
        [--retry-ms-min MS] [--retry-ms-max MS] [--callback-timeout-ms MS]

Writes READY_FILE (JSON: ``{"apps": {APP: {"payment": IOR, "account": IOR}}, "pid": PID}``)
once it accepts requests; stops cleanly on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omniORB import CORBA

from charging.ledger import Ledger
from scf.account.callbacks import start_notifications
from scf.account.servant import make_account_factory
from scf.charging_services import build_charging_services
from scf.payment.servant import make_payment_factory


@dataclass
class DirectContext:
    """The part of the framework's ServiceContext the managers use."""

    app_id: str
    poa: Any

    def activate(self, servant: Any) -> Any:
        return self.poa.id_to_reference(self.poa.activate_object(servant))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("ledger_url")
    p.add_argument("ready_file")
    p.add_argument("--apps", default="test-app")
    p.add_argument("--pin-failures-max", type=int, default=3)
    p.add_argument("--pin-lockout-s", type=int, default=900)
    p.add_argument("--reservation-ttl-s", type=int, default=900)
    p.add_argument("--retry-ms-min", type=int, default=500)
    p.add_argument("--retry-ms-max", type=int, default=30_000)
    p.add_argument("--callback-timeout-ms", type=int, default=5000)
    p.add_argument("--threads", type=int, default=32, help="omniORB maxServerThreadPoolSize")
    args = p.parse_args(argv)

    orb = CORBA.ORB_init(
        [
            sys.argv[0],
            "-ORBendPoint",
            "giop:tcp:127.0.0.1:",
            "-ORBmaxServerThreadPoolSize",
            str(args.threads),
            "-ORBclientConnectTimeOutPeriod",
            str(args.callback_timeout_ms),
        ],
        CORBA.ORB_ID,
    )
    poa = orb.resolve_initial_references("RootPOA")
    ledger = Ledger.open(
        args.ledger_url,
        pin_failures_max=args.pin_failures_max,
        pin_lockout_s=args.pin_lockout_s,
        reservation_ttl_s=args.reservation_ttl_s,
    )
    ledger.start_sweeper()
    services = build_charging_services(ledger)
    payment = make_payment_factory(services.payment)
    account = make_account_factory(services.account, orb)
    dispatcher = start_notifications(
        ledger,
        orb,
        services.notifications,
        callback_timeout_ms=args.callback_timeout_ms,
        retry_ms_min=args.retry_ms_min,
        retry_ms_max=args.retry_ms_max,
    )
    apps: dict[str, dict[str, str]] = {}
    for app_id in args.apps.split(","):
        context = DirectContext(app_id, poa)
        apps[app_id] = {
            "payment": orb.object_to_string(context.activate(payment(context))),
            "account": orb.object_to_string(context.activate(account(context))),
        }
    poa._get_the_POAManager().activate()

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    ready = Path(args.ready_file)
    tmp = ready.with_name(ready.name + ".tmp")
    tmp.write_text(json.dumps({"apps": apps, "pid": os.getpid()}))
    tmp.replace(ready)
    while not stop.wait(0.5):
        pass
    dispatcher.stop()
    orb.shutdown(True)
    ledger.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
