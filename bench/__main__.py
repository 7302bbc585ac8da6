"""Run every benchmark: ``.venv/bin/python -m bench`` (what ``./build.sh bench`` does), or the
ones named (``python -m bench ledger sms``); ``--help`` lists them. Each runs on its own with
``python -m bench.NAME`` (``--help`` tells its options).

Add a benchmark by adding its module name to ``BENCHMARKS``; each module has ``main() -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

BENCHMARKS = [
    "handshake",
    "ledger",
    "payment_corba",
    "sms",
    "grpc_charge",
    "camara_charge",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run the benchmarks, each beside a baseline measured in the same run.",
        epilog="python -m bench.NAME --help tells the options of one benchmark.",
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"only these (default all): {', '.join(BENCHMARKS)}",
    )
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"no benchmark {', '.join(unknown)} (choose from {', '.join(BENCHMARKS)})")
    failed = 0
    for name in args.names or BENCHMARKS:
        print(f"== bench.{name}", flush=True)
        failed |= importlib.import_module(f"bench.{name}").main([])
    return failed


if __name__ == "__main__":
    sys.exit(main())
