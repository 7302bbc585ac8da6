"""The harness's client of a CAMARA Carrier Billing surface: its own, as its CHAP is (it faces
any implementation), on httpx and joserfc.

- :func:`discover`: the served OpenAPI document, and the token endpoint its ``openIdConnect``
  security scheme leads to (OpenID Provider metadata);
- :class:`CamaraApi`: one application's access token -- client credentials with a
  ``private_key_jwt`` client assertion (RFC 7523 §2.2) signed with the application's key -- and
  its requests, every answer of an operation checked against the served document
  (:class:`~apps.interop.openapi_check.OpenApiCheck`) before a purpose sees it;
- :class:`Undo`: what the purposes paid, cancelled or refunded afterwards so that the test
  accounts are left as found.

Amounts are ``Decimal`` both ways: written as JSON numbers with exactly their digits.
"""

from __future__ import annotations

import json
import re
import secrets
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from joserfc import jwk, jwt

from apps.interop.openapi_check import PAYMENTS_BASE, REFUNDS_BASE, OpenApiCheck

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_S = 120
TIMEOUT_S = 30.0
PAY = f"{PAYMENTS_BASE}/payments"
REFUNDS = f"{REFUNDS_BASE}/payments"
_NONCE = secrets.token_hex(8)  # a per-process mark: no text sent can look like a number's
_MARK = f"\x00{_NONCE}:"
_MARKED = re.compile(r'"\\u0000' + _NONCE + r':(-?[0-9]+(?:\.[0-9]+)?)"')


class TokenError(Exception):
    """The token endpoint refused the application (or could not be reached)."""


def dumps(body: Any) -> str:
    """JSON with each Decimal as a number of exactly its digits (never through a float): the
    Decimal goes out marked, then its mark (escaped by ``json``, so unlike any text) is
    replaced by its digits."""

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return _MARK + format(value, "f")
        raise TypeError(f"{type(value).__name__} is not JSON")

    return _MARKED.sub(r"\1", json.dumps(body, default=default))


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)


def verify_of(ca_file: str | None) -> ssl.SSLContext | bool:
    return ssl.create_default_context(cafile=ca_file) if ca_file else True


@dataclass(frozen=True)
class Surface:
    base_url: str
    document: dict[str, Any]
    token_url: str


def discover(base_url: str, verify: ssl.SSLContext | bool) -> Surface:
    """The served document (``/openapi.json``) and the token endpoint it names."""
    base = base_url.rstrip("/")
    with httpx.Client(verify=verify, timeout=TIMEOUT_S) as http:
        document = http.get(f"{base}/openapi.json").raise_for_status().json()
        schemes = document.get("components", {}).get("securitySchemes", {})
        oidc = next((s["openIdConnectUrl"] for s in schemes.values()
                     if s.get("type") == "openIdConnect" and "openIdConnectUrl" in s), None)  # fmt: skip
        if oidc is None:
            raise ValueError("the served document names no openIdConnect security scheme")
        metadata = http.get(oidc if oidc.startswith("http") else f"{base}{oidc}")
        token_url = str(metadata.raise_for_status().json()["token_endpoint"])
    return Surface(base, document, token_url)


def assertion(app_id: str, key: Any, token_url: str, **claims: Any) -> str:
    """A client assertion signed with ``key`` (a cryptography private key: RSA -> RS256,
    Ed25519 -> EdDSA); ``claims`` override the standard ones (None drops one)."""
    now = int(time.time())
    body = {"iss": app_id, "sub": app_id, "aud": token_url, "iat": now,
            "exp": now + ASSERTION_LIFETIME_S, "jti": uuid.uuid4().hex, **claims}  # fmt: skip
    body = {k: v for k, v in body.items() if v is not None}
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())  # fmt: skip
    if isinstance(key, rsa.RSAPrivateKey):
        kind, alg = "RSA", "RS256"
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        kind, alg = "OKP", "EdDSA"
    else:
        raise ValueError(f"a {type(key).__name__} cannot sign a client assertion")
    return jwt.encode({"alg": alg}, body, jwk.import_key(pem, kind), algorithms=[alg])


