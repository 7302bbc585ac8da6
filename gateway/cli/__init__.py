"""The ``micropay`` command line: run and operate a micropay gateway.

Each module in ``COMMAND_MODULES`` defines ``register(subparsers)`` and gives each parser a
``handler(args, config)`` default that returns what to print: a dict or list (shown as JSON with
``--json``, else as text by ``output.show``), an exit code, or ``None``. Errors become one line
on stderr. Every parser is a :class:`Parser`, so the global flags work before or after the
command (``micropay --json account show 1001`` = ``micropay account show 1001 --json``).

The applications' commands (``demo``, ``shop``, ``interop``) live with the applications in
``apps/``, which stand above the gateway: the gateway never imports them. Each declares its
``register`` function as an entry point of the group ``micropay.commands`` (``pyproject.toml``)
and :func:`build_parser` loads them by name from the installed package's metadata.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from importlib.metadata import entry_points
from typing import Any

from domain_errors import DomainError
from gateway.cli.output import CommandError, show
from gateway.config import ConfigError, load_config

COMMAND_MODULES = (
    "serve",
    "status",
    "account",
    "voucher",
    "float",
    "settlement",
    "tariff",
    "app",
    "agreement",
    "framework",
    "sms",
    "camara",
    "ledger",
)
APP_COMMANDS = "micropay.commands"  # entry-point group of the applications' commands

# Exit status, as kubectl and gh use them.
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_CLOSED_PIPE = 141  # the reader of the output went away, as in `| head` (128 + SIGPIPE)

DESCRIPTION = "Run and operate a micropay gateway: accounts, applications, SMS, conformance."
EPILOG = """\
global flags (accepted before or after the command):
  --config FILE   the gateway's TOML configuration (default: $MICROPAY_CONFIG, else the
                  embedded defaults; `micropay status` shows the data folder it gives)
  --json          machine-readable output

exit status:
  0    done
  1    refused or failed; one line on stderr ("micropay: error: ...")
  2    wrong usage (unknown command or option, missing argument)
  130  interrupted (Ctrl-C); 141 the output's reader went away (| head)
"""


class Commands(argparse._SubParsersAction):
    """Sub-commands whose ``--help`` starts with a description (their one-line help unless they
    give a longer one)."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        if "description" not in kwargs and kwargs.get("help"):
            help_text = str(kwargs["help"])
            kwargs["description"] = help_text[0].upper() + help_text[1:] + "."
        return super().add_parser(name, **kwargs)


class Parser(argparse.ArgumentParser):
    """A parser of the command line that knows the global flags. The top one gives their
    defaults; below it they default to nothing, so a flag given anywhere wins."""

    def __init__(self, *args: Any, top: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)
        self.register("action", "parsers", Commands)
        unset = argparse.SUPPRESS
        self.add_argument(
            "--config",
            metavar="FILE",
            default=None if top else unset,
            help="the gateway's TOML configuration (default: $MICROPAY_CONFIG)",
        )
        self.add_argument(
            "--json",
            action="store_true",
            default=False if top else unset,
            help="machine-readable output",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="micropay", description=DESCRIPTION, epilog=EPILOG, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"gateway.cli.{name}").register(sub)
    for command in sorted(entry_points(group=APP_COMMANDS), key=lambda e: e.name):
        command.load()(sub)
    return parser


PRIVATE_UMASK = 0o077  # every file micropay writes is 0600, every folder 0700


def run(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        if args.command != "serve":  # serve logs them as structured warnings
            for key in config.renamed:
                print(f"micropay: warning: {key.old} ({key.source}) is deprecated: it is now "
                      f"{key.new}", file=sys.stderr)  # fmt: skip
        result = args.handler(args, config)
    except (DomainError, CommandError, ConfigError) as exc:
        print(f"micropay: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if isinstance(result, int):
        return result
    show(result, as_json=args.json)
    sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """The ``micropay`` entry point: no traceback for Ctrl-C or a reader that went away."""
    os.umask(PRIVATE_UMASK)  # before anything is written: databases, keys, logs, the IOR
    try:
        return run(argv)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Python flushes stdout once more at exit; point it at /dev/null so that is quiet too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_CLOSED_PIPE


if __name__ == "__main__":
    sys.exit(main())
