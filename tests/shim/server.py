"""A test gateway for the shim tests: ``micropay serve`` with every SCF (python -m
tests.shim.server CONFIG).

When ``gateway.components.COMPONENTS`` already starts the Payment and Account Management SCFs
(``scf.payment.component.start_charging_scfs``) this is exactly ``micropay serve``; until it
does, the component is added here, so the gRPC shim is tested against the real SCFs.
"""

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
