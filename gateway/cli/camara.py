"""``micropay camara token APP_ID --key FILE``: an access token of the CAMARA surface.

What a merchant's client does (docs/camara.md): sign a client assertion (RFC 7523, a JWT:
iss = sub = the application id, aud = the token endpoint, a fresh jti, exp within 2 minutes)
with the private key whose public half the application registered (``micropay app register
--public-key``), and exchange it at ``POST /oauth2/token`` for an access token of the
client-credentials grant. This command does exactly that against the surface of the configured
gateway (``[camara]``, or ``--url``), so an operator can check an application's set-up and
the curl walk-through has a token -- with ``client.camara``, the client the shop uses too. The
key file must be private (``chmod 600``).
"""

from __future__ import annotations

import argparse
import ssl
from pathlib import Path
from typing import Any

import httpx

from client.camara import TOKEN_PATH, TokenRefused, fetch_token
from framework.core import files
from framework.core.signing import InvalidKey, load_private_key
from gateway.cli.output import CommandError
from gateway.config import Config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("camara", help="the CAMARA Carrier Billing surface (REST)")
    cmds = p.add_subparsers(dest="camara_command", required=True, metavar="SUBCOMMAND")
    t = cmds.add_parser("token", help="get an access token for an application (private_key_jwt)")
    t.add_argument("app_id", metavar="APP_ID", help="the registered application")
    t.add_argument("--key", required=True, help="PEM file of the application's private key")
    t.add_argument("--scope", help="space-separated scopes (default: all the application has)")
    t.add_argument("--url", help="the surface's base URL (default: from [camara])")
    t.add_argument("--ca-file", help="CA certificate to trust (default: the gateway's own "
                   "self-signed one in <data>/camara-tls, else the system's)")  # fmt: skip
    t.set_defaults(handler=run_token)


def _base_url(args: argparse.Namespace, config: Config) -> str:
    if args.url:
        return str(args.url).rstrip("/")
    section = config["camara"]
    if section["public_url"]:
        return str(section["public_url"]).rstrip("/")
    tls = str(section["tls"]) != "off"
    return f"{'https' if tls else 'http'}://{section['host']}:{section['port']}"


def _context(args: argparse.Namespace, config: Config) -> ssl.SSLContext:
    ca = args.ca_file or config.data_dir / "camara-tls" / "cert.pem"
    if args.ca_file or Path(ca).exists():
        return ssl.create_default_context(cafile=str(ca))
    return ssl.create_default_context()


def run_token(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    path = Path(args.key)
    try:
        files.check_private(path, "the private key")
        pem = path.read_bytes()
        load_private_key(pem)
    except (OSError, files.NotPrivate, InvalidKey) as exc:
        raise CommandError(str(exc)) from None
    url = _base_url(args, config)
    try:
        with httpx.Client(verify=_context(args, config), timeout=30) as http:
            return fetch_token(http, f"{url}{TOKEN_PATH}", args.app_id, pem, args.scope)
    except TokenRefused as exc:
        if exc.error == "unreachable":
            raise CommandError(f"cannot reach {exc.description}") from None
        raise CommandError(f"refused: {exc.error}: {exc.description}") from None
