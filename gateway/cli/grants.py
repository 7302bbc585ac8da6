"""The grant options of ``micropay app register|set``: what an application may do beyond taking
payments (``charging.grants``).

    --grant recharge --currency KRW [--recharge-cap 50000] [--daily-cap 1000000]
    --grant voucher
    --grant selfcare
    --revoke recharge [--currency KRW] | --revoke voucher | --revoke selfcare

Account Management is read-only for an application until granted; a ``recharge`` is paid from
the application's float (``micropay float fund``). Caps are decimal major units.
"""

from __future__ import annotations

import argparse
from typing import Any

from charging.grants import OPERATIONS, Grant
from charging.ledger import Ledger
from charging.money import from_minor, to_minor
from gateway.cli.output import CommandError


def add_options(parser: argparse.ArgumentParser, *, revoke: bool) -> None:
    parser.add_argument(
        "--grant", action="append", choices=OPERATIONS, default=[],
        help="allow balanceUpdate (recharge, from the application's float), voucherUpdate "
        "(voucher) or the self-care extension (selfcare: suspendAccount, resumeAccount, "
        "changeMonthlyLimit, setThreshold -- for the operator's own self-care application)",
    )  # fmt: skip
    if revoke:
        parser.add_argument("--revoke", action="append", choices=OPERATIONS, default=[])
    parser.add_argument("--currency", help="ISO 4217 code of a recharge grant and its caps")
    parser.add_argument("--recharge-cap", help="largest single recharge (major units)")
    parser.add_argument("--daily-cap", help="most recharged per day (major units)")


def apply(ledger: Ledger, app_id: str, args: argparse.Namespace) -> None:
    """Grant and revoke what ``args`` say, recharge first checked for its currency."""
    caps = args.recharge_cap is not None or args.daily_cap is not None
    if ("recharge" in args.grant or caps) and not args.currency:
        raise CommandError("a recharge grant needs --currency (its caps are in that currency)")
    if caps and "recharge" not in args.grant:
        raise CommandError("--recharge-cap and --daily-cap go with --grant recharge")
    for operation in getattr(args, "revoke", []):
        ledger.revoke(
            app_id, operation, currency=args.currency if operation == "recharge" else None
        )
    if "recharge" in args.grant:
        cap = None if args.recharge_cap is None else to_minor(args.recharge_cap, args.currency)
        daily = None if args.daily_cap is None else to_minor(args.daily_cap, args.currency)
        ledger.grant(
            app_id, "recharge", currency=args.currency, cap_minor=cap, daily_cap_minor=daily
        )
    for operation in ("voucher", "selfcare"):
        if operation in args.grant:
            ledger.grant(app_id, operation)


def grant_view(grant: Grant) -> str:
    """``recharge KRW (cap 50000, daily 1000000)`` / ``voucher``."""
    if grant.operation != "recharge":
        return grant.operation
    caps = [
        f"{name} {from_minor(value, grant.currency)}"
        for name, value in (("cap", grant.cap_minor), ("daily", grant.daily_cap_minor))
        if value is not None
    ]
    return f"recharge {grant.currency}" + (f" ({', '.join(caps)})" if caps else "")


def grants_of(ledger: Ledger, app_id: str) -> list[str]:
    return [grant_view(g) for g in ledger.list_grants(app_id)]


def describe(ledger: Ledger, app_id: str) -> dict[str, Any]:
    return {"grants": ", ".join(grants_of(ledger, app_id)) or "none (Account Management read-only)"}
