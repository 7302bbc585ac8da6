"""``micropay serve`` with the Payment and Account Management SCFs added when the gateway's own
component list does not have them yet (python -m tests.apps.micropay.gateway_server; the
configuration from MICROPAY_CONFIG)."""

from __future__ import annotations

import sys

from gateway.cli.serve import serve
from gateway.components import COMPONENTS
from gateway.config import load_config
from scf.payment.component import start_charging_scfs


def main() -> int:
    extra = [] if start_charging_scfs in COMPONENTS else [start_charging_scfs]
    return serve(load_config(), extra)


if __name__ == "__main__":
    sys.exit(main())
