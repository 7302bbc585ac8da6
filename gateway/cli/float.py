"""``micropay float``: fund the top-up floats applications recharge subscribers from, and list them.

An application granted ``recharge`` (``micropay app set APP --grant recharge``) pays each
balanceUpdate out of its float in that currency; it can never recharge more than the operator
funded. Funding is a movement like any other (from the operator's funding account, journaled,
idempotent with ``--reference``). Amounts are decimal major units.
"""

from __future__ import annotations

import argparse
import uuid
from typing import Any

from charging.model import SystemAccount, SystemKind
from charging.money import from_minor, to_minor
from gateway.cli.account import open_ledger
from gateway.config import Config


def float_view(account: SystemAccount) -> dict[str, Any]:
    return {
        "app_id": account.app_id,
        "currency": account.currency,
        "balance": from_minor(account.balance_minor, account.currency),
    }


def fund(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    amount_minor = to_minor(args.amount, args.currency)
    with open_ledger(config, create=True) as ledger:
        result = ledger.fund_float(
            app_id=args.app_id,
            amount_minor=amount_minor,
            currency=args.currency,
            reference_code=args.reference or f"cli-{uuid.uuid4()}",
        )
    return {
        "app_id": args.app_id,
        "currency": args.currency,
        "funded": from_minor(amount_minor, args.currency),
        "balance": from_minor(result.balance_minor, args.currency),
        "transaction_id": result.transaction_id,
        "replayed": result.replayed,
    }


def list_floats(args: argparse.Namespace, config: Config) -> list[dict[str, Any]]:
    with open_ledger(config) as ledger:
        return [float_view(a) for a in ledger.system_accounts(SystemKind.FLOAT, args.app_id)]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("float", help="applications' top-up floats: fund, list")
    cmds = p.add_subparsers(dest="float_command", required=True, metavar="ACTION")
    f = cmds.add_parser("fund", help="pay money into an application's float")
    f.add_argument("app_id", help="the application")
    f.add_argument("amount", help="major units, e.g. 1000000")
    f.add_argument("--currency", required=True, help="ISO 4217 code")
    f.add_argument("--reference", help="makes a retried funding a no-op")
    f.set_defaults(handler=fund)
    li = cmds.add_parser("list", help="every float (or one application's) and its balance")
    li.add_argument("app_id", nargs="?", help="only this application")
    li.set_defaults(handler=list_floats)
