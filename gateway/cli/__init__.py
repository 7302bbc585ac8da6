"""The ``micropay`` command line: one module per command group.

Each module in ``COMMAND_MODULES`` defines ``register(subparsers)`` and gives each parser a
``handler(args, config)`` default that returns what to print: a dict or list (shown as JSON with
``--json``, else as text by ``output.show``) or ``None``. Errors become one line on stderr and a
non-zero exit code.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from charging.errors import DomainError
from gateway.cli.output import CommandError, show
from gateway.config import ConfigError, load_config

COMMAND_MODULES = (
    "serve",
    "demo",
    "shop",
    "account",
    "voucher",
    "float",
    "settlement",
    "tariff",
    "app",
    "agreement",
    "framework",
    "sms",
    "ledger",
    "interop",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="micropay", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="TOML configuration file (default: $MICROPAY_CONFIG)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"gateway.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"gateway.cli.{name}":
                continue  # that command group is not built yet
            raise
        module.register(sub)
    return parser


PRIVATE_UMASK = 0o077  # every file micropay writes is 0600, every folder 0700


def main(argv: list[str] | None = None) -> int:
    os.umask(PRIVATE_UMASK)  # before anything is written: databases, keys, logs, the IOR
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        result = args.handler(args, config)
    except (DomainError, CommandError, ConfigError) as exc:
        print(f"micropay: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    if isinstance(result, int):
        return result
    show(result, as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
