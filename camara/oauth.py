"""OAuth 2.0 for the CAMARA surface: client credentials (RFC 6749 §4.4, two-legged) with
``private_key_jwt`` client authentication (RFC 7523 §2.2, OpenID Connect Core §9).

No new secret exists: the client assertion must be signed with the key the application
registered with the framework for agreement signing (``micropay app register --public-key``),
and the application must be registered, enabled and subscribed to ``P_PAYMENT`` -- the same
registry and entitlements the OSA framework checks. JOSE is joserfc's (signature, claims,
algorithms), not ours. What is checked, in order (any failure is ``invalid_client``):

1. ``client_assertion_type`` is ``urn:ietf:params:oauth:client-assertion-type:jwt-bearer``;
2. ``iss`` = ``sub`` = the application id (and = ``client_id`` when that is sent too);
3. the signature verifies with the registered key, by an algorithm that fits it (RS256/PS256
   for RSA keys of 2048 bits or more, EdDSA/Ed25519 for Ed25519 keys);
4. ``aud`` names this gateway: its token endpoint URL or its issuer URL;
5. ``exp`` is in the future and at most ``assertion_lifetime_s_max`` away, ``iat``/``nbf`` not
   in the future (with ``assertion_clock_skew_s``), ``jti`` is present and never used before.

Access tokens are 256 random bits, kept by their SHA-256 in the database (a token works on every
gateway of the database), valid ``token_lifetime_s``; the scopes granted are those asked for
(all of the application's when none is asked), and a scope it may not have is ``invalid_scope``.
A token stops working when it expires or when the operator disables the application
(:meth:`Tokens.sweep`, within ``revocation_sweep_interval_s``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from joserfc import jwk, jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact
from joserfc.jwt import JWTClaimsRegistry

from camara import limits, store
from framework.core.signing import InvalidKey, load_public_key
from storage import Database

log = logging.getLogger("micropay.camara.oauth")

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
GRANT_TYPE = "client_credentials"
PAYMENT_SERVICE = "P_PAYMENT"
# The scopes of Carrier Billing v0.5 and Carrier Billing Refund v0.3; each needs P_PAYMENT.
SCOPES = (
    "carrier-billing:payments:create",
    "carrier-billing:payments:read",
    "carrier-billing:payments:write",
    "carrier-billing-refund:refunds:create",
    "carrier-billing-refund:refunds:read",
)
RSA_BITS_MIN = 2048


class OAuthError(Exception):
    """An RFC 6749 §5.2 error response."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def algorithms_for(key: Any) -> list[str]:
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ["EdDSA", "Ed25519"]
    if isinstance(key, rsa.RSAPublicKey) and key.key_size >= RSA_BITS_MIN:
        return ["RS256", "PS256"]
    return []


def _client(message: str) -> OAuthError:
    return OAuthError("invalid_client", message, 401)


@dataclass(frozen=True)
class Grant:
    """What an access token stands for."""

    app_id: str
    scopes: frozenset[str]
    expires_at: datetime


