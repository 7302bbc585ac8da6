"""``micropay demo`` (what ``./build.sh run`` starts): the whole system on embedded defaults."""

from __future__ import annotations

import argparse

from gateway.cli import serve
from gateway.config import Config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="start the whole system on embedded defaults, with demo data")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    return serve.run(args, config)
