"""``micropay settlement report``: what the operator owes each merchant for a month.

Every charge an application takes credits its settlement account and every refund debits it, so
a month of those postings is the application's statement: payments and what they collected,
refunds and what they returned, the net to pay out, and the settlement balance (collected and not
yet paid). Months are calendar months in ``ledger.timezone``. ``--csv`` prints CSV (amounts in
major units); ``--json`` prints JSON.
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from charging.money import from_minor
from charging.settlement import Statement
from gateway.cli.account import open_ledger
from gateway.config import Config

COLUMNS = (
    "app_id", "currency", "month", "payments", "collected", "refunds", "refunded", "net",
    "balance",
)  # fmt: skip


def statement_view(s: Statement) -> dict[str, Any]:
    return {
        "app_id": s.app_id,
        "currency": s.currency,
        "month": s.month,
        "payments": s.payments,
        "collected": from_minor(s.collected_minor, s.currency),
        "refunds": s.refunds,
        "refunded": from_minor(s.refunded_minor, s.currency),
        "net": from_minor(s.net_minor, s.currency),
        "balance": from_minor(s.balance_minor, s.currency),
    }


def report(args: argparse.Namespace, config: Config) -> list[dict[str, Any]] | None:
    month = args.month or datetime.now(ZoneInfo(config["ledger"]["timezone"])).strftime("%Y-%m")
    with open_ledger(config) as ledger:
        rows = [statement_view(s) for s in ledger.settlement(month, args.app_id)]
    if not args.csv:
        return rows
    writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("settlement", help="what the operator owes each application")
    cmds = p.add_subparsers(dest="settlement_command", required=True, metavar="ACTION")
    r = cmds.add_parser("report", help="per application: collected, refunded, net for a month")
    r.add_argument("app_id", nargs="?", help="only this application")
    r.add_argument("--month", help="YYYY-MM in the ledger's time zone (default: this month)")
    r.add_argument("--csv", action="store_true", help="CSV on standard output")
    r.set_defaults(handler=report)
