"""``micropay app register|set|list|show|disable|enable``: the framework's client applications.

An application is registered with its shared authentication secret (generated, 256 bits, into
``<data>/apps/<app id>.secret``; or read from a private file, never from the command line: see
``app_secret.py``), its signing public key (PEM file) and the services it subscribes to:
``payment`` (P_PAYMENT), ``account`` (P_ACCOUNT_MANAGEMENT), ``sms`` (P_SMS), or any service type
name such as ``P_PAYMENT``. Secrets are never printed; keys are shown by fingerprint. What it may
do beyond payments -- recharge from its float, redeem vouchers -- is granted at registration or
with ``app set`` (``gateway.cli.grants``).
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from framework.core.chap import Mechanism, split_list
from framework.core.signing import InvalidKey, fingerprint, load_public_key
from framework.core.store import (
    Application,
    ApplicationExists,
    FrameworkStore,
    InvalidApplication,
    valid_app_id,
)
from gateway import framework_store
from gateway.cli import app_secret, grants, where
from gateway.cli.account import open_ledger
from gateway.cli.output import CommandError
from gateway.config import Config

APP_ID_HELP = "the application's id, e.g. micropay-shop"
SERVICE_NAMES = {"payment": "P_PAYMENT", "account": "P_ACCOUNT_MANAGEMENT", "sms": "P_SMS"}
_TYPE_NAME = re.compile(r"^P_[A-Z0-9_]+$")


def service_types(text: str) -> list[str]:
    """CLI service names (``payment,account,sms`` or type names) as service type names."""
    types: list[str] = []
    for item in split_list(text):
        name = SERVICE_NAMES.get(item.lower()) or (item if _TYPE_NAME.match(item) else None)
        if name is None:
            known = ", ".join(SERVICE_NAMES)
            raise CommandError(f"unknown service {item!r} (use {known} or a type like P_PAYMENT)")
        if name not in types:
            types.append(name)
    if not types:
        raise CommandError("--services names no service")
    return types


def open_store(config: Config, *, create: bool = False) -> FrameworkStore:
    """The framework's registry; without ``create`` a missing one is refused, never made."""
    if not create:
        where.require(config, config.framework_url, "framework registry", "framework")
    return framework_store.open_store(config)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("app", help="client applications of the OSA framework")
    app_sub = p.add_subparsers(dest="app_command", required=True, metavar="ACTION")
    r = app_sub.add_parser("register", help="register a client application")
    r.add_argument("app_id", metavar="APP_ID", help=APP_ID_HELP)
    r.add_argument(
        "--secret-file",
        help="file (mode 0600) holding the shared CHAP secret, 128+ bits; default: a 256-bit "
        "secret is generated into <data>/apps/APP_ID.secret",
    )
    r.add_argument("--public-key", help="PEM file of the application's signing public key")
    r.add_argument(
        "--auth-mechanisms",
        default=Mechanism.P_OSA_HMAC_SHA256.value,
        help="allowed CHAP mechanisms, e.g. P_OSA_HMAC_SHA256,P_OSA_MD5",
    )
    r.add_argument("--services", required=True, help="payment,account,sms (or type names)")
    grants.add_options(r, revoke=False)
    r.set_defaults(handler=register_app)
    st = app_sub.add_parser("set", help="grant or revoke recharge and vouchers (see app show)")
    st.add_argument("app_id", metavar="APP_ID", help=APP_ID_HELP)
    grants.add_options(st, revoke=True)
    st.set_defaults(handler=set_app)
    app_sub.add_parser("list", help="list applications").set_defaults(handler=list_apps)
    for action, handler, text in (
        ("show", show_app, "show one application"),
        ("disable", disable_app, "disable (ends its sessions and agreements' managers)"),
        ("enable", enable_app, "enable again (also clears an authentication lock-out)"),
    ):
        q = app_sub.add_parser(action, help=text)
        q.add_argument("app_id", metavar="APP_ID", help=APP_ID_HELP)
        q.set_defaults(handler=handler)


