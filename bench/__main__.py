"""Run every benchmark: ``.venv/bin/python -m bench`` (what ``./build.sh bench`` does).

Add a benchmark by adding its module name to ``BENCHMARKS``; each module has ``main() -> int``.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = [
    "handshake",
    "ledger",
    "payment_corba",
    "sms",
    "grpc_charge",
]


def main() -> int:
    failed = 0
    for name in BENCHMARKS:
        print(f"== bench.{name}", flush=True)
        failed |= importlib.import_module(f"bench.{name}").main([])
    return failed


if __name__ == "__main__":
    sys.exit(main())
