"""``micropay sms inbox TEL`` and ``micropay sms mo FROM TO TEXT``.

``register``, ``unregister`` and ``list`` provision the registrations ``getReceivedSms`` reads
(Parlay X Part 4 leaves them to the operator); ``unrouted`` lists MO messages no application
took yet. These four work on the SMS tables of the ledger's database (``config.ledger_url``).

``inbox`` reads the embedded SMSC's handset file for a number directly (``<data>/smsc/handsets``),
so it works whether or not the SMSC is running. ``mo`` reaches the running SMSC through its
loopback admin port, found in ``<data>/smsc/admin.json`` together with the token it requires.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from charging.msisdn import SHORT_CODE_DIGITS_MAX, SHORT_CODE_DIGITS_MIN
from gateway.cli import where
from gateway.cli.output import CommandError
from gateway.config import Config
from scf.sms.addresses import loose_tel
from scf.sms.service import SmsService
from smsc.admin import AdminError, admin_call
from smsc.credentials import smsc_data_dir
from smsc.store import read_inbox
from storage import StorageUnavailable, open_database


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sms",
        help="SMS: activation numbers for getReceivedSms, unrouted MO messages, the embedded"
        " SMSC's handsets",
    )
    cmds = p.add_subparsers(dest="sms_command", required=True, metavar="SUBCOMMAND")
    inbox = cmds.add_parser("inbox", help="messages the embedded SMSC delivered to a number")
    inbox.add_argument(
        "tel", metavar="TEL", help="the handset's number, e.g. 010-1234-5678 or tel:+821012345678"
    )
    inbox.set_defaults(handler=run_inbox)
    mo = cmds.add_parser("mo", help="inject a mobile-originated message into the embedded SMSC")
    mo.add_argument("sender", metavar="FROM", help="the handset sending, e.g. tel:+821012345678")
    mo.add_argument("to", metavar="TO", help="the activation number (short code), e.g. short:1555")
    mo.add_argument("text", metavar="TEXT", help="the message (any language; long ones are split)")
    mo.set_defaults(handler=run_mo)

    reg = cmds.add_parser(
        "register", help="provision an activation number for an application's getReceivedSms"
    )
    reg.add_argument("app_id", metavar="APP_ID", help="the application that reads the messages")
    reg.add_argument("number", metavar="NUMBER", help="short:1555, 1555, or a number")
    reg.add_argument(
        "--criteria", default="", help="only messages whose first word is this (any case)"
    )
    reg.add_argument("--id", default=None, help="the registrationIdentifier (default: generated)")
    reg.set_defaults(handler=run_register)
    unreg = cmds.add_parser("unregister", help="end a registration (its waiting messages too)")
    unreg.add_argument("registration_id", metavar="REGISTRATION_ID", help="as sms list shows it")
    unreg.set_defaults(handler=run_unregister)
    ls = cmds.add_parser("list", help="registrations, with the messages waiting for each")
    ls.add_argument("--app", default=None, help="only this application's")
    ls.set_defaults(handler=run_list)
    unrouted = cmds.add_parser("unrouted", help="MO messages no application has taken yet")
    unrouted.add_argument("--limit", type=int, default=100)
    unrouted.set_defaults(handler=run_unrouted)


def _number(text: str, part: str, *, short_code: bool = False) -> str:
    """A number as typed (010-1111-0001, +8210..., tel:...); with ``short_code``, 3-8 bare
    digits are a short code (1555 is short:1555)."""
    digits = text.strip()
    if (
        short_code
        and digits.isdigit()
        and SHORT_CODE_DIGITS_MIN <= len(digits) <= SHORT_CODE_DIGITS_MAX
    ):
        return f"short:{digits}"
    try:
        return loose_tel(text)
    except Exception as exc:
        raise CommandError(f"{part}: not a phone number: {text!r}") from exc


def run_inbox(args: argparse.Namespace, config: Config) -> list[dict[str, Any]]:
    number = _number(args.tel, "TEL")
    smsc_dir = smsc_data_dir(config.data_dir)
    if not smsc_dir.is_dir():
        raise CommandError(where.missing(config, smsc_dir, "embedded SMSC data"))
    messages = read_inbox(smsc_dir, number)
    rows = [
        {
            "received_at": m["received_at"],
            "from": m["from"],
            "parts": m["parts"],
            "text": m["text"],
        }
        for m in messages
    ]
    if not rows and not getattr(args, "json", False):
        print(f"no messages for {number}")
    return rows


def run_mo(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    if not args.text:
        raise CommandError("TEXT is empty")
    try:
        return admin_call(
            smsc_data_dir(config.data_dir),
            "mo",
            **{
                "from": _number(args.sender, "FROM"),
                "to": _number(args.to, "TO", short_code=True),
                "text": args.text,
            },
        )
    except AdminError as exc:
        raise CommandError(str(exc)) from None


@contextmanager
def sms_service(config: Config, *, create: bool = False) -> Iterator[SmsService]:
    """The SMS tables of the configured ledger database (migrated), closed afterwards; without
    ``create`` a missing database is refused, never made."""
    try:
        if create:
            if not config["ledger"]["url"]:
                config.ensure_data_dir()
        else:
            where.require(config, config.ledger_url)
        db = open_database(config.ledger_url)
    except StorageUnavailable as exc:
        raise CommandError(f"ledger database unavailable: {exc}") from None
    try:
        yield SmsService(db, short_code=str(config["sms"]["short_code"]))
    except StorageUnavailable as exc:
        raise CommandError(f"ledger database unavailable: {exc}") from None
    finally:
        db.close()


def run_register(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    number = _number(args.number, "NUMBER", short_code=True)
    with sms_service(config, create=True) as service:
        reg_id = service.register_activation_number(
            args.app_id, number, criteria=args.criteria, registration_id=args.id
        )
    return {"registration_id": reg_id, "app_id": args.app_id, "number": number}


def run_unregister(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    with sms_service(config) as service:
        dropped = service.unregister_activation_number(args.registration_id)
    return {"registration_id": args.registration_id, "messages_dropped": dropped}


def run_list(args: argparse.Namespace, config: Config) -> list[dict[str, Any]]:
    with sms_service(config) as service:
        return service.registrations(args.app)


def run_unrouted(args: argparse.Namespace, config: Config) -> list[dict[str, Any]]:
    with sms_service(config) as service:
        rows = service.unrouted(max(1, min(args.limit, 10_000)))
    if not rows and not getattr(args, "json", False):
        print("no unrouted messages")
    return rows