def _secret(args: argparse.Namespace, config: Config) -> tuple[bytes, Path | None]:
    """(secret, the file it was generated into, or None when the operator gave one)."""
    if args.secret_file:
        return app_secret.read(Path(args.secret_file)), None
    if not valid_app_id(args.app_id):
        raise CommandError("application id must be letters, digits and ._:@- only")
    path = config.ensure_data_dir() / "apps" / f"{args.app_id}.secret"
    return app_secret.generate(path), path


def _read_public_key(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        pem = Path(path).read_text()
        load_public_key(pem)
    except OSError as exc:
        raise CommandError(f"cannot read the public key: {exc.strerror}") from None
    except (InvalidKey, UnicodeDecodeError) as exc:
        raise CommandError(f"the public key is not usable: {exc}") from None
    return pem


def _mechanisms(text: str) -> list[str]:
    names = split_list(text)
    known = {m.value for m in Mechanism}
    bad = [n for n in names if n not in known]
    if bad or not names:
        raise CommandError(f"unknown authentication mechanism(s) {bad}; known: {sorted(known)}")
    return names


def describe(app: Application, detail: bool = False) -> dict[str, Any]:
    key = app.public_key()
    row: dict[str, Any] = {
        "app_id": app.app_id,
        "enabled": app.enabled,
        "services": ",".join(app.service_types),
        "auth_mechanisms": ",".join(app.auth_mechanisms),
        "public_key": fingerprint(key) if key is not None else "none",
    }
    if detail:
        row["created_at"] = app.created_at.isoformat()
    return row


def lockout(store: FrameworkStore, app_id: str) -> dict[str, Any]:
    """Failures per client address (the lock-out counts each address on its own)."""
    failing = store.trust.failures_of(app_id)
    locks = [until for _, _, until in failing if until is not None]
    return {
        "auth_failures": sum(count for _, count, _ in failing),
        "locked_until": max(locks).isoformat() if locks else "",
        "failing_addresses": [
            {
                "address": peer or "unknown",
                "failures": count,
                "locked_until": until.isoformat() if until else "",
            }
            for peer, count, until in failing
        ],
    }


def register_app(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    pem = _read_public_key(args.public_key)
    mechanisms = _mechanisms(args.auth_mechanisms)
    types = service_types(args.services)
    store = open_store(config, create=True)
    if store.application(args.app_id) is not None:
        raise CommandError(f"application {args.app_id} is already registered")
    secret, generated = _secret(args, config)
    try:
        app = store.register_application(
            args.app_id, secret, pem, mechanisms, types, datetime.now(UTC)
        )
    except ApplicationExists:
        raise CommandError(f"application {args.app_id} is already registered") from None
    except (InvalidApplication, InvalidKey) as exc:
        raise CommandError(str(exc)) from None
    shown = describe(app)
    if generated is not None:
        shown["secret_file"] = str(generated)  # the secret itself is never printed
    with open_ledger(config, create=True) as ledger:
        grants.apply(ledger, args.app_id, args)
        return shown | grants.describe(ledger, args.app_id)


def set_app(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    _app(config, args.app_id)
    if not (args.grant or args.revoke):
        raise CommandError("nothing to set: give --grant or --revoke")
    with open_ledger(config) as ledger:
        grants.apply(ledger, args.app_id, args)
        return {"app_id": args.app_id} | grants.describe(ledger, args.app_id)


def list_apps(args: argparse.Namespace, config: Config) -> list[dict[str, Any]]:
    return [describe(a) for a in open_store(config).applications()]


def _app(config: Config, app_id: str) -> tuple[FrameworkStore, Application]:
    store = open_store(config)
    app = store.application(app_id)
    if app is None:
        raise CommandError(f"no application {app_id}")
    return store, app


def show_app(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    store, app = _app(config, args.app_id)
    shown = {**describe(app, detail=True), **lockout(store, app.app_id)}
    with open_ledger(config) as ledger:
        return shown | grants.describe(ledger, args.app_id)


def disable_app(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    store, _ = _app(config, args.app_id)
    store.set_enabled(args.app_id, False, datetime.now(UTC))
    return {"app_id": args.app_id, "enabled": False}


def enable_app(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    store, _ = _app(config, args.app_id)
    store.set_enabled(args.app_id, True, datetime.now(UTC))
    return {"app_id": args.app_id, "enabled": True}
