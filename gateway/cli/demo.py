"""``micropay demo`` (what ``./build.sh run`` starts): the whole system with demo data.

1. the shop's credentials (a secret and an Ed25519 key in ``<data>/shop/``, made once);
2. the shop registered with the framework as ``micropay-shop`` for payment, account and SMS;
3. the demo accounts (``DEMO_ACCOUNTS``), created when missing -- re-runs change nothing, so
   what the operator did to them stays;
4. ``micropay serve`` as a child process (its log in ``<data>/gateway.log``);
5. the shop in this process, until Ctrl-C; then the shop ends its access session and the
   gateway is stopped with SIGTERM.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from charging.errors import UnregisteredAccount
from charging.ledger import Ledger
from charging.model import Kind
from framework.core.signing import load_public_key
from gateway.cli.account import ledger_settings
from gateway.cli.output import CommandError
from gateway.config import Config
from gateway.framework_store import open_store
from gateway.logs import JsonFormatter

APP_ID = "micropay-shop"
SEED_APP_ID = "micropay-demo"
SERVICES = ("P_PAYMENT", "P_ACCOUNT_MANAGEMENT", "P_SMS")
GATEWAY_START_TIMEOUT_S = 60
GATEWAY_STOP_TIMEOUT_S = 20
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class DemoAccount:
    number: str
    msisdn: str
    what: str
    kind: Kind = Kind.PREPAID
    balance: int = 0
    monthly_limit: int | None = 300_000
    transaction_limit: int | None = None
    low_balance: int = 5_000
    pin: str | None = None
    suspended: bool = False
    expired: bool = False
    spent_this_month: int = 0


DEMO_ACCOUNTS = (
    DemoAccount("1001", "tel:+821011110001", "normal: ₩100,000, at most ₩50,000 a payment",
                balance=100_000, transaction_limit=50_000),
    DemoAccount("1002", "tel:+821011110002", "postpaid, ₩48,000 of its ₩50,000 spent this month",
                kind=Kind.POSTPAID, monthly_limit=50_000, transaction_limit=50_000,
                low_balance=0, spent_this_month=48_000),
    DemoAccount("1003", "tel:+821011110003", "suspended", balance=30_000, suspended=True),
    DemoAccount("1004", "tel:+821011110004", "expired last month", balance=30_000, expired=True),
    DemoAccount("1005", "tel:+821011110005", "₩6,000 left; low-balance SMS under ₩5,000",
                balance=6_000),
    DemoAccount("1006", "tel:+821011110006", "has a PIN: 1234", balance=50_000, pin="1234"),
)  # fmt: skip
UNREGISTERED = ("9999", "tel:+821099990000")
CURRENCY = "KRW"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="start the whole system on embedded defaults, with demo data")
    p.set_defaults(handler=run)


# -- set-up ----------------------------------------------------------------------------------------
def register_shop(config: Config, secret: bytes, public_pem: str) -> None:
    """Register the shop once; on a re-run check it is still the same secret and key."""
    store = open_store(config)
    try:
        app = store.application(APP_ID)
        if app is None:
            store.register_application(
                APP_ID, secret, public_pem, ["P_OSA_HMAC_SHA256"], SERVICES, datetime.now(UTC)
            )
            return
        same_key = app.public_key_pem and (
            load_public_key(app.public_key_pem) == load_public_key(public_pem)
        )
        if app.secret != secret or not same_key:
            raise CommandError(
                f"{APP_ID} is registered with other credentials than {config.data_dir}/shop "
                f"holds; remove {config.data_dir} to start the demo afresh"
            )
        if not set(SERVICES) <= set(app.service_types):
            raise CommandError(f"{APP_ID} is registered without {SERVICES}")
    finally:
        store.db.close()


SHOP_FLOAT = 1_000_000  # KRW the operator pays into the shop's top-up float, once
SHOP_RECHARGE_CAP = 100_000  # the largest top-up the shop's operator view may make


def grant_shop(ledger: Ledger) -> None:
    """The shop's operator view tops accounts up (balanceUpdate): grant it recharge, capped,
    and fund its float once (charging.grants). In the demo the shop also plays the operator's
    own self-care application on the short code (STOP, RESUME, LIMIT ...): grant it selfcare,
    which a real merchant would not get."""
    ledger.grant(APP_ID, "recharge", CURRENCY, cap_minor=SHOP_RECHARGE_CAP)
    ledger.grant(APP_ID, "selfcare")
    ledger.fund_float(APP_ID, SHOP_FLOAT, CURRENCY, reference_code="demo-shop-float")


def seed_accounts(config: Config, accounts: tuple[DemoAccount, ...] = DEMO_ACCOUNTS) -> None:
    """Create the demo accounts that are missing; give the postpaid one its month's spend;
    let the shop top up from its float."""
    settings = ledger_settings(config)
    past = datetime.now(UTC) - timedelta(days=60)
    expired = [a for a in accounts if a.expired]
    if expired:  # an account valid until last month can only be made on a clock of the past
        with Ledger.open(config.ledger_url, **settings, clock=lambda: past) as ledger:
            for a in expired:
                _create(ledger, a, valid_until=(past + timedelta(days=30)).date())
    with Ledger.open(config.ledger_url, **settings) as ledger:
        grant_shop(ledger)
        for a in accounts:
            if not a.expired:
                _create(ledger, a)
        month = datetime.now(ZoneInfo(config["ledger"]["timezone"])).strftime("%Y-%m")
        for a in accounts:
            if a.spent_this_month:
                ledger.charge(
                    SEED_APP_ID, f"demo-seed-{a.number}-{month}", a.number, a.spent_this_month,
                    CURRENCY, "demo: earlier purchases this month",
                )  # fmt: skip


def _create(ledger: Ledger, a: DemoAccount, valid_until: date | None = None) -> None:
    try:
        ledger.get_account(a.number)
        return
    except UnregisteredAccount:
        pass
    ledger.create_account(
        a.number, msisdn=a.msisdn, currency=CURRENCY, kind=a.kind, balance_minor=a.balance,
        monthly_limit_minor=a.monthly_limit, transaction_limit_minor=a.transaction_limit,
        low_balance_minor=a.low_balance, valid_until=valid_until, pin=a.pin,
    )  # fmt: skip
    if a.suspended:
        ledger.set_status(a.number, "suspended")


# -- the gateway child -----------------------------------------------------------------------------
def _die_with_parent() -> None:
    """In the child: get SIGTERM if the demo dies without stopping us (Linux)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class GatewayProcess:
    def __init__(self, argv: list[str], log_path: Path) -> None:
        self.log_path = log_path
        self.proc = subprocess.Popen(
            argv,
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
    say("setting up: shop credentials, application registration, demo accounts")
    register_shop(config, files.secret.read_bytes().rstrip(b"\r\n"), files.public_key.read_text())
    seed_accounts(config)
    config_file = args.config or os.environ.get("MICROPAY_CONFIG") or None
    argv = [
        sys.executable,
        "-m",
        "gateway.cli",
        *(["--config", config_file] if config_file else []),
        "serve",
    ]
    say(f"starting the gateway (log: {data / 'gateway.log'})")
    log_to_file(shop_dir / "shop.log")
    gateway = GatewayProcess(argv, data / "gateway.log")
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
            short_code=config["sms"]["short_code"],
            micropay_config=Path(config_file).resolve() if config_file else None,
            micropay_env={"MICROPAY_DATA_DIR": str(data)},
            smsc_dir=data / "smsc" if config["smsc"]["embedded"] else None,
        )
        serve_shop(settings, on_ready=lambda url: welcome(url, endpoints, data))
    except KeyboardInterrupt:
        pass
    finally:
        say("stopping the gateway")
        gateway.stop()
    say("stopped")
    return 0


def say(text: str) -> None:
    print(f"[demo] {text}", flush=True)


def welcome(url: str, endpoints: dict[str, str], data: Path) -> None:
    rel = os.path.relpath(data)
    lines = [
        "",
        "micropay is running.",
        "",
        f"  Shop       {url}/",
        f"  SMS simulator {url}/phone     (demo only: what one number received; text the short code)",
        f"  Operator   {url}/operator     (password: cat {rel}/shop/operator-password)",
        f"  Gateway    {endpoints.get('corba', '?')}   (log: {rel}/gateway.log)",
        "",
        "Demo accounts -- pay with the account number (or its mobile number):",
    ]
    for a in DEMO_ACCOUNTS:
        national = "0" + a.msisdn.removeprefix("tel:+82")
        lines.append(f"  {a.number}  {national[:3]}-{national[3:7]}-{national[7:]}  {a.what}")
    number, msisdn = UNREGISTERED
    national = "0" + msisdn.removeprefix("tel:+82")
    lines += [
        f"  {number}  {national[:3]}-{national[3:7]}-{national[7:]}  not registered",
        "",
        "What to try:",
        "  - Buy the song with 1001: paid; the payment SMS shows on the phone view of 010-1111-0001.",
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
        "",
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)
