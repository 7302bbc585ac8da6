"""A real gateway with the CAMARA surface on, a real HTTP client, and the checks every test
applies: each response is validated against the gateway's own ``GET /openapi.json`` with
openapi-core (the conformance harness's check, ``apps.interop.openapi_check``), and every error
against the codes r3.2 allows for that operation and status.

:class:`CamaraGateway` starts ``micropay serve`` (every SCF, the embedded SMSC) with ``[camara]``
on TLS (a throwaway CA's certificate, which also serves the tests' sinks: ``sink_ca_file``);
:meth:`CamaraGateway.client` makes an httpx client for one registered application, which gets
its tokens by the client-credentials grant with a private_key_jwt assertion signed by the key the
application registered (``client.camara``).
"""

from __future__ import annotations

import re
import ssl
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from apps.interop.openapi_check import OpenApiCheck
from camara.openapi import ERRORS, PAYMENTS_BASE, REFUNDS_BASE
from charging.ledger import Ledger
from client.camara import TOKEN_PATH, client_assertion, token_form
from smsc.store import read_inbox
from tests.framework.gateway import Gateway, TestApp
from tests.shim.tlsfiles import TlsFiles, make_tls_files

SELFCARE_APP = "camara-test-selfcare"
_numbers = iter(range(20_000_000, 99_999_999, 7907))


def operation_of(method: str, path: str) -> str:
    """The operationId a request goes to (for the table of allowed error codes)."""
    parts = path.split("/")
    if path.startswith(REFUNDS_BASE):
        if parts[-1] == "refunds":
            return "createRefund" if method == "POST" else "retrieveRefunds"
        return "retrievePaymentRemainingAmount" if parts[-1] == "remaining-amount" else \
            "retrieveRefund"  # fmt: skip
    tail = path[len(PAYMENTS_BASE) :]
    if tail == "/payments":
        return "createPayment" if method == "POST" else "retrievePayments"
    if tail == "/payments/prepare":
        return "preparePayment"
    return {"validate": "validatePayment", "confirm": "confirmPayment",
            "cancel": "cancelPayment"}.get(parts[-1], "retrievePayment")  # fmt: skip


