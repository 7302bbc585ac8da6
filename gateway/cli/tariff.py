"""``micropay tariff``: the operator's tariffs for volume charging (Payment's chargeVolume,
getAmount, reserveVolume ...).

A tariff is a name and a price per currency: ``micropay tariff set default 5 --currency KRW``
prices one unit at 5 won; ``--per 1000`` prices a thousand units. Amounts are decimal major
units, exact (more decimals than the currency has is an error). A volume request names its tariff
with the Property ``tariff`` (else ``default``) and is priced in the end user's account currency,
rounded up to a whole minor unit. See docs/payment-and-account.md.
"""

from __future__ import annotations

import argparse
from typing import Any

from charging.money import from_minor, to_minor
from gateway.cli.account import open_ledger
from gateway.cli.output import CommandError
from gateway.config import Config
from scf.payment.tariff import Tariff, TariffStore


def tariff_view(tariff: Tariff) -> dict[str, Any]:
    return {
        "name": tariff.name,
        "currency": tariff.currency,
        "price": from_minor(tariff.price_minor, tariff.currency),
        "per_units": tariff.per_units,
        "description": tariff.description,
        "updated_at": tariff.updated_at,
    }


def set_tariff(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    with open_ledger(config, create=True) as ledger:
        tariff = TariffStore(ledger.db).set(
            args.name,
            args.currency,
            to_minor(args.price, args.currency),
            args.per,
            args.description,
        )
        return tariff_view(tariff)


def list_tariffs(args: argparse.Namespace, config: Config) -> list[dict[str, Any]]:
    with open_ledger(config) as ledger:
        return [tariff_view(t) for t in TariffStore(ledger.db).list()]


def show(args: argparse.Namespace, config: Config) -> list[dict[str, Any]]:
    with open_ledger(config) as ledger:
        found = [
            tariff_view(t)
            for t in TariffStore(ledger.db).list(args.name)
            if args.currency is None or t.currency == args.currency
        ]
    if not found:
        raise CommandError(
            f"no tariff {args.name}" + (f" in {args.currency}" if args.currency else "")
        )
    return found


def remove(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    with open_ledger(config) as ledger:
        count = TariffStore(ledger.db).remove(args.name, args.currency)
    if not count:
        raise CommandError(
            f"no tariff {args.name}" + (f" in {args.currency}" if args.currency else "")
        )
    return {"name": args.name, "removed": count}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("tariff", help="volume-charging tariffs: set, list, show, remove")
    cmds = p.add_subparsers(dest="tariff_command", required=True, metavar="ACTION")
    s = cmds.add_parser("set", help="create or change a tariff in one currency")
    s.add_argument("name", metavar="NAME", help="e.g. default, video")
    s.add_argument(
        "price", metavar="PRICE", help="price of --per units, decimal major units, e.g. 5 or 0.01"
    )
    s.add_argument("--currency", required=True, help="ISO 4217 code")
    s.add_argument("--per", type=int, default=1, help="units the price is for (default 1)")
    s.add_argument("--description", default="")
    s.set_defaults(handler=set_tariff)
    li = cmds.add_parser("list", help="every tariff in every currency")
    li.set_defaults(handler=list_tariffs)
    sh = cmds.add_parser("show", help="one tariff (in every currency unless --currency)")
    sh.add_argument("name", metavar="NAME", help="the tariff's name, e.g. default")
    sh.add_argument("--currency")
    sh.set_defaults(handler=show)
    rm = cmds.add_parser("remove", help="remove a tariff (in every currency unless --currency)")
    rm.add_argument("name", metavar="NAME", help="the tariff's name, e.g. default")
    rm.add_argument("--currency")
    rm.set_defaults(handler=remove)
