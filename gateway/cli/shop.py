"""``micropay shop --config shop.toml``: run the micro-payment application against any gateway.

The shop is a third-party application: it needs the gateway's IpInitial endpoint, its
application id, its secret file and its private key (``apps/micropay/settings.py`` shows every
setting). Register it with the gateway first::

    micropay app register micropay-shop --secret-file shop/secret \\
        --public-key shop/app-key.pub.pem --services payment,account,sms

``micropay shop --new-credentials DIR`` writes a fresh secret and Ed25519 key into DIR (kept if
there already) and prints the register command. Logs go to stderr, one JSON object per line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gateway.cli.output import CommandError
from gateway.config import Config
from gateway.logs import setup_logging


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("shop", help="run the micro-payment web shop (a third-party application)")
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
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int | dict[str, str]:
    from apps.micropay.credentials import ensure_credentials
    from apps.micropay.server import serve_shop
    from apps.micropay.settings import SettingsError, load_settings

    if args.new_credentials:
        files = ensure_credentials(Path(args.new_credentials))
        return {
            "secret_file": str(files.secret),
            "private_key_file": str(files.private_key),
            "public_key_file": str(files.public_key),
            "register_with": f"micropay app register micropay-shop --secret-file {files.secret} "
            f"--public-key {files.public_key} --services payment,account,sms",
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
    serve_shop(settings, on_ready=lambda url: print(f"shop: {url}/", flush=True))
    return 0
