"""``micropay voucher``: issue prepaid vouchers (each with its one-time PIN) and list them.

The PIN is printed once, at issue; the ledger keeps only its argon2 hash. Subscribers redeem a
voucher through Account Management (voucherUpdate).
"""

from __future__ import annotations

import argparse
from typing import Any

from charging.model import Voucher
from charging.money import from_minor, to_minor
from gateway.cli.account import iso_date, open_ledger
from gateway.cli.output import CommandError
from gateway.config import Config

ISSUE_COUNT_MAX = 1000  # vouchers one command issues at most


def voucher_view(voucher: Voucher) -> dict[str, Any]:
    return {
        "voucher_id": voucher.voucher_id,
        "amount": from_minor(voucher.amount_minor, voucher.currency),
        "currency": voucher.currency,
        "state": voucher.state,
        "valid_until": voucher.valid_until,
        "redeemed_by": voucher.redeemed_by,
        "redeemed_at": voucher.redeemed_at,
        "created_at": voucher.created_at,
    }


def issue(args: argparse.Namespace, config: Config) -> list[dict[str, Any]]:
    if not 1 <= args.count <= ISSUE_COUNT_MAX:
        raise CommandError(f"--count must be between 1 and {ISSUE_COUNT_MAX}")
    amount_minor = to_minor(args.amount, args.currency)
    issued = []
    with open_ledger(config, create=True) as ledger:
        for _ in range(args.count):
            voucher_id, pin = ledger.issue_voucher(amount_minor, args.currency, args.valid_until)
            issued.append(
                {
                    "voucher_id": voucher_id,
                    "pin": pin,
                    "amount": from_minor(amount_minor, args.currency),
                    "currency": args.currency,
                    "valid_until": args.valid_until,
                }
            )
    return issued


def list_vouchers(args: argparse.Namespace, config: Config) -> list[dict[str, Any]]:
    with open_ledger(config) as ledger:
        return [voucher_view(v) for v in ledger.list_vouchers(args.state)]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("voucher", help="prepaid vouchers: issue, list")
    cmds = p.add_subparsers(dest="voucher_command", required=True, metavar="ACTION")
    i = cmds.add_parser("issue", help="issue vouchers; prints each voucher's PIN once")
    i.add_argument("amount", help="major units, e.g. 10000")
    i.add_argument("--currency", required=True, help="ISO 4217 code")
    i.add_argument("--valid-until", type=iso_date, help="YYYY-MM-DD (last day it can be redeemed)")
    i.add_argument("--count", type=int, default=1, help="how many (default 1)")
    i.set_defaults(handler=issue)
    li = cmds.add_parser("list", help="vouchers, oldest first (never their PINs)")
    li.add_argument("--state", choices=("issued", "redeemed"))
    li.set_defaults(handler=list_vouchers)
