"""``micropay shop --config shop.toml``: run the micro-payment application against any gateway.

The shop is a third-party application: it needs the gateway's IpInitial endpoint, its
application id, its secret file and its private key (``apps/micropay/settings.py`` shows every
setting). Register it with the gateway first::

    micropay app register micropay-shop --secret-file shop/secret \\
        --public-key shop/app-key.pub.pem --services payment,account,sms

``micropay shop --new-credentials DIR [--app-id ID]`` writes a fresh secret and Ed25519 key into
DIR (kept if there already) and prints the commands that register them as application ID
(default ``my-shop``: ``micropay-shop`` is the demo's own) and grant its top-ups. Logs go to
stderr, one JSON object per line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gateway.cli.output import CommandError
from gateway.config import Config
from gateway.logs import setup_logging

NEW_APP_ID = "my-shop"  # not the demo's micropay-shop, which `micropay demo` registers


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "shop",
        help="run the micro-payment web shop (a third-party application)",
        description="Run the micro-payment web shop against a gateway, as a third-party "
        "application, or make its credentials. Here --config names the shop's settings; give "
        "the gateway's configuration before the command (micropay --config gw.toml shop ...).",
        conflict_handler="resolve",  # the shop's own --config replaces the global one
    )
    p.add_argument(
        "--config",
        dest="shop_config",
        metavar="SHOP_TOML",
        help="the shop's settings (endpoint, app id, secret file, private key, ports)",
    )
    p.add_argument(
        "--new-credentials",
        metavar="DIR",
        help="write a secret and an Ed25519 key into DIR (kept if present) and exit",
    )
    p.add_argument(
        "--app-id",
        default=NEW_APP_ID,
        help=f"with --new-credentials: the application id to register (default {NEW_APP_ID})",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int | dict[str, str]:
    from apps.micropay.credentials import ensure_credentials
    from apps.micropay.server import serve_shop
    from apps.micropay.settings import SettingsError, load_settings

    if args.new_credentials:
        files = ensure_credentials(Path(args.new_credentials))
        app = args.app_id
        return {
            "app_id": app,
            "secret_file": str(files.secret),
            "private_key_file": str(files.private_key),
            "public_key_file": str(files.public_key),
            "register_with": f"micropay app register {app} --secret-file {files.secret} "
            f"--public-key {files.public_key} --services payment,account,sms",
            "grant_top_ups": f"micropay app set {app} --grant recharge --currency KRW; "
            f"micropay float fund {app} 1000000 --currency KRW",
        }
    if not args.shop_config:
        raise CommandError("give the shop's settings: micropay shop --config shop.toml")
    try:
        settings = load_settings(args.shop_config)
    except SettingsError as exc:
        raise CommandError(str(exc)) from None
    for path in (settings.secret_file, settings.private_key_file):
        if not path.exists():
            raise CommandError(f"missing {path} (micropay shop --new-credentials DIR makes one)")
    setup_logging()
    as_json = bool(args.json)

    def ready(url: str) -> None:
        print(json.dumps({"shop": f"{url}/"}) if as_json else f"shop: {url}/", flush=True)

    serve_shop(settings, on_ready=ready)
    return 0
