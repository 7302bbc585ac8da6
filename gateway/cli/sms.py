"""``micropay sms inbox TEL`` and ``micropay sms mo FROM TO TEXT`` (DESIGN §5).

``inbox`` reads the embedded SMSC's handset file for a number directly (``<data>/smsc/handsets``),
so it works whether or not the SMSC is running. ``mo`` reaches the running SMSC through its
loopback admin port, found in ``<data>/smsc/admin.json`` together with the token it requires.
"""

from __future__ import annotations

import argparse
from typing import Any

from gateway.cli.output import CommandError
from gateway.config import Config
from scf.sms.addresses import loose_tel
from smsc.admin import AdminError, admin_call
from smsc.credentials import smsc_data_dir
from smsc.store import read_inbox


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sms", help="the embedded SMSC's handsets: read an inbox, send an MO message"
    )
    cmds = p.add_subparsers(dest="sms_command", required=True, metavar="SUBCOMMAND")
    inbox = cmds.add_parser("inbox", help="messages the embedded SMSC delivered to a number")
    inbox.add_argument("tel", metavar="TEL", help="the handset's number, e.g. tel:+821012345678")
    inbox.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    inbox.set_defaults(handler=run_inbox)
    mo = cmds.add_parser("mo", help="inject a mobile-originated message into the embedded SMSC")
    mo.add_argument("sender", metavar="FROM", help="the handset sending, e.g. tel:+821012345678")
    mo.add_argument("to", metavar="TO", help="the activation number (short code), e.g. tel:+821555")
    mo.add_argument("text", metavar="TEXT", help="the message (any language; long ones are split)")
    mo.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    mo.set_defaults(handler=run_mo)


def _number(text: str, part: str) -> str:
    try:
        return loose_tel(text)
    except Exception as exc:
        raise CommandError(f"{part}: not a phone number: {text!r}") from exc


def run_inbox(args: argparse.Namespace, config: Config) -> list[dict[str, Any]]:
    number = _number(args.tel, "TEL")
    messages = read_inbox(smsc_data_dir(config.data_dir), number)
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
                "to": _number(args.to, "TO"),
                "text": args.text,
            },
        )
    except AdminError as exc:
        raise CommandError(str(exc)) from None
