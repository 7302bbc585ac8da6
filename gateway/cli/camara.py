"""``micropay camara token APP_ID --key FILE``: an access token of the CAMARA surface.

What a merchant's client does (docs/camara.md): sign a client assertion (RFC 7523, a JWT:
iss = sub = the application id, aud = the token endpoint, a fresh jti, exp within 5 minutes)
with the private key whose public half the application registered (``micropay app register
--public-key``), and exchange it at ``POST /oauth2/token`` for an access token of the
client-credentials grant. This command does exactly that against the surface of the configured
gateway (``[camara]``, or ``--url``), so an operator can check an application's set-up and
the curl walk-through has a token. The key file must be private (``chmod 600``).
"""

from __future__ import annotations

import argparse
import ssl
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwk, jwt

from framework.core import files
from framework.core.signing import InvalidKey, load_private_key
from gateway.cli.output import CommandError
from gateway.config import Config

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_S = 120


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
        key = load_private_key(pem)
    except (OSError, files.NotPrivate, InvalidKey) as exc:
        raise CommandError(str(exc)) from None
    kind, alg = ("RSA", "RS256") if hasattr(key, "key_size") else ("OKP", "Ed25519")
    url = _base_url(args, config)
    now = int(time.time())
    claims = {"iss": args.app_id, "sub": args.app_id, "aud": f"{url}/oauth2/token", "iat": now,
              "exp": now + ASSERTION_LIFETIME_S, "jti": uuid.uuid4().hex}  # fmt: skip
    assertion = jwt.encode({"alg": alg}, claims, jwk.import_key(pem, kind), algorithms=[alg])
    form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion}  # fmt: skip
    if args.scope:
        form["scope"] = args.scope
    try:
        response = httpx.post(f"{url}/oauth2/token", data=form, verify=_context(args, config),
                              timeout=30)  # fmt: skip
    except httpx.HTTPError as exc:
        raise CommandError(f"cannot reach {url}: {type(exc).__name__}") from None
    body = response.json() if response.headers.get("content-type", "").startswith(
        "application/json") else {}  # fmt: skip
    if response.status_code != 200:
        raise CommandError(f"refused: {body.get('error', response.status_code)}: "
                           f"{body.get('error_description', '')}")  # fmt: skip
    return body
