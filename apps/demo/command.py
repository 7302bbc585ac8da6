"""``micropay demo`` (what ``./build.sh run`` starts): the whole system with demo data.

1. the shop's credentials (a secret and an Ed25519 key in ``<data>/shop/``, made once);
2. the shop registered with the framework as ``micropay-shop`` for payment, account and SMS,
   granted capped top-ups from a funded float;
3. the demo accounts (``DEMO_ACCOUNTS``), created when missing -- re-runs change nothing, so
   what the operator did to them stays -- and the conformance profile
   (``apps/interop/demo_profile.py``: ``micropay interop --demo`` runs the catalogue against
   the demo);
4. ``micropay serve`` as a child process (its log in ``<data>/gateway.log``);
5. the shop in this process, until Ctrl-C; then the shop ends its access session and the
   gateway is stopped with SIGTERM.

The banner describes the demo accounts as they are now, not as they were first set up.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from apps.interop import demo_profile
from apps.micropay import amounts
from charging.ledger import Ledger
from charging.model import Account, Kind
from charging.money import from_minor
from gateway.cli.account import ledger_settings
from gateway.cli.output import CommandError
from gateway.cli.provision import SeedAccount, open_accounts, register_once
from gateway.config import Config
from gateway.logs import JsonFormatter

APP_ID = "micropay-shop"
SEED_APP_ID = "micropay-demo"
SERVICES = ("P_PAYMENT", "P_ACCOUNT_MANAGEMENT", "P_SMS")
GATEWAY_START_TIMEOUT_S = 60
GATEWAY_STOP_TIMEOUT_S = 20
PR_SET_PDEATHSIG = 1

# ``what`` is filled in from the account as it is now: {balance}, {spent}, {limit}, {per_payment},
# {low_balance}, {state}, {valid_through}.
DEMO_ACCOUNTS = (
    SeedAccount("1001", "tel:+821011110001", "normal: {balance}, at most {per_payment} a payment",
                balance=100_000, transaction_limit=50_000),
    SeedAccount("1002", "tel:+821011110002", "postpaid, {spent} of its {limit} spent this month",
                kind=Kind.POSTPAID, monthly_limit=50_000, transaction_limit=50_000,
                low_balance=0, spent_this_month=48_000),
    SeedAccount("1003", "tel:+821011110003", "{state}", balance=30_000, state="suspended"),
    SeedAccount("1004", "tel:+821011110004", "{state} (valid through {valid_through})",
                balance=30_000, state="expired"),
    SeedAccount("1005", "tel:+821011110005", "{balance} left; low-balance SMS under {low_balance}",
                balance=6_000),
    SeedAccount("1006", "tel:+821011110006", "has a PIN: 1234", balance=50_000, pin="1234"),
)  # fmt: skip
UNREGISTERED = ("9999", "tel:+821099990000")
CURRENCY = "KRW"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="start the whole system on embedded defaults, with demo data",
        description="Start the whole system on the configuration's data folder: the gateway "
        "(micropay serve, as a child process), the demo shop and its phone and operator views, "
        "with demo accounts and the conformance profile of micropay interop --demo, made once "
        "and kept across restarts. Prints the URLs; Ctrl-C stops everything.",
    )
    p.set_defaults(handler=run)


# -- set-up ----------------------------------------------------------------------------------------
SHOP_FLOAT = 1_000_000  # KRW the operator pays into the shop's top-up float, once
SHOP_RECHARGE_CAP = 100_000  # the largest top-up the shop's operator view may make


def grant_shop(ledger: Ledger) -> None:
    """The shop's operator view tops accounts up (balanceUpdate): grant it recharge, capped,
    and fund its float once (charging.grants). In the demo the shop also plays the operator's
    own self-care application on the short code (STOP, RESUME, LIMIT ...): grant it selfcare,
    which a real merchant would not get."""
    ledger.grant(APP_ID, "recharge", currency=CURRENCY, cap_minor=SHOP_RECHARGE_CAP)
    ledger.grant(APP_ID, "selfcare")
    ledger.fund_float(
        app_id=APP_ID, amount_minor=SHOP_FLOAT, currency=CURRENCY, reference_code="demo-shop-float"
    )


def seed_accounts(config: Config, accounts: tuple[SeedAccount, ...] = DEMO_ACCOUNTS) -> None:
    """Create the demo accounts that are missing; give the postpaid one its month's spend;
    let the shop top up from its float."""
    open_accounts(config, accounts, CURRENCY)
    with Ledger.open(config.ledger_url, **ledger_settings(config)) as ledger:
        grant_shop(ledger)
        month = datetime.now(ZoneInfo(config["ledger"]["timezone"])).strftime("%Y-%m")
        for a in accounts:
            if a.spent_this_month:
                ledger.charge(
                    app_id=SEED_APP_ID,
                    reference_code=f"demo-seed-{a.number}-{month}",
                    account=a.number,
                    amount_minor=a.spent_this_month,
                    currency=CURRENCY,
                    description="demo: earlier purchases this month",
                )


# -- the banner: the demo accounts as they are now -------------------------------------------------
def national(msisdn: str) -> str:
    digits = "0" + msisdn.removeprefix("tel:+82")
    return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"


def _won(minor: int | None) -> str:
    return (
        "no limit"
        if minor is None
        else amounts.show(Decimal(from_minor(minor, CURRENCY)), CURRENCY)
    )


def shows(seed: SeedAccount, account: Account, state: str) -> str:
    """What the account shows now, in the words of ``seed.what``; its state first when it is
    no longer the one it was set up in."""
    text = seed.what.format(
        balance=_won(account.balance_minor),
        spent=_won(account.month_spent_minor),
        limit=_won(account.monthly_limit_minor),
        per_payment=_won(account.transaction_limit_minor),
        low_balance=_won(account.low_balance_minor),
        state=state,
        valid_through=account.valid_until.isoformat() if account.valid_until else "no expiry",
    )
    return text if state == seed.state or "{state}" in seed.what else f"{state}: {text}"


def changed(seed: SeedAccount, account: Account, state: str) -> bool:
    """Whether the operator (or a payment) changed the account since it was set up."""
    money = (
        account.month_spent_minor != seed.spent_this_month
        if account.kind is Kind.POSTPAID
        else account.ledger_balance_minor != seed.balance
    )
    limits = (account.monthly_limit_minor, account.transaction_limit_minor,
              account.low_balance_minor) != (seed.monthly_limit, seed.transaction_limit,
                                             seed.low_balance)  # fmt: skip
    return money or limits or state != seed.state


def account_lines(config: Config) -> tuple[list[dict[str, str]], list[str]]:
    """Each demo account as it is now (number, phone, what it shows) and those changed."""
    rows, moved = [], []
    with Ledger.open(config.ledger_url, **ledger_settings(config)) as ledger:
        for seed in DEMO_ACCOUNTS:
            account = ledger.get_account(seed.number)
            state = ledger.status(seed.number).state or ""
            rows.append({"number": seed.number, "phone": national(seed.msisdn),
                         "shows": shows(seed, account, state)})  # fmt: skip
            if changed(seed, account, state):
                moved.append(seed.number)
    return rows, moved


# -- the gateway child -----------------------------------------------------------------------------
def _die_with_parent() -> None:
    """In the child: get SIGTERM if the demo dies without stopping us (Linux)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class GatewayProcess:
    def __init__(self, argv: list[str], log_path: Path, env: dict[str, str]) -> None:
        self.log_path = log_path
        self.proc = subprocess.Popen(
            argv,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log_path.open("ab"),
            text=True,
            start_new_session=True,  # Ctrl-C reaches the demo only; it stops us in order
            preexec_fn=_die_with_parent,
        )
        self.endpoints: dict[str, str] = {}

    def wait_started(self) -> dict[str, str]:
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, name="gateway-stdout", daemon=True).start()
        deadline = time.monotonic() + GATEWAY_START_TIMEOUT_S
        while "corba" not in self.endpoints or "health" not in self.endpoints:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise CommandError(
                    f"the gateway did not start in time; see {self.log_path}"
                ) from None
            if line is None:
                raise CommandError(
                    f"the gateway exited with {self.proc.wait()}; see {self.log_path}"
                )
            name, _, value = line.strip().partition(": ")
            self.endpoints[name] = value
        time.sleep(0.2)  # the last endpoint lines follow at once
        while not lines.empty():
            line = lines.get()
            if line:
                name, _, value = line.strip().partition(": ")
                self.endpoints[name] = value
        return self.endpoints

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(GATEWAY_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(GATEWAY_STOP_TIMEOUT_S)


def port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def log_to_file(path: Path) -> None:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


# -- the demo --------------------------------------------------------------------------------------
def run(args: argparse.Namespace, config: Config) -> int:
    from apps.micropay.credentials import ensure_credentials
    from apps.micropay.server import serve_shop
    from apps.micropay.settings import ShopSettings

    as_json = bool(args.json)
    data = config.ensure_data_dir()
    shop_dir = data / "shop"
    web_host, web_port = config["shop"]["host"], int(config["shop"]["port"])
    for name, host, port in (
        ("the shop", web_host, web_port),
        ("CORBA", config["corba"]["host"], int(config["corba"]["port"])),
    ):
        if not port_free(host, port):
            raise CommandError(
                f"port {port} on {host} ({name}) is in use: stop what uses it, or set another "
                f"port (e.g. MICROPAY_SHOP_PORT=8001 / MICROPAY_CORBA_PORT=2810)"
            )
    files = ensure_credentials(shop_dir)
    say("setting up: shop credentials, application registration, demo accounts", as_json)
    register_once(config, APP_ID, files, SERVICES)
    seed_accounts(config)
    demo_profile.provision(config)
    accounts, moved = account_lines(config)
    config_file = args.config or os.environ.get("MICROPAY_CONFIG") or None
    argv = [
        sys.executable,
        "-m",
        "gateway.cli",
        *(["--config", config_file] if config_file else []),
        "serve",
    ]
    billing = demo_profile.billing_setting(str(config["sms"]["billing_accounts"]))
    env = {**os.environ, "MICROPAY_DATA_DIR": str(data), "MICROPAY_SMS_BILLING_ACCOUNTS": billing}
    say(f"starting the gateway (log: {data / 'gateway.log'})", as_json)
    log_to_file(shop_dir / "shop.log")
    gateway = GatewayProcess(argv, data / "gateway.log", env)
    try:
        endpoints = gateway.wait_started()
        settings = ShopSettings(
            data_dir=shop_dir,
            endpoint=endpoints["corba"],
            app_id=APP_ID,
            secret_file=files.secret,
            private_key_file=files.private_key,
            host=web_host,
            port=web_port,
            timezone=str(config["ledger"]["timezone"]),
            short_code=config["sms"]["short_code"],
            micropay_config=Path(config_file).resolve() if config_file else None,
            micropay_env={"MICROPAY_DATA_DIR": str(data)},
            smsc_dir=data / "smsc" if config["smsc"]["embedded"] else None,
        )
        banner = welcome_json if as_json else welcome
        serve_shop(settings, on_ready=lambda url: banner(url, endpoints, data, accounts, moved))
    except KeyboardInterrupt:
        pass
    finally:
        say("stopping the gateway", as_json)
        gateway.stop()
    say("stopped", as_json)
    return 0


def say(text: str, as_json: bool = False) -> None:
    """A progress line: on stdout for people, on stderr when stdout is JSON."""
    print(f"[demo] {text}", file=sys.stderr if as_json else sys.stdout, flush=True)


def welcome_json(
    url: str,
    endpoints: dict[str, str],
    data: Path,
    accounts: list[dict[str, str]],
    moved: list[str],
) -> None:
    print(json.dumps({
        "shop": f"{url}/", "phones": f"{url}/phone", "operator": f"{url}/operator",
        "operator_password_file": str(data / "shop" / "operator-password"),
        "gateway": endpoints, "data_folder": str(data), "accounts": accounts,
        "changed_since_set_up": moved, "conformance": "micropay interop --demo",
    }, ensure_ascii=False), flush=True)  # fmt: skip


def welcome(
    url: str,
    endpoints: dict[str, str],
    data: Path,
    accounts: list[dict[str, str]],
    moved: list[str],
) -> None:
    rel = os.path.relpath(data)
    lines = [
        "",
        "micropay is running.",
        "",
        f"  Shop           {url}/",
        f"  SMS simulator  {url}/phone     (demo only: one number's SMS; text the short code)",
        f"  Operator       {url}/operator     (password: cat {rel}/shop/operator-password)",
        f"  Gateway        {endpoints.get('corba', '?')}   (log: {rel}/gateway.log)",
        "",
        "Demo accounts -- pay with the account number (or its mobile number):",
    ]
    lines += [f"  {a['number']}  {a['phone']}  {a['shows']}" for a in accounts]
    number, msisdn = UNREGISTERED
    lines += [
        f"  {number}  {national(msisdn)}  not registered",
        "",
        "What to try:",
        "  - Buy the song with 1001: paid; the payment SMS shows in the SMS simulator for 010-1111-0001.",
        "  - Buy the concert ticket (₩60,000) with 1001: refused, over its per-payment limit.",
        "  - Buy the e-book with 1002: refused, it would pass the monthly limit.",
        "  - Pay with 1003 (suspended), 1004 (expired), 9999 or 010-9999-0000 (unregistered).",
        "  - Buy the e-book with 1005: paid, then a low-balance SMS; then game coins: not enough balance.",
        "  - Pay with 1006 and a wrong PIN, then with 1234.",
        "  - Buy the mug (shipped): the money is held; ship it from the operator view to charge it.",
        f"  - Text BAL from a phone: {url}/phone/010-1111-0001 (or 잔액 for Korean); HELP lists"
        " STOP, RESUME, LIMIT, HIST, OTP, ALERT.",
        "  - Text OTP 0 from 010-1111-0001, then buy the song with 010-1111-0001: a 6-digit code"
        " arrives by SMS; type it to pay.",
        "  - The operator view: spend against limits, charging events, suspend/resume, top up.",
    ]
    if moved:
        lines.append(
            f"  (These are for the accounts as first set up; {', '.join(moved)} changed since: "
            f"rm -rf {rel} starts afresh.)"
        )
    lines += [
        "",
        "Conformance: micropay interop --demo  (the whole catalogue against this demo, over CORBA",
        "             and gRPC, with its own application and IOP-* test accounts)",
        "",
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)
