"""The demo's conformance profile, and ``micropay interop --demo``: the whole catalogue against the
running demo, over CORBA and over gRPC, in one command.

:func:`provision` -- ``micropay demo`` runs it at every start; the second time it changes
nothing -- sets the demo's gateway up for the harness as docs/interop.md asks an operator to: in
``<data>/interop/`` the credentials of three applications, ``interop-app`` (Ed25519),
``interop-peer`` (no SMS billing account, no Account Management) and ``interop-restricted``
(Account Management only, granted recharge with an empty float, no vouchers), and
``profile.toml`` for a run by hand; all registered; ``interop-app`` granted capped recharges from a
funded float and vouchers; one test
account of each kind the catalogue needs (``IOP-*``, phones 010-7770-00NN); a ``default`` tariff
in KRW when the operator has none; the off-line SMS registration ``REG-INTEROP`` on a short code
of its own (``short:1556``: the shop's notification takes every message to ``short:1555``); the
framework's public keys. The SMS billing account of ``interop-app`` is gateway configuration
(``sms.billing_accounts``): :func:`billing_setting` is what the demo gives its gateway.

:func:`run_against_demo` issues fresh vouchers (a voucher redeems once), then runs the catalogue
over the CORBA and the gRPC endpoint of the gateway running on this data folder
(``<data>/gateway.json``), writes both reports in ``<data>/interop/`` and passes only when both
runs passed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from apps.micropay.credentials import ensure_credentials
from charging.ledger import Ledger
from charging.model import Kind
from gateway.cli import where
from gateway.cli.account import ledger_settings, open_ledger
from gateway.cli.output import CommandError
from gateway.cli.provision import SeedAccount, open_accounts, register_once
from gateway.config import Config
from scf.payment.tariff import TariffStore
from storage import open_database

APP_ID = "interop-app"
PEER_ID = "interop-peer"
RESTRICTED_ID = "interop-restricted"  # Account Management only: recharge, an empty float
CURRENCY = "KRW"
FLOAT = 10_000_000  # KRW paid once into interop-app's float, for the recharge purposes
RECHARGE_CAP = 1_000_000  # KRW: interop-app's largest single recharge
TARIFF_PRICE = 5  # KRW per unit of the `default` tariff, when the operator has none
SHORT_CODE = "short:1556"  # the profile's own: the shop's notification takes all MO on short:1555
REGISTRATION = "REG-INTEROP"
REGISTRATION_CRITERIA = "POLL"
BILLING_ACCOUNT = "IOP-BILLING"
VOUCHER_AMOUNT = 500
VOUCHERS_PER_RUN = 1  # AM/VOU/BV-01 redeems one
PIN, LOCK_PIN = "4321", "8642"
UNREGISTERED = "tel:+821077700099"
TRANSPORTS = ("corba", "grpc")


def _tel(n: int) -> str:
    return f"tel:+82107770{n:04d}"


def _account(number: str, n: int, **kw: Any) -> SeedAccount:
    return SeedAccount(number, _tel(n), monthly_limit=kw.pop("monthly_limit", None),
                       low_balance=kw.pop("low_balance", 0), **kw)  # fmt: skip


# One account of each kind the catalogue asks for (docs/interop.md, "The test profile").
ACCOUNTS = (
    _account("IOP-FUNDED", 1, balance=100_000),
    _account("IOP-FUNDED2", 2, balance=100_000),
    _account("IOP-LIMITS", 3, balance=100_000, transaction_limit=2_000, monthly_limit=5_000),
    _account("IOP-LOW", 4, balance=10_000, low_balance=9_000),
    _account("IOP-PIN", 5, balance=10_000, pin=PIN),
    _account("IOP-LOCK", 6, balance=10_000, pin=LOCK_PIN),
    _account("IOP-POST", 7, kind=Kind.POSTPAID, monthly_limit=50_000),
    _account("IOP-SUSP", 8, balance=10_000, state="suspended"),
    _account("IOP-CLOSED", 9, state="closed"),
    _account(BILLING_ACCOUNT, 10, balance=100_000),
    _account("IOP-EXPIRED", 11, balance=10_000, state="expired"),
)
PROFILE_ROLES = {  # what the harness cannot tell by itself
    "IOP-PIN": f'pin = "{PIN}"',
    "IOP-LOCK": f'pin = "{LOCK_PIN}"\nroles = ["lockable"]',
    "IOP-POST": 'kind = "postpaid"',
    "IOP-SUSP": 'roles = ["suspended"]',
    "IOP-CLOSED": 'roles = ["closed"]',
    "IOP-EXPIRED": 'roles = ["expired"]',
}


def folder(config: Config) -> Path:
    return config.data_dir / "interop"


def billing_setting(existing: str) -> str:
    """``sms.billing_accounts`` with ``interop-app``'s billing account added (unless set)."""
    if any(item.split("=", 1)[0].strip() == APP_ID for item in existing.split(",")):
        return existing
    return ",".join(filter(None, [existing.strip(), f"{APP_ID}={BILLING_ACCOUNT}"]))


