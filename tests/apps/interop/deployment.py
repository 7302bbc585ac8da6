"""A real ``micropay serve`` for the interop harness's CI test, set up as an operator would.

``Deployment.start(base)`` writes a configuration with free loopback ports in a temporary data
folder (the CAMARA surface on, TLS with its self-signed certificate), starts the gateway, and
prepares it with the ``micropay`` command line: two applications (the one under test and a peer
without an SMS billing account), test accounts of every kind the catalogue needs, a tariff,
vouchers, the billing account. Three preconditions have no command: an expired account (the CLI
refuses a past date, so it is opened through the ledger with a clock set in the past), an account
whose subscriber confirms every payment by code (``OTP 0`` by SMS does it through the self-care
extension; here the ledger's ``set_threshold``) and an off-line SMS registration
(``SmsService.register_activation_number``).
``stop`` ends the gateway with SIGTERM (SIGKILL after a bound), also when a test failed.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from tests.conftest import ROOT, free_port

MICROPAY = str(ROOT / ".venv/bin/micropay")
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15
CLI_TIMEOUT_S = 60
APP_ID = "interop-app"
PEER_ID = "interop-peer"
RESTRICTED_ID = "interop-restricted"
RECHARGE_CAP = "1000000"  # KRW: the harness application's largest single recharge
SHORT_CODE = "short:1555"
CONFIRMING = ("IOP-OTP", "tel:+821077700012")  # every payment confirmed by a one-time code


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MICROPAY_")}


def _pem_private(key: Any) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pem_public(key: Any) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass
class Deployment:
    base: Path
    config: Path
    proc: subprocess.Popen
    endpoints: dict[str, str]
    accounts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def grpc_endpoint(self) -> str:
        return f"grpcs://{self.endpoints['grpc']}"

    @property
    def grpc_ca(self) -> Path:
        """The gateway's self-signed certificate, which clients pin."""
        return self.data / "grpc-tls" / "cert.pem"

    @property
    def camara_endpoint(self) -> str:
        return self.endpoints["camara"]

    @property
    def camara_ca(self) -> Path:
        return self.data / "camara-tls" / "cert.pem"

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [MICROPAY, "--config", str(self.config), *args],
            cwd=ROOT, env=clean_env(), capture_output=True, text=True, timeout=CLI_TIMEOUT_S,
        )  # fmt: skip
        assert done.returncode == 0, f"micropay {' '.join(args)}: {done.stderr.strip()}"
        return done.stdout

    @classmethod
    def start(cls, base: Path) -> Deployment:
        data = base / "data"
        ports = {s: free_port() for s in ("corba", "smsc", "health", "shop")}
        grpc_port = free_port()
        config = base / "micropay.toml"
        config.write_text(
            f'[data]\ndir = "{data}"\n'
            + "".join(f"[{s}]\nport = {p}\n" for s, p in ports.items())
            + f'[grpc]\nport = {grpc_port}\ntls = "on"\n'  # self-signed, in <data>/grpc-tls/
            + f'[camara]\nenabled = true\nport = {free_port()}\ntls = "on"\n'  # <data>/camara-tls/
            + f'[sms]\nbilling_accounts = "{APP_ID}=B-INTEROP"\n'
        )
        proc = subprocess.Popen(
            [MICROPAY, "--config", str(config), "serve"],
            cwd=ROOT, env=clean_env(), stdout=subprocess.PIPE,
            stderr=(base / "serve.log").open("w"), text=True, start_new_session=True,
        )  # fmt: skip
        deployment = cls(base, config, proc, {})
        try:
            deployment.endpoints = _endpoints(proc, ("corba", "ior", "grpc", "camara"))
            deployment.prepare()
        except BaseException:
            deployment.stop()
            raise
        return deployment

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(STOP_TIMEOUT_S)
        return self.proc.returncode

    # -- the operator's preparation ------------------------------------------------------------
    def prepare(self) -> None:
        keys = self.base / "keys"
        keys.mkdir()
        for app_id, key, services, mechanisms in (
            (APP_ID, rsa.generate_private_key(public_exponent=65537, key_size=2048),
             "payment,account,sms", "P_OSA_HMAC_SHA256,P_OSA_MD5"),
            (PEER_ID, ed25519.Ed25519PrivateKey.generate(), "payment,sms", "P_OSA_HMAC_SHA256"),
            (RESTRICTED_ID, ed25519.Ed25519PrivateKey.generate(), "account",
             "P_OSA_HMAC_SHA256"),
        ):  # fmt: skip
            (keys / f"{app_id}.secret").write_text(secrets.token_urlsafe(24) + "\n")
            (keys / f"{app_id}.pem").write_bytes(_pem_private(key))
            (keys / f"{app_id}.pub.pem").write_bytes(_pem_public(key))
            self.cli("app", "register", app_id, "--secret-file", str(keys / f"{app_id}.secret"),
                     "--public-key", str(keys / f"{app_id}.pub.pem"), "--services", services,
                     "--auth-mechanisms", mechanisms)  # fmt: skip
        # The harness's application recharges (within a cap) and redeems vouchers: the operator
        # grants it both and funds its float, as docs/interop.md says; the restricted
        # application may recharge but its float is empty, and it may not redeem vouchers.
        self.cli("app", "set", APP_ID, "--grant", "recharge", "--currency", "KRW",
                 "--recharge-cap", RECHARGE_CAP, "--grant", "voucher")  # fmt: skip
        self.cli("float", "fund", APP_ID, "10000000", "--currency", "KRW")
        self.cli("app", "set", RESTRICTED_ID, "--grant", "recharge", "--currency", "KRW")
        (keys / "framework.pem").write_text(self.cli("framework", "public-key"))
        (keys / "pin").write_text("4321\n")
        (keys / "lock-pin").write_text("8642\n")
        opened = [
            ("IOP-FUNDED", "tel:+821077700001", ["--balance", "100000"]),
            ("IOP-FUNDED2", "tel:+821077700002", ["--balance", "100000"]),
            ("IOP-LIMITS", "tel:+821077700003",
             ["--balance", "100000", "--transaction-limit", "2000", "--monthly-limit", "5000"]),
            ("IOP-LOW", "tel:+821077700004", ["--balance", "10000", "--low-balance", "9000"]),
            ("IOP-PIN", "tel:+821077700005", ["--balance", "10000", "--pin-file", str(keys / "pin")]),
            ("IOP-LOCK", "tel:+821077700006", ["--balance", "10000", "--pin-file", str(keys / "lock-pin")]),
            ("IOP-POST", "tel:+821077700007", ["--kind", "postpaid", "--monthly-limit", "50000"]),
            ("IOP-SUSP", "tel:+821077700008", ["--balance", "10000"]),
            ("IOP-CLOSED", "tel:+821077700009", []),
            ("B-INTEROP", "tel:+821077700010", ["--balance", "100000"]),
        ]  # fmt: skip
        for number, msisdn, options in opened:
            self.cli("account", "create", number, "--msisdn", msisdn, "--currency", "KRW", *options)
        self.cli("account", "suspend", "IOP-SUSP")
        self.cli("account", "close", "IOP-CLOSED")
        self.cli("tariff", "set", "default", "5", "--currency", "KRW")
        self.cli("account", "create", CONFIRMING[0], "--msisdn", CONFIRMING[1], "--currency",
                 "KRW", "--balance", "100000")  # fmt: skip
        self._expired_account()
        self._confirming_account()
        self._sms_registration()

    def _expired_account(self) -> None:
        from charging.ledger import Ledger

        ledger = Ledger.open(
            f"sqlite:///{self.data / 'ledger.db'}", clock=lambda: datetime(2019, 6, 1, tzinfo=UTC)
        )
        try:
            ledger.create_account("IOP-EXPIRED", msisdn="tel:+821077700011", currency="KRW",
                                  balance_minor=10_000, valid_until=date(2020, 1, 1))  # fmt: skip
        finally:
            ledger.close()

    def _confirming_account(self) -> None:
        from charging.ledger import Ledger

        ledger = Ledger.open(f"sqlite:///{self.data / 'ledger.db'}")
        try:
            ledger.grant("interop-test-selfcare", "selfcare")
            ledger.set_threshold(
                "interop-test-selfcare", CONFIRMING[0], which="confirm", amount_minor=0
            )
        finally:
            ledger.close()

    def _sms_registration(self) -> None:
        from scf.sms.service import SmsService
        from storage import open_database

        db = open_database(f"sqlite:///{self.data / 'ledger.db'}")
        try:
            SmsService(db).register_activation_number(
                APP_ID, SHORT_CODE, criteria="POLL", registration_id="REG-INTEROP"
            )
        finally:
            db.close()

    def voucher(self) -> dict[str, str]:
        return json.loads(self.cli("--json", "voucher", "issue", "500", "--currency", "KRW"))[0]

    def profile(self, path: Path) -> Path:
        """A TOML profile naming every test account, one fresh voucher, the SMS hooks and the
        peer application."""
        keys = self.base / "keys"
        voucher = self.voucher()
        accounts = [
            ('acct:IOP-FUNDED', ""), ('acct:IOP-LIMITS', ""), ('acct:IOP-LOW', ""),
            ('acct:IOP-PIN', 'pin = "4321"'), ('acct:IOP-LOCK', 'pin = "8642"\nroles = ["lockable"]'),
            ('acct:IOP-POST', 'kind = "postpaid"'), ('acct:IOP-SUSP', 'roles = ["suspended"]'),
            ('acct:IOP-CLOSED', 'roles = ["closed"]'), ('acct:IOP-EXPIRED', 'roles = ["expired"]'),
            ('tel:+821099900001', ""),  # no account: unregistered
        ]  # fmt: skip
        mo = json.dumps(
            [MICROPAY, "--config", str(self.config), "sms", "mo", "{from}", "{to}", "{text}"]
        )
        path.write_text(
            "".join(f'[[account]]\naddress = "{a}"\n{extra}\n' for a, extra in accounts)
            + f'[[voucher]]\nid = "{voucher["voucher_id"]}"\npin = "{voucher["pin"]}"\n'
            + "[sms]\n"
            + 'recipients = ["tel:+821077700001", "tel:+821077700002"]\n'
            + 'billing_account = "acct:B-INTEROP"\ncharge_amount = "10"\n'
            + f'registration = "REG-INTEROP"\nregistration_number = "{SHORT_CODE}"\n'
            + 'registration_criteria = "POLL"\n'
            + f"mo_command = {mo}\n"
            + '[payment]\nvolume_parameters = { tariff = "default" }\n'
            + f'[grants]\nrecharge_cap = "{RECHARGE_CAP}"\n'
            + f'[restricted]\napp_id = "{RESTRICTED_ID}"\n'
            + f'secret_file = "{keys / (RESTRICTED_ID + ".secret")}"\n'
            + f'private_key = "{keys / (RESTRICTED_ID + ".pem")}"\n'
            + f'[peer]\napp_id = "{PEER_ID}"\nsecret_file = "{keys / (PEER_ID + ".secret")}"\n'
            + f'private_key = "{keys / (PEER_ID + ".pem")}"\n'
            + f'[framework]\npublic_keys = ["{keys / "framework.pem"}"]\nmd5 = true\naccess_sessions_max = 64\n'
        )
        return path

    def camara_profile(self, path: Path) -> Path:
        """The profile of a CAMARA run: tel: accounts with the roles and currency the API cannot
        tell, the inbox hook that reads the one-time codes, the peer application."""
        keys = self.base / "keys"
        inbox = json.dumps([MICROPAY, "--config", str(self.config), "--json", "sms", "inbox",
                            "{to}"])  # fmt: skip
        path.write_text(
            '[[account]]\naddress = "tel:+821077700001"\nroles = ["funded"]\ncurrency = "KRW"\n'
            f'[[account]]\naddress = "{CONFIRMING[1]}"\nroles = ["confirming"]\ncurrency = "KRW"\n'
            '[[account]]\naddress = "tel:+821099900001"\nroles = ["unregistered"]\n'
            'currency = "KRW"\n'
            f"[sms]\ninbox_command = {inbox}\n"
            f'[peer]\napp_id = "{PEER_ID}"\nsecret_file = "{keys / (PEER_ID + ".secret")}"\n'
            f'private_key = "{keys / (PEER_ID + ".pem")}"\n'
        )
        return path


def _endpoints(proc: subprocess.Popen, want: tuple[str, ...]) -> dict[str, str]:
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    found: dict[str, str] = {}
    deadline = time.monotonic() + START_TIMEOUT_S
    while not all(k in found for k in want):
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(
                f"the gateway did not print {want} in {START_TIMEOUT_S} s"
            ) from None
        if line is None:
            raise AssertionError(f"the gateway exited with {proc.wait()} before printing {want}")
        name, _, value = line.strip().partition(": ")
        found[name] = value
    return found
