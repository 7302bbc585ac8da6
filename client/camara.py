"""A client of a CAMARA Carrier Billing surface (release r3.2: Carrier Billing v0.5, Carrier
Billing Refund v0.3): OAuth 2.0 client credentials with ``private_key_jwt`` (RFC 7523 §2.2),
then the payment and refund operations over HTTPS (httpx).

    client = CamaraClient("https://gw.example:8443", "merchant-1", private_key_pem,
                          verify="gateway-ca.pem")
    payment = client.create_payment("+821011110001", Decimal(1500), "KRW", "a song", "order-17")
    client.create_refund(payment["paymentId"], "order-17-r1", description="returned")

The client assertion is a JWT signed with the private key whose public half the application
registered (RS256 for RSA keys, Ed25519 for Ed25519 keys; JOSE is joserfc's): iss = sub = the
application id, aud = the token endpoint, a fresh jti, a short exp. The access token is kept and
renewed shortly before it expires, or once when a request is answered 401 (the request did not
run, so repeating it is safe). Error answers raise :class:`CamaraError` with r3.2's
``status``/``code``/``message``; amounts are ``Decimal`` both ways, never floats.

Only the public documents are spoken here -- nothing of the gateway's internals is imported
(``camara.jsonio`` is a leaf: JSON without floats) -- so the shop, the ``micropay camara token``
command, the tests, the benchmark and the conformance harness share this one implementation.
"""

from __future__ import annotations

import os
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from joserfc import jwk, jwt

from camara import jsonio

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_S = 120
TOKEN_PATH = "/oauth2/token"
PAYMENTS = "/carrier-billing/v0.5/payments"
REFUNDS = "/carrier-billing-refund/v0.3/payments"
RENEW_BEFORE_S = 60.0  # a token this close to its expiry is renewed before use
TIMEOUT_S = 10.0

Verify = ssl.SSLContext | str | bool


class TokenRefused(Exception):
    """The token endpoint refused the client (RFC 6749 §5.2 ``error``), or did not answer."""

    def __init__(self, error: str, description: str = "", status: int = 0) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error, self.description, self.status = error, description, status


class CamaraError(Exception):
    """An error answer of the surface: r3.2's ErrorInfo ``{status, code, message}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    @classmethod
    def of(cls, response: httpx.Response) -> CamaraError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        return cls(response.status_code, str(body.get("code", "")), str(body.get("message", "")))


def signing_key(private_pem: bytes) -> tuple[Any, str]:
    """The joserfc key of a PEM private key and the algorithm it signs assertions with."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    if isinstance(key, rsa.RSAPrivateKey):
        return jwk.import_key(private_pem, "RSA"), "RS256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return jwk.import_key(private_pem, "OKP"), "Ed25519"
    raise ValueError(f"{type(key).__name__} keys cannot sign a client assertion (RSA or Ed25519)")


def client_assertion(
    app_id: str,
    private_pem: bytes,
    token_url: str,
    lifetime_s: int = ASSERTION_LIFETIME_S,
    **claims: Any,
) -> str:
    """The signed client assertion (RFC 7523 §3). ``claims`` override or, with None, drop the
    standard ones (the tests forge assertions this way)."""
    now = int(time.time())
    body = {"iss": app_id, "sub": app_id, "aud": token_url, "iat": now,
            "exp": now + lifetime_s, "jti": uuid.uuid4().hex, **claims}  # fmt: skip
    body = {k: v for k, v in body.items() if v is not None}
    key, alg = signing_key(private_pem)
    return jwt.encode({"alg": alg}, body, key, algorithms=[alg])


def token_form(assertion: str, scope: str | None = None) -> dict[str, str]:
    """The client-credentials request of the token endpoint (form fields)."""
    form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion}  # fmt: skip
    if scope:
        form["scope"] = scope
    return form


def fetch_token(
    http: httpx.Client, token_url: str, app_id: str, private_pem: bytes, scope: str | None = None
) -> dict[str, Any]:
    """``{"access_token", "token_type", "expires_in", "scope"}`` for the application; raises
    :class:`TokenRefused` with the endpoint's ``error`` (or why it could not be reached)."""
    form = token_form(client_assertion(app_id, private_pem, token_url), scope)
    try:
        response = http.post(token_url, data=form)
    except httpx.HTTPError as exc:
        raise TokenRefused("unreachable", f"{token_url}: {type(exc).__name__}") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
        body = body if isinstance(body, dict) else {}
        raise TokenRefused(str(body.get("error", response.status_code)),
                           str(body.get("error_description", "")), response.status_code)  # fmt: skip
    return body


def verify_of(ca_file: str | os.PathLike[str] | None) -> Verify:
    """TLS verification: the given CA file's certificates, else the system's."""
    if ca_file:
        return ssl.create_default_context(cafile=str(ca_file))
    return True


@dataclass
class _Token:
    value: str
    renew_at: float  # time.monotonic()


