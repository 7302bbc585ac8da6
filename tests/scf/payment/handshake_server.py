"""``micropay serve`` with the Payment and Account Management SCFs, for the handshake test
(python -m tests.scf.payment.handshake_server [CONFIG]). Adds ``start_charging_scfs`` unless the
gateway's own component list already has it."""

from __future__ import annotations

import sys

from gateway.cli.serve import serve
from gateway.components import COMPONENTS
from gateway.config import load_config
from scf.payment.component import start_charging_scfs


def main() -> int:
    extra = [] if start_charging_scfs in COMPONENTS else [start_charging_scfs]
    return serve(load_config(sys.argv[1] if len(sys.argv) > 1 else None), extra)


if __name__ == "__main__":
    sys.exit(main())
