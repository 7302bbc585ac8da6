"""The shim tests' gateway (``tests.shim.server``) with a charging-event dispatcher that sleeps
long between rounds unless its notification registry wakes it (python -m
tests.shim.quiet_dispatch_server CONFIG).

The dispatcher reads the ledger's outbox every ``poll_interval_ms`` (100 ms in ``micropay
serve``) and at once when an assignment is made, changed or destroyed. Here the interval is
long, so an event is delivered promptly only if a registration wakes the registry the
dispatcher waits on -- what tests/shim/test_one_domain.py checks for registrations over gRPC.
"""

from __future__ import annotations

import sys
from typing import Any

from gateway.cli.serve import serve
from gateway.components import COMPONENTS
from gateway.config import load_config
from scf.payment.component import DISPATCHER_KEY, start_charging_scfs

POLL_INTERVAL_MS = 60_000


def quiet_dispatcher(runtime: Any) -> None:
    runtime.extras[DISPATCHER_KEY].poll_interval_ms = POLL_INTERVAL_MS


def main() -> int:
    extra = [] if start_charging_scfs in COMPONENTS else [start_charging_scfs]
    config = load_config(sys.argv[1] if len(sys.argv) > 1 else None)
    return serve(config, [*extra, quiet_dispatcher])


if __name__ == "__main__":
    sys.exit(main())