class Conformance:
    """Validates every response of the operations against the served document (the harness's
    check, openapi-core), and each error code against r3.2's list for that operation."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.openapi = OpenApiCheck(document)

    @property
    def checked(self) -> int:
        return self.openapi.checked

    def check(self, response: httpx.Response) -> httpx.Response:
        request = response.request
        path = urlparse(str(request.url)).path
        if not path.startswith((PAYMENTS_BASE, REFUNDS_BASE)):
            return response
        self.openapi.check(response)
        if response.status_code >= 400:
            body = response.json()
            allowed = {401: ["UNAUTHENTICATED"], 429: ["TOO_MANY_REQUESTS"],
                       **ERRORS[operation_of(request.method, path)]}  # fmt: skip
            assert body["code"] in allowed.get(response.status_code, []), (
                response.status_code,
                body,
            )
            assert body["status"] == response.status_code
        return response


@dataclass
class CamaraGateway:
    gateway: Gateway
    tls: TlsFiles
    port: int
    ledger: Ledger = field(init=False)
    conformance: Conformance = field(init=False)

    def __post_init__(self) -> None:
        self.ledger = Ledger.open(f"sqlite:///{self.gateway.data_dir / 'ledger.db'}")
        with httpx.Client(verify=self.tls_context()) as client:
            document = client.get(f"{self.url}/openapi.json").json()
        self.conformance = Conformance(document)

    @classmethod
    def start(cls, base: Path, settings: dict[str, Any] | None = None) -> CamaraGateway:
        tls = make_tls_files(base / "tls")
        camara: dict[str, Any] = {
            "enabled": True, "tls": "on", "cert_file": str(tls.server_cert),
            "key_file": str(tls.server_key), "sink_ca_file": str(tls.ca),
            "sink_retry_ms_min": 100, "sink_retry_ms_max": 400, "code_ttl_s": 60,
        }  # fmt: skip
        camara.update(settings or {})
        # short holds, so the expiry of a prepared payment is seen in a test
        ledger = {"reservation_ttl_s": 6, "reservation_sweep_interval_s": 1}
        gateway = Gateway.start(base, {"camara": camara, "ledger": ledger},
                                command=[sys.executable, "-m", "tests.shim.server"])  # fmt: skip
        port = tomllib.loads(gateway.config_path.read_text())["camara"]["port"]
        deadline = time.monotonic() + 30
        while True:  # the endpoint is printed after the others: wait until it answers
            try:
                httpx.get(f"https://127.0.0.1:{port}/openapi.json", verify=_context(tls.ca))
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    gateway.stop()
                    raise
                time.sleep(0.1)
        return cls(gateway, tls, int(port))

    def stop(self) -> int:
        self.ledger.close()
        return self.gateway.stop()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def tls_context(self) -> ssl.SSLContext:
        return _context(self.tls.ca)

    # -- applications, tokens, accounts ------------------------------------------------------
    def register(self, app_id: str, services: tuple[str, ...] = ("P_PAYMENT",),
                 key_kind: str = "rsa2048") -> TestApp:  # fmt: skip
        return self.gateway.register(app_id, services=services, key_kind=key_kind)

    def assertion(self, app: TestApp, **claims: Any) -> str:
        return client_assertion(app.app_id, app.private_pem, f"{self.url}{TOKEN_PATH}", 60,
                                **claims)  # fmt: skip

    def token_response(
        self, app: TestApp, scope: str | None = None, **claims: Any
    ) -> httpx.Response:
        form = token_form(self.assertion(app, **claims), scope)
        return httpx.post(f"{self.url}{TOKEN_PATH}", data=form, verify=self.tls_context())

    def token(self, app: TestApp, scope: str | None = None) -> str:
        response = self.token_response(app, scope)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def client(self, app: TestApp | None = None, token: str | None = None) -> httpx.Client:
        """An HTTP client of ``app`` (a fresh token) whose every response is validated."""
        headers = {}
        if token is None and app is not None:
            token = self.token(app)
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        return httpx.Client(
            base_url=self.url, verify=self.tls_context(), headers=headers, timeout=30,
            event_hooks={"response": [lambda r: (r.read(), self.conformance.check(r))[1]]},
        )  # fmt: skip

    def inbox(self, phone: str) -> list[dict[str, Any]]:
        """What the handset received through the embedded SMSC."""
        return read_inbox(self.gateway.data_dir / "smsc", f"tel:{phone}")

    def code_sent_to(self, phone: str, count: int, timeout_s: float = 15.0) -> str:
        deadline = time.monotonic() + timeout_s
        while len(messages := self.inbox(phone)) < count:
            assert time.monotonic() < deadline, f"no code SMS #{count} for {phone}"
            time.sleep(0.1)
        found = re.search(r"code (\d{6}) confirms", messages[count - 1]["text"])
        assert found, messages[count - 1]["text"]
        return found.group(1)

    def confirming(self, number: str, above: int = 0) -> None:
        """The subscriber asked for a one-time code above ``above`` (OTP by SMS does this)."""
        if not any(g.operation == "selfcare" for g in self.ledger.list_grants(SELFCARE_APP)):
            self.ledger.grant(SELFCARE_APP, "selfcare")
        self.ledger.set_threshold(SELFCARE_APP, number, which="confirm", amount_minor=above)

    def new_account(self, **settings: Any) -> tuple[str, str]:
        """A fresh prepaid KRW account (50,000 on it unless told otherwise): (number, +E.164)."""
        n = next(_numbers)
        number, phone = f"C{n}", f"+8210{n:08d}"
        options: dict[str, Any] = {"currency": "KRW", "balance_minor": 50_000}
        options.update(settings)
        self.ledger.create_account(number, msisdn=f"tel:{phone}", **options)
        return number, phone


def _context(ca: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    return context


def payment_body(phone: str | None, amount: Any, reference: str, **more: Any) -> dict[str, Any]:
    transaction: dict[str, Any] = {
        "referenceCode": reference,
        "paymentAmount": {"chargingInformation": {"amount": amount, "currency": "KRW",
                                                  "description": "a song"}},
    }  # fmt: skip
    if phone is not None:
        transaction["phoneNumber"] = phone
    for key in ("clientCorrelator",):
        if key in more:
            transaction[key] = more.pop(key)
    return {"amountTransaction": transaction, **more}


PAY = f"{PAYMENTS_BASE}/payments"
REF = REFUNDS_BASE
