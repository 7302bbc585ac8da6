"""``micropay ledger reconcile``: check that the ledger adds up (``charging.reconcile``).

Read-only and safe while gateways are running (one snapshot). Prints a summary line and each
finding; ``--json`` prints the whole report. Exit code 0 when clean, 1 when an invariant is
broken (notes alone do not fail it).
"""

from __future__ import annotations

import argparse
import json
import sys

from charging.reconcile import reconcile
from gateway.cli.account import open_ledger
from gateway.config import Config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ledger", help="ledger-wide checks")
    commands = p.add_subparsers(dest="ledger_command", required=True, metavar="SUBCOMMAND")
    r = commands.add_parser("reconcile", help="check every invariant of the ledger (read-only)")
    r.set_defaults(handler=run_reconcile)


def run_reconcile(args: argparse.Namespace, config: Config) -> int:
    with open_ledger(config) as ledger:
        report = reconcile(ledger)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        print(report.summary())
        for kind, findings in (("problem", report.problems), ("note", report.notes)):
            for f in findings:
                print(f"  {kind}: {f.check} {f.account or '-'}: {f.detail}")
        for currency, total in report.balance_by_currency_minor.items():
            print(f"  total ledger balance {currency}: {total} (minor units)")
    if not report.clean:
        print(f"micropay: error: {report.problem_count} ledger problem(s)", file=sys.stderr)
        return 1
    return 0
