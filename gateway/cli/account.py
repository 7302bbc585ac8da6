"""``micropay account``: open, inspect, suspend, resume, close, top up and change micro-payment
accounts. Amounts are decimal major units (``--balance 12.50`` for USD), converted
exactly with ``charging.money``: more decimals than the currency has is an error, never rounded.

The ledger is the one at ``config.ledger_url`` (``[ledger] url``, ``MICROPAY_LEDGER_URL``); only
``create`` makes one where there is none (``gateway.cli.where``). An account's ``state`` is one of
active, suspended, expired and closed, as Account Management reports it.
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from charging import msisdn
from charging.ledger import Ledger
from charging.model import Account, HistoryEntry, ReservationInfo
from charging.money import from_minor, to_minor
from charging.selfcare_ops import LEDGER_SETTINGS as SETTINGS
from gateway.cli import where
from gateway.cli.output import CommandError, Table
from gateway.config import Config
from storage import StorageUnavailable

OPERATOR_APP_ID = "operator"  # the application id the ledger records for operator top-ups


def ledger_settings(config: Config) -> dict[str, Any]:
    """The ``[ledger]`` configuration as keyword arguments of ``Ledger.open``."""
    return {k: v for k, v in config["ledger"].items() if k in SETTINGS}


@contextmanager
def open_ledger(config: Config, *, create: bool = False) -> Iterator[Ledger]:
    """The configured ledger, closed afterwards; an unreachable database is a one-line error.
    Without ``create`` a missing ledger is refused, never made (``where.require``)."""
    try:
        if create:
            if not config["ledger"]["url"]:
                config.ensure_data_dir()
        else:
            where.require(config, config.ledger_url)
        ledger = Ledger.open(config.ledger_url, **ledger_settings(config))
    except StorageUnavailable as exc:
        raise CommandError(f"ledger database unavailable: {exc}") from None
    try:
        yield ledger
    except StorageUnavailable as exc:
        raise CommandError(f"ledger database unavailable: {exc}") from None
    finally:
        ledger.close()


# -- argument types ------------------------------------------------------------------------------
def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def optional_date(text: str) -> date | None:
    return None if text.lower() == "none" else iso_date(text)


def read_pin_file(path: str) -> str:
    try:
        return Path(path).read_text().strip("\r\n")
    except OSError as exc:
        raise CommandError(f"cannot read PIN file {path}: {exc.strerror}") from None


def minor(amount: str | None, currency: str) -> int | None:
    """A decimal CLI amount in minor units; "none" (for limits) is None."""
    if amount is None or amount.lower() == "none":
        return None
    return to_minor(amount, currency)


LIST_COLUMNS = (
    "number", "msisdn", "kind", "state", "currency", "balance", "reserved", "month_spent",
    "monthly_limit", "transaction_limit", "valid_until", "has_pin",
)  # fmt: skip


def account_view(account: Account, state: str) -> dict[str, Any]:
    """An account for people and scripts: decimal amounts in major units; ``state`` as Account
    Management reports it (an account past its last valid day is expired)."""
    cur = account.currency

    def money(value: int | None) -> Any:
        return None if value is None else from_minor(value, cur)

    return {
        "number": account.number,
        "msisdn": account.msisdn,
        "kind": account.kind.value,
        "currency": cur,
        "state": state,
        "balance": money(account.balance_minor),
        "ledger_balance": money(account.ledger_balance_minor),
        "reserved": money(account.reserved_minor),
        "month_spent": money(account.month_spent_minor),
        "headroom": money(account.headroom_minor),
        "monthly_limit": money(account.monthly_limit_minor),
        "transaction_limit": money(account.transaction_limit_minor),
        "low_balance": money(account.low_balance_minor),
        "valid_until": account.valid_until,
        "has_pin": account.has_pin,
    }


def view(ledger: Ledger, number: str) -> dict[str, Any]:
    """The account ``number`` as it is now."""
    return account_view(ledger.get_account(number), ledger.status(number).state or "")


def history_view(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "transaction_id": entry.transaction_id,
        "date": entry.date,
        "kind": entry.kind.value,
        "amount": from_minor(entry.amount_minor, entry.currency),
        "currency": entry.currency,
        "balance_after": from_minor(entry.ledger_balance_after_minor, entry.currency),
        "app_id": entry.app_id,
        "reference_code": entry.reference_code,
        "description": entry.description,
    }


# -- commands ------------------------------------------------------------------------------------
def create(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    cur = args.currency
    pin = read_pin_file(args.pin_file) if args.pin_file else None
    with open_ledger(config, create=True) as ledger:
        account = ledger.create_account(
            args.number,
            msisdn=msisdn.loose(args.msisdn, part="--msisdn"),
            currency=cur,
            kind=args.kind,
            balance_minor=minor(args.balance, cur) or 0,
            monthly_limit_minor=minor(args.monthly_limit, cur),
            transaction_limit_minor=minor(args.transaction_limit, cur),
            low_balance_minor=minor(args.low_balance, cur) or 0,
            valid_until=args.valid_until,
            pin=pin,
        )
        return view(ledger, account.number)


def show(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    with open_ledger(config) as ledger:
        return view(ledger, args.number)


def list_accounts(args: argparse.Namespace, config: Config) -> Table:
    with open_ledger(config) as ledger:
        return Table([view(ledger, a.number) for a in ledger.list_accounts()], LIST_COLUMNS)


def set_status(status: str) -> Any:
    def handler(args: argparse.Namespace, config: Config) -> dict[str, Any]:
        with open_ledger(config) as ledger:
            ledger.set_status(args.number, status)
            return view(ledger, args.number)

    return handler


def topup(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    with open_ledger(config) as ledger:
        cur = ledger.get_account(args.number).currency
        result = ledger.recharge(
            app_id=OPERATOR_APP_ID,
            reference_code=args.reference or f"cli-{uuid.uuid4()}",
            account=args.number,
            amount_minor=to_minor(args.amount, cur),
            currency=cur,
            description=args.description,
            extend_days=args.extend_days,
        )
        shown = view(ledger, args.number)
        shown["transaction_id"] = result.transaction_id
        shown["replayed"] = result.replayed
        return shown


def change(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    with open_ledger(config) as ledger:
        cur = ledger.get_account(args.number).currency
        limits: dict[str, Any] = {}
        for option, name in (
            ("monthly_limit", "monthly_limit_minor"),
            ("transaction_limit", "transaction_limit_minor"),
            ("low_balance", "low_balance_minor"),
        ):
            value = getattr(args, option)
            if value is not None:
                limits[name] = minor(value, cur)
        if limits.get("low_balance_minor", 0) is None:
            limits["low_balance_minor"] = 0
        if "valid_until" in vars(args):
            limits["valid_until"] = args.valid_until
        if args.pin_file:
            ledger.set_pin(args.number, read_pin_file(args.pin_file))
        elif args.no_pin:
            ledger.set_pin(args.number, None)
        if limits:
            ledger.set_limits(args.number, **limits)
        elif not (args.pin_file or args.no_pin):
            raise CommandError("nothing to change: give a limit, --valid-until or a PIN option")
        return view(ledger, args.number)


def hold_view(hold: ReservationInfo) -> dict[str, Any]:
    """An open reservation as a line of the history: the money is held, not yet charged."""
    return {
        "transaction_id": None,
        "date": None,
        "kind": "hold",
        "amount": -from_minor(hold.reserved_minor, hold.currency),
        "currency": hold.currency,
        "balance_after": None,
        "app_id": None,
        "reference_code": hold.reservation_id,
        "description": f"held until {hold.expires_at.isoformat(timespec='seconds')} "
        "unless charged or released first",
    }


def history(args: argparse.Namespace, config: Config) -> list[dict[str, Any]]:
    """Open holds first (they already reduce the balance), then the entries, newest first."""
    with open_ledger(config) as ledger:
        holds = [hold_view(h) for h in ledger.open_reservations(args.number)]
        entries = ledger.history(args.number, since=args.since, entries_max=args.max)
        return holds + [history_view(e) for e in entries]


NUMBER_HELP = "the account number, e.g. 1001"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("account", help="micro-payment accounts: create, show, list, top up, ...")
    cmds = p.add_subparsers(dest="account_command", required=True, metavar="ACTION")

    c = cmds.add_parser("create", help="open an account")
    c.add_argument("number", metavar="NUMBER", help="the new account's number, e.g. 1001")
    c.add_argument(
        "--msisdn", required=True, help="the owner's number: tel:+821012345678, 010-1234-5678, ..."
    )
    c.add_argument("--currency", required=True, help="ISO 4217 code, e.g. KRW")
    c.add_argument("--kind", choices=("prepaid", "postpaid"), default="prepaid")
    c.add_argument("--balance", help="opening balance (prepaid), major units")
    c.add_argument("--monthly-limit", help="spending limit per calendar month")
    c.add_argument("--transaction-limit", help="limit per payment")
    c.add_argument("--low-balance", help="threshold of P_AM_ACCOUNT_LOW")
    c.add_argument("--valid-until", type=iso_date, help="YYYY-MM-DD (last valid day)")
    c.add_argument("--pin-file", help="file holding the account's PIN")
    c.set_defaults(handler=create)

    s = cmds.add_parser("show", help="one account with its state, balance and headroom")
    s.add_argument("number", metavar="NUMBER", help=NUMBER_HELP)
    s.set_defaults(handler=show)
    cmds.add_parser("list", help="every account").set_defaults(handler=list_accounts)
    for action, status, text in (
        ("suspend", "suspended", "refuse payments (e.g. a lost phone)"),
        ("resume", "active", "accept payments again"),
        ("close", "closed", "close for good (releases open reservations)"),
    ):
        a = cmds.add_parser(action, help=text)
        a.add_argument("number", metavar="NUMBER", help=NUMBER_HELP)
        a.set_defaults(handler=set_status(status))

    t = cmds.add_parser("topup", help="credit a prepaid account (balanceUpdate)")
    t.add_argument("number", metavar="NUMBER", help=NUMBER_HELP)
    t.add_argument("amount", metavar="AMOUNT", help="major units, e.g. 10000 or 12.50")
    t.add_argument("--extend-days", type=int, help="keep the account valid this many days")
    t.add_argument("--reference", help="reference code (a repeat with it is a no-op)")
    t.add_argument("--description", default="operator top-up", help="shown in the history")
    t.set_defaults(handler=topup)

    e = cmds.add_parser("set", help="change limits, threshold, validity or PIN")
    e.add_argument("number", metavar="NUMBER", help=NUMBER_HELP)
    e.add_argument("--monthly-limit", help="amount, or 'none' to remove")
    e.add_argument("--transaction-limit", help="amount, or 'none' to remove")
    e.add_argument("--low-balance", help="amount, or 'none' for no threshold")
    e.add_argument(
        "--valid-until",
        type=optional_date,
        default=argparse.SUPPRESS,
        help="YYYY-MM-DD, or 'none' to never expire",
    )
    pin = e.add_mutually_exclusive_group()
    pin.add_argument("--pin-file", help="file holding the new PIN")
    pin.add_argument("--no-pin", action="store_true", help="remove the PIN")
    e.set_defaults(handler=change)

    h = cmds.add_parser("history", help="open holds, then the most recent entries, newest first")
    h.add_argument("number", metavar="NUMBER", help=NUMBER_HELP)
    h.add_argument("--since", type=iso_date, help="YYYY-MM-DD")
    h.add_argument("--max", type=int, default=20, help="entries at most (default 20)")
    h.set_defaults(handler=history)