class CamaraApi:
    """One application's session with the surface. ``token=None``: get one when first needed;
    ``token=""``: send none."""

    def __init__(self, surface: Surface, app_id: str, key: Any, check: OpenApiCheck,
                 verify: ssl.SSLContext | bool, token: str | None = None) -> None:  # fmt: skip
        self.surface, self.app_id, self.key = surface, app_id, key
        self._token = token
        self.http = httpx.Client(
            base_url=surface.base_url, verify=verify, timeout=TIMEOUT_S,
            event_hooks={"response": [check.check]},
        )  # fmt: skip

    def close(self) -> None:
        self.http.close()

    def token_answer(self, **claims: Any) -> httpx.Response:
        form = {"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": assertion(self.app_id, self.key, self.surface.token_url,
                                              **claims)}  # fmt: skip
        return self.http.post(self.surface.token_url, data=form)

    def token(self) -> str:
        if self._token is None:
            answer = self.token_answer()
            if answer.status_code != 200:
                raise TokenError(f"{answer.status_code} {answer.text[:200]}")
            self._token = str(answer.json()["access_token"])
        return self._token

    def request(self, method: str, path: str, body: Any = None,
                params: dict[str, Any] | None = None) -> httpx.Response:  # fmt: skip
        headers = {"x-correlator": str(uuid.uuid4())}
        token = self.token()
        if token:
            headers["authorization"] = f"Bearer {token}"
        content = None
        if body is not None:
            content, headers["content-type"] = dumps(body).encode(), "application/json"
        return self.http.request(method, path, content=content, params=params, headers=headers)

    def post(self, path: str, body: Any = None) -> httpx.Response:
        return self.request("POST", path, body)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.request("GET", path, params=params or None)


def payment_body(phone: str | None, amount: Decimal, currency: str, reference: str,
                 **more: Any) -> dict[str, Any]:  # fmt: skip
    """A createPayment / preparePayment body; ``clientCorrelator`` goes into the transaction."""
    transaction: dict[str, Any] = {
        "referenceCode": reference,
        "paymentAmount": {"chargingInformation": {
            "amount": amount, "currency": currency, "description": "interop"}},
    }  # fmt: skip
    if phone is not None:
        transaction["phoneNumber"] = phone
    if "clientCorrelator" in more:
        transaction["clientCorrelator"] = more.pop("clientCorrelator")
    return {"amountTransaction": transaction, **more}


def refund_body(
    reference: str, amount: Decimal | None = None, currency: str = ""
) -> dict[str, Any]:
    """createRefund: total without an amount, else partial."""
    if amount is None:
        return {"type": "total",
                "amountTransaction": {"referenceCode": reference, "refundAmount": {}}}  # fmt: skip
    return {"type": "partial", "amountTransaction": {"referenceCode": reference, "refundAmount": {
        "chargingInformation": {"amount": amount, "currency": currency,
                                "description": "interop"}}}}  # fmt: skip


def expect(response: httpx.Response, status: int, code: str | None = None) -> Any:
    """The decoded body when ``response`` has ``status`` (and the error ``code``)."""
    body = loads(response.content) if response.content else None
    got = body.get("code") if isinstance(body, dict) else None
    want = f"{status}{' ' + code if code else ''}"
    assert response.status_code == status and (code is None or got == code), (
        f"{response.request.method} {response.request.url.path}: expected {want}, got "
        f"{response.status_code} {response.text[:300]}"
    )
    return body


@dataclass
class Undo:
    """Payments the purposes made, undone after each purpose: an open one cancelled, what a
    succeeded one still has refunded in total."""

    made: list[tuple[CamaraApi, str, str]] = field(default_factory=list)  # api, id, phone

    def payment(self, api: CamaraApi, answer: dict[str, Any]) -> dict[str, Any]:
        self.made.append((api, str(answer["paymentId"]),
                          str(answer["amountTransaction"]["phoneNumber"])))  # fmt: skip
        return answer

    def run(self, ref: Callable[[str], str]) -> list[str]:
        done: list[str] = []
        for api, payment_id, phone in self.made:
            try:
                done += _undo(api, payment_id, phone, ref)
            except Exception as exc:  # keep undoing the others
                done.append(f"FAILED undo of payment {payment_id}: {exc!r}")
        self.made.clear()
        return done


def _undo(api: CamaraApi, payment_id: str, phone: str, ref: Callable[[str], str]) -> list[str]:
    status = expect(api.get(f"{PAY}/{payment_id}"), 200)["paymentStatus"]
    if status in ("reserved", "pending_validation"):
        expect(api.post(f"{PAY}/{payment_id}/cancel", {"phoneNumber": phone}), 202)
        return [f"cancelPayment {payment_id}"]
    if status != "succeeded":
        return []
    left = expect(api.get(f"{REFUNDS}/{payment_id}/refunds/remaining-amount"), 200)
    if Decimal(left["amount"]) <= 0:
        return []
    expect(api.post(f"{REFUNDS}/{payment_id}/refunds", refund_body(ref("undo"))), 201)
    return [f"createRefund total {left['amount']} {left['currency']} of {payment_id}"]