class CamaraClient:
    """One application's client of the surface at ``base_url``; thread-safe."""

    def __init__(
        self,
        base_url: str,
        app_id: str,
        private_key_pem: bytes,
        *,
        verify: Verify = True,
        timeout_s: float = TIMEOUT_S,
        scope: str | None = None,
        event_hooks: dict[str, list[Any]] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self.token_url = self.base_url + TOKEN_PATH
        self.scope = scope
        self._pem = private_key_pem
        signing_key(private_key_pem)  # a key that cannot sign fails here, not at the first call
        self.http = httpx.Client(base_url=self.base_url, verify=verify, timeout=timeout_s,
                                 event_hooks=event_hooks or {})  # fmt: skip
        self._token: _Token | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CamaraClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the access token ---------------------------------------------------------------------
    def token(self, *, renew: bool = False) -> str:
        with self._lock:
            held = self._token
            if held is not None and not renew and time.monotonic() < held.renew_at:
                return held.value
            got = fetch_token(self.http, self.token_url, self.app_id, self._pem, self.scope)
            lifetime = float(got.get("expires_in", 0) or 0)
            renew_at = time.monotonic() + max(lifetime - RENEW_BEFORE_S, lifetime / 2)
            self._token = _Token(str(got["access_token"]), renew_at)
            return self._token.value

    # -- requests ------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """The response as it came (any status). A 401 renews the token and repeats once."""
        content = None if body is None else jsonio.dumps(body).encode()
        for attempt in range(2):
            sent = {"authorization": f"Bearer {self.token(renew=attempt > 0)}", **(headers or {})}
            if content is not None:
                sent["content-type"] = "application/json"
            response = self.http.request(method, path, content=content, params=params,
                                         headers=sent)  # fmt: skip
            if response.status_code != 401:
                return response
        return response

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        """The decoded answer (None for an empty one); :class:`CamaraError` for an error."""
        response = self.request(method, path, body, **kw)
        if response.status_code >= 400:
            raise CamaraError.of(response)
        return jsonio.loads(response.content) if response.content else None

    # -- Carrier Billing v0.5 ------------------------------------------------------------------
    def create_payment(self, phone: str, amount: Decimal, currency: str, description: str,
                       reference_code: str, **more: Any) -> dict[str, Any]:  # fmt: skip
        """createPayment (1-step): the payment, ``paymentStatus`` ``succeeded``."""
        body = payment_body(phone, amount, currency, description, reference_code, **more)
        return dict(self.call("POST", PAYMENTS, body))

    def prepare_payment(self, phone: str, amount: Decimal, currency: str, description: str,
                        reference_code: str, **more: Any) -> dict[str, Any]:  # fmt: skip
        """preparePayment: ``reserved``, or ``pending_validation`` with ``validationInfo``."""
        body = payment_body(phone, amount, currency, description, reference_code, **more)
        return dict(self.call("POST", f"{PAYMENTS}/prepare", body))

    def validate_payment(self, payment_id: str, authorization_id: str, code: str) -> None:
        body = {"authorizationId": authorization_id, "code": code}
        self.call("POST", f"{PAYMENTS}/{payment_id}/validate", body)

    def confirm_payment(self, payment_id: str, phone: str) -> Any:
        return self.call("POST", f"{PAYMENTS}/{payment_id}/confirm", {"phoneNumber": phone})

    def cancel_payment(self, payment_id: str, phone: str) -> None:
        self.call("POST", f"{PAYMENTS}/{payment_id}/cancel", {"phoneNumber": phone})

    def retrieve_payment(self, payment_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"{PAYMENTS}/{payment_id}"))

    # -- Carrier Billing Refund v0.3 -----------------------------------------------------------
    def create_refund(
        self,
        payment_id: str,
        reference_code: str,
        *,
        amount: Decimal | None = None,
        currency: str = "",
        description: str = "",
        reason: str | None = None,
        client_correlator: str | None = None,
    ) -> dict[str, Any]:
        """createRefund: ``total`` without an amount (what remains of the payment), else
        ``partial`` of ``amount``."""
        transaction: dict[str, Any] = {"referenceCode": reference_code, "refundAmount": {}}
        if client_correlator is not None:
            transaction["clientCorrelator"] = client_correlator
        body: dict[str, Any] = {"type": "total", "amountTransaction": transaction}
        if amount is not None:
            body["type"] = "partial"
            transaction["refundAmount"] = {"chargingInformation": {
                "amount": amount, "currency": currency, "description": description}}  # fmt: skip
        if reason is not None:
            body["reason"] = reason
        return dict(self.call("POST", f"{REFUNDS}/{payment_id}/refunds", body))

    def remaining_amount(self, payment_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"{REFUNDS}/{payment_id}/refunds/remaining-amount"))


def payment_body(phone: str | None, amount: Decimal | int, currency: str, description: str,
                 reference_code: str, **more: Any) -> dict[str, Any]:  # fmt: skip
    """A createPayment/preparePayment body; ``more``: ``clientCorrelator``, ``sink`` ... in
    ``amountTransaction`` where r3.2 puts them there, else at the top."""
    transaction: dict[str, Any] = {
        "referenceCode": reference_code,
        "paymentAmount": {"chargingInformation": {
            "amount": amount, "currency": currency, "description": description}},
    }  # fmt: skip
    if phone is not None:
        transaction["phoneNumber"] = phone
    for key in ("clientCorrelator", "merchantIdentifier"):
        if key in more:
            transaction[key] = more.pop(key)
    return {"amountTransaction": transaction, **more}