# -- set-up -------------------------------------------------------------------------------------
def provision(config: Config) -> Path:
    """Set the demo's gateway up for the harness (idempotent); the profile's path."""
    base = folder(config)
    app = ensure_credentials(base / "app")
    peer = ensure_credentials(base / "peer")
    register_once(config, APP_ID, app, ("P_PAYMENT", "P_ACCOUNT_MANAGEMENT", "P_SMS"),
                  ("P_OSA_HMAC_SHA256", "P_OSA_MD5"))  # fmt: skip
    register_once(config, PEER_ID, peer, ("P_PAYMENT", "P_SMS"))
    restricted = ensure_credentials(base / "restricted")
    register_once(config, RESTRICTED_ID, restricted, ("P_ACCOUNT_MANAGEMENT",))
    open_accounts(config, ACCOUNTS, CURRENCY)
    with Ledger.open(config.ledger_url, **ledger_settings(config)) as ledger:
        ledger.grant(APP_ID, "recharge", currency=CURRENCY, cap_minor=RECHARGE_CAP)
        ledger.grant(APP_ID, "voucher")
        ledger.grant(RESTRICTED_ID, "recharge", currency=CURRENCY)  # and no float, no vouchers
        ledger.fund_float(
            app_id=APP_ID,
            amount_minor=FLOAT,
            currency=CURRENCY,
            reference_code="demo-interop-float",
        )
        tariffs = TariffStore(ledger.db)
        if tariffs.get("default", CURRENCY) is None:
            tariffs.set("default", CURRENCY, TARIFF_PRICE, 1, "demo: the conformance profile's")
    _sms_registration(config)
    keys = _framework_keys(config, base)
    profile = base / "profile.toml"
    profile.write_text(profile_text(config, keys, mo_hook(config)))
    return profile


def _sms_registration(config: Config) -> None:
    from scf.sms.service import SmsService

    db = open_database(config.ledger_url)
    try:
        service = SmsService(db, short_code=str(config["sms"]["short_code"]))
        service.register_activation_number(
            APP_ID, SHORT_CODE, criteria=REGISTRATION_CRITERIA, registration_id=REGISTRATION
        )
    finally:
        db.close()


def _framework_keys(config: Config, base: Path) -> list[Path]:
    """The framework's public key for each algorithm it signs with: the harness picks the one
    of the agreement's algorithm (an Ed25519 application gets Ed25519 signatures)."""
    from framework.core.keys import keys_for

    keys = keys_for(config.ensure_data_dir(), config["framework"]["signing_algorithms"])
    written = []
    for algorithm in keys.available():
        path = base / f"framework-{algorithm}.pem"
        path.write_text(keys.public_pem(algorithm))
        written.append(path)
    return written


def profile_text(config: Config, framework_keys: list[Path], hook: list[str]) -> str:
    """The profile in TOML: test accounts, SMS hooks, the peer, the framework's keys. Vouchers
    are not in it: ``micropay interop --demo`` issues fresh ones for each run."""
    accounts = [(f"acct:{a.number}", PROFILE_ROLES.get(a.number, "")) for a in ACCOUNTS]
    accounts += [(_tel(2), ""), (UNREGISTERED, "")]  # a handset by number; one with no account
    keys = ", ".join(json.dumps(str(k)) for k in framework_keys)
    return (
        "# The conformance profile of the demo (micropay interop --demo uses it; docs/interop.md)\n"
        + "".join(f'[[account]]\naddress = "{a}"\n{extra}\n' for a, extra in accounts)
        + "[sms]\n"
        + f'recipients = ["{_tel(1)}", "{_tel(2)}"]\n'
        + f'billing_account = "acct:{BILLING_ACCOUNT}"\ncharge_amount = "10"\n'
        + f'activation_number = "{SHORT_CODE}"\n'
        + f'registration = "{REGISTRATION}"\nregistration_number = "{SHORT_CODE}"\n'
        + f'registration_criteria = "{REGISTRATION_CRITERIA}"\n'
        + f"mo_command = {json.dumps(hook)}\n"
        + '[payment]\nvolume_parameters = { tariff = "default" }\n'
        + f'[grants]\nrecharge_cap = "{RECHARGE_CAP}"\n'
        + f'[peer]\napp_id = "{PEER_ID}"\nsecret_file = "peer/secret"\n'
        + 'private_key = "peer/app-key.pem"\n'
        + f'[restricted]\napp_id = "{RESTRICTED_ID}"\nsecret_file = "restricted/secret"\n'
        + 'private_key = "restricted/app-key.pem"\n'
        + f"[framework]\npublic_keys = [{keys}]\nmd5 = true\naccess_sessions_max = 64\n"
    )


