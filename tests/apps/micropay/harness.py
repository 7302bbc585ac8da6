"""A real gateway and a real shop, as processes, for the application's end-to-end tests.

``Deployment.start(base)`` starts the gateway (``micropay serve`` on free loopback ports, in a
temporary data folder, embedded SMSC included), registers the shop's application with its own
generated secret and Ed25519 key, and starts ``micropay shop --config shop.toml`` against it.
``stop`` ends both (SIGTERM, SIGKILL after a bound), also when a test failed.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import os
import queue
import re
import signal
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apps.demo.command import grant_shop
from apps.micropay.credentials import ensure_credentials
from charging.ledger import Ledger
from framework.core.sealing import MASTER_KEY_FILE, Keyring
from framework.core.store import FrameworkStore
from smsc.store import read_inbox
from storage import open_database
from tests.conftest import ROOT, free_port
from tests.framework.gateway import Gateway

APP_ID = "micropay-shop"
SHORT_CODE = "short:1555"
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 15
LIMIT_RAISE_DELAY_S = 3  # a subscriber's raised limit applies this soon in the tests
GATEWAY_COMMAND = [sys.executable, "-m", "gateway.cli", "serve"]  # config: MICROPAY_CONFIG


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}


def _wait_line(proc: subprocess.Popen, prefix: str, timeout_s: float) -> str:
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no {prefix!r} line in {timeout_s}s") from None
        if line is None:
            raise AssertionError(f"the process exited with {proc.wait()} before {prefix!r}")
        if line.startswith(prefix):
            return line[len(prefix) :].strip()


def camara_surface(gateway: Gateway) -> tuple[str, Path]:
    """The gateway's CAMARA surface (URL, its self-signed certificate), once it answers."""
    port = tomllib.loads(gateway.config_path.read_text())["camara"]["port"]
    url, ca = f"https://127.0.0.1:{port}", gateway.data_dir / "camara-tls" / "cert.pem"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:  # its endpoint is printed after the others: wait until it answers
        try:
            context = ssl.create_default_context(cafile=str(ca))
            with urllib.request.urlopen(f"{url}/openapi.json", timeout=5, context=context):
                return url, ca
        except (OSError, ssl.SSLError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def stop_process(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT_S)
    return proc.returncode


@dataclass
class Deployment:
    base: Path
    gateway: Gateway
    shop: subprocess.Popen | None
    url: str
    shop_dir: Path
    ledger: Ledger
    shop_log: Path
    settings: Path

    @classmethod
    def start(cls, base: Path, transport: str = "corba", code_ttl_s: int = 180) -> Deployment:
        """``transport``: the shop reaches the gateway over ``corba`` or ``grpc``, or pays over
        ``camara`` (the rest over CORBA); ``code_ttl_s``: how long a payment confirmation code
        is valid (the shop's, and the CAMARA surface's)."""
        (base / "gw").mkdir(parents=True, exist_ok=True)
        settings: dict[str, dict[str, Any]] = {
            "smsc": {"embedded": True}, "ledger": {"limit_raise_delay_s": LIMIT_RAISE_DELAY_S}}  # fmt: skip
        if transport == "camara":
            settings["camara"] = {"enabled": True, "tls": "on", "code_ttl_s": code_ttl_s}
        gateway = Gateway.start(base / "gw", settings, command=GATEWAY_COMMAND)
        try:
            shop_dir = base / "shop"
            files = ensure_credentials(shop_dir)
            store = FrameworkStore(
                open_database(f"sqlite:///{gateway.data_dir / 'ledger.db'}"),
                Keyring.load(gateway.data_dir / MASTER_KEY_FILE),
            )
            store.register_application(
                APP_ID,
                files.secret.read_bytes().strip(),
                files.public_key.read_text(),
                ["P_OSA_HMAC_SHA256"],
                ["P_PAYMENT", "P_ACCOUNT_MANAGEMENT", "P_SMS"],
                datetime.now(UTC),
            )
            store.db.close()
            web_port = free_port()
            grpc_port = tomllib.loads(gateway.config_path.read_text())["grpc"]["port"]
            endpoint = gateway.corbaloc if transport != "grpc" else f"grpc://127.0.0.1:{grpc_port}"
            camara = ""
            if transport == "camara":
                url, ca = camara_surface(gateway)
                camara = f'[camara]\nurl = "{url}"\nca_file = "{ca}"\n'
            settings_path = base / "shop.toml"
            settings_path.write_text(
                camara + "[gateway]\n"
                f'endpoint = "{endpoint}"\n'
                f'app_id = "{APP_ID}"\n'
                f'secret_file = "{files.secret}"\n'
                f'private_key_file = "{files.private_key}"\n'
                "[web]\n"
                f"port = {web_port}\n"
                "[callbacks]\n"
                f"port = {free_port()}\n"
                "[shop]\n"
                f'data_dir = "{shop_dir}"\n'
                f'short_code = "{SHORT_CODE}"\n'
                f"confirmation_code_ttl_s = {code_ttl_s}\n"
                "[operator]\n"
                f'micropay_config = "{gateway.config_path}"\n'
                "[phone]\n"
                f'smsc_dir = "{gateway.data_dir / "smsc"}"\n'
            )
            ledger = Ledger.open(f"sqlite:///{gateway.data_dir / 'ledger.db'}")
            grant_shop(ledger)  # its operator view tops up, as the demo's does
        except BaseException:
            gateway.stop()
            raise
        deployment = cls(
            base, gateway, None, "", shop_dir, ledger, base / "shop.log", settings_path
        )
        try:
            deployment.start_shop()
        except BaseException:
            deployment.stop()
            raise
        return deployment

    def start_shop(self) -> None:
        """Start ``micropay shop`` (again) and wait until it has its subscriptions."""
        self.shop = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "shop", "--config", str(self.settings)],
            cwd=ROOT,
            env=_clean_env(),
            stdout=subprocess.PIPE,
            stderr=self.shop_log.open("a"),
            text=True,
        )
        self.url = _wait_line(self.shop, "shop: ", START_TIMEOUT_S).rstrip("/")
        self.wait_ready()

    def stop_shop(self) -> int | None:
        return stop_process(self.shop) if self.shop is not None else None

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        last: Any = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
                    return json.load(response)
            except urllib.error.HTTPError as exc:
                last = exc.read().decode()
            except OSError as exc:
                last = exc
            time.sleep(0.1)
        raise AssertionError(f"the shop did not get ready: {last}\n{self.shop_log.read_text()}")

    def stop(self) -> None:
        try:
            self.stop_shop()
        finally:
            self.ledger.close()
            self.gateway.stop()

    # -- looking at the world -------------------------------------------------------------------
    @property
    def operator_password(self) -> str:
        return (self.shop_dir / "operator-password").read_text().strip()

    def inbox(self, tel: str) -> list[dict[str, Any]]:
        """What the handset ``tel`` received (the files ``micropay sms inbox`` reads)."""
        return read_inbox(self.gateway.data_dir / "smsc", tel)

    def wait_inbox(self, tel: str, count: int, timeout_s: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while True:
            messages = self.inbox(tel)
            if len(messages) >= count or time.monotonic() > deadline:
                return messages
            time.sleep(0.1)

    def buy(self, product: str, quantity: int = 1) -> str:
        """Order ``product`` through the shop's form (no browser); the order's URL."""
        data = urllib.parse.urlencode({"product_id": product, "quantity": quantity}).encode()
        with urllib.request.urlopen(f"{self.url}/orders", data=data, timeout=30) as response:
            return response.geturl()

    def pay(self, order_url: str, account: str, pin: str = "") -> str:
        """Submit the pay form; the text of the page the shop answers with (after its
        redirect), tags stripped and white space collapsed."""
        return self.submit(f"{order_url}/pay", {"account": account, "pin": pin})

    def confirm(self, order_url: str, code: str) -> str:
        """Submit the confirmation code form; the text of the page the shop answers with."""
        return self.submit(f"{order_url}/confirm", {"code": code})

    def show(self, order_url: str) -> str:
        """The order page's text (GET)."""
        return self.submit(order_url, None)

    @staticmethod
    def submit(url: str, fields: dict[str, str] | None) -> str:
        data = None if fields is None else urllib.parse.urlencode(fields).encode()
        try:
            with urllib.request.urlopen(url, data=data, timeout=30) as response:
                page = response.read().decode()
        except urllib.error.HTTPError as exc:  # a refusal is shown with 403/422
            page = exc.read().decode()
        text = html.unescape(re.sub(r"<[^>]+>", " ", page))
        return re.sub(r"\s+", " ", text).replace(" .", ".")

    def shop_db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.shop_dir / 'shop.db'}?mode=ro", uri=True)

    def wait_text(self, tel: str, part: str, count: int = 1, timeout_s: float = 15.0) -> str:
        """The ``count``-th message ``tel`` received that contains ``part`` (waiting for it)."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = [m["text"] for m in self.inbox(tel) if part in m["text"]]
            if len(found) >= count:
                return found[count - 1]
            if time.monotonic() > deadline:
                texts = [m["text"] for m in self.inbox(tel)]
                raise AssertionError(f"{tel} got no SMS with {part!r}: {texts}")
            time.sleep(0.1)

    def operator(self) -> Operator:
        return Operator(self)

    def wait_state(self, order_url: str, state: str, timeout_s: float = 15.0) -> None:
        """Until the order is in ``state`` (the shop's database says)."""
        order_id = order_url.rsplit("/", 1)[1]
        deadline = time.monotonic() + timeout_s
        while True:
            with self.shop_db() as db:
                row = db.execute("SELECT state FROM orders WHERE order_id = ?", (order_id,))
                found = row.fetchone()
            if found and found[0] == state:
                return
            assert time.monotonic() < deadline, f"order {order_id} is {found}, not {state}"
            time.sleep(0.1)

    def mo(self, sender: str, text: str) -> None:
        result = self.gateway.cli("sms", "mo", sender, SHORT_CODE, text)
        assert result.returncode == 0, result.stderr


class Operator:
    """The operator's view over plain HTTP: logged in, a form's CSRF token read from the page."""

    def __init__(self, deployment: Deployment) -> None:
        self.url = deployment.url
        self.http = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        form = urllib.parse.urlencode({"password": deployment.operator_password}).encode()
        self.http.open(f"{self.url}/operator/login", data=form, timeout=30).read()
        self.csrf = ""  # the session's, read from the first form the view shows

    def act(self, order_url: str, action: str) -> str:
        if not self.csrf:
            page = self.http.open(f"{self.url}/operator", timeout=30).read().decode()
            found = re.search(r'name="csrf" value="([^"]+)"', page)
            assert found, "no CSRF token on the operator view"
            self.csrf = found.group(1)
        order_id = order_url.rsplit("/", 1)[1]
        form = urllib.parse.urlencode({"csrf": self.csrf}).encode()
        target = f"{self.url}/operator/orders/{order_id}/{action}"
        return self.http.open(target, data=form, timeout=30).read().decode()
