"""``micropay interop``: the interop and conformance harness (apps/interop, docs/interop.md).

    micropay interop --demo        # the whole catalogue against the running demo, both transports
    micropay interop --endpoint corbaloc::HOST:PORT/IpInitial | IOR-FILE | grpc://HOST:PORT
                     --app-id ID --secret-file F --private-key PEM
                     [--suite framework,payment,account,sms] [--junit FILE] [--html FILE]
                     [--test-account ADDRESS[,pin=PIN][,role=ROLE]]... [--profile TOML]
    micropay interop --endpoint https://HOST:PORT --app-id ID --private-key PEM [--ca-file CA]
                     [--profile TOML]          # the CAMARA Carrier Billing purposes

Runs the catalogue of test purposes against any implementation of the framework and its SCFs,
through the IDL (CORBA) or the protos (gRPC) only, or of CAMARA Carrier Billing r3.2 over HTTP.
Exit code 0 only when every selected purpose passed; 1 otherwise (or on a bad setting, with one
line on stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from gateway.cli.output import CommandError
from gateway.config import Config

SUITES = "framework,payment,account,sms,camara"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "interop",
        help="run the interop and conformance test purposes against a framework and its SCFs",
        description="Run the catalogue of conformance test purposes against a framework and its "
        "SCFs (ours or anyone's) over CORBA or gRPC, or a CAMARA Carrier Billing surface over "
        "HTTPS. Against the running demo, --demo needs "
        "nothing else: micropay demo provisioned the application, test accounts, tariff and SMS "
        "registration, and each run gets fresh vouchers. Exit 0 only when every purpose passed.",
    )
    p.add_argument("--demo", action="store_true",
                   help="run against the demo running on this data folder, over CORBA and gRPC")  # fmt: skip
    p.add_argument("--endpoint", help="corbaloc::HOST:PORT/IpInitial, an IOR file, IOR:..., "
                   "grpc://HOST:PORT, grpcs://HOST:PORT, or https://HOST:PORT (CAMARA)")  # fmt: skip
    p.add_argument("--app-id", help="the application registered for testing")
    p.add_argument("--secret-file", help="file holding its shared CHAP secret (not for CAMARA)")
    p.add_argument("--private-key", help="PEM file of its signing private key")
    p.add_argument("--suite", default=SUITES, help=f"comma-separated (default {SUITES})")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML here")
    p.add_argument("--html", metavar="FILE", help="write the self-contained HTML report here")
    p.add_argument("--test-account", action="append", default=[], metavar="ADDRESS[,pin=PIN][,role=ROLE]",
                   help="an account destructive purposes may use (acct:NUMBER or tel:...); repeatable")  # fmt: skip
    p.add_argument(
        "--profile", metavar="TOML", help="test accounts, vouchers, SMS hooks, peer application"
    )
    p.add_argument("--framework-key", action="append", default=[], metavar="PEM",
                   help="the framework's public key for the application's signing algorithm, to "
                        "verify its signatures (micropay: micropay framework public-key "
                        "--algorithm P_ED25519 for an Ed25519 application); repeatable")  # fmt: skip
    p.add_argument("--ca-file", help="PEM of the CA that signs a grpcs:// or https:// "
                   "endpoint's certificate")  # fmt: skip
    p.add_argument(
        "--auth-mechanisms", default="P_OSA_HMAC_SHA256", help="TpAuthMechanismList to offer"
    )
    p.add_argument(
        "--signing-algorithms", default="", help="to offer (default: what the key signs)"
    )
    p.add_argument("--purpose", action="append", default=[], metavar="ID",
                   help="only purposes whose id starts with this (e.g. PAY/RES); repeatable")  # fmt: skip
    p.add_argument(
        "--callback-host", default="127.0.0.1", help="address our callback objects listen on"
    )
    p.add_argument("--wait", type=float, default=20.0, metavar="SECONDS",
                   help="how long to wait for a callback, receipt or message (default 20)")  # fmt: skip
    p.add_argument("--list", action="store_true", help="list the catalogue and exit")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, config: Config) -> int:
    from apps.interop.main import Settings, SettingsError, list_catalogue, main, parse_suites

    as_json = bool(args.json)
    try:
        suites = parse_suites(args.suite)
        if args.list:
            print(list_catalogue(suites, as_json))
            return 0
        if args.demo:
            from apps.interop.demo_profile import run_against_demo

            return _leave(run_against_demo(config, args))
        camara = str(args.endpoint or "").startswith(("https://", "http://"))
        needed = ("endpoint", "app_id", "private_key") if camara else (
            "endpoint", "app_id", "secret_file", "private_key")  # fmt: skip
        missing = [f"--{n.replace('_', '-')}" for n in needed if not getattr(args, n)]
        if missing:
            raise CommandError(f"missing {', '.join(missing)}")
        settings = Settings(
            args.endpoint, args.app_id, args.secret_file or "", args.private_key, suites,
            args.junit, args.html, args.test_account, args.profile, args.framework_key,
            args.ca_file, args.auth_mechanisms, args.signing_algorithms, tuple(args.purpose),
            args.callback_host, args.wait, as_json,
        )  # fmt: skip
        return _leave(main(settings))
    except SettingsError as exc:
        raise CommandError(str(exc)) from None


def _leave(code: int) -> NoReturn:
    """End the process once the run is reported, without the interpreter's teardown: omniORB's
    and gRPC's threads may still be finishing a late callback then, and a C++ library torn
    down under them aborts the process (seen as exit -6 after "verdict: PASSED")."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