def mo_hook(config: Config) -> list[str]:
    """``micropay sms mo`` of this installation on this data folder, from any folder and shell
    (the hook runs without the virtual environment on PATH): a configuration that names only
    the data folder is written beside the profile for it."""
    pinned = folder(config) / "gateway.toml"
    pinned.write_text(f"[data]\ndir = {json.dumps(str(config.data_dir))}\n")
    micropay = str(Path(sys.executable).parent / "micropay")
    return [micropay, "--config", str(pinned), "sms", "mo", "{from}", "{to}", "{text}"]


# -- the run ------------------------------------------------------------------------------------
def endpoints(config: Config) -> dict[str, tuple[str, str | None]]:
    """The running gateway's CORBA and gRPC endpoints (with the CA a grpcs:// one needs)."""
    running = where.read_running(config.data_dir)
    if running is None:
        raise CommandError(
            f"no gateway is running on {config.data_dir}: start the demo (./build.sh run, or "
            "micropay demo), then run micropay interop --demo"
        )
    from shim.tls import SELF_SIGNED_DIR, tls_wanted

    found = running["endpoints"]
    chosen: dict[str, tuple[str, str | None]] = {"corba": (found["corba"], None)}
    if "grpc" in found:
        grpc = config["grpc"]
        if tls_wanted(grpc):
            ca = grpc["cert_file"] or str(config.data_dir / SELF_SIGNED_DIR / "cert.pem")
            chosen["grpc"] = (f"grpcs://{found['grpc']}", ca)
        else:
            chosen["grpc"] = (f"grpc://{found['grpc']}", None)
    return chosen


def fresh_vouchers(config: Config, count: int) -> tuple[tuple[str, str], ...]:
    with open_ledger(config) as ledger:
        return tuple(ledger.issue_voucher(VOUCHER_AMOUNT, CURRENCY, None) for _ in range(count))


def run_against_demo(config: Config, args: Any) -> int:
    """Both transports against the running demo; 0 only when both passed."""
    from apps.interop.main import Settings, execute, finish, parse_suites, report
    from apps.interop.report_text import as_json

    profile = folder(config) / "profile.toml"
    if not profile.exists():
        raise CommandError(
            f"no conformance profile at {profile}: micropay demo provisions it (./build.sh run)"
        )
    base = profile.parent
    suites = parse_suites(args.suite)
    results = []
    try:
        for transport, (endpoint, ca_file) in endpoints(config).items():
            settings = Settings(
                endpoint, APP_ID, str(base / "app" / "secret"), str(base / "app" / "app-key.pem"),
                suites, str(base / f"report-{transport}.xml"), str(base / f"report-{transport}.html"),
                profile=str(profile), ca_file=ca_file, purposes=tuple(args.purpose),
                callback_host=args.callback_host, wait_s=args.wait, as_json=bool(args.json),
                vouchers=fresh_vouchers(config, VOUCHERS_PER_RUN),
            )  # fmt: skip
            result = execute(settings)
            report(settings, result)
            results.append((transport, result))
            if not args.json:
                print(f"reports: {settings.html} (JUnit: {settings.junit})\n", flush=True)
    finally:
        finish()
    passed = all(r.passed for _, r in results)
    if args.json:
        print(json.dumps({"passed": passed, "runs": [as_json(r) for _, r in results]},
                         indent=2, ensure_ascii=False))  # fmt: skip
    else:
        counts = ", ".join(f"{t} {len(r.results)} purposes {'passed' if r.passed else 'NOT passed'}"
                           for t, r in results)  # fmt: skip
        print(f"conformance of the demo: {counts}\nverdict: {'PASSED' if passed else 'NOT PASSED'}")
    return 0 if passed else 1
