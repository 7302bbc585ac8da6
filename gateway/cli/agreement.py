"""``micropay agreement list|show``: signed service agreements, with both signatures.

Agreements are kept for non-repudiation: the text the application signed, its signature, the
framework's countersignature and, once terminated, the signed termination text.
"""

from __future__ import annotations

import argparse
import base64
from datetime import UTC, datetime
from typing import Any

from framework.core.store import AgreementRecord
from gateway.cli.app import open_store
from gateway.cli.output import CommandError
from gateway.config import Config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("agreement", help="signed service agreements")
    agreement_sub = p.add_subparsers(dest="agreement_command", required=True, metavar="ACTION")
    ls = agreement_sub.add_parser("list", help="list agreements")
    ls.add_argument("--app", help="only this application's agreements")
    ls.set_defaults(handler=list_agreements)
    show = agreement_sub.add_parser("show", help="show one agreement, its text and signatures")
    show.add_argument("agreement_id", metavar="AGREEMENT_ID", help="as agreement list shows it")
    show.set_defaults(handler=show_agreement)


def _b64(data: bytes | None) -> str:
    return base64.b64encode(data).decode() if data else ""


def summary(record: AgreementRecord, now: datetime) -> dict[str, Any]:
    return {
        "agreement_id": record.agreement_id,
        "app_id": record.app_id,
        "service_id": record.service_id,
        "service_type": record.service_type,
        "state": record.shown_state(now),
        "signed_at": record.signed_at.isoformat(),
        "valid_until": record.valid_until.isoformat(),
        "signing_algorithm": record.signing_algorithm,
        "app_signature": _b64(record.app_signature),
        "framework_signature": _b64(record.fw_signature),
    }


def list_agreements(args: argparse.Namespace, config: Config) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [summary(r, now) for r in open_store(config).agreements(args.app)]


def show_agreement(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    record = open_store(config).agreement(args.agreement_id)
    if record is None:
        raise CommandError(f"no agreement {args.agreement_id}")
    row = summary(record, datetime.now(UTC))
    row["token"] = record.token
    row["agreement_text"] = record.agreement_text
    row["ended_at"] = record.ended_at.isoformat() if record.ended_at else ""
    row["end_reason"] = record.end_reason or ""
    row["termination_text"] = record.termination_text or ""
    row["termination_signature"] = _b64(record.termination_signature)
    return row