class Issuer:
    """The token endpoint's logic (transport-free: a form in, a JSON body out)."""

    def __init__(
        self,
        db: Database,
        registry: Any,  # framework.core.store.FrameworkStore: application(app_id)
        audiences: tuple[str, ...],
        token_lifetime_s: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.db, self.registry, self.audiences = db, registry, audiences
        self.token_lifetime_s, self.clock = token_lifetime_s, clock

    def issue(self, form: Mapping[str, str]) -> dict[str, Any]:
        if form.get("grant_type") != GRANT_TYPE:
            raise OAuthError("unsupported_grant_type", "only client_credentials is offered")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise _client("private_key_jwt client authentication is required")
        assertion = form.get("client_assertion") or ""
        if not 0 < len(assertion) <= limits.assertion_chars_max:
            raise _client("client_assertion is missing or too long")
        app, claims = self._authenticate(assertion, form.get("client_id"))
        scopes = self._scopes(app, form.get("scope"))
        now = self.clock()
        token = secrets.token_urlsafe(limits.token_bytes)
        expires = now + timedelta(seconds=self.token_lifetime_s)
        jti_expires = datetime.fromtimestamp(int(claims["exp"]), now.tzinfo) + timedelta(
            seconds=limits.assertion_clock_skew_s
        )
        if not store.add_token(
            self.db, token_hash(token), app.app_id, scopes, now, expires, str(claims["jti"]),
            jti_expires,
        ):  # fmt: skip
            raise _client("the client assertion was used before (jti)")
        log.info("camara token issued app_id=%s scopes=%s", app.app_id, " ".join(scopes))
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime_s,
            "scope": " ".join(scopes),
        }

    def _authenticate(self, assertion: str, client_id: str | None) -> tuple[Any, dict[str, Any]]:
        try:
            unverified = json.loads(extract_compact(assertion.encode()).payload)
        except (JoseError, ValueError, TypeError, UnicodeDecodeError):
            raise _client("client_assertion is not a JWS") from None
        if not isinstance(unverified, dict):
            raise _client("client_assertion carries no claims")
        issuer = unverified.get("iss")
        if not isinstance(issuer, str) or issuer != unverified.get("sub"):
            raise _client("iss and sub must both be the client id")
        if client_id is not None and client_id != issuer:
            raise _client("client_id differs from the assertion's issuer")
        app = self.registry.application(issuer) if len(issuer) <= 128 else None
        if app is None or not app.enabled or not app.public_key_pem:
            raise _client("unknown or disabled client, or no registered key")
        try:
            public = load_public_key(app.public_key_pem)
        except InvalidKey:
            raise _client("the registered key cannot verify assertions") from None
        algorithms = algorithms_for(public)
        if not algorithms:
            raise _client("the registered key cannot verify assertions")
        key = jwk.import_key(app.public_key_pem, "OKP" if "EdDSA" in algorithms else "RSA")
        try:
            token = jwt.decode(assertion, key, algorithms=algorithms)
        except (JoseError, ValueError):
            raise _client("the client assertion's signature does not verify") from None
        claims = dict(token.claims)
        now = self.clock().timestamp()
        registry = JWTClaimsRegistry(
            now=int(now),
            leeway=limits.assertion_clock_skew_s,
            iss={"essential": True, "value": app.app_id},
            sub={"essential": True, "value": app.app_id},
            aud={"essential": True, "values": list(self.audiences)},
            exp={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise _client(f"the client assertion's claims are refused: {exc.error}") from None
        if not isinstance(claims.get("exp"), int | float) or not isinstance(claims["jti"], str):
            raise _client("exp must be a number and jti a string")
        if claims["exp"] - now > limits.assertion_lifetime_s_max:
            raise _client("the client assertion lives too long")
        if not 0 < len(claims["jti"]) <= limits.identifier_chars_max:
            raise _client("jti is empty or too long")
        return app, claims

    def _scopes(self, app: Any, asked: str | None) -> list[str]:
        allowed = list(SCOPES) if PAYMENT_SERVICE in app.service_types else []
        if not allowed:
            raise OAuthError("invalid_scope", "the application is not subscribed to payments")
        if asked is None or not asked.strip():
            return allowed
        wanted = list(dict.fromkeys(asked.split()))
        unknown = [s for s in wanted if s not in allowed]
        if unknown:
            raise OAuthError("invalid_scope", f"scope {unknown[0]!r} is not granted")
        return wanted


class Tokens:
    """Bearer tokens of live grants: a dictionary read per request; a token another gateway
    issued is looked up in the database once (blocking: call it off the event loop)."""

    def __init__(self, db: Database, registry: Any, clock: Callable[[], datetime]) -> None:
        self.db, self.registry, self.clock = db, registry, clock
        self._lock = threading.Lock()
        self._grants: dict[str, Grant] = {}

    def known(self, token: str) -> Grant | None:
        """The live grant of a token this gateway has seen; None otherwise (or expired)."""
        grant = self._grants.get(token_hash(token))
        if grant is None or self.clock() >= grant.expires_at:
            return None
        return grant

    def load(self, token: str) -> Grant | None:
        """The live grant of any token of the database (blocking)."""
        if not 0 < len(token) <= limits.authorization_chars_max:
            return None
        digest = token_hash(token)
        record = store.token(self.db, digest)
        if record is None or record.revoked or self.clock() >= record.expires_at:
            return None
        app = self.registry.application(record.app_id)
        if app is None or not app.enabled:
            return None
        grant = Grant(record.app_id, record.scopes, record.expires_at)
        with self._lock:
            self._grants[digest] = grant
        return grant

    def count(self) -> int:
        return len(self._grants)

    def sweep(self) -> None:
        """Forget expired grants; revoke every token of an application disabled since."""
        now = self.clock()
        with self._lock:
            for digest in [d for d, g in self._grants.items() if now >= g.expires_at]:
                del self._grants[digest]
            apps = {g.app_id for g in self._grants.values()}
        disabled = self.registry.disabled_among(apps) if apps else set()
        if not disabled:
            return
        revoked = store.revoke_tokens(self.db, sorted(disabled), now)
        with self._lock:
            for digest in [d for d, g in self._grants.items() if g.app_id in disabled]:
                del self._grants[digest]
        log.info("camara tokens revoked apps=%s count=%d", ",".join(sorted(disabled)), revoked)
